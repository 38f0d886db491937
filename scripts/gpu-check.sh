#!/usr/bin/env bash
# The GPU path, proved on a GPU host in one command (docs/gpu.md). One verdict per check:
#   gpu            the driver and GPU, as nvidia-smi sees them
#   kernels        the CUDA preprocessing kernels against their C++ reference: the kernel's math on the CPU,
#                  then the kernels on the GPU (make -C native run-test; needs nvcc)
#   suite          every Maven test with the @Tag("gpu") suite, where a missing GPU fails instead of skipping
#                  (./mvnw -Pgpu verify -Dmobiserve.gpu.required=true); and from its reports:
#   parity         FP32 TensorRT against ONNX Runtime on the held-out digits
#   fp16-parity    FP16 TensorRT likewise, within FP16's tolerance
#   preprocessing  the GPU preprocessing against the Java reference, alone and through the engine
#   cache-reuse    a second start loads the engine from the cache without building it (factory, and the jar)
#   failover       a sticky CUDA error injected into a running runtime: with --fallback cpu the CPU answers for
#                  good and a restart is required; with --fallback none nothing answers (health NOT_SERVING)
#   throughput     bench --in-process against trtexec on the same ONNX, precision and batch, data transfers
#                  included on both sides (when trtexec is on the PATH): at least --min-ratio of trtexec
# A check that cannot run here says why and counts as skipped, never as passed. Logs go to target/gpu-check/.
# Exit status: 0 every check passed, 1 a check failed, 77 nothing failed but something was skipped.
# Reading the reports and the bench figures needs python3.
#
# Usage: scripts/gpu-check.sh [--no-kernels] [--no-maven] [--no-trtexec] [--reports DIR] [--batch N]
#                             [--duration SECONDS] [--min-ratio R]
#   --no-maven     read the suite's verdicts from an earlier run's reports instead of running Maven again
#   --reports DIR  where those reports are (default: target, i.e. target/surefire-reports and failsafe-reports)
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$root/target/gpu-check"
mkdir -p "$out"
kernels=1 maven=1 trtexec_run=1 batch=64 duration=30 min_ratio=0.9 reports="$root/target"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-kernels) kernels=0 ;;
    --no-maven) maven=0 ;;
    --no-trtexec) trtexec_run=0 ;;
    --reports) reports="$2"; shift ;;
    --batch) batch="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --min-ratio) min_ratio="$2"; shift ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
cuda_home="${CUDA_HOME:-/usr/local/cuda}"
declare -a summary
failed=0 skipped=0
record() { # check outcome detail
  summary+=("$(printf '%-14s %-8s %s' "$1" "$2" "$3")")
  case "$2" in FAILED) failed=1 ;; SKIPPED) skipped=1 ;; esac
}

# The outcome of the listed tests (Class or Class#methodPrefix) in the Maven reports: "ok", "FAILED why" when
# one failed or did not run at all, "SKIPPED why" when one was skipped.
tests_outcome() {
  python3 - "$reports" "$@" <<'PY'
import glob, os, sys
import xml.etree.ElementTree as ET
reports, wanted = sys.argv[1], sys.argv[2:]
cases = {}
for path in glob.glob(os.path.join(reports, "**", "TEST-*.xml"), recursive=True):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        continue
    for case in root.iter("testcase"):
        outcome = ("failed" if case.find("failure") is not None or case.find("error") is not None
                   else "skipped" if case.find("skipped") is not None else "passed")
        cases.setdefault(case.get("classname", "").rsplit(".", 1)[-1], []).append((case.get("name", ""), outcome))
skips = []
for spec in wanted:
    cls, _, method = spec.partition("#")
    found = [outcome for name, outcome in cases.get(cls, []) if name.startswith(method)]
    if not found:
        print("FAILED " + spec + " did not run (no report in " + reports + ")")
        sys.exit()
    if "failed" in found:
        print("FAILED " + spec + " failed")
        sys.exit()
    if "skipped" in found:
        skips.append(spec)
print("SKIPPED " + ", ".join(skips) + " skipped" if skips else "ok " + ", ".join(wanted))
PY
}

suite_check() { # check "detail pattern in maven.log" tests...
  local check="$1" pattern="$2" result detail
  shift 2
  if ! command -v python3 >/dev/null; then
    record "$check" FAILED "python3 is needed to read the test reports"
    return
  fi
  result=$(tests_outcome "$@")
  detail="${result#* }"
  if [[ "${result%% *}" == ok && -f "$out/maven.log" ]]; then
    measured=$(grep -E "$pattern" "$out/maven.log" | tail -n 2 | tr '\n' ' ')
    [[ -n "$measured" ]] && detail="$measured"
  fi
  record "$check" "${result%% *}" "$detail"
}

# 1. The GPU as the driver sees it.
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv | tee "$out/nvidia-smi.csv"
  record gpu ok "$(sed -n 2p "$out/nvidia-smi.csv")"
else
  record gpu SKIPPED "nvidia-smi not found: no NVIDIA driver on this host"
fi

# 2. The kernels against the C++ reference.
if [[ $kernels -eq 0 ]]; then
  record kernels SKIPPED "--no-kernels"
