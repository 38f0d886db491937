#!/usr/bin/env python3
"""Soak test: a real mobiserve server under mixed traffic for a while, watching its memory and answers.

    python3 scripts/soak.py DURATION [options]      (scripts/soak.sh builds the jar and installs the
                                                     Debian packages first; use that)

Starts `java -jar target/mobiserve.jar serve --port 0 --metrics-port 0 ...`, drives it from client threads
with unary JPEG, raw and tensor requests of 1-8 images, streams under BLOCK and LATEST, a few percent of
deliberately bad inputs (truncated JPEG, wrong raw size, NaN tensor, empty request), client cancels in
mid-call and short deadlines, and prints:

- the server's RSS every minute and at the end, and its least-squares slope after the warm-up (2 minutes;
  a third of the run when it is shorter than 3 minutes, where the slope means little);
- every status code seen, by kind of call, and each unexpected one: anything but OK, INVALID_ARGUMENT for
  the bad inputs, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, and CANCELLED for the deliberate cancels; and the
  server's own count by code (mobiserve_requests_total), where UNKNOWN or INTERNAL is unexpected too;
- after the load stops: whether mobiserve_inflight_requests, mobiserve_queue_images (and
  mobiserve_memory_budget_used_bytes, where the server has it) come back to 0 within a few seconds, and how
  long one normal request then takes.

Exit status: 0 all well; 1 the server misbehaved (an unexpected status or answer, a crash, a gauge left
above 0, a non-zero exit at shutdown, the RSS slope over --max-slope); 2 it could not start; 3 only the
driver itself failed (its own exceptions, reported apart from the server's). Files: --out (target/soak):
server.log, rss.csv.

Why Python and not the jar's own `bench`: a second, independent gRPC stack (the C core) as the client,
the same Debian packages as clients/python, no build step, and /proc and /metrics at hand. The driver
prepares every payload before the run, so its threads spend their time waiting on gRPC (which releases
the GIL), not making bytes.
"""

import argparse
import collections
import os
import pathlib
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request

REPO = pathlib.Path(__file__).resolve().parent.parent
DIGITS_MODEL = REPO / "src/test/resources/digits/digits-mobilenetv3-small.onnx"

