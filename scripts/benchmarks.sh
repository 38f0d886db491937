#!/usr/bin/env bash
# Measures, in one session and on the same model file, how much of the engine's own speed each layer keeps:
#
#   bare      a bare ONNX Runtime Java loop (one session.run over a tensor made once)   bench --engine-only --bare
#   engine    mobiserve's engine alone (its own buffers; no batcher, no gRPC)           bench --engine-only
#   inprocess the whole runtime in this JVM (preprocessing, batcher, top-k; no gRPC)    bench --in-process
#   server    a real server on loopback, the bench client on the same cores              serve + bench --target
#
# each at 1 and 64 clients, tensor and JPEG 640x480 input, in ROUNDS interleaved rounds (A/B/A/B: the
# machine is shared and noisy, so each figure is the median of its rounds), then prints the ratios the
# performance targets are stated in. With a Python that has onnxruntime (PYTHON=..., optional), the bare
# Python loop is measured beside them for reference.
#
#   scripts/benchmarks.sh [OUT_DIR]    (default target/benchmarks; ROUNDS=2 takes about 25 minutes;
#                                    WARMUP, DURATION, SERVER_WARMUP and PYTHON change the defaults)
#
# Load goes only to servers this script starts on 127.0.0.1, and every step ends by itself.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${1:-target/benchmarks}"
rounds="${ROUNDS:-2}"
mkdir -p "$out"
jar=target/mobiserve.jar
[[ -f "$jar" ]] || ./mvnw -q -B package -DskipTests
# Every step is a new JVM (the bench client, or the whole in-process runtime). With 10 s of warm-up a server
# step's client was still compiling during the measurement and cost the server 3% at 64 clients (three A/B
# pairs on one server: 228 against 236 img/s), so each step warms up as long as it takes a JVM to settle.
timing=(--warmup "${WARMUP:-30s}" --duration "${DURATION:-15s}")
# A server's JIT keeps compiling for about half a minute of load (C2 took a tenth of a core at 15-25 s); each
# server is warmed up this long before its first step, so that its steps measure it warm, as in production.
server_warmup="${SERVER_WARMUP:-40s}"
model_dir="$out/model"
servers=()
trap 'for p in "${servers[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# The built-in MobileNetV3-Large, generated once into the output folder so that every run reads one file.
java -jar "$jar" export-model --arch large --out "$model_dir/mobilenetv3-large.onnx" >/dev/null
model=(--model "$model_dir/mobilenetv3-large.onnx")
# Every configuration runs the server's defaults: one engine instance with a thread per core, max batch 16.
runtime=(--backend cpu --max-batch 16)

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

bench() { java -jar "$jar" bench "$@" | grep -E "^(step|concurrency) " || echo "(this step reported errors; see its JSON)"; }