elif [[ -x "$cuda_home/bin/nvcc" ]]; then
  make -C native run-test BUILD_DIR="$out/native" CUDA_HOME="$cuda_home" >"$out/native.log" 2>&1
  status=$?
  tail -n 24 "$out/native.log"
  code=$(grep -o 'Error [0-9]*' "$out/native.log" | tail -1 | awk '{print $2}')
  if [[ $status -eq 0 ]]; then
    record kernels ok "$(grep -c ' ok$' "$out/native.log") frame checks within tolerance, $(grep -m1 '^device' "$out/native.log")"
  elif [[ "$code" == 77 ]]; then
    record kernels SKIPPED "the kernel's math passed on the CPU; $(grep -m1 'SKIPPED' "$out/native.log")"
  else
    record kernels FAILED "see $out/native.log"
  fi
else
  record kernels SKIPPED "no nvcc at $cuda_home/bin/nvcc (set CUDA_HOME)"
fi

# 3. Every test, the GPU suite included, with skips turned into failures; then a verdict per check.
suite_skipped=""
if [[ $maven -eq 1 ]]; then
  if ! command -v java >/dev/null; then
    suite_skipped="no java on the PATH (Java 17 is needed)"
    record suite SKIPPED "$suite_skipped"
  else
    ./mvnw -B -Pgpu verify -Dcuda.home="$cuda_home" -Dmobiserve.gpu.required=true >"$out/maven.log" 2>&1
    status=$?
    grep -E '^\[gpu|img/s|max \||DRILL|injected' "$out/maven.log" | head -40
    if [[ $status -eq 0 ]]; then
      record suite ok "$(grep -E '^\[(INFO|WARNING)\] Tests run:' "$out/maven.log" | tail -2 | head -1)"
    else
      record suite FAILED "see $out/maven.log"
    fi
  fi
fi
if [[ -n "$suite_skipped" ]]; then # each check the suite would have given a verdict on, and why it has none
  for check in parity fp16-parity preprocessing cache-reuse failover; do
    record "$check" SKIPPED "the suite did not run: $suite_skipped"
  done
else
  suite_check parity 'TensorRtParityGpuTest FP32' 'TensorRtParityGpuTest#fp32_'
  suite_check fp16-parity 'TensorRtParityGpuTest FP16' 'TensorRtParityGpuTest#fp16_'
  suite_check preprocessing 'TensorRtFramesGpuTest: inferFrames vs ORT' GpuPreprocessParityGpuTest TensorRtFramesGpuTest
  suite_check cache-reuse 'serve --backend tensorrt: first start' \
    'TensorRtBuildGpuTest#secondFactory_loadsTheEngineFromTheCache' 'TensorRtServeGpuIT#servesOnTheGpu_thenRestartsFromTheEngineCache'
  suite_check failover 'DRILL (cpu|none) OK' 'StickyErrorGpuTest#injectedStickyError'
fi

# 4. trtexec against bench --in-process: same ONNX, precision and batch, transfers included on both sides. Two
# engine instances run two batches at once, so one batch's copies overlap the other's inference.
onnx="$HOME/.cache/mobiserve/models/mobilenetv3-large-224-seed20190506-v1.onnx"
if [[ $trtexec_run -eq 0 ]]; then
  record throughput SKIPPED "--no-trtexec"
elif ! command -v trtexec >/dev/null; then
  record throughput SKIPPED "trtexec not on the PATH (it ships in TensorRT's bin/ and the NGC TensorRT image)"
elif [[ ! -f target/mobiserve.jar ]] || ! command -v java >/dev/null; then
  record throughput SKIPPED "no target/mobiserve.jar or no java"
else
  [[ -f "$onnx" ]] || java -jar target/mobiserve.jar export-model --arch large --out "$onnx" >/dev/null
  shapes="input:${batch}x3x224x224"
  trtexec --onnx="$onnx" --fp16 --minShapes=input:1x3x224x224 --optShapes="$shapes" --maxShapes="$shapes" \
    --shapes="$shapes" --duration="$duration" >"$out/trtexec.log" 2>&1
  qps=$(grep -o 'Throughput: [0-9.]* qps' "$out/trtexec.log" | tail -1 | awk '{print $2}')
  java -jar target/mobiserve.jar bench --in-process --backend tensorrt --precision fp16 --max-batch "$batch" \
    --preferred-batch "$batch" --batch "$batch" --instances 2 --concurrency 2 --input tensor --duration "${duration}s" \
    --json "$out/bench.json" >"$out/bench.log" 2>&1
  ours=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(round(r["steps"][0]["imagesPerSecond"], 1))' \
    "$out/bench.json" 2>/dev/null)
  if [[ -n "$qps" && -n "$ours" ]]; then
    theirs=$(awk -v q="$qps" -v b="$batch" 'BEGIN {printf "%.1f", q * b}')
    ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN {printf "%.2f", a / b}')
    figures="batch $batch fp16: mobiserve $ours img/s, trtexec $theirs img/s, ratio ${ratio}x (target >= ${min_ratio}x)"
    if awk -v r="$ratio" -v m="$min_ratio" 'BEGIN {exit !(r >= m)}'; then
      record throughput ok "$figures"
    else
      record throughput FAILED "$figures"
    fi
  else
    record throughput FAILED "no figure: see $out/trtexec.log and $out/bench.log"
  fi
fi

echo
echo "gpu-check summary (logs in $out):"
printf '  %s\n' "${summary[@]}" | tee "$out/summary.txt"
if [[ $failed -ne 0 ]]; then exit 1; fi
if [[ $skipped -ne 0 ]]; then exit 77; fi
exit 0
