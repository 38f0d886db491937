// The preprocessing kernels declared in mobiserve_preprocess.h: one thread per output pixel, all three
// channels, the pixel's math in preprocess_pixel.cuh (shared with the test harness's CPU run).

#include "mobiserve_preprocess.h"

#include <cuda_fp16.h>

#include "preprocess_pixel.cuh"

namespace {

using mobiserve::Normalization;

// 16 x 16 threads: one thread per output pixel, all three channels, so each source pixel's three
// bytes are read together.
constexpr int kBlock = 16;

__device__ __forceinline__ void store(float *out, size_t at, float v) { out[at] = v; }
__device__ __forceinline__ void store(__half *out, size_t at, float v) { out[at] = __float2half_rn(v); }

// Kernel parameters are passed by value, so the host arrays of the normalization never need to reach
// the device.
template <typename Out>
__global__ void preprocess_kernel(const mobiserve_image_descriptor *images, Normalization norm, Out *output,
                                  int out_height, int out_width) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= out_width || y >= out_height) return;
  const mobiserve_image_descriptor img = images[blockIdx.z];

  float v[3];
  mobiserve::preprocess_pixel(img, norm, x, y, v);
  const size_t plane = static_cast<size_t>(out_height) * out_width;
  const size_t base = blockIdx.z * 3 * plane + static_cast<size_t>(y) * out_width + x;
  for (int c = 0; c < 3; c++) store(output, base + c * plane, v[c]);
}

bool valid_order(int order) { return order == MOBISERVE_RGB || order == MOBISERVE_BGR; }

template <typename Out>
cudaError_t launch(const mobiserve_image_descriptor *images, int image_count, const float *mean,
                   const float *std, int model_channel_order, Out *output, int output_height,
                   int output_width, cudaStream_t stream) {
  if (images == nullptr || output == nullptr || mean == nullptr || std == nullptr ||
      image_count < 1 || image_count > MOBISERVE_MAX_BATCH || output_height < 1 || output_width < 1 ||
      !valid_order(model_channel_order)) {
    return cudaErrorInvalidValue;
  }
  Normalization norm;
  for (int c = 0; c < 3; c++) {
    norm.mean[c] = mean[c];
    norm.std[c] = std[c];
  }
  norm.model_channel_order = model_channel_order;
  const dim3 block(kBlock, kBlock);
  const dim3 grid((output_width + kBlock - 1) / kBlock, (output_height + kBlock - 1) / kBlock, image_count);
  preprocess_kernel<Out><<<grid, block, 0, stream>>>(images, norm, output, output_height, output_width);
  return cudaGetLastError();
}

}  // namespace

static_assert(sizeof(void *) == 8, "the descriptor layout assumes 64-bit device pointers");
static_assert(sizeof(mobiserve_image_descriptor) == 56, "Java writes 56-byte descriptors");
static_assert(offsetof(mobiserve_image_descriptor, copy_height) == 52, "descriptor layout changed");

extern "C" size_t mobiserve_image_descriptor_size(void) { return sizeof(mobiserve_image_descriptor); }

extern "C" cudaError_t mobiserve_preprocess_float(const mobiserve_image_descriptor *images, int image_count,
                                                  const float *mean, const float *std,
                                                  int model_channel_order, float *output, int output_height,
                                                  int output_width, cudaStream_t stream) {
  return launch(images, image_count, mean, std, model_channel_order, output, output_height, output_width,
                stream);
}

extern "C" cudaError_t mobiserve_preprocess_half(const mobiserve_image_descriptor *images, int image_count,
                                                 const float *mean, const float *std,
                                                 int model_channel_order, __half *output, int output_height,
                                                 int output_width, cudaStream_t stream) {
  return launch(images, image_count, mean, std, model_channel_order, output, output_height, output_width,
                stream);
}
