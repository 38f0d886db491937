"""How the clients reach mobiserve: TLS (with a client certificate for mutual TLS), a bearer token on every
call, and round-robin over every server a ``dns:`` or ``ipv4:`` target names — what the Java clients do.

    channel = open_channel("mobiserve.example:8500", Security(ca="ca.crt", token="..."))

A ``host:port`` target keeps gRPC's default, pick_first: one connection to one server. ``dns:///name:port``
(every address of the name, such as a Kubernetes headless Service) and ``ipv4:a:p,b:q`` get ``round_robin``,
which keeps a connection to each server and sends each call to the next one. A stream is one call: it stays on
the server it began on.

Over TLS the token travels as call credentials; gRPC refuses those on a plaintext channel, so there an
interceptor adds ``authorization: Bearer TOKEN`` to the metadata of every call, streams included.
"""

import dataclasses
import os
import pathlib
from typing import Mapping, Optional, Sequence, Tuple, Union

import grpc

TOKEN_VARIABLE = "MOBISERVE_TOKEN"
TOKEN_FILE_VARIABLE = "MOBISERVE_TOKEN_FILE"

# A PEM file's path, or its contents.
Pem = Union[str, pathlib.Path, bytes, None]


class ConfigurationError(ValueError):
    """A connection setting that cannot be used; the message names the setting (its command-line option) and
    says why."""


@dataclasses.dataclass(frozen=True)
class Security:
    """How to reach the servers securely; every field may be left out.

    tls: TLS even without ``ca`` (the server's certificate checked against gRPC's default roots).
    ca: the CA certificates that sign the server's certificate (PEM: a path or the bytes); implies TLS.
    cert, key: the client's certificate chain and its private key, for mutual TLS; imply TLS.
    server_name: the name to check the server's certificate against instead of the target's host.
    token: the bearer token sent as ``authorization: Bearer TOKEN`` on every call.
    """
    tls: bool = False
    ca: Pem = None
    cert: Pem = None
    key: Pem = None
    server_name: Optional[str] = None
    token: Optional[str] = None

    def uses_tls(self) -> bool:
        return bool(self.tls or self.ca is not None or self.cert is not None or self.key is not None)


PLAINTEXT = Security()


def round_robin(target: str) -> bool:
    """Whether calls to ``target`` are spread round-robin over every address it resolves to."""
    return target.lower().startswith(("dns:", "ipv4:"))


def channel_options(target: str, security: Security = PLAINTEXT, options: Sequence[Tuple[str, object]] = ()):
    """``options`` with what ``target`` and ``security`` call for: the round-robin policy, the server name."""
    options = list(options)
    names = {name for name, _ in options}
    if round_robin(target) and "grpc.lb_policy_name" not in names:
        options.append(("grpc.lb_policy_name", "round_robin"))
    if security.server_name:
        options.append(("grpc.ssl_target_name_override", security.server_name))
        options.append(("grpc.default_authority", security.server_name))
    return options


def channel_credentials(security: Security) -> Optional[grpc.ChannelCredentials]:
    """The channel's credentials: TLS (with the token as call credentials), or None for plaintext."""
    if not security.uses_tls():
        return None
    if (security.cert is None) != (security.key is None):
        raise ConfigurationError("--tls-key needs --tls-cert (the certificate it belongs to)" if security.cert is None
                                 else "--tls-cert needs --tls-key (its private key)")
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_pem("--tls-ca", security.ca),
        private_key=_pem("--tls-key", security.key),
        certificate_chain=_pem("--tls-cert", security.cert))
    if security.token:
        credentials = grpc.composite_channel_credentials(
            credentials, grpc.access_token_call_credentials(security.token))
    return credentials


def open_channel(target: str, security: Security = PLAINTEXT, options: Sequence[Tuple[str, object]] = (),
                 aio: bool = False):
    """A channel to ``target`` (a ``grpc.Channel``, or a ``grpc.aio.Channel`` with ``aio=True``) with
    ``security``'s credentials and the load-balancing policy the target calls for.

    Raises ConfigurationError naming a setting that cannot be used (a file that cannot be read, a
    certificate without its key).
    """
    if security.token is not None:
        check_token("token", security.token)
    credentials = channel_credentials(security)
    options = channel_options(target, security, options)
    plaintext_token = security.token if credentials is None else None
    if aio:
        interceptors = _aio_authorization(plaintext_token) if plaintext_token else None
        if credentials is None:
            return grpc.aio.insecure_channel(target, options=options, interceptors=interceptors)
        return grpc.aio.secure_channel(target, credentials, options=options)
    channel = (grpc.insecure_channel(target, options=options) if credentials is None
               else grpc.secure_channel(target, credentials, options=options))
    if plaintext_token:
        channel = grpc.intercept_channel(channel, _Authorization(plaintext_token))
    return channel


