// Checks the preprocessing kernels against the C++ CPU reference (preprocess_reference.cpp), over random
// frames that shrink, enlarge, are only cropped or padded, in both channel orders:
//   1. on the host, with or without a GPU: the kernel's own per-pixel math (preprocess_pixel.cuh, the
//      __host__ __device__ functions the kernel calls) run on the CPU;
//   2. on the GPU, when there is one: the kernels themselves, float and half, one launch per batch.
//
// Usage: preprocess_test [--host-only]
// Exit codes: 0 every check within tolerance, 1 a mismatch, 2 a CUDA error, 77 the host checks passed
// but there is no usable CUDA device (the kernels themselves were not run; --host-only never returns 77).
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "mobiserve_preprocess.h"
#include "preprocess_pixel.cuh"
#include "preprocess_reference.h"

namespace {

constexpr int kPass = 0;
constexpr int kMismatch = 1;
constexpr int kCudaError = 2;
constexpr int kSkipped = 77;

constexpr double kFloatTolerance = 1e-3;
// The kernel's math and the reference add the same float products in the same order: on the host they
// differ by rounding at most (on the device, fused multiply-adds may round differently; kFloatTolerance).
constexpr double kHostTolerance = 1e-5;

// Half keeps 11 significant bits: allow one unit in the last place of the value on top of the float bound.
double half_tolerance(float reference) { return kFloatTolerance + std::fabs(reference) / 1024.0; }

struct CudaFailure {
  std::string what;
};

void check(cudaError_t status, const char *what) {
  if (status != cudaSuccess) throw CudaFailure{std::string(what) + ": " + cudaGetErrorName(status) + " (" +
                                               cudaGetErrorString(status) + ")"};
}

struct Frame {
  std::string name;
  int width, height, row_pitch, channel_order;
  std::vector<uint8_t> pixels;  // row_pitch * height bytes; the bytes past 3 * width are never read

