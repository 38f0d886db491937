#!/usr/bin/env bash
# Checks that this image (or host) has every native library mobiserve's GPU path loads, and TensorRT
# exactly the release its JavaCPP bindings were built against: run at image build time, so that a wrong
# base image fails the build instead of the server's start.
#
# The list is what the bindings' JNI libraries need (readelf -d of the org.bytedeco cuda 13.1-9.19-1.5.13
# and tensorrt 10.15-1.5.13 jars): jnicudart -> libcudart, jnicublas -> libcublas + libcublasLt,
# jnicudnn -> libcudnn_{cnn,adv,ops,graph}, jninvrtc -> libnvrtc (TensorRT's preset loads all four),
# jninvinfer -> libnvinfer, jninvonnxparser -> libnvonnxparser (its preset inherits jninvinfer_plugin ->
# libnvinfer_plugin); and the builder resource libnvinfer dlopens to build engines. libcuda.so.1 is not
# checked: the driver's, it comes from the host at run time (NVIDIA Container Toolkit).
#
# TensorRT's builder refuses a libnvinfer of another release than the one the bindings were compiled for
# (createInferBuilder returns null): 10.15.x here, the tensorrt.version in pom.xml.
#
# Usage: check-gpu-runtime.sh [LIBDIR...]
#   no argument: the libraries the dynamic loader finds (ldconfig -p, and LD_LIBRARY_PATH's directories)
#   LIBDIR...:   only these directories (how the test runs it without a GPU image)
# Exit status: 0 everything found, 1 something missing or the wrong TensorRT (each named on stderr).
set -uo pipefail

TENSORRT_VERSION="${TENSORRT_VERSION:-10.15}"
CUDA_MAJOR="${CUDA_MAJOR:-13}"
CUDNN_MAJOR="${CUDNN_MAJOR:-9}"
trt_major="${TENSORRT_VERSION%%.*}"

required=(
  "libcudart.so.$CUDA_MAJOR" "libcublas.so.$CUDA_MAJOR" "libcublasLt.so.$CUDA_MAJOR" "libnvrtc.so.$CUDA_MAJOR"
  "libcudnn_cnn.so.$CUDNN_MAJOR" "libcudnn_adv.so.$CUDNN_MAJOR" "libcudnn_ops.so.$CUDNN_MAJOR"
  "libcudnn_graph.so.$CUDNN_MAJOR"
  "libnvinfer.so.$trt_major" "libnvinfer_plugin.so.$trt_major" "libnvonnxparser.so.$trt_major"
)

dirs=("$@")
if [[ ${#dirs[@]} -eq 0 ]]; then
  IFS=: read -r -a dirs <<<"${LD_LIBRARY_PATH:-}"
  use_cache=1
else
  use_cache=0
fi

# The path of library NAME (a file name such as libcudart.so.13), or nothing.
find_library() {
  local name="$1" dir path
  for dir in "${dirs[@]}"; do
    [[ -n "$dir" && -e "$dir/$name" ]] && { echo "$dir/$name"; return; }
  done
  if [[ $use_cache -eq 1 ]]; then
    path=$(ldconfig -p 2>/dev/null | awk -v n="$name" '$1 == n { print $NF; exit }')
    [[ -n "$path" && -e "$path" ]] && echo "$path"
  fi
}

missing=()
for name in "${required[@]}"; do
  path=$(find_library "$name")
  if [[ -n "$path" ]]; then
    echo "ok       $name  $path"
  else
    echo "MISSING  $name" >&2
    missing+=("$name")
  fi
done

# TensorRT's full version, from the file libnvinfer.so.N resolves to (libnvinfer.so.10.15.1).
nvinfer=$(find_library "libnvinfer.so.$trt_major")
if [[ -n "$nvinfer" ]]; then
  real=$(readlink -f "$nvinfer")
  found="${real##*/libnvinfer.so.}"
  if [[ "$found" == "$trt_major" ]]; then # not a link to the versioned file: look beside it
    versioned=$(ls "$(dirname "$real")"/libnvinfer.so."$trt_major".* 2>/dev/null | head -n 1)
    found="${versioned##*/libnvinfer.so.}"
  fi
  if [[ -z "$found" || "$found" == "$trt_major" ]]; then
    echo "UNKNOWN  TensorRT version: $real is not named libnvinfer.so.X.Y.Z; this image needs $TENSORRT_VERSION" >&2
    missing+=("the TensorRT version")
  elif [[ "$found" != "$TENSORRT_VERSION" && "$found" != "$TENSORRT_VERSION".* ]]; then
    echo "WRONG    found TensorRT $found, this image needs $TENSORRT_VERSION (the version of mobiserve's TensorRT" \
      "bindings): choose a base image with TensorRT $TENSORRT_VERSION.x" >&2
    missing+=("TensorRT $TENSORRT_VERSION (found $found)")
  else
    echo "ok       TensorRT $found"
    # The builder dlopens its resource library of exactly its own version: the PTX one works on every
    # GPU (per-architecture ones, where present, are faster to build with). Older 10.x releases shipped
    # one libnvinfer_builder_resource.so.X.Y.Z instead.
    dirs+=("$(dirname "$real")")
    resource=$(find_library "libnvinfer_builder_resource_ptx.so.$found")
    [[ -n "$resource" ]] || resource=$(find_library "libnvinfer_builder_resource.so.$found")
    if [[ -n "$resource" ]]; then
      echo "ok       libnvinfer_builder_resource_ptx.so.$found  $resource"
      per_arch=$(ls "$(dirname "$real")"/libnvinfer_builder_resource_sm*.so."$found" 2>/dev/null \
        | sed 's/.*libnvinfer_builder_resource_\(sm[0-9]*\).*/\1/' | tr '\n' ' ')
      [[ -n "$per_arch" ]] && echo "         per-architecture builder resources: $per_arch"
    else
      echo "MISSING  libnvinfer_builder_resource_ptx.so.$found (TensorRT's builder cannot build engines without it)" >&2
      missing+=("libnvinfer_builder_resource_ptx.so.$found")
    fi
  fi
fi

if [[ ${#missing[@]} -gt 0 ]]; then
  echo "check-gpu-runtime: this image cannot run mobiserve's GPU path; missing or wrong: ${missing[*]}" >&2
  exit 1
fi
echo "check-gpu-runtime: every library the GPU path loads is here, TensorRT $found"
