#!/usr/bin/env bash
# Soak test: serves target/mobiserve.jar for DURATION under mixed traffic (unary JPEG, raw and tensor
# requests, streams under BLOCK and LATEST, bad inputs, cancels, short deadlines) and reports the server's
# RSS per minute and its slope, every status code, and whether its gauges return to 0 afterwards.
#
#   scripts/soak.sh DURATION [options]        e.g. scripts/soak.sh 10m, scripts/soak.sh 60s --max-slope 5
#
# Options (scripts/soak.py --help): --max-slope MB_PER_MIN (fail above it), --model FILE|builtin (default:
# the small digits fixture), --clients N, --streams N, --jvm-opt OPT, --server-arg ARG, --out DIR
# (target/soak: server.log, rss.csv).
#
# Builds the jar first when it is missing or older than the sources (as scripts/mobiserve does), and
# installs Debian's python3-grpcio, python3-grpc-tools, python3-numpy and python3-opencv when they are
# missing (as root or with sudo). Exit status: 0 passed, 1 the server misbehaved, 2 it could not start,
# 3 the driver itself failed. docs/reliability.md has the figures of a 10-minute run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
PYTHON=${PYTHON:-/usr/bin/python3}

if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

jar="$root/target/mobiserve.jar"
if [[ ! -f "$jar" ]] || [[ -n "$(find "$root/src/main" "$root/proto" "$root/pom.xml" -newer "$jar" -print -quit)" ]]; then
  echo "soak: building $jar (missing, or older than the sources) ..." >&2
  ./mvnw -q -B package -DskipTests >&2
fi

if ! "$PYTHON" -c 'import grpc, grpc_tools, cv2, numpy' 2>/dev/null; then
  SUDO=""
  if [[ "$(id -u)" -ne 0 ]] && command -v sudo >/dev/null; then SUDO="sudo"; fi
  echo "soak: installing python3-grpcio python3-grpc-tools python3-numpy python3-opencv (apt) ..." >&2
  $SUDO apt-get update >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends \
    python3-grpcio python3-grpc-tools python3-numpy python3-opencv >&2
fi

exec "$PYTHON" "$root/scripts/soak.py" --jar "$jar" "$@"
