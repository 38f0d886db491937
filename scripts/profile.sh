#!/usr/bin/env bash
# Flame graphs of mobiserve under load, CPU and allocation, with async-profiler (from Maven Central):
#
#   inprocess-cpu.html, inprocess-alloc.html   bench --in-process, 64 clients, tensor input
#   server-cpu.html, server-alloc.html         serve, loaded by the bench client (64 clients, tensor) on loopback
#   client-cpu.html                            that bench client
#
# Each profile covers PROFILE seconds (default 20) of steady state: the profiler is attached after the load's
# warm-up (WARMUP, default 30s: the JIT is still busy before), so start-up and compilation do not fill it.
#
#   scripts/profile.sh [OUT_DIR]    (default target/perf; the committed ones are in docs/perf)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${1:-target/perf}"
warmup="${WARMUP:-30s}"
seconds="${PROFILE:-20}"
mkdir -p "$out"
jar=target/mobiserve.jar
[[ -f "$jar" ]] || ./mvnw -q -B package -DskipTests

profiler_version=4.2
case "$(uname -m)" in x86_64) arch=linux-x64 ;; aarch64) arch=linux-arm64 ;; *) echo "no async-profiler for $(uname -m)" >&2; exit 1 ;; esac
agent="target/profiler/$arch/libasyncProfiler.so"
if [[ ! -f "$agent" ]]; then
  ./mvnw -q -B dependency:copy -Dartifact="tools.profiler:async-profiler:$profiler_version" -DoutputDirectory=target/profiler
  (cd target/profiler && unzip -q -o "async-profiler-$profiler_version.jar" "$arch/libasyncProfiler.so")
fi
agent="$root/$agent"

model=target/perf-model/mobilenetv3-large.onnx
java -jar "$jar" export-model --arch large --out "$model" >/dev/null
runtime=(--backend cpu --max-batch 16 --model "$model")
load=(--concurrency 64 --input tensor)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# profile PID EVENT FILE [INTERVAL]: attaches to a running JVM, records EVENT for $seconds, writes FILE.
# The options are quoted for jcmd, whose parser would otherwise take "event=cpu" for an argument of its own. The
# same profile is also written as collapsed stacks (FILE without .html, + .collapsed) for text tools.
profile() {
  jcmd "$1" JVMTI.agent_load "$agent" "\"start,event=$2,interval=${4:-10ms}\"" >/dev/null
  sleep "$seconds"
  jcmd "$1" JVMTI.agent_load "$agent" "\"stop,file=$root/$3\"" >/dev/null
  jcmd "$1" JVMTI.agent_load "$agent" "\"dump,collapsed,file=$root/${3%.html}.collapsed\"" >/dev/null
  [[ -s "$3" ]] || { echo "error: no profile written to $3" >&2; exit 1; }
  echo "wrote $3"
}

warmup_seconds=${warmup%s}
span=$((2 * seconds + 10))

# In-process: one bench JVM, profiled twice (CPU, then allocation) during its measurement.
java -jar "$jar" bench --in-process "${runtime[@]}" "${load[@]}" --warmup "$warmup" --duration "${span}s" \
  --max-extension 0s >"$out/inprocess-bench.txt" 2>&1 &
bench_pid=$!; pids+=("$bench_pid")
sleep $((warmup_seconds + 5))
profile "$bench_pid" cpu "$out/inprocess-cpu.html"
profile "$bench_pid" alloc "$out/inprocess-alloc.html" 512k
wait "$bench_pid" || true

# Server: the same load from the bench client on the same cores.
java -jar "$jar" serve --host 127.0.0.1 --port 0 "${runtime[@]}" >"$out/server.log" 2>&1 &
server_pid=$!; pids+=("$server_pid")
for _ in $(seq 300); do grep -q "serving " "$out/server.log" && break; sleep 1; done
port=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\).*/\1/p' "$out/server.log" | head -1)
java -jar "$jar" bench --target "127.0.0.1:$port" "${load[@]}" --warmup "$warmup" --duration "$((3 * seconds + 15))s" \
  --max-extension 0s >"$out/server-bench.txt" 2>&1 &
client_pid=$!; pids+=("$client_pid")
sleep $((warmup_seconds + 5))
profile "$server_pid" cpu "$out/server-cpu.html"
profile "$server_pid" alloc "$out/server-alloc.html" 512k
profile "$client_pid" cpu "$out/client-cpu.html"
wait "$client_pid" || true
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
grep -E '^concurrency' "$out/inprocess-bench.txt" "$out/server-bench.txt" || true
