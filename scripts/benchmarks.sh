#!/usr/bin/env bash
# Runs the comparisons of docs/benchmarks.md in one session, so that each ratio compares figures taken
# minutes apart on the same machine: the server against the in-process ceiling, batching on against off,
# JPEG against tensor input, idle batch-1 latency, live streams; and reads the server's /metrics.
#
#   scripts/benchmarks.sh [OUT_DIR]        (default target/benchmarks; about 6 minutes)
#
# Load goes only to servers this script starts on 127.0.0.1, and every step ends by itself.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${1:-target/benchmarks}"
mkdir -p "$out"
jar=target/mobiserve.jar
[[ -f "$jar" ]] || ./mvnw -q -B package -DskipTests
timing=(--warmup 5s --duration 15s)
servers=()
trap 'for p in "${servers[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# start_server NAME ARGS... : starts `serve` on a free port, waits until it serves, sets $port.
start_server() {
  local name=$1; shift
  java -jar "$jar" serve --host 127.0.0.1 --port 0 "$@" >"$out/$name.log" 2>&1 &
  servers+=($!)
  for _ in $(seq 300); do
    if grep -q "serving " "$out/$name.log"; then
      port=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\).*/\1/p' "$out/$name.log" | head -1)
      return
    fi
    sleep 1
  done
  echo "error: $name did not start" >&2; cat "$out/$name.log" >&2; exit 1
}

stop_servers() {
  for p in "${servers[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  servers=()
}

bench() { java -jar "$jar" bench "$@" | tail -n 2 || echo "(this step reported errors; see its JSON)"; }

echo "== in-process ceiling (same model, engine and batching settings as the server)"
bench --in-process --max-batch 16 --max-queue-delay-us 2000 --concurrency 64 --input tensor "${timing[@]}" --json "$out/inprocess-c64.json"
bench --in-process --max-batch 16 --max-queue-delay-us 2000 --concurrency 1 --input tensor "${timing[@]}" --json "$out/inprocess-c1.json"

echo "== server, batching on (--max-batch 16 --max-queue-delay-us 2000)"
start_server batching --max-batch 16 --max-queue-delay-us 2000 --metrics-port 0
metrics_port=$(sed -n 's|.*metrics at http://[^:]*:\([0-9]*\)/metrics.*|\1|p' "$out/batching.log" | head -1)
target=(--target "127.0.0.1:$port")
curl -s "http://127.0.0.1:$metrics_port/metrics" >"$out/metrics-before-c32.txt"
bench "${target[@]}" --concurrency 32 --input tensor "${timing[@]}" --json "$out/server-c32.json"
curl -s "http://127.0.0.1:$metrics_port/metrics" >"$out/metrics-after-c32.txt"
bench "${target[@]}" --concurrency 1 --input tensor "${timing[@]}" --json "$out/server-c1.json"
bench "${target[@]}" --concurrency 1,8,32,64 --input tensor "${timing[@]}" --json "$out/server-sweep.json" --html "$out/server-sweep.html"
bench "${target[@]}" --concurrency 64 --input jpeg --image-size 640x480 "${timing[@]}" --json "$out/server-jpeg-c64.json"
bench "${target[@]}" --streams 1,2,3,4 --fps 30 "${timing[@]}" --input raw --image-size 640x480 --json "$out/server-streams.json"
stop_servers

echo "== server, batching off (--max-batch 1)"
start_server nobatching --max-batch 1
bench --target "127.0.0.1:$port" --concurrency 64 --input tensor "${timing[@]}" --json "$out/server-nobatch-c64.json"
stop_servers

python3 - "$out" <<'PY'
import json, re, sys
out = sys.argv[1]
def steps(name):
    return json.load(open(f"{out}/{name}.json"))["steps"]
def rate(step):
    return step["images"] / step["measuredSeconds"]
def one(name):
    return steps(name)[0]
def flag(step):
    return "" if step["stable"] else " (unstable)"
inproc = one("inprocess-c64")
sweep = {s["label"]: s for s in steps("server-sweep")}
server = sweep["concurrency 64"]
nobatch, jpeg = one("server-nobatch-c64"), one("server-jpeg-c64")
c1, ic1 = one("server-c1"), one("inprocess-c1")
print()
print(f"server c=64 tensor      {rate(server):7.1f} img/s{flag(server)}")
print(f"in-process c=64 tensor  {rate(inproc):7.1f} img/s{flag(inproc)}   server / in-process = {rate(server)/rate(inproc):.2f}")
print(f"batching off c=64       {rate(nobatch):7.1f} img/s{flag(nobatch)}   on / off = {rate(server)/rate(nobatch):.2f}")
print(f"JPEG 640x480 c=64       {rate(jpeg):7.1f} img/s{flag(jpeg)}   JPEG / tensor = {rate(jpeg)/rate(server):.2f}")
print(f"batch-1 p50, idle       server {c1['latencyMs']['p50']:.2f} ms, in-process {ic1['latencyMs']['p50']:.2f} ms,"
      f" difference {c1['latencyMs']['p50'] - ic1['latencyMs']['p50']:+.2f} ms")
for s in steps("server-streams"):
    print(f"{s['label']:<23} {rate(s):7.1f} frames/s  p50 {s['latencyMs']['p50']:.1f} ms  p99 {s['latencyMs']['p99']:.1f} ms{flag(s)}")
before = open(f"{out}/metrics-before-c32.txt").read()
after = open(f"{out}/metrics-after-c32.txt").read()
def total(text, name):
    return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))
def metric(name):  # what the c=32 step added
    return total(after, name) - total(before, name)
batches, images = metric("mobiserve_batch_size_count"), metric("mobiserve_batch_size_sum")
failed = sum(float(v) for labels, v in re.findall(r'^mobiserve_requests_total\{([^}]*)\} (\S+)$', after, re.M)
             if 'code="OK"' not in labels)
print(f"/metrics over c=32      mean executed batch {images / batches:.2f} images over {batches:.0f} batches; "
      f"queue {metric('mobiserve_queue_duration_seconds_sum') / max(1, metric('mobiserve_queue_duration_seconds_count')) * 1e3:.1f} ms/image, "
      f"inference {metric('mobiserve_inference_duration_seconds_sum') / max(1, metric('mobiserve_inference_duration_seconds_count')) * 1e3:.1f} ms/batch; "
      f"requests not OK: {failed:.0f}")
PY
