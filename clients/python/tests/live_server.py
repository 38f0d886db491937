"""One live mobiserve server for the whole test run: started on first use, stopped at exit.

It runs `java -jar target/mobiserve.jar serve --host 127.0.0.1 --port 0 --http-port 0` (the jar must have been built:
./mvnw -q -B package -DskipTests) with the small digits model the Java tests train on, reads the port
from its "listening on" log line and waits for "serving". Environment:
  MOBISERVE_TARGET      use this running server (HOST:PORT) instead of starting one
  MOBISERVE_HTTP_TARGET its KServe v2 HTTP address (HOST:PORT), with MOBISERVE_TARGET
  MOBISERVE_JAR         the jar (default: <repository>/target/mobiserve.jar)
  MOBISERVE_TEST_MODEL  the model to serve (default: the digits fixture; "builtin" for the built-in model)
  JAVA                  the java command (default: java)
"""

import atexit
import os
import pathlib
import re
import signal
import subprocess
import tempfile
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[3]
DIGITS = REPO / "src/test/resources/digits"
START_TIMEOUT_S = 180

_server = None


class LiveServer:
    """A `serve` process on loopback: `--port 0 --http-port 0` and the test model, then `extra_args` (TLS files,
    tokens, `--metrics-port 0` ...)."""

    def __init__(self, extra_args=(), http=True):
        jar = pathlib.Path(os.environ.get("MOBISERVE_JAR", REPO / "target/mobiserve.jar"))
        if not jar.exists():
            raise RuntimeError(f"{jar} not found: build it first (./mvnw -q -B package -DskipTests)")
        model = os.environ.get("MOBISERVE_TEST_MODEL", str(DIGITS / "digits-mobilenetv3-small.onnx"))
        command = [os.environ.get("JAVA", "java"), "-jar", str(jar), "serve", "--host", "127.0.0.1",
                   "--port", "0", "--shutdown-grace", "2"]
        if http:
            command += ["--http-port", "0"]
        if model != "builtin":
            command += ["--model", model]
        command += list(extra_args)
        self.http = http
        self.http_target = None
        self.metrics_url = None
        self.log = tempfile.NamedTemporaryFile(prefix="mobiserve-server-", suffix=".log", delete=False)
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        self.target = self._wait_serving()

    def _log_text(self):
        return pathlib.Path(self.log.name).read_text(errors="replace")

    def _wait_serving(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            text = self._log_text()
            listening = re.search(r"listening on ([\d.]+):(\d+)", text)
            http = re.search(r"KServe v2 HTTP on ([\d.]+):(\d+)", text)
            metrics = re.search(r"metrics at (\S+)", text)
            if listening and (http or not self.http) and re.search(r"\bserving\b", text):
                if http:
                    self.http_target = f"{http.group(1)}:{http.group(2)}"
                if metrics:
                    self.metrics_url = metrics.group(1)
                return f"{listening.group(1)}:{listening.group(2)}"
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not start serving (exit code {self.process.returncode}):\n"
                           + self._log_text()[-4000:])

    def metrics(self):
        """The server's /metrics text (it must have been started with --metrics-port)."""
        with urllib.request.urlopen(self.metrics_url, timeout=10) as response:
            return response.read().decode("utf-8")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        os.unlink(self.log.name)


def target():
    """HOST:PORT of the server the tests use, starting it on first call."""
    global _server
    if os.environ.get("MOBISERVE_TARGET"):
        return os.environ["MOBISERVE_TARGET"]
    if _server is None:
        _server = LiveServer()
        atexit.register(_server.stop)
    return _server.target


def http_target():
    """HOST:PORT of the server's KServe v2 HTTP front end, starting the server on first call."""
    if os.environ.get("MOBISERVE_TARGET"):
        return os.environ["MOBISERVE_HTTP_TARGET"]
    target()
    return _server.http_target
