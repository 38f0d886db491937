"""TLS, mutual TLS, tokens, round-robin and connection renewal, against real servers on loopback: the jar served
with certificates the test makes with openssl (tests/pki.py) and a token file, driven through the library and
the command line."""

import asyncio
import http.client
import io
import json
import os
import pathlib
import re
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from unittest import mock

import cv2
import grpc

from mobiserve_client import AsyncClient, Client, KServeClient, cli, connection, frame_request, raw_image

from . import live_server
from .pki import Pki

HELDOUT = live_server.DIGITS / "heldout"
DIGIT = HELDOUT / "0000_2.png"
TOKEN = "py-token-0123456789abcdef"
EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "kserve_v2.py"
CLASSIFY = "mobiserve.v1.ClassifyService/Classify"
STREAM = "mobiserve.v1.ClassifyService/ClassifyStream"

tmp = None
pki = None
files = {}


def setUpModule():
    global tmp, pki
    tmp = tempfile.TemporaryDirectory(prefix="mobiserve-py-tls-")
    pki = Pki(tmp.name)
    files["ca"] = pki.authority("ca")
    files["other_ca"] = pki.authority("other-ca")
    # The server's certificate names localhost only: a client dialling 127.0.0.1 must be told that name.
    files["server_cert"], files["server_key"] = pki.issue("ca", "server", server_names=["localhost"])
    files["client_cert"], files["client_key"] = pki.issue("ca", "py-client", client=True)
    files["stranger_cert"], files["stranger_key"] = pki.issue("other-ca", "stranger", client=True)
    files["tokens"] = pathlib.Path(tmp.name, "tokens")
    files["tokens"].write_text(f"# who may call\npy:{TOKEN}\n")
    files["token_file"] = pathlib.Path(tmp.name, "my-token")
    files["token_file"].write_text(f"# the token of py\n\n{TOKEN}\n")


def tearDownModule():
    tmp.cleanup()


