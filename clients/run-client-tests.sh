#!/usr/bin/env bash
# Runs the Python and Node client tests, each against a live server it starts on a free loopback port
# (java -jar target/mobiserve.jar serve --port 0 --http-port 0). Builds nothing: target/mobiserve.jar must
# exist (./mvnw -q -B package -DskipTests). Installs what the tests need: Debian's python3-grpcio,
# python3-grpc-tools, protobuf-compiler and protobuf-compiler-grpc (protoc 3.21 and grpc_python_plugin, which
# tests/test_stubs.py regenerates the committed stubs with), python3-opencv, python3-numpy, python3-venv, ffmpeg,
# openssl (the TLS tests make their certificates with it) and curl (apt is skipped when they are all present),
# and the Node packages (npm ci). Installs clients/python with pip into a fresh virtual
# environment (--system-site-packages, so Debian's packages serve its dependencies; no build isolation, as
# there is no PyPI here) and has the Python tests run its mobiserve-client command; the Node tests npm-pack
# their package and install the tarball outside the repository. Between the two, clients/kserve-curl-check.sh
# POSTs a JPEG to a server's KServe v2 HTTP port with curl and checks its top 5 against the Python client's
# Classify (one more test). The last line is "clients: N passed, M failed"; the exit status is non-zero when a
# test failed or a suite could not run.
#
# Environment: PYTHON (default /usr/bin/python3, the interpreter Debian's packages install for),
# MOBISERVE_JAR, MOBISERVE_TEST_MODEL — see clients/python/README.md.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/usr/bin/python3}
passed=0
failed=0

finish() {
  echo "clients: $passed passed, $failed failed"
  if [ "$failed" -gt 0 ]; then exit 1; fi
  exit 0
}

if [ ! -f "${MOBISERVE_JAR:-target/mobiserve.jar}" ]; then
  echo "error: ${MOBISERVE_JAR:-target/mobiserve.jar} not found; build it first: ./mvnw -q -B package -DskipTests" >&2
  failed=1
  finish
fi

# --- dependencies ---
have_commands() { for c in "$@"; do command -v "$c" >/dev/null || return 1; done; }
if "$PYTHON" -c 'import grpc, grpc_tools, cv2, numpy, venv, ensurepip' 2>/dev/null \
    && have_commands protoc grpc_python_plugin ffmpeg openssl curl; then
  echo "apt: python3-grpcio, python3-grpc-tools, protobuf-compiler(-grpc), python3-opencv, python3-numpy, python3-venv, ffmpeg, openssl and curl already present"
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi
  if ! { $SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends \
      python3-grpcio python3-grpc-tools protobuf-compiler protobuf-compiler-grpc python3-opencv python3-numpy \
      python3-venv ffmpeg openssl curl; }; then
    echo "error: apt-get could not install the Python client's dependencies" >&2
    failed=1
    finish
  fi
fi
if ! (cd clients/node && npm ci --no-audit --no-fund); then
  echo "error: npm ci failed in clients/node" >&2
  failed=1
  finish
fi

# --- Python: pip install into a fresh virtual environment, then unittest ---
echo "=== Python client: pip install clients/python into a fresh venv ==="
venv_dir=$(mktemp -d)
if "$PYTHON" -m venv --system-site-packages "$venv_dir/venv" \
    && "$venv_dir/venv/bin/pip" install --no-build-isolation --no-input clients/python \
    && "$venv_dir/venv/bin/mobiserve-client" --help >/dev/null; then
  export MOBISERVE_CLIENT_COMMAND="$venv_dir/venv/bin/mobiserve-client"
  echo "installed: $MOBISERVE_CLIENT_COMMAND"
else
  echo "error: pip could not install clients/python into a fresh virtual environment" >&2
  failed=$((failed + 1))
fi
echo "=== Python client tests (clients/python) ==="
py_log=$(mktemp)
(cd clients/python && "$PYTHON" -m unittest -v) 2>&1 | tee "$py_log"
py_rc=${PIPESTATUS[0]}
py_ran=$(sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in .*/\1/p' "$py_log" | tail -1)
if [ -z "$py_ran" ]; then
  echo "error: the Python tests did not run (exit code $py_rc)" >&2
  failed=$((failed + 1))
else
  py_bad=$(grep -cE '^(FAIL|ERROR): ' "$py_log")
  py_skipped=$(grep -cE " \.\.\. skipped" "$py_log")
  passed=$((passed + py_ran - py_bad - py_skipped))
  failed=$((failed + py_bad))
  if [ "$py_rc" -ne 0 ] && [ "$py_bad" -eq 0 ]; then failed=$((failed + 1)); fi
  echo "python: $((py_ran - py_bad - py_skipped)) passed, $py_bad failed, $py_skipped skipped"
fi
rm -f "$py_log"
rm -rf "$venv_dir" clients/python/build clients/python/*.egg-info

# --- KServe v2 over HTTP with curl: one JPEG's top 5 equals the Python client's Classify ---
echo "=== KServe v2 HTTP with curl against Classify (clients/kserve-curl-check.sh) ==="
if PYTHON="$PYTHON" clients/kserve-curl-check.sh; then
  passed=$((passed + 1))
else
  echo "error: clients/kserve-curl-check.sh failed: curl's KServe v2 classification differs from Classify's" >&2
  failed=$((failed + 1))
fi

# --- Node: node --test ---
echo "=== Node client tests (clients/node) ==="
node_log=$(mktemp)
(cd clients/node && node --test --test-reporter=tap test/*.test.js) 2>&1 | tee "$node_log"
node_rc=${PIPESTATUS[0]}
node_pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$node_log" | tail -1)
node_fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$node_log" | tail -1)
node_cancelled=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$node_log" | tail -1)
node_skipped=$(sed -n 's/^# skipped \([0-9]*\)$/\1/p' "$node_log" | tail -1)
if [ -z "$node_pass" ] || [ -z "$node_fail" ]; then
  echo "error: the Node tests did not run (exit code $node_rc)" >&2
  failed=$((failed + 1))
else
  node_bad=$((node_fail + ${node_cancelled:-0}))
  passed=$((passed + node_pass))
  failed=$((failed + node_bad))
  if [ "$node_rc" -ne 0 ] && [ "$node_bad" -eq 0 ]; then failed=$((failed + 1)); fi
  echo "node: $node_pass passed, $node_bad failed, ${node_skipped:-0} skipped"
fi
rm -f "$node_log"

finish