python_bare() {
  local python="${PYTHON:-python3}" batch=$1 file=$2
  "$python" - "$model_dir/mobilenetv3-large.onnx" "$batch" "$file" <<'PY' || echo "(no onnxruntime for $python: skipped)"
import json, sys, time
import numpy as np
import onnxruntime as ort
model, batch, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
options = ort.SessionOptions()
options.intra_op_num_threads = 0  # one per core, as the Java engine
options.add_session_config_entry("session.intra_op.allow_spinning", "0")
session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
x = np.random.default_rng(1).standard_normal((batch, 3, 224, 224), dtype=np.float32)
name = session.get_inputs()[0].name
end = time.perf_counter() + 5
while time.perf_counter() < end:
    session.run(None, {name: x})
times, end = [], time.perf_counter() + 15
while time.perf_counter() < end:
    start = time.perf_counter()
    session.run(None, {name: x})
    times.append(time.perf_counter() - start)
times.sort()
json.dump({"imagesPerSecond": batch * len(times) / sum(times), "p50Ms": times[len(times) // 2] * 1e3}, open(out, "w"))
print(f"python onnxruntime {ort.__version__} batch {batch}: {batch * len(times) / sum(times):.1f} img/s, "
      f"p50 {times[len(times) // 2] * 1e3:.2f} ms")
PY
}

for round in $(seq "$rounds"); do
  echo "== round $round of $rounds"
  for batch in 1 16; do
    bench --engine-only --bare "${runtime[@]}" "${model[@]}" --batch "$batch" "${timing[@]}" --json "$out/r$round-bare-b$batch.json"
    bench --engine-only "${runtime[@]}" "${model[@]}" --batch "$batch" "${timing[@]}" --json "$out/r$round-engine-b$batch.json"
    python_bare "$batch" "$out/r$round-python-b$batch.json"
  done
  # 1 then 64 clients in one JVM: the 64-client step's load generator (the in-process runtime's here, the
  # bench client's for the server) is then past its JIT's compiling, as in a long-running one; in a fresh
  # JVM C2 still took 0.025 cores of the two 30-60 s into a 64-client load.
  for input in tensor jpeg; do
    bench --in-process "${runtime[@]}" "${model[@]}" --concurrency 1,64 --input "$input" --image-size 640x480 \
      "${timing[@]}" --json "$out/r$round-inprocess-$input.json"
  done
  start_server "r$round-server" "${runtime[@]}" "${model[@]}"
  for input in tensor jpeg; do
    java -jar "$jar" bench --target "127.0.0.1:$port" --concurrency 64 --input "$input" --image-size 640x480 \
      --warmup "$server_warmup" --duration 5s >/dev/null || true
  done
  for input in tensor jpeg; do
    bench --target "127.0.0.1:$port" --concurrency 1,64 --input "$input" --image-size 640x480 \
      "${timing[@]}" --json "$out/r$round-server-$input.json"
  done
  stop_servers
done

python3 - "$out" "$rounds" <<'PY'
import json, os, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])

def figures(name):
    """(images/s, p50 ms, stable) of each round's step, or [] when the step did not run."""
    found = []
    # "inprocess-tensor-c64" is the 64-client step of r{r}-inprocess-tensor.json; the others have a file each.
    base, _, clients = name.rpartition("-c")
    for r in range(1, rounds + 1):
        path, shared = f"{out}/r{r}-{name}.json", f"{out}/r{r}-{base}.json"
        if os.path.exists(path):
            data = json.load(open(path))
            if "steps" not in data:  # the Python loop's own summary
                found.append((data["imagesPerSecond"], data["p50Ms"], True))
                continue
            step = data["steps"][0]
        elif base and os.path.exists(shared):
            step = next((s for s in json.load(open(shared))["steps"] if s["load"] == float(clients)), None)
            if step is None:
                continue
        else:
            continue
        found.append((step["images"] / step["measuredSeconds"], step["latencyMs"]["p50"], step["stable"]))
    return found

def med(name, index=0):
    values = [f[index] for f in figures(name)]
    return statistics.median(values) if values else float("nan")

def row(label, name):
    runs = figures(name)
    if not runs:
        print(f"{label:<34} (not measured)")
        return
    rates = ", ".join(f"{f[0]:.1f}" for f in runs)
    unstable = "" if all(f[2] for f in runs) else "  (a round was unstable)"
    print(f"{label:<34} {med(name):8.1f} img/s   p50 {med(name, 1):7.2f} ms   rounds: {rates}{unstable}")

print()
print("img/s (median of rounds); p50 per request")
row("bare ORT loop, batch 1", "bare-b1")
row("bare ORT loop, batch 16", "bare-b16")
row("engine-only, batch 1", "engine-b1")
row("engine-only, batch 16", "engine-b16")
row("python onnxruntime, batch 1", "python-b1")
row("python onnxruntime, batch 16", "python-b16")
for input in ("tensor", "jpeg"):
    for clients in (1, 64):
        row(f"in-process {input}, {clients} clients", f"inprocess-{input}-c{clients}")
        row(f"server {input}, {clients} clients", f"server-{input}-c{clients}")

def ratio(label, a, b, target):
    value = med(a) / med(b)
    print(f"{label:<58} {value:5.2f}   (target {target})")

print()
ratio("engine-only / bare loop, batch 16", "engine-b16", "bare-b16", ">= 0.95")
ratio("engine-only / bare loop, batch 1", "engine-b1", "bare-b1", ">= 0.95")
ratio("in-process tensor 64 clients / engine-only batch 16", "inprocess-tensor-c64", "engine-b16", ">= 0.90")
ratio("server tensor 64 clients / in-process", "server-tensor-c64", "inprocess-tensor-c64", ">= 0.85")
ratio("server JPEG 64 clients / in-process JPEG", "server-jpeg-c64", "inprocess-jpeg-c64", ">= 0.80")
gap = med("server-tensor-c1", 1) - med("engine-b1", 1)
print(f"{'server 1-client p50 - engine-only batch-1 p50 (ms)':<58} {gap:5.2f}   (target <= 1.5)")
PY