ALWAYS_FINE = {"OK", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED"}
# What each kind of call may end with. Anything else is unexpected, and so is OK for a bad input.
ALLOWED = {
    "unary": ALWAYS_FINE,
    "short-deadline": ALWAYS_FINE,
    "cancel": ALWAYS_FINE | {"CANCELLED"},
    "bad-input": {"INVALID_ARGUMENT", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED"},
    "stream": ALWAYS_FINE,
    "stream-cancel": ALWAYS_FINE | {"CANCELLED"},
}
# Cancels and short deadlines go over a connection of their own: grpc's C core (Debian's grpcio 1.51 among
# others) may send RST_STREAM for a stream whose HEADERS it never sent when a call is cancelled at once
# (grpc/grpc#19655, #38758); HTTP/2 makes that a connection error, so the server (Netty) closes the
# connection and every call on it fails UNAVAILABLE. On its own connection that hits only these calls,
# and the server's log (its transport failures, logged by the configuration below) says whether that
# was the cause.
CANCEL_CONNECTION_KINDS = {"cancel", "short-deadline"}
IDLE_STREAM_RESET = "does not exist for inbound frame RST_STREAM"
SERVER_LOGBACK = """<configuration>
  <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
    <target>System.err</target>
    <encoder><pattern>%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0} - %msg%n</pattern></encoder>
  </appender>
  <logger name="io.grpc" level="WARN"/>
  <logger name="io.grpc.netty.shaded" level="WARN"/>
  <!-- why a connection failed, one line and a stack each: the soak tells client resets from server faults -->
  <logger name="io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport.connections" level="INFO"/>
  <root level="INFO"><appender-ref ref="STDERR"/></root>
</configuration>
"""
SERVER_SIDE_FINE = {"OK", "INVALID_ARGUMENT", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED", "CANCELLED"}
GAUGES = ("mobiserve_inflight_requests", "mobiserve_queue_images", "mobiserve_memory_budget_used_bytes")
OPTIONAL_GAUGES = {"mobiserve_memory_budget_used_bytes"}


def parse_duration(text):
    match = re.fullmatch(r"(\d+)(s|m|h)?", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 60s, 10m, 1h)")
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600, None: 1}[match.group(2)]


def log(message):
    print(message, flush=True)


def stubs():
    """classify_pb2 and classify_pb2_grpc generated from proto/ into a temporary directory."""
    from grpc_tools import protoc
    out = tempfile.mkdtemp(prefix="mobiserve-soak-stubs-")
    rc = protoc.main(["grpc_tools.protoc", f"-I{REPO / 'proto'}", f"--python_out={out}", f"--grpc_python_out={out}",
                      str(REPO / "proto/mobiserve/v1/classify.proto")])
    if rc != 0:
        raise RuntimeError(f"protoc failed with exit code {rc}")
    sys.path.insert(0, out)
    from mobiserve.v1 import classify_pb2, classify_pb2_grpc  # noqa: E402 (generated just above)
    return classify_pb2, classify_pb2_grpc


# ---------------------------------------------------------------------------------------------- server

class Server:
    """The server process: started with --port 0 and --metrics-port 0; the ports are read from its log."""

    def __init__(self, args, out):
        self.log_path = out / "server.log"
        logback = out / "server-logback.xml"
        logback.write_text(SERVER_LOGBACK)
        command = [args.java, f"-Dlogback.configurationFile={logback}", *args.jvm_opt, "-jar", str(args.jar),
                   "serve", "--host", "127.0.0.1",
                   "--port", "0", "--metrics-port", "0", "--shutdown-grace", "5"]
        if args.model != "builtin":
            command += ["--model", str(args.model)]
        command += args.server_arg
        log("server: " + " ".join(command))
        self.log_file = open(self.log_path, "wb")
        self.process = subprocess.Popen(command, stdout=self.log_file, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, cwd=REPO)
        self.target, self.metrics_url = self._wait_serving(args.start_timeout)

    def log_text(self):
        return self.log_path.read_text(errors="replace")

    def _wait_serving(self, timeout_s):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            text = self.log_text()
            listening = re.search(r"listening on ([\d.]+):(\d+)", text)
            metrics = re.search(r"metrics at (http://\S+)", text)
            if listening and metrics and re.search(r"\bserving \S+ on port", text):
                return f"127.0.0.1:{listening.group(2)}", re.sub(r"/metrics/?$", "", metrics.group(1))
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not start serving (exit code {self.process.poll()}); its log:\n"
                           + self.log_text()[-3000:])

    def transport_failures(self):
        """collections.Counter of the reasons the server's log gives for failed connections."""
        reasons = collections.Counter()
        lines = self.log_text().splitlines()
        for i, line in enumerate(lines):
            if line.endswith("Transport failed") and i + 1 < len(lines):
                reasons[re.sub(r"Stream \d+", "Stream N", lines[i + 1].strip())] += 1
        return reasons

    def rss_mb(self):
        try:
            with open(f"/proc/{self.process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024.0
        except OSError:
            return None
        return None

    def alive(self):
        return self.process.poll() is None

    def metrics(self):
        with urllib.request.urlopen(self.metrics_url + "/metrics", timeout=5) as response:
            return response.read().decode()

    def stop(self):
        """SIGTERM and wait; the exit code (None if it had to be killed). Safe to call again."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return None
        self.log_file.close()
        return self.process.returncode


def samples(metrics_text, name):
    """{labels: value} of one metric in the Prometheus text format."""
    values = {}
    for line in metrics_text.splitlines():
        if not line.startswith(name):
            continue
        match = re.match(rf"{re.escape(name)}(\{{[^}}]*\}})?\s+(\S+)$", line)
        if match:
            values[match.group(1) or ""] = float(match.group(2))
    return values


# ---------------------------------------------------------------------------------------------- inputs

class Inputs:
    """Every payload the run sends, made once before it starts (the driver then only picks)."""

    def __init__(self, pb, info):
        import cv2
        import numpy as np
        self.pb = pb
        channels, height, width = (int(d) for d in info.input_shape[1:4])
        self.jpegs = []
        for w, h in ((64, 48), (160, 120), (320, 240), (640, 480)):
            y, x = np.mgrid[0:h, 0:w]
            bgr = np.dstack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), ((x // 16 + y // 16) % 2) * 200])
            bgr = (bgr + np.random.default_rng(w).integers(0, 30, size=bgr.shape)).clip(0, 255).astype(np.uint8)
            ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])
            assert ok
            self.jpegs.append(data.tobytes())
        self.raws = []
        for w, h in ((80, 80), (100, 60), (320, 240)):
            pixels = np.random.default_rng(h).integers(0, 256, size=(h, w, 3), dtype=np.uint8)
            self.raws.append((pixels.tobytes(), w, h))
        floats = np.random.default_rng(7).standard_normal(channels * height * width).astype("<f4")
        self.tensor = floats.tobytes()
        nan = floats.copy()
        nan[len(nan) // 2] = np.nan
        self.nan_tensor = nan.tobytes()
        self.truncated_jpeg = self.jpegs[2][: len(self.jpegs[2]) // 2]

    def good_image(self, rng, kind, image_id=""):
        pb = self.pb
        if kind == "jpeg":
            return pb.Image(id=image_id, encoded=pb.EncodedImage(data=rng.choice(self.jpegs)))
        if kind == "raw":
            pixels, w, h = rng.choice(self.raws)
            return pb.Image(id=image_id, raw=pb.RawImage(pixels=pixels, width=w, height=h,
                                                         channel_order=rng.choice([1, 2])))
        return pb.Image(id=image_id, tensor=pb.Tensor(float32_data=self.tensor))

    def bad_request(self, rng):
        """A request the server must refuse with INVALID_ARGUMENT, and what is wrong with it."""
        pb = self.pb
        problem = rng.choice(["truncated JPEG", "wrong raw size", "NaN tensor", "empty request"])
        if problem == "empty request":
            return problem, pb.ClassifyRequest()
        if problem == "truncated JPEG":
            bad = pb.Image(encoded=pb.EncodedImage(data=self.truncated_jpeg))
        elif problem == "wrong raw size":
            pixels, w, h = self.raws[0]
            bad = pb.Image(raw=pb.RawImage(pixels=pixels[:-1], width=w, height=h))
        else:
            bad = pb.Image(tensor=pb.Tensor(float32_data=self.nan_tensor))
        images = [self.good_image(rng, rng.choice(["jpeg", "raw", "tensor"])) for _ in range(rng.randint(0, 2))]
        images.insert(rng.randint(0, len(images)), bad)
        return problem, pb.ClassifyRequest(images=images)

    def good_request(self, rng):
        kind = rng.choice(["jpeg", "jpeg", "raw", "tensor", "mixed"])
        n = rng.randint(1, 8)
        images = [self.good_image(rng, rng.choice(["jpeg", "raw", "tensor"]) if kind == "mixed" else kind, f"i{i}")
                  for i in range(n)]
        return kind, self.pb.ClassifyRequest(images=images, top_k=rng.choice([0, 1, 3]))


# ---------------------------------------------------------------------------------------------- traffic

class Tally:
    """Counts what came back, keeps the unexpected and the driver's own errors. Thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.codes = collections.Counter()     # (kind, code)
        self.frames = collections.Counter()    # (policy, sent good/bad, frame status)
        self.unexpected = []
        self.resets = []                       # UNAVAILABLE on the cancel/deadline connection, judged at the end
        self.unexpected_keys = set()           # (kind, code) of the unexpected ones, for the table
        self.driver_errors = []
        self.calls = 0

    def code(self, kind, code, detail=""):
        with self.lock:
            self.calls += 1
            self.codes[(kind, code)] += 1
            if code in ALLOWED[kind]:
                return
            if kind == "short-deadline" and code == "CANCELLED" and "RST_STREAM with error code 8" in detail:
                return  # the server's deadline fired first: it resets the stream with CANCEL
            if kind in CANCEL_CONNECTION_KINDS and code == "UNAVAILABLE":
                self.resets.append(f"{kind}: {code} {detail}".strip())
                return
            self.unexpected_keys.add((kind, code))
            self.unexpected.append(f"{kind}: {code} {detail}".strip())

    def frame(self, policy, good, status, detail=""):
        with self.lock:
            self.frames[(policy, "good" if good else "bad", status)] += 1
            # DROPPED: under LATEST for staleness; under either policy for a transient limit (queue, memory)
            allowed = ({"OK"} if good else {"ERROR"}) | {"DROPPED"}
            if status not in allowed:
                self.unexpected.append(f"stream {policy}: a {'good' if good else 'bad'} frame answered {status} {detail}".strip())

    def wrong_answer(self, detail):
        with self.lock:
            self.unexpected.append("wrong answer: " + detail)

    def driver_error(self, where):
        with self.lock:
            self.driver_errors.append(f"{where}: {traceback.format_exc(limit=3).strip()}")


def code_of(error):
    import grpc
    code = error.code() if isinstance(error, grpc.RpcError) else None
    return code.name if code is not None else "UNKNOWN"


def detail_of(error):
    """The status's details, and for a transport failure (UNAVAILABLE) the C core's debug string too."""
    details = error.details() or ""
    if code_of(error) == "UNAVAILABLE" and hasattr(error, "debug_error_string"):
        details += " | " + error.debug_error_string()
    return details


def unary_worker(stub, cancel_stub, inputs, tally, stop, seed, long_timeout):
    """Unary calls: good ones and bad inputs on `stub`, cancels and short deadlines on `cancel_stub`."""
    import grpc
    rng = random.Random(seed)
    while not stop.is_set():
        try:
            roll = rng.random()
            if roll < 0.05:
                problem, request = inputs.bad_request(rng)
                try:
                    stub.Classify(request, timeout=long_timeout)
                    tally.code("bad-input", "OK", f"({problem} was accepted)")
                except grpc.RpcError as e:
                    tally.code("bad-input", code_of(e), f"({problem}: {detail_of(e)})")
            elif roll < 0.11:
                _, request = inputs.good_request(rng)
                future = cancel_stub.Classify.future(request, timeout=long_timeout)
                time.sleep(rng.uniform(0, 0.03))
                future.cancel()
                try:
                    future.result()
                    tally.code("cancel", "OK")
                except grpc.FutureCancelledError:
                    tally.code("cancel", "CANCELLED")
                except grpc.RpcError as e:
                    tally.code("cancel", code_of(e), detail_of(e))
            elif roll < 0.20:
                _, request = inputs.good_request(rng)
                try:
                    cancel_stub.Classify(request, timeout=rng.uniform(0.001, 0.05))
                    tally.code("short-deadline", "OK")
                except grpc.RpcError as e:
                    tally.code("short-deadline", code_of(e), detail_of(e))
            else:
                kind, request = inputs.good_request(rng)
                try:
                    response = stub.Classify(request, timeout=long_timeout)
                    tally.code("unary", "OK")
                    ids = [c.id for c in response.results]
                    if ids != [image.id for image in request.images]:
                        tally.wrong_answer(f"{kind}: {len(request.images)} images sent, ids {ids} came back")
                except grpc.RpcError as e:
                    tally.code("unary", code_of(e), f"({kind}: {detail_of(e)})")
        except Exception:  # the driver's own failure, not the server's
            tally.driver_error("unary worker")
            time.sleep(0.1)


def stream_worker(stub, inputs, tally, stop, seed, long_timeout):
    import grpc
    pb = inputs.pb
    rng = random.Random(seed)
    policies = {"BLOCK": pb.STREAM_POLICY_BLOCK, "LATEST": pb.STREAM_POLICY_LATEST}
    turn = 0
    while not stop.is_set():
        try:
            policy = "BLOCK" if turn % 2 == 0 else "LATEST"
            turn += 1
            frames = rng.randint(10, 40)
            cancel_after = rng.randint(2, frames - 1) if rng.random() < 0.1 else None
            good = {}  # frame_id -> whether the frame was a good one

            def frames_to_send():
                for frame_id in range(frames):
                    if stop.is_set() and frame_id > 0:
                        return
                    is_good = rng.random() >= 0.05
                    good[frame_id] = is_good
                    if is_good:
                        image = inputs.good_image(rng, rng.choice(["jpeg", "raw"]))
                    else:
                        image = pb.Image(encoded=pb.EncodedImage(data=inputs.truncated_jpeg))
                    request = pb.ClassifyStreamRequest(images=[image], frame_id=frame_id,
                                                       capture_time_us=time.time_ns() // 1000)
                    if frame_id == 0:
                        request.stream_options.CopyFrom(pb.StreamOptions(policy=policies[policy]))
                    yield request
                    time.sleep(1 / 60)

            kind = "stream-cancel" if cancel_after is not None else "stream"
            call = stub.ClassifyStream(frames_to_send(), timeout=long_timeout * 3)
            answered = 0
            summary = None
            try:
                for response in call:
                    if response.HasField("summary"):
                        summary = response.summary
                        continue
                    status = pb.FrameStatus.Name(response.status).replace("FRAME_STATUS_", "")
                    tally.frame(policy, good.get(response.frame_id, True), status, response.error)
                    answered += 1
                    if cancel_after is not None and answered >= cancel_after:
                        call.cancel()
                tally.code(kind, "OK")
                if summary is None:
                    tally.wrong_answer(f"stream {policy}: ended OK without a summary")
                elif summary.frames_received != answered:
                    tally.wrong_answer(f"stream {policy}: {answered} frames answered, summary says "
                                       f"{summary.frames_received} received")
            except grpc.RpcError as e:
                tally.code(kind, code_of(e), f"({policy}: {detail_of(e)})")
        except Exception:
            tally.driver_error("stream worker")
            time.sleep(0.1)


# ---------------------------------------------------------------------------------------------- report

def slope_mb_per_min(points):
    """Least-squares slope of (seconds, MB) points, in MB per minute."""
    n = len(points)
    if n < 2:
        return None
    mean_t = sum(t for t, _ in points) / n
    mean_m = sum(m for _, m in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return None
    return 60 * sum((t - mean_t) * (m - mean_m) for t, m in points) / var


def wait_for_gauges(server, timeout_s):
    """Polls /metrics until every gauge there is 0; returns (seconds taken or None, last values)."""
    start = time.monotonic()
    values = {}
    while True:
        text = server.metrics()
        values = {}
        for name in GAUGES:
            found = samples(text, name)
            if found:
                values[name] = sum(found.values())
        if all(v == 0 for v in values.values()):
            return time.monotonic() - start, values, text
        if time.monotonic() - start > timeout_s:
            return None, values, text
        time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("duration", type=parse_duration, help="how long the load runs: 60s, 10m, 1h")
    parser.add_argument("--jar", type=pathlib.Path, default=REPO / "target/mobiserve.jar")
    parser.add_argument("--java", default=os.environ.get("JAVA", "java"))
    parser.add_argument("--jvm-opt", action="append", default=[], help="a JVM option for the server (repeatable)")
    parser.add_argument("--model", default=str(DIGITS_MODEL),
                        help="the ONNX model to serve, or 'builtin' (default: the small digits fixture, so that"
                             " many requests go through)")
    parser.add_argument("--server-arg", action="append", default=[], help="an extra serve argument (repeatable)")
    parser.add_argument("--clients", type=int, default=4, help="unary client threads (4)")
    parser.add_argument("--streams", type=int, default=2, help="stream client threads (2)")
    parser.add_argument("--timeout", type=float, default=10.0, help="deadline of an ordinary call, s (10)")
    parser.add_argument("--sample-every", type=float, default=5.0, help="RSS sampling period, s (5)")
    parser.add_argument("--max-slope", type=float, default=None,
                        help="fail when the RSS slope after warm-up is over this many MB/min")
    parser.add_argument("--start-timeout", type=float, default=180.0)
    parser.add_argument("--out", type=pathlib.Path, default=REPO / "target/soak")
    args = parser.parse_args()

    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        import grpc
        pb, pb_grpc = stubs()
    except Exception as e:  # noqa: BLE001 (any failure here means the driver cannot run)
        log(f"soak: error: the driver cannot start: {e} (Debian: python3-grpcio python3-grpc-tools"
            " python3-numpy python3-opencv; scripts/soak.sh installs them)")
        return 2
    if not args.jar.exists():
        log(f"soak: error: {args.jar} not found (scripts/soak.sh builds it)")
        return 2

    try:
        server = Server(args, args.out)
    except RuntimeError as e:
        log(f"soak: error: {e}")
        return 2
    try:
        return soak(args, server, grpc, pb, pb_grpc)
    finally:
        server.stop()  # whatever happened to the driver, no server is left behind


def soak(args, server, grpc, pb, pb_grpc):
    """The load, then the report; the exit status."""
    log(f"soak: serving at {server.target}, metrics at {server.metrics_url}, pid {server.process.pid}")
    options = [("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20),
               ("grpc.use_local_subchannel_pool", 1)]  # a connection per channel, not one shared
    channel = grpc.insecure_channel(server.target, options=options)
    cancel_channel = grpc.insecure_channel(server.target, options=options)
    stub = pb_grpc.ClassifyServiceStub(channel)
    cancel_stub = pb_grpc.ClassifyServiceStub(cancel_channel)
    try:
        info = stub.GetModelInfo(pb.GetModelInfoRequest(), timeout=30)
    except grpc.RpcError as e:
        log(f"soak: error: the server does not answer GetModelInfo: {code_of(e)} {e.details()}")
        return 2
    try:
        inputs = Inputs(pb, info)
    except Exception:  # noqa: BLE001 (the driver's own failure)
        log("soak: driver error: cannot make the inputs:\n" + traceback.format_exc())
        return 3
    log(f"soak: model {info.name} ({info.architecture}), input {list(info.input_shape)}, {info.backend}; "
        f"{args.clients} unary and {args.streams} stream clients for {args.duration}s")

    tally = Tally()
    stop = threading.Event()
    threads = [threading.Thread(target=unary_worker, name=f"unary-{i}", daemon=True,
                                args=(stub, cancel_stub, inputs, tally, stop, 100 + i, args.timeout))
               for i in range(args.clients)]
    threads += [threading.Thread(target=stream_worker, name=f"stream-{i}", daemon=True,
                                 args=(stub, inputs, tally, stop, 200 + i, args.timeout)) for i in range(args.streams)]
    rss = []  # (seconds since the load started, MB)
    crashed = False
    start = time.monotonic()
    for thread in threads:
        thread.start()
    next_sample = 0.0
    next_report = 60.0
    rss_csv = open(args.out / "rss.csv", "w")
    rss_csv.write("seconds,rss_mb\n")
    while True:
        elapsed = time.monotonic() - start
        if not server.alive():
            crashed = True
            break
        if elapsed >= next_sample:
            mb = server.rss_mb()
            if mb is not None:
                rss.append((elapsed, mb))
                rss_csv.write(f"{elapsed:.1f},{mb:.1f}\n")
                rss_csv.flush()
            next_sample += args.sample_every
        if elapsed >= next_report:
            with tally.lock:
                calls = tally.calls
            shown = f"{rss[-1][1]:.0f} MB" if rss else "?"
            log(f"soak: {int(elapsed // 60)} min  RSS {shown}  calls {calls}  "
                f"unexpected {len(tally.unexpected)}  driver errors {len(tally.driver_errors)}")
            next_report += 60
        if elapsed >= args.duration:
            break
        time.sleep(min(0.5, max(0.01, min(next_sample, next_report, args.duration) - elapsed)))
    stop.set()
    for thread in threads:
        thread.join(timeout=args.timeout * 3 + 10)
    load_seconds = time.monotonic() - start
    mb = server.rss_mb()
    if mb is not None:
        rss.append((load_seconds, mb))
        rss_csv.write(f"{load_seconds:.1f},{mb:.1f}\n")
    rss_csv.close()

    failures = []
    log("")
    log(f"soak: load ran {load_seconds:.0f}s, {tally.calls} calls")
    # RSS per minute and at the end
    log("RSS (MB), per minute:")
    minute_marks = [m * 60 for m in range(0, int(load_seconds // 60) + 1)]
    for mark in minute_marks:
        nearest = min(rss, key=lambda p: abs(p[0] - mark)) if rss else None
        if nearest:
            log(f"  {mark // 60:3d} min  {nearest[1]:8.1f}")
    if rss:
        log(f"  end      {rss[-1][1]:8.1f}   (peak {max(m for _, m in rss):.1f})")
    warmup = 120.0 if args.duration >= 180 else args.duration / 3
    slope = slope_mb_per_min([p for p in rss if p[0] >= warmup])
    if slope is None:
        log("RSS slope: too few samples")
    else:
        note = "" if args.duration >= 180 else "  (run under 3 min: not meaningful, warm-up cut to a third)"
        log(f"RSS slope after {warmup:.0f}s warm-up: {slope:+.2f} MB/min{note}")
        if args.max_slope is not None and slope > args.max_slope:
            failures.append(f"RSS slope {slope:+.2f} MB/min is over --max-slope {args.max_slope}")

    log("status codes seen by the client (kind of call: code count):")
    for (kind, code), count in sorted(tally.codes.items()):
        if (kind, code) in tally.unexpected_keys:
            mark = "   <-- unexpected"
        elif code in ALLOWED[kind]:
            mark = ""
        elif code == "CANCELLED":
            mark = "   (the server's deadline fired first and reset the stream)"
        else:
            mark = "   (connection resets, judged below)"
        log(f"  {kind:15s} {code:20s} {count:7d}{mark}")
    log("stream frames (policy, frame sent, status: count):")
    for (policy, sent, status), count in sorted(tally.frames.items()):
        log(f"  {policy:6s} {sent:4s} {status:8s} {count:7d}")

    if crashed:
        failures.append(f"the server died during the load (exit code {server.process.returncode})")
    else:
        try:
            took, values, text = wait_for_gauges(server, timeout_s=10)
        except OSError as e:
            log(f"soak: FAILED: /metrics did not answer after the load: {e}")
            server.stop()
            return 1
        shown = ", ".join(f"{name}={value:g}" for name, value in values.items())
        missing = [g for g in GAUGES if g not in values and g not in OPTIONAL_GAUGES]
        if missing:
            failures.append(f"/metrics lacks {', '.join(missing)}")
        if took is None:
            failures.append(f"gauges still above 0 ten seconds after the load stopped: {shown}")
        else:
            log(f"gauges back to 0 {took:.1f}s after the load stopped: {shown}")
        server_codes = collections.Counter()
        for labels, value in samples(text, "mobiserve_requests_total").items():
            code = re.search(r'code="([^"]*)"', labels)
            server_codes[code.group(1) if code else "?"] += int(value)
        log("status codes the server counted (mobiserve_requests_total): "
            + ", ".join(f"{c} {n}" for c, n in sorted(server_codes.items())))
        failed_connections = server.transport_failures()
        idle_resets = sum(n for reason, n in failed_connections.items() if IDLE_STREAM_RESET in reason)
        if failed_connections:
            log("connections the server closed on an error (its log):")
            for reason, count in failed_connections.most_common():
                log(f"  {count:5d}  {reason}")
        for code, count in server_codes.items():
            if code == "UNAVAILABLE" and idle_resets:
                log(f"the server's {count} UNAVAILABLE: calls on the connection(s) it closed after the client's"
                    " RST_STREAM on an idle stream (a grpc C-core client bug, grpc/grpc#38758), not a server fault")
            elif code not in SERVER_SIDE_FINE:
                failures.append(f"the server answered {count} call(s) with {code}")
        if tally.resets:
            if idle_resets:
                log(f"{len(tally.resets)} cancel/short-deadline call(s) failed UNAVAILABLE when the server closed their"
                    f" connection {idle_resets} time(s) for an RST_STREAM on an idle stream (the client's bug, above)")
            else:
                tally.unexpected.extend(tally.resets)
                log("   the UNAVAILABLE answers to cancels and short deadlines above are unexpected: the server's"
                    " log shows no RST_STREAM on an idle stream")
        try:
            t0 = time.monotonic()
            stub.Classify(pb.ClassifyRequest(images=[inputs.good_image(random.Random(0), "jpeg")]), timeout=args.timeout)
            log(f"after the load: one JPEG request answered in {(time.monotonic() - t0) * 1000:.0f} ms")
        except grpc.RpcError as e:
            failures.append(f"after the load, a normal request failed: {code_of(e)} {e.details()}")

    channel.close()
    cancel_channel.close()
    exit_code = server.stop()
    if not crashed and exit_code != 0:
        failures.append(f"the server exited with {exit_code} on SIGTERM (expected 0)")
    for pattern in ("OutOfMemoryError", "A fatal error has been detected"):
        if pattern in server.log_text():
            failures.append(f"the server log shows {pattern}")

    if tally.unexpected:
        failures.append(f"{len(tally.unexpected)} unexpected answer(s)")
        log("unexpected (first 20):")
        for line in tally.unexpected[:20]:
            log("  " + (line if len(line) <= 300 else line[:300] + " ..."))
    if tally.driver_errors:
        log(f"driver errors (the driver's own exceptions, not the server's): {len(tally.driver_errors)}; first 5:")
        for line in tally.driver_errors[:5]:
            log("  " + line.replace("\n", "\n  "))
    if failures:
        log("soak: FAILED: " + "; ".join(failures))
        log(f"soak: the server's log is {server.log_path}")
        return 1
    if tally.driver_errors:
        log("soak: the server held, but the driver failed (exit 3)")
        return 3
    log("soak: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
