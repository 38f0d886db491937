#!/usr/bin/env bash
# Overload: does the server hold when far more work arrives than it can do? For each way of starting it
# (scripts/mobiserve, the README's command, with its JVM flags; java -Xmx512m; plain java -jar with the
# JVM's own defaults) it starts a real server on loopback and measures, in one run:
#
#   1. the best closed-loop throughput of 8-JPEG (640x480) requests at modest concurrency (the reference);
#   2. 256 concurrent callers x 8 JPEGs with 2 s deadlines for DURATION: the status codes (only OK,
#      RESOURCE_EXHAUSTED and DEADLINE_EXCEEDED are allowed), OK images/s against the reference, the
#      server's goodput (inferred images whose results reached a caller), and the peak RSS of the server;
#   3. one normal request right after the load stops (its latency), then the gauges (calls in flight,
#      queued images, memory budget in use) back at 0.
#
#   scripts/overload.sh [DURATION] [OUT_DIR]     (default 60s, target/overload; about 10 minutes)
#
# The callers honour the server's retry pushback, as gRPC clients with a retry policy do; HAMMER=1 makes
# them ignore it. Load goes only to servers this script starts on 127.0.0.1.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
duration="${1:-60s}"
out="${2:-target/overload}"
mkdir -p "$out"
jar=target/mobiserve.jar
[[ -f "$jar" ]] || ./mvnw -q -B package -DskipTests
pushback=()
[[ "${HAMMER:-0}" == 1 ]] && pushback=(--ignore-pushback)
server_pid=""
sampler_pid=""
cleanup() {
  [[ -n "$sampler_pid" ]] && kill "$sampler_pid" 2>/dev/null || true
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
}
trap cleanup EXIT

# run NAME COMMAND...: COMMAND starts mobiserve (the server's arguments follow it) and execs the JVM, so its
# PID is the server's.
run() {
  local name=$1; shift
  local log="$out/$name-server.log"
  "$@" serve --host 127.0.0.1 --port 0 --metrics-port 0 >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do grep -q "serving " "$log" && break; sleep 1; done
  grep -q "serving " "$log" || { echo "error: the server did not start" >&2; cat "$log" >&2; exit 1; }
  local port metrics
  port=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\).*/\1/p' "$log" | head -1)
  metrics=$(sed -n 's|.*metrics at \(http://[^ ]*\).*|\1|p' "$log" | head -1)
  local target=(--target "127.0.0.1:$port" --input jpeg --image-size 640x480)

  echo "== $name: reference, closed loop"
  # A small heap's memory budget may refuse some of these calls too: that is the server working, not failing.
  java -jar "$jar" bench "${target[@]}" --batch 8 --concurrency 2,4,8 --warmup 5s --duration 15s \
    --expect RESOURCE_EXHAUSTED --json "$out/$name-reference.json" | tail -n 4

  echo "== $name: 256 callers x 8 JPEGs, 2 s deadlines, $duration"
  # The server's RSS, every 0.5 s, while the overload runs.
  (while kill -0 "$server_pid" 2>/dev/null; do
     awk '/VmRSS/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || true; sleep 0.5
   done) >"$out/$name-rss-kb.txt" &
  sampler_pid=$!
  java -jar "$jar" bench "${target[@]}" --batch 8 --concurrency 256 --timeout 2s --warmup 5s --duration "$duration" \
    --max-extension 0s --expect RESOURCE_EXHAUSTED,DEADLINE_EXCEEDED "${pushback[@]}" \
    --server-metrics "$metrics" --json "$out/$name-overload.json" | tail -n 6 || true

  echo "== $name: one request after the load"
  java -jar "$jar" bench "${target[@]}" --batch 1 --concurrency 1 --warmup 0s --duration 1s --window 1s \
    --max-extension 0s --json "$out/$name-after.json" | tail -n 2 || true
  sleep 2
  curl -s "$metrics" >"$out/$name-metrics-after.txt"
  kill "$sampler_pid" 2>/dev/null || true
  sampler_pid=""
  kill "$server_pid"
  wait "$server_pid" || true
  server_pid=""
  grep -c "OutOfMemoryError" "$log" >"$out/$name-oom-count.txt" || true
}

run launcher env -u JDK_JAVA_OPTIONS scripts/mobiserve
run xmx512m java -Xmx512m -jar "$jar"
run no-flags java -jar "$jar"

python3 - "$out" <<'PY'
import json, re, sys
out = sys.argv[1]
def load(name):
    return json.load(open(f"{out}/{name}.json"))["steps"]
for name in ("launcher", "xmx512m", "no-flags"):
    reference = max(s["images"] / s["measuredSeconds"] for s in load(f"{name}-reference"))
    over = load(f"{name}-overload")[0]
    ok_rate = over["images"] / over["measuredSeconds"]
    codes = dict(over["errors"])
    codes["OK"] = over["requests"]
    allowed = {"OK", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED"}
    unexpected = {c: n for c, n in codes.items() if c not in allowed}
    rss = [int(v) for v in open(f"{out}/{name}-rss-kb.txt").read().split() if v.strip().isdigit()]
    after = load(f"{name}-after")[0]
    metrics = open(f"{out}/{name}-metrics-after.txt").read()
    def gauge(metric):
        m = re.search(rf"^{metric} (\S+)$", metrics, re.M)
        return float(m.group(1)) if m else float("nan")
    ooms = open(f"{out}/{name}-oom-count.txt").read().strip() or "0"
    print(f"\n{name}:")
    print(f"  reference (best closed loop)   {reference:7.1f} images/s")
    print(f"  overload OK images/s           {ok_rate:7.1f}  = {ok_rate / reference:.2f} of the reference (target >= 0.80)")
    print(f"  goodput                        {over['goodput']:.3f} (target >= 0.90)")
    print(f"  status codes (requests)        {codes}  unexpected: {unexpected or 'none'}")
    print(f"  peak RSS                       {max(rss) / 1024:7.0f} MB (target <= 1536)")
    print(f"  a request after the load       p50 {after['latencyMs']['p50']:.1f} ms (target <= 100)")
    print(f"  gauges after                   in flight {gauge('mobiserve_inflight_requests'):.0f}, queued "
          f"{gauge('mobiserve_queue_images'):.0f}, budget {gauge('mobiserve_memory_budget_used_bytes'):.0f} bytes")
    print(f"  OutOfMemoryError in the log    {ooms}")
PY