def run_cli(*argv, environ=None):
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, environ or {}, clear=False):
        for name in (connection.TOKEN_VARIABLE, connection.TOKEN_FILE_VARIABLE):
            if name not in (environ or {}):
                os.environ.pop(name, None)
        code = cli.main([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


def sample(metrics_text, name, **labels):
    """The sum of the samples of `name` carrying every given label (0 when there is none)."""
    total = 0.0
    for line in metrics_text.splitlines():
        m = re.match(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(m.group(3))
    return total


def classify_digit(client):
    return client.classify([DIGIT], top_k=1)[0].classes[0].label


class TlsTest(unittest.TestCase):
    """TLS on the gRPC port (and HTTPS on the KServe HTTP port) with tokens; connections closed after 1 s
    (--max-connection-age), so that the tests also cross renewals."""

    @classmethod
    def setUpClass(cls):
        cls.server = live_server.LiveServer(["--tls-cert", files["server_cert"], "--tls-key", files["server_key"],
                                             "--auth-tokens", files["tokens"], "--metrics-port", "0",
                                             "--max-connection-age", "1s"])
        cls.port = cls.server.target.rsplit(":", 1)[1]
        cls.by_name = f"localhost:{cls.port}"
        cls.by_address = f"127.0.0.1:{cls.port}"

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_library_trusting_the_ca_with_the_token_classifies(self):
        with Client(self.by_name, ca=files["ca"], token=TOKEN) as c:
            self.assertEqual(classify_digit(c), "2")

    def test_ca_given_as_bytes_works_as_a_path_does(self):
        with Client(self.by_name, ca=files["ca"].read_bytes(), token=TOKEN) as c:
            self.assertEqual(classify_digit(c), "2")

    def test_cli_with_ca_and_token_file_classifies_with_both_protocols(self):
        for protocol in ("mobiserve", "kserve"):
            code, out, err = run_cli("classify", "--protocol", protocol, "--target", self.by_name,
                                     "--tls-ca", files["ca"], "--token-file", files["token_file"], "--top-k", "1",
                                     DIGIT)
            self.assertEqual(code, 0, err)
            self.assertEqual(out.splitlines()[0], "0000_2.png")
            self.assertEqual(out.splitlines()[1].split()[0], "2")

    def test_a_certificate_for_another_name_fails_unless_the_server_name_is_given(self):
        wrong_name = run_cli("classify", "--target", self.by_address, "--tls-ca", files["ca"], "--token", TOKEN,
                             "--timeout", "10", DIGIT)
        named = run_cli("classify", "--target", self.by_address, "--tls-ca", files["ca"], "--token", TOKEN,
                        "--tls-server-name", "localhost", DIGIT)

        self.assertEqual(wrong_name[0], 1, wrong_name)
        self.assertTrue(wrong_name[2].startswith("error: UNAVAILABLE: "), wrong_name[2])
        self.assertEqual(named[0], 0, named[2])
        with Client(self.by_address, ca=files["ca"], server_name="localhost", token=TOKEN) as c:
            self.assertEqual(classify_digit(c), "2")

    def test_a_client_trusting_another_ca_fails(self):
        with Client(self.by_name, ca=files["other_ca"], token=TOKEN, timeout=10) as c:
            with self.assertRaises(grpc.RpcError) as caught:
                c.classify([DIGIT])
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAVAILABLE)

    def test_plaintext_to_the_tls_port_fails(self):
        with Client(self.by_name, token=TOKEN, timeout=10) as c:
            with self.assertRaises(grpc.RpcError) as caught:
                c.classify([DIGIT])
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAVAILABLE)

    def test_without_a_token_the_cli_says_unauthenticated_and_exits_1(self):
        code, out, err = run_cli("classify", "--target", self.by_name, "--tls-ca", files["ca"], DIGIT)

        self.assertEqual(code, 1)
        self.assertEqual(out, "")
        self.assertTrue(err.startswith("error: UNAUTHENTICATED: "), err)

    def test_a_wrong_token_is_unauthenticated(self):
        with Client(self.by_name, ca=files["ca"], token="not-" + TOKEN) as c:
            with self.assertRaises(grpc.RpcError) as caught:
                c.classify([DIGIT])
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAUTHENTICATED)

    def test_token_precedence_flag_then_file_then_variable_then_variables_file(self):
        common = ["classify", "--target", self.by_name, "--tls-ca", files["ca"], "--top-k", "1", DIGIT]
        wrong = "wrong-token-0123456789"

        from_variable = run_cli(*common, environ={connection.TOKEN_VARIABLE: TOKEN})
        from_variables_file = run_cli(*common, environ={connection.TOKEN_FILE_VARIABLE: str(files["token_file"])})
        flag_wins = run_cli(*common, "--token", TOKEN, environ={connection.TOKEN_VARIABLE: wrong})
        file_wins = run_cli(*common, "--token-file", files["token_file"], environ={connection.TOKEN_VARIABLE: wrong})
        variable_wins = run_cli(*common, environ={connection.TOKEN_VARIABLE: TOKEN,
                                                  connection.TOKEN_FILE_VARIABLE: "/nonexistent/token"})
        flag_loses = run_cli(*common, "--token", wrong, environ={connection.TOKEN_VARIABLE: TOKEN})

        for run in (from_variable, from_variables_file, flag_wins, file_wins, variable_wins):
            self.assertEqual(run[0], 0, run[2])
        self.assertEqual(flag_loses[0], 1)
        self.assertTrue(flag_loses[2].startswith("error: UNAUTHENTICATED: "), flag_loses[2])

    def test_calls_over_three_seconds_survive_connection_renewal_each_a_new_handshake(self):
        before = sample(self.server.metrics(), "mobiserve_grpc_connections_opened_total")
        calls = 0
        with Client(self.by_name, ca=files["ca"], token=TOKEN) as c:
            deadline = time.monotonic() + 3.5
            while time.monotonic() < deadline:
                self.assertEqual(classify_digit(c), "2")  # a failed call raises grpc.RpcError
                calls += 1
                time.sleep(0.05)
        opened = sample(self.server.metrics(), "mobiserve_grpc_connections_opened_total") - before
        self.assertGreater(calls, 20)
        self.assertGreaterEqual(opened, 2, "one client's connections over 3.5 s with a 1 s maximum age")

    def test_a_stream_over_tls_carries_the_token(self):
        frame = cv2.imread(str(DIGIT))
        with Client(self.by_name, ca=files["ca"], token=TOKEN) as c:
            responses = list(c.stream([frame, frame], timeout=30))
        self.assertEqual([r.frame_id for r in responses[:2]], [0, 1])
        self.assertTrue(responses[-1].HasField("summary"))

    def test_asyncio_client_over_tls_with_the_token(self):
        async def main():
            async with AsyncClient(self.by_name, ca=files["ca"], token=TOKEN) as c:
                return (await c.classify([DIGIT], top_k=1))[0].classes[0].label
        self.assertEqual(asyncio.run(main()), "2")

    def test_the_kserve_example_over_grpc_and_https_with_the_token(self):
        http_port = self.server.http_target.rsplit(":", 1)[1]
        run = subprocess.run(
            [sys.executable, str(EXAMPLE), "--model", "digits-mobilenetv3-small", "--grpc", self.by_name,
             "--http", f"localhost:{http_port}", "--tls-ca", str(files["ca"]), "--top-k", "1", str(DIGIT)],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, connection.TOKEN_VARIABLE: TOKEN, "PYTHONPATH": str(EXAMPLE.parents[1])})
        self.assertEqual(run.returncode, 0, run.stderr)
        lines = run.stdout.splitlines()
        self.assertEqual(lines[0], "gRPC ModelInfer (digits-mobilenetv3-small, input 'input' as BYTES):")
        self.assertEqual(lines[1].split()[0], "2")
        self.assertEqual(lines[2], "HTTPS POST /v2/models/digits-mobilenetv3-small/infer:")
        self.assertEqual(lines[3].split()[0], "2")

    def test_the_https_port_wants_the_token_and_refuses_plain_http(self):
        url = f"https://localhost:{self.server.http_target.rsplit(':', 1)[1]}/v2/models/digits-mobilenetv3-small"
        context = ssl.create_default_context(cafile=str(files["ca"]))
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(url, timeout=10, context=context)
        self.assertEqual(caught.exception.code, 401)
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": "Bearer " + TOKEN}),
                                    timeout=10, context=context) as response:
            self.assertEqual(json.load(response)["name"], "digits-mobilenetv3-small")
        with self.assertRaises((urllib.error.URLError, OSError, http.client.HTTPException)):
            urllib.request.urlopen(url.replace("https:", "http:"), timeout=10)

    def test_kserve_client_over_tls(self):
        with KServeClient(self.by_name, ca=files["ca"], token=TOKEN) as k:
            self.assertTrue(k.server_ready())
            self.assertEqual(k.classify("digits-mobilenetv3-small", [DIGIT], top_k=1)[0][0].label, "2")


