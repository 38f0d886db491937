"""The command line: `mobiserve-client classify|stream|info ...` (or `python3 -m mobiserve_client ...`)."""

import argparse
import sys
import time

import grpc

from . import client as mc
from .connection import TOKEN_FILE_VARIABLE, TOKEN_VARIABLE, ConfigurationError, resolve_token
from .kserve import KServeClient

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def connection(args):
    """Client's connection arguments from the command line's (and the token from the environment)."""
    return dict(tls=args.tls, ca=args.tls_ca, cert=args.tls_cert, key=args.tls_key,
                server_name=args.tls_server_name, token=resolve_token(args.token, args.token_file))


def rpc_error(e, err):
    code = e.code().name if e.code() is not None else "UNKNOWN"
    print(f"error: {code}: {e.details()}", file=err)
    return EXIT_FAILED


def cmd_classify(args, out, err):
    try:
        images = [mc.file_image(path) for path in args.images]
    except OSError as e:
        print(f"error: cannot read {e.filename}: {e.strerror}", file=err)
        return EXIT_FAILED
    try:
        if args.protocol == "kserve":
            with KServeClient(args.target, timeout=args.timeout, **connection(args)) as c:
                model = args.model or _only_model(c)
                results = [[(k.label, k.index, k.score) for k in classes] for classes in
                           c.classify(model, [i.encoded.data for i in images], top_k=args.top_k)]
            names = [i.id for i in images]
        else:
            with mc.Client(args.target, timeout=args.timeout, **connection(args)) as c:
                classified = c.classify(images, top_k=args.top_k)
            results = [[(s.label, s.index, s.probability) for s in r.classes] for r in classified]
            names = [r.id for r in classified]
    except grpc.RpcError as e:
        return rpc_error(e, err)
    for name, classes in zip(names, results):
        print(name, file=out)
        for label, index, score in classes:
            print(f"  {label or f'class {index}':<32} {score:.4f}", file=out)
    out.flush()
    return EXIT_OK


def _only_model(client):
    """The served model's name, from ClassifyService's GetModelInfo (mobiserve serves one model)."""
    with mc.Client(target=None, channel=client.channel) as c:
        return c.model_info().name


def cmd_info(args, out, err):
    with mc.Client(args.target, timeout=args.timeout, **connection(args)) as c:
        try:
            info = c.model_info()
        except grpc.RpcError as e:
            return rpc_error(e, err)
    print(info, file=out, end="")
    return EXIT_OK


def open_video(source):
    import cv2  # only the stream command needs OpenCV
    capture = cv2.VideoCapture(int(source) if source.isdigit() else source)
    if not capture.isOpened():
        return None
    return capture


def frames(capture, tracker, args):
    """The stream's requests: one frame each, read with OpenCV (BGR), paced at args.fps by wall clock,
    stamped with the frame index and the time it was read. Runs on gRPC's sending thread."""
    start = time.monotonic()
    index = 0
    while args.frames is None or index < args.frames:
        if args.fps > 0:
            delay = start + index / args.fps - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        ok, frame = capture.read()
        if not ok:
            break
        request = mc.frame_request(
            mc.raw_image(frame, "bgr"), frame_id=index, top_k=args.top_k,
            policy=args.policy if index == 0 else None, max_pending_frames=args.max_pending)
        tracker.sent(request)
        yield request
        index += 1


def fmt_ms(value):
    return "-" if value is None else f"{value:.1f}"


def print_frame(result, out):
    if result.status == "OK":
        print(f"{result.frame_id:<6d} {result.label or '-':<24} {result.score or 0.0:.4f} "
              f"{fmt_ms(result.latency_ms):>8} ms", file=out)
    elif result.status == "DROPPED":
        print(f"{result.frame_id:<6d} DROPPED {fmt_ms(result.latency_ms):>8} ms", file=out)
    else:
        print(f"{result.frame_id:<6d} {result.status} {result.error}", file=out)


def print_summary(tracker, elapsed_s, out):
    s = tracker.summary
    if s is None:
        print("server summary: none (the server sent no StreamSummary)", file=out)
    else:
        print(f"server summary: received {s.frames_received}, classified {s.frames_classified}, "
              f"dropped {s.frames_dropped}, failed {s.frames_failed}; latency ms "
              f"p50 {s.latency_p50_us / 1000:.1f}, p90 {s.latency_p90_us / 1000:.1f}, "
              f"p99 {s.latency_p99_us / 1000:.1f}, max {s.latency_max_us / 1000:.1f}", file=out)
    p = tracker.client_percentiles()
    fps = len(tracker.results) / elapsed_s if elapsed_s > 0 else 0.0
    print(f"client: sent {tracker.frames_sent}, answered {len(tracker.results)} "
          f"(ok {tracker.counts['OK']}, dropped {tracker.counts['DROPPED']}, error {tracker.counts['ERROR']}) "
          f"in {elapsed_s:.1f} s ({fps:.1f} fps); capture-to-result latency ms "
          f"p50 {fmt_ms(p[50])}, p90 {fmt_ms(p[90])}, p99 {fmt_ms(p[99])}, max {fmt_ms(p[100])}", file=out)