  Frame(std::string name, int width, int height, int order, int extra_pitch, unsigned seed)
      : name(std::move(name)), width(width), height(height), row_pitch(3 * width + extra_pitch),
        channel_order(order), pixels(static_cast<size_t>(row_pitch) * height) {
    std::mt19937 random(seed);
    for (auto &b : pixels) b = static_cast<uint8_t>(random() & 0xFF);
  }
};

struct Launch {
  std::string name;
  int out_height, out_width, short_side;
  reference::Normalization norm;
  bool half;
  std::vector<Frame> frames;
};

// Device memory freed on every path, the error paths included.
struct DeviceBuffer {
  void *ptr = nullptr;
  explicit DeviceBuffer(size_t bytes) { check(cudaMalloc(&ptr, bytes), "cudaMalloc"); }
  ~DeviceBuffer() { cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
};

bool run(const Launch &launch, cudaStream_t stream) {
  const size_t n = launch.frames.size();
  const size_t plane = static_cast<size_t>(launch.out_height) * launch.out_width;
  const size_t per_image = 3 * plane;
  const size_t element = launch.half ? sizeof(__half) : sizeof(float);

  std::vector<std::unique_ptr<DeviceBuffer>> uploads;
  std::vector<mobiserve_image_descriptor> descriptors;
  std::vector<reference::Geometry> geometries;
  for (const Frame &f : launch.frames) {
    uploads.push_back(std::make_unique<DeviceBuffer>(f.pixels.size()));
    check(cudaMemcpy(uploads.back()->ptr, f.pixels.data(), f.pixels.size(), cudaMemcpyHostToDevice), "upload frame");
    reference::Geometry g = reference::crop_geometry(f.width, f.height, launch.short_side, launch.out_width,
                                                     launch.out_height);
    geometries.push_back(g);
    descriptors.push_back({static_cast<const uint8_t *>(uploads.back()->ptr), f.width, f.height, f.row_pitch,
                           f.channel_order, g.resized_width, g.resized_height, g.src_x, g.src_y, g.dst_x, g.dst_y,
                           g.copy_width, g.copy_height});
  }
  DeviceBuffer device_descriptors(n * sizeof(mobiserve_image_descriptor));
  check(cudaMemcpy(device_descriptors.ptr, descriptors.data(), n * sizeof(mobiserve_image_descriptor),
                   cudaMemcpyHostToDevice),
        "upload descriptors");

  // one image more than the batch, all 0xFF (NaN in float and half): the kernel must not write past the batch
  const size_t output_bytes = (n + 1) * per_image * element;
  DeviceBuffer output(output_bytes);
  check(cudaMemset(output.ptr, 0xFF, output_bytes), "cudaMemset");

  const auto *images = static_cast<const mobiserve_image_descriptor *>(device_descriptors.ptr);
  cudaError_t launched =
      launch.half ? mobiserve_preprocess_half(images, static_cast<int>(n), launch.norm.mean, launch.norm.std,
                                              launch.norm.model_channel_order, static_cast<__half *>(output.ptr),
                                              launch.out_height, launch.out_width, stream)
                  : mobiserve_preprocess_float(images, static_cast<int>(n), launch.norm.mean, launch.norm.std,
                                               launch.norm.model_channel_order, static_cast<float *>(output.ptr),
                                               launch.out_height, launch.out_width, stream);
  check(launched, "launch");
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");

  std::vector<uint8_t> result(output_bytes);
  check(cudaMemcpy(result.data(), output.ptr, output_bytes, cudaMemcpyDeviceToHost), "download output");

  bool ok = true;
  std::printf("%s (%d images, one launch, %s)\n", launch.name.c_str(), static_cast<int>(n),
              launch.half ? "half" : "float");
  std::vector<float> expected(per_image);
  for (size_t i = 0; i < n; i++) {
    const Frame &f = launch.frames[i];
    reference::preprocess(f.pixels.data(), f.width, f.height, f.row_pitch, f.channel_order, geometries[i],
                          launch.norm, launch.out_height, launch.out_width, expected.data());
    double max_diff = 0;
    size_t failures = 0;
    for (size_t j = 0; j < per_image; j++) {
      size_t at = i * per_image + j;
      float actual;
      if (launch.half) {
        __half h;
        std::memcpy(&h, result.data() + at * sizeof(__half), sizeof(__half));
        actual = __half2float(h);
      } else {
        std::memcpy(&actual, result.data() + at * sizeof(float), sizeof(float));
      }
      double diff = std::fabs(static_cast<double>(actual) - expected[j]);
      double tolerance = launch.half ? half_tolerance(expected[j]) : kFloatTolerance;
      if (!(diff <= tolerance)) failures++;  // NaN (an unwritten element) fails too
      if (!(diff <= max_diff)) max_diff = diff;
    }
    std::printf("  %-44s max |diff| %.3g  %s\n", f.name.c_str(), max_diff, failures == 0 ? "ok" : "FAIL");
    if (failures != 0) {
      std::printf("    %zu of %zu elements out of tolerance\n", failures, per_image);
      ok = false;
    }
  }
  for (size_t b = n * per_image * element; b < output_bytes; b++) {
    if (result[b] != 0xFF) {
      std::printf("  FAIL: the kernel wrote past the batch (byte %zu)\n", b);
      ok = false;
      break;
    }
  }
  return ok;
}

// The kernel's per-pixel math, run on the CPU over the launch's frames (host memory), against the reference.
bool host_check(const Launch &launch) {
  const size_t per_image = 3 * static_cast<size_t>(launch.out_height) * launch.out_width;
  const size_t plane = static_cast<size_t>(launch.out_height) * launch.out_width;
  const mobiserve::Normalization norm{{launch.norm.mean[0], launch.norm.mean[1], launch.norm.mean[2]},
                                      {launch.norm.std[0], launch.norm.std[1], launch.norm.std[2]},
                                      launch.norm.model_channel_order};
  std::printf("%s (%d images, kernel math on the CPU)\n", launch.name.c_str(), static_cast<int>(launch.frames.size()));
  bool ok = true;
  std::vector<float> expected(per_image);
  for (const Frame &f : launch.frames) {
    reference::Geometry g = reference::crop_geometry(f.width, f.height, launch.short_side, launch.out_width,
                                                     launch.out_height);
    reference::preprocess(f.pixels.data(), f.width, f.height, f.row_pitch, f.channel_order, g, launch.norm,
                          launch.out_height, launch.out_width, expected.data());
    const mobiserve_image_descriptor img{f.pixels.data(), f.width, f.height, f.row_pitch, f.channel_order,
                                         g.resized_width, g.resized_height, g.src_x, g.src_y, g.dst_x, g.dst_y,
                                         g.copy_width, g.copy_height};
    double max_diff = 0;
    size_t failures = 0;
    for (int y = 0; y < launch.out_height; y++) {
      for (int x = 0; x < launch.out_width; x++) {
        float actual[3];
        mobiserve::preprocess_pixel(img, norm, x, y, actual);
        for (int c = 0; c < 3; c++) {
          double diff = std::fabs(static_cast<double>(actual[c]) - expected[c * plane + y * launch.out_width + x]);
          if (!(diff <= kHostTolerance)) failures++;
          if (!(diff <= max_diff)) max_diff = diff;
        }
      }
    }
    std::printf("  %-44s max |diff| %.3g  %s\n", f.name.c_str(), max_diff, failures == 0 ? "ok" : "FAIL");
    if (failures != 0) {
      std::printf("    %zu of %zu elements out of tolerance\n", failures, per_image);
      ok = false;
    }
  }
  return ok;
}

// Arguments the launcher must refuse without launching anything.
bool refuses_bad_arguments(cudaStream_t stream) {
  float mean[3] = {0, 0, 0}, std_[3] = {1, 1, 1};
  DeviceBuffer out(sizeof(float));
  auto *images = static_cast<const mobiserve_image_descriptor *>(out.ptr);
  auto *output = static_cast<float *>(out.ptr);
  bool ok = mobiserve_preprocess_float(images, 0, mean, std_, MOBISERVE_RGB, output, 1, 1, stream) ==
                cudaErrorInvalidValue &&
            mobiserve_preprocess_float(images, 1, mean, std_, 7, output, 1, 1, stream) == cudaErrorInvalidValue &&
            mobiserve_preprocess_float(images, 1, mean, std_, MOBISERVE_RGB, output, 0, 1, stream) ==
                cudaErrorInvalidValue;
  std::printf("bad arguments refused with cudaErrorInvalidValue: %s\n", ok ? "ok" : "FAIL");
  return ok;
}

std::vector<Launch> launches() {
  const reference::Normalization imagenet_rgb{{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}, MOBISERVE_RGB};
  const reference::Normalization odd_bgr{{0.406f, 0.5f, 0.485f}, {0.225f, 0.3f, 0.229f}, MOBISERVE_BGR};
  std::vector<Frame> mixed = {
      Frame("shrink 640x480 RGB (1.9x, area)", 640, 480, MOBISERVE_RGB, 0, 1),
      Frame("shrink 1920x1080 BGR (swapped, 4.2x, area)", 1920, 1080, MOBISERVE_BGR, 0, 11),
      Frame("shrink 300x257 RGB (1.2x, area)", 300, 257, MOBISERVE_RGB, 5, 12),
      Frame("enlarge 100x75 BGR (swapped)", 100, 75, MOBISERVE_BGR, 0, 2),
      Frame("odd 333x517 RGB, row pitch +13 bytes (area)", 333, 517, MOBISERVE_RGB, 13, 3),
      Frame("crop only 256x300 BGR (swapped)", 256, 300, MOBISERVE_BGR, 0, 4),
      Frame("tall 97x1001 RGB", 97, 1001, MOBISERVE_RGB, 0, 5),
      Frame("one pixel 1x1 BGR (swapped)", 1, 1, MOBISERVE_BGR, 0, 6),
      Frame("tiny 2x3 RGB", 2, 3, MOBISERVE_RGB, 1, 7),
  };
  std::vector<Frame> padded = {
      Frame("300x200 RGB (swapped): pads top and bottom", 300, 200, MOBISERVE_RGB, 0, 8),
      Frame("450x300 RGB (swapped): 1.5x area, pads top and bottom", 450, 300, MOBISERVE_RGB, 0, 13),
      Frame("50x80 BGR: enlarges, pads left and right", 50, 80, MOBISERVE_BGR, 0, 9),
      Frame("199x199 BGR: enlarges, pads all sides", 199, 199, MOBISERVE_BGR, 0, 10),
  };
  return {
      {"224x224 crop of resize 256, RGB model", 224, 224, 256, imagenet_rgb, false, mixed},
      {"224 high x 240 wide crop of resize 200 (padding), BGR model", 224, 240, 200, odd_bgr, false, padded},
      {"224x224 crop of resize 256, RGB model", 224, 224, 256, imagenet_rgb, true, mixed},
      {"224 high x 240 wide crop of resize 200 (padding), BGR model", 224, 240, 200, odd_bgr, true, padded},
  };
}

}  // namespace

int main(int argc, char **argv) {
  const bool host_only = argc > 1 && std::strcmp(argv[1], "--host-only") == 0;
  if (mobiserve_image_descriptor_size() != sizeof(mobiserve_image_descriptor)) {
    std::printf("FAIL: the library's descriptor is %zu bytes, the header's %zu\n", mobiserve_image_descriptor_size(),
                sizeof(mobiserve_image_descriptor));
    return kMismatch;
  }
  bool host_ok = true;
  for (const Launch &launch : launches()) {
    if (!launch.half) host_ok = host_check(launch) && host_ok;  // half differs only in the device's store
  }
  std::printf(host_ok ? "host: PASS (the kernel's math on the CPU)\n" : "host: FAIL\n");
  if (host_only || !host_ok) return host_ok ? kPass : kMismatch;

  int devices = 0;
  cudaError_t probe = cudaGetDeviceCount(&devices);
  if (probe != cudaSuccess || devices == 0) {
    std::printf("device: SKIPPED: no CUDA device (%s); the kernels themselves were not run\n",
                probe != cudaSuccess ? cudaGetErrorName(probe) : "device count is 0");
    return kSkipped;
  }
  try {
    cudaDeviceProp prop;
    check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
    std::printf("device 0: %s (sm_%d%d)\n", prop.name, prop.major, prop.minor);
    cudaStream_t stream;
    check(cudaStreamCreate(&stream), "cudaStreamCreate");
    bool ok = refuses_bad_arguments(stream);
    for (const Launch &launch : launches()) ok = run(launch, stream) && ok;
    check(cudaStreamDestroy(stream), "cudaStreamDestroy");
    std::printf(ok ? "device: PASS\n" : "device: FAIL\n");
    return ok ? kPass : kMismatch;
  } catch (const CudaFailure &e) {
    std::printf("CUDA ERROR: %s\n", e.what.c_str());
    return kCudaError;
  }
}