class MutualTlsTest(unittest.TestCase):
    """--tls-client-ca: a client certificate the CA signed is required, beside the token."""

    @classmethod
    def setUpClass(cls):
        cls.server = live_server.LiveServer(
            ["--tls-cert", files["server_cert"], "--tls-key", files["server_key"], "--tls-client-ca", files["ca"],
             "--auth-tokens", files["tokens"]], http=False)
        cls.target = "localhost:" + cls.server.target.rsplit(":", 1)[1]

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_with_a_client_certificate_the_ca_signed_the_cli_classifies(self):
        code, out, err = run_cli("classify", "--target", self.target, "--tls-ca", files["ca"],
                                 "--tls-cert", files["client_cert"], "--tls-key", files["client_key"],
                                 "--top-k", "1", DIGIT, environ={connection.TOKEN_VARIABLE: TOKEN})
        self.assertEqual(code, 0, err)
        self.assertEqual(out.splitlines()[1].split()[0], "2")

    def test_without_a_client_certificate_or_with_a_strangers_the_call_fails(self):
        for extra in ([], ["--tls-cert", files["stranger_cert"], "--tls-key", files["stranger_key"]]):
            code, out, err = run_cli("classify", "--target", self.target, "--tls-ca", files["ca"], "--token", TOKEN,
                                     "--timeout", "10", *extra, DIGIT)
            self.assertEqual(code, 1, (extra, out, err))
            self.assertTrue(err.strip().splitlines()[-1].startswith("error: UNAVAILABLE: "), err)

    def test_asyncio_client_with_a_client_certificate(self):
        async def main():
            async with AsyncClient(self.target, ca=files["ca"], cert=files["client_cert"], key=files["client_key"],
                                   token=TOKEN) as c:
                return (await c.classify([DIGIT], top_k=1))[0].classes[0].label
        self.assertEqual(asyncio.run(main()), "2")

    def test_a_certificate_without_its_key_is_refused_before_dialling(self):
        code, out, err = run_cli("classify", "--target", self.target, "--tls-cert", files["client_cert"], DIGIT)
        self.assertEqual(code, 2)
        self.assertEqual(err, "error: --tls-cert needs --tls-key (its private key)\n")
        code, out, err = run_cli("classify", "--target", self.target, "--tls-ca", "/nonexistent/ca.crt", DIGIT)
        self.assertEqual(code, 2)
        self.assertEqual(err, "error: --tls-ca: /nonexistent/ca.crt: no such file\n")


