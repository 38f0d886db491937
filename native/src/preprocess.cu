// The preprocessing kernels declared in mobiserve_preprocess.h.
//
// The arithmetic is written to match, formula for formula, the CPU references:
// io.mobiserve.preprocess.BilinearPreprocessReference (Java) and native/test/preprocess_reference.cpp
// (C++). A change here is a change there.

#include "mobiserve_preprocess.h"

#include <cuda_fp16.h>

namespace {

// 16 x 16 threads: one thread per output pixel, all three channels, so each source pixel's three
// bytes are read together.
constexpr int kBlock = 16;

// Kernel parameters are passed by value, so the host arrays never need to reach the device.
struct Normalization {
  float mean[3];
  float std[3];
  int model_channel_order;
};

// OpenCV INTER_LINEAR's source coordinate: half-pixel centres, clamped to the edge pixels (which is
// what OpenCV's replicated border gives for the first and last output pixels).
__device__ __forceinline__ float source_coordinate(int resized, float scale, int source_size) {
  float s = (resized + 0.5f) * scale - 0.5f;
  return fminf(fmaxf(s, 0.0f), static_cast<float>(source_size - 1));
}

__device__ __forceinline__ void store(float *out, size_t at, float v) { out[at] = v; }
__device__ __forceinline__ void store(__half *out, size_t at, float v) { out[at] = __float2half_rn(v); }

template <typename Out>
__global__ void preprocess_kernel(const mobiserve_image_descriptor *images, Normalization norm, Out *output,
                                  int out_height, int out_width) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= out_width || y >= out_height) return;
  const mobiserve_image_descriptor img = images[blockIdx.z];

  const size_t plane = static_cast<size_t>(out_height) * out_width;
  const size_t base = blockIdx.z * 3 * plane + static_cast<size_t>(y) * out_width + x;

  const bool inside = x >= img.dst_x && x < img.dst_x + img.copy_width &&
                      y >= img.dst_y && y < img.dst_y + img.copy_height;
  if (!inside) {  // torchvision pads with black pixels: the normalized value of a 0 byte
    for (int c = 0; c < 3; c++) store(output, base + c * plane, (0.0f - norm.mean[c]) / norm.std[c]);
    return;
  }

  // the output pixel's position in the resized image, then in the source
  const int rx = x - img.dst_x + img.src_x;
  const int ry = y - img.dst_y + img.src_y;
  const float sx = source_coordinate(rx, static_cast<float>(img.width) / img.resized_width, img.width);
  const float sy = source_coordinate(ry, static_cast<float>(img.height) / img.resized_height, img.height);
  const int x0 = static_cast<int>(sx);  // sx >= 0, so this is floor
  const int y0 = static_cast<int>(sy);
  const int x1 = min(x0 + 1, img.width - 1);
  const int y1 = min(y0 + 1, img.height - 1);
  const float fx = sx - x0;
  const float fy = sy - y0;

  const uint8_t *row0 = img.pixels + static_cast<size_t>(y0) * img.row_pitch;
  const uint8_t *row1 = img.pixels + static_cast<size_t>(y1) * img.row_pitch;
  const bool swap = img.channel_order != norm.model_channel_order;
  for (int c = 0; c < 3; c++) {
    const int s = swap ? 2 - c : c;  // the frame's byte holding model channel c
    const float top = (1.0f - fx) * row0[x0 * 3 + s] + fx * row0[x1 * 3 + s];
    const float bottom = (1.0f - fx) * row1[x0 * 3 + s] + fx * row1[x1 * 3 + s];
    const float v = (1.0f - fy) * top + fy * bottom;
    store(output, base + c * plane, (v / 255.0f - norm.mean[c]) / norm.std[c]);
  }
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