def cmd_stream(args, out, err):
    capture = open_video(args.source)
    if capture is None:
        print(f"error: cannot open video {args.source}", file=err)
        return EXIT_FAILED
    tracker = mc.StreamTracker()
    started = time.monotonic()
    status = EXIT_OK
    with mc.Client(args.target, **connection(args)) as c:
        call = c.stream(frames(capture, tracker, args), timeout=args.timeout)
        try:
            for response in call:  # responses are read here while gRPC's thread sends frames
                result = tracker.received(response)
                if result is not None:
                    print_frame(result, out)
                    out.flush()
            tracker.finished()
        except grpc.RpcError as e:
            status = rpc_error(e, err)
        except KeyboardInterrupt:
            call.cancel()
            status = EXIT_FAILED
        finally:
            capture.release()
    print_summary(tracker, time.monotonic() - started, out)
    out.flush()
    if status == EXIT_OK and tracker.violations:
        shown = tracker.violations[:5]
        more = len(tracker.violations) - len(shown)
        for violation in shown:
            print(f"error: stream contract: {violation}", file=err)
        if more:
            print(f"error: stream contract: ... and {more} more", file=err)
        status = EXIT_FAILED
    return status


def add_connection_options(p):
    p.add_argument("--target", required=True,
                   help="HOST:PORT of the server; dns:///NAME:PORT or ipv4:A:PORT,B:PORT spread the calls "
                        "round-robin over every server named")
    p.add_argument("--tls", action="store_true",
                   help="speak TLS, checking the server's certificate against gRPC's default roots "
                        "(implied by the other --tls options)")
    p.add_argument("--tls-ca", metavar="FILE", help="speak TLS and trust the server's certificate if these CA "
                                                    "certificates (PEM) sign it")
    p.add_argument("--tls-cert", metavar="FILE", help="client certificate chain (PEM) for mutual TLS, with --tls-key")
    p.add_argument("--tls-key", metavar="FILE", help="the client certificate's private key (PEM)")
    p.add_argument("--tls-server-name", metavar="NAME",
                   help="check the server's certificate against NAME instead of the target's host")
    p.add_argument("--token", help=f"bearer token for every call (default: ${TOKEN_VARIABLE}; a flag is visible to "
                                   "other users in the process list)")
    p.add_argument("--token-file", metavar="FILE",
                   help=f"read the bearer token from FILE, its first line that is neither blank nor a # comment "
                        f"(default: ${TOKEN_FILE_VARIABLE})")


def parser():
    p = argparse.ArgumentParser(prog="mobiserve-client",
                                description="Clients for mobiserve's ClassifyService and its KServe v2 protocol.")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("classify", help="classify image files (JPEG, PNG), sent as they are")
    add_connection_options(c)
    c.add_argument("--top-k", type=int, default=5, help="classes to print per image (5)")
    c.add_argument("--timeout", type=float, default=30.0, help="deadline in seconds (30)")
    c.add_argument("--protocol", choices=["mobiserve", "kserve"], default="mobiserve",
                   help="mobiserve: ClassifyService.Classify; kserve: KServe v2 ModelInfer, BYTES input and "
                        "the classification extension (mobiserve)")
    c.add_argument("--model", default=None, help="kserve: the model's name (default: the one served)")
    c.add_argument("images", nargs="+", metavar="IMAGE")
    c.set_defaults(run=cmd_classify)

    i = sub.add_parser("info", help="print the served model's description (GetModelInfo)")
    add_connection_options(i)
    i.add_argument("--timeout", type=float, default=30.0, help="deadline in seconds (30)")
    i.set_defaults(run=cmd_info)

    s = sub.add_parser("stream", help="classify a video file or camera frame by frame over ClassifyStream")
    add_connection_options(s)
    s.add_argument("--policy", choices=sorted(mc.POLICIES), default="block",
                   help="block: every frame answered; latest: the server drops stale frames (block)")
    s.add_argument("--max-pending", type=int, default=0,
                   help="latest only: frames that may wait before the oldest is dropped (0: server default)")
    s.add_argument("--fps", type=float, default=30.0, help="frames sent per second, by wall clock; 0: as fast as possible (30)")
    s.add_argument("--frames", type=int, default=None, help="stop after this many frames")
    s.add_argument("--top-k", type=int, default=1, help="classes asked per frame (1)")
    s.add_argument("--timeout", type=float, default=None, help="deadline for the whole stream in seconds (none)")
    s.add_argument("source", metavar="VIDEO_FILE|CAMERA_INDEX")
    s.set_defaults(run=cmd_stream)
    return p


def main(argv=None, out=None, err=None):
    out = out or sys.stdout
    err = err or sys.stderr
    args = parser().parse_args(argv)
    try:
        return args.run(args, out, err)
    except ConfigurationError as e:
        print(f"error: {e}", file=err)
        return EXIT_USAGE
