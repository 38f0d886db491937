#!/usr/bin/env bash
# The GPU path, proved on a GPU host in one command (docs/gpu.md):
#   1. the driver and GPU (nvidia-smi);
#   2. the CUDA preprocessing kernels against their C++ reference (make -C native run-test; needs nvcc);
#   3. every Maven test with the @Tag("gpu") suite, where a missing GPU fails instead of skipping
#      (./mvnw -Pgpu verify -Dmobiserve.gpu.required=true; needs Java 17);
#   4. trtexec on the same ONNX beside bench --in-process, for the throughput ratio (when trtexec is on
#      the PATH and the jar was built).
# Each part that cannot run here says why and is counted as skipped, never as passed. Logs go to
# target/gpu-check/. Exit status: 0 all run parts passed and nothing was skipped, 1 a part failed,
# 77 nothing failed but something was skipped.
#
# Usage: scripts/gpu-check.sh [--no-maven] [--no-trtexec] [--batch N] [--duration SECONDS]
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$root/target/gpu-check"
mkdir -p "$out"
maven=1 trtexec_run=1 batch=64 duration=30
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-maven) maven=0 ;;
    --no-trtexec) trtexec_run=0 ;;
    --batch) batch="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
cuda_home="${CUDA_HOME:-/usr/local/cuda}"
declare -a summary
failed=0 skipped=0
record() { # part outcome detail
  summary+=("$(printf '%-10s %-8s %s' "$1" "$2" "$3")")
  case "$2" in FAILED) failed=1 ;; SKIPPED) skipped=1 ;; esac
}

# 1. The GPU as the driver sees it.
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv | tee "$out/nvidia-smi.csv"
  record gpu ok "$(sed -n 2p "$out/nvidia-smi.csv")"
else
  record gpu SKIPPED "nvidia-smi not found: no NVIDIA driver on this host"
fi

# 2. The kernels against the C++ reference.
if [[ -x "$cuda_home/bin/nvcc" ]]; then
  make -C native run-test BUILD_DIR="$out/native" CUDA_HOME="$cuda_home" >"$out/native.log" 2>&1
  status=$?
  tail -n 20 "$out/native.log"
  code=$(grep -o 'Error [0-9]*' "$out/native.log" | tail -1 | awk '{print $2}')
  if [[ $status -eq 0 ]]; then
    record kernels ok "$(grep -c ' ok$' "$out/native.log") frames within tolerance, $(grep -m1 '^device' "$out/native.log")"
  elif [[ "$code" == 77 ]]; then
    record kernels SKIPPED "$(grep -i 'skipped' "$out/native.log" | head -1)"
  else
    record kernels FAILED "see $out/native.log"
  fi
else
  record kernels SKIPPED "no nvcc at $cuda_home/bin/nvcc (set CUDA_HOME)"
fi

# 3. Every test, the GPU suite included, with skips turned into failures.
if [[ $maven -eq 0 ]]; then
  record maven SKIPPED "--no-maven"
elif ! command -v java >/dev/null; then
  record maven SKIPPED "no java on the PATH (Java 17 is needed)"
else
  ./mvnw -B -Pgpu verify -Dcuda.home="$cuda_home" -Dmobiserve.gpu.required=true >"$out/maven.log" 2>&1
  status=$?
  grep -E '^\[gpu|img/s|max \|' "$out/maven.log" | head -40
  grep -E 'Tests run:.*(Gpu|Fail)' "$out/maven.log" | tail -8
  if [[ $status -eq 0 ]]; then
    record maven ok "$(grep -E '^\[(INFO|WARNING)\] Tests run:' "$out/maven.log" | tail -2 | head -1)"
  else
    record maven FAILED "see $out/maven.log"
  fi
fi

# 4. trtexec against bench --in-process, same ONNX, precision and batch, transfers included on both sides.
onnx="$HOME/.cache/mobiserve/models/mobilenetv3-large-224-seed20190506-v1.onnx"
if [[ $trtexec_run -eq 0 ]]; then
  record trtexec SKIPPED "--no-trtexec"
elif ! command -v trtexec >/dev/null; then
  record trtexec SKIPPED "trtexec not on the PATH (it ships in TensorRT's bin/ and the NGC TensorRT image)"
elif [[ ! -f target/mobiserve.jar ]] || ! command -v java >/dev/null; then
  record trtexec SKIPPED "no target/mobiserve.jar or no java"
else
  [[ -f "$onnx" ]] || java -jar target/mobiserve.jar export-model --arch large --out "$onnx" >/dev/null
  shapes="input:${batch}x3x224x224"
  trtexec --onnx="$onnx" --fp16 --minShapes=input:1x3x224x224 --optShapes="$shapes" --maxShapes="$shapes" \
    --shapes="$shapes" --duration="$duration" >"$out/trtexec.log" 2>&1
  qps=$(grep -o 'Throughput: [0-9.]* qps' "$out/trtexec.log" | tail -1 | awk '{print $2}')
  java -jar target/mobiserve.jar bench --in-process --backend tensorrt --precision fp16 --max-batch "$batch" \
    --preferred-batch "$batch" --batch "$batch" --concurrency 2 --input tensor --duration "${duration}s" \
    --json "$out/bench.json" >"$out/bench.log" 2>&1
  ours=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(round(r["steps"][0]["imagesPerSecond"], 1))' \
    "$out/bench.json" 2>/dev/null)
  if [[ -n "$qps" && -n "$ours" ]]; then
    theirs=$(awk -v q="$qps" -v b="$batch" 'BEGIN {printf "%.1f", q * b}')
    ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN {printf "%.2f", a / b}')
    record trtexec ok "batch $batch fp16: mobiserve $ours img/s, trtexec $theirs img/s, ratio ${ratio}x (target >= 0.9x)"
  else
    record trtexec FAILED "no figure: see $out/trtexec.log and $out/bench.log"
  fi
fi

echo
echo "gpu-check summary (logs in $out):"
printf '  %s\n' "${summary[@]}" | tee "$out/summary.txt"
if [[ $failed -ne 0 ]]; then exit 1; fi
if [[ $skipped -ne 0 ]]; then exit 77; fi
exit 0