def read_token_file(path, source: str = "--token-file") -> str:
    """The token in a file: its first line that is neither blank nor a ``#`` comment."""
    try:
        text = pathlib.Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(f"{source} {path}: no such file") from None
    except OSError as e:
        raise ConfigurationError(f"{source} {path}: cannot be read: {e.strerror or e}") from None
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return check_token(f"{source} {path}", line)
    raise ConfigurationError(f"{source} {path}: no token in it")


def resolve_token(token: Optional[str] = None, token_file=None,
                  environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The token the command line asks for: ``token`` (--token), else the file ``token_file`` (--token-file),
    else $MOBISERVE_TOKEN, else the file $MOBISERVE_TOKEN_FILE names; None when none is given. The variables
    keep the token off the command line, which other users of the machine can read."""
    environ = os.environ if environ is None else environ
    if token is not None and token_file is not None:
        raise ConfigurationError("give --token or --token-file, not both")
    if token is not None:
        return check_token("--token", token.strip())
    if token_file is not None:
        return read_token_file(token_file)
    from_variable = environ.get(TOKEN_VARIABLE, "").strip()
    if from_variable:
        return check_token(TOKEN_VARIABLE, from_variable)
    file_variable = environ.get(TOKEN_FILE_VARIABLE, "").strip()
    if file_variable:
        return read_token_file(file_variable, TOKEN_FILE_VARIABLE)
    return None


def check_token(source: str, token: str) -> str:
    """``token`` when it can go in a header: printable ASCII without spaces."""
    if not token or not all(0x20 < ord(c) < 0x7f for c in token):
        raise ConfigurationError(f"{source}: a token must be printable ASCII without spaces")
    return token


def _pem(option: str, source: Pem) -> Optional[bytes]:
    if source is None or isinstance(source, bytes):
        return source
    try:
        return pathlib.Path(source).read_bytes()
    except FileNotFoundError:
        raise ConfigurationError(f"{option}: {source}: no such file") from None
    except OSError as e:
        raise ConfigurationError(f"{option}: {source}: cannot be read: {e.strerror or e}") from None


class _CallDetails(grpc.ClientCallDetails):
    def __init__(self, details, metadata):
        self.method = details.method
        self.timeout = details.timeout
        self.metadata = metadata
        self.credentials = details.credentials
        self.wait_for_ready = getattr(details, "wait_for_ready", None)
        self.compression = getattr(details, "compression", None)


class _Authorization(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                     grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds ``authorization: Bearer TOKEN`` to every call of a plaintext channel."""

    def __init__(self, token):
        self._header = ("authorization", "Bearer " + token)

    def _details(self, details):
        return _CallDetails(details, list(details.metadata or ()) + [self._header])

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)

    def intercept_stream_stream(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)


def _aio_authorization(token):
    """The asyncio form of _Authorization: grpc.aio takes one interceptor object per kind of call."""
    header = ("authorization", "Bearer " + token)

    def details_with_header(details):
        metadata = grpc.aio.Metadata(*tuple(details.metadata or ()), header)
        return grpc.aio.ClientCallDetails(details.method, details.timeout, metadata, details.credentials,
                                          details.wait_for_ready)

    class UnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):
        async def intercept_unary_unary(self, continuation, details, request):
            return await continuation(details_with_header(details), request)

    class UnaryStream(grpc.aio.UnaryStreamClientInterceptor):
        async def intercept_unary_stream(self, continuation, details, request):
            return await continuation(details_with_header(details), request)

    class StreamUnary(grpc.aio.StreamUnaryClientInterceptor):
        async def intercept_stream_unary(self, continuation, details, request_iterator):
            return await continuation(details_with_header(details), request_iterator)

    class StreamStream(grpc.aio.StreamStreamClientInterceptor):
        async def intercept_stream_stream(self, continuation, details, request_iterator):
            return await continuation(details_with_header(details), request_iterator)

    return [UnaryUnary(), UnaryStream(), StreamUnary(), StreamStream()]