class PlaintextReplicasTest(unittest.TestCase):
    """Two plaintext replicas wanting tokens."""

    @classmethod
    def setUpClass(cls):
        args = ["--auth-tokens", files["tokens"], "--metrics-port", "0"]
        cls.replicas = []
        try:
            for _ in range(2):
                cls.replicas.append(live_server.LiveServer(args, http=False))
        except Exception:
            cls.tearDownClass()
            raise
        cls.both = "ipv4:" + ",".join(r.target for r in cls.replicas)

    @classmethod
    def tearDownClass(cls):
        for replica in cls.replicas:
            replica.stop()

    def counts(self, metric, **labels):
        return [sample(r.metrics(), metric, **labels) for r in self.replicas]

    def test_plaintext_token_goes_on_unary_calls_and_streams(self):
        before = self.counts("mobiserve_requests_total", method=STREAM, caller="py", code="OK")
        frame = cv2.imread(str(DIGIT))
        with Client(self.replicas[0].target, token=TOKEN) as c:
            self.assertEqual(classify_digit(c), "2")
            responses = list(c.stream([frame, frame, frame], timeout=30))
        self.assertEqual(len(responses), 4)
        self.assertTrue(responses[-1].HasField("summary"))
        after = self.counts("mobiserve_requests_total", method=STREAM, caller="py", code="OK")
        self.assertEqual(after[0] - before[0], 1)

    def test_plaintext_without_a_token_is_unauthenticated(self):
        code, out, err = run_cli("classify", "--target", self.replicas[0].target, DIGIT)
        self.assertEqual(code, 1)
        self.assertTrue(err.startswith("error: UNAUTHENTICATED: "), err)
        code, out, err = run_cli("info", "--target", self.replicas[0].target, "--token", TOKEN)
        self.assertEqual(code, 0, err)
        self.assertIn('name: "digits-mobilenetv3-small"', out)

    def test_asyncio_plaintext_token_on_a_stream_written_call_by_call(self):
        frame = cv2.imread(str(DIGIT))

        async def main():
            async with AsyncClient(self.replicas[1].target, token=TOKEN) as c:
                label = (await c.classify([DIGIT], top_k=1))[0].classes[0].label
                call = c.stream(timeout=30)
                for i in range(2):
                    await call.write(frame_request(raw_image(frame), i, policy="block" if i == 0 else None))
                await call.done_writing()
                return label, [r async for r in call]
        label, responses = asyncio.run(main())
        self.assertEqual(label, "2")
        self.assertEqual(len(responses), 3)
        self.assertTrue(responses[-1].HasField("summary"))

    def test_an_ipv4_target_naming_both_spreads_calls_round_robin(self):
        with Client(self.both, token=TOKEN) as c:
            # Round-robin picks among the connections that are ready; a replica's first connection can take a
            # while (its JVM loads the code for it), so wait until a call has reached each before counting.
            # Without round-robin (pick_first) the second never gets one.
            start = self.counts("mobiserve_requests_total", method=CLASSIFY, code="OK")
            until = time.monotonic() + 20
            reached = [0, 0]
            while min(reached) == 0:
                self.assertLess(time.monotonic(), until, f"calls reached the replicas {reached} times in 20 s")
                c.classify([DIGIT], top_k=1)
                reached = [n - s for n, s in zip(self.counts("mobiserve_requests_total", method=CLASSIFY, code="OK"),
                                                 start)]
            before = self.counts("mobiserve_requests_total", method=CLASSIFY, code="OK")
            for _ in range(20):
                c.classify([DIGIT], top_k=1)
        served = [a - b for a, b in zip(self.counts("mobiserve_requests_total", method=CLASSIFY, code="OK"), before)]
        self.assertEqual(sum(served), 20, served)
        self.assertGreaterEqual(min(served), 5, served)


class TokenResolutionTest(unittest.TestCase):
    """connection.resolve_token and token files, without a server."""

    def test_a_token_files_token_is_its_first_line_neither_blank_nor_a_comment(self):
        self.assertEqual(connection.read_token_file(files["token_file"]), TOKEN)

    def test_order_and_refusals(self):
        env = {connection.TOKEN_VARIABLE: "from-variable", connection.TOKEN_FILE_VARIABLE: str(files["token_file"])}
        self.assertEqual(connection.resolve_token("flag", None, env), "flag")
        self.assertEqual(connection.resolve_token(None, files["token_file"], env), TOKEN)
        self.assertEqual(connection.resolve_token(None, None, env), "from-variable")
        self.assertEqual(connection.resolve_token(None, None, {connection.TOKEN_FILE_VARIABLE: str(files["token_file"])}),
                         TOKEN)
        self.assertIsNone(connection.resolve_token(None, None, {connection.TOKEN_VARIABLE: "  "}))
        with self.assertRaisesRegex(connection.ConfigurationError, "not both"):
            connection.resolve_token("a", files["token_file"], {})
        with self.assertRaisesRegex(connection.ConfigurationError, "printable ASCII without spaces"):
            connection.resolve_token("two words", None, {})
        empty = pathlib.Path(tmp.name, "empty-token")
        empty.write_text("# nothing\n\n")
        with self.assertRaisesRegex(connection.ConfigurationError, "no token in it"):
            connection.resolve_token(None, empty, {})

    def test_round_robin_only_for_dns_and_ipv4_targets(self):
        self.assertIn(("grpc.lb_policy_name", "round_robin"), connection.channel_options("dns:///mobiserve:8500"))
        self.assertIn(("grpc.lb_policy_name", "round_robin"), connection.channel_options("ipv4:10.0.0.1:1,10.0.0.2:1"))
        self.assertEqual(connection.channel_options("mobiserve:8500"), [])


if __name__ == "__main__":
    unittest.main()
