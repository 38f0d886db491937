// The per-pixel math of the preprocessing kernels, compiled for the GPU and for the CPU alike
// (__host__ __device__): the kernel runs it on the device, and the test harness runs the very same
// functions on the host and checks them against the plain C++ reference, with or without a GPU.
//
// For output pixel (x, y) of an image: padding outside the copied region; inside it, the resized pixel
// (rx, ry) as the CPU pipeline (OpenCV) computes it — INTER_AREA when the image shrinks, INTER_LINEAR
// when it is enlarged or kept — then (v / 255 - mean[c]) / std[c] in the model's channel order.
//
// The same formulas, in the same order, are in io.mobiserve.preprocess.GpuPreprocessReference (Java,
// src/test) and native/test/preprocess_reference.cpp (C++, written from OpenCV's algorithm rather than
// from this file). A change here is a change there.
#ifndef MOBISERVE_PREPROCESS_PIXEL_CUH
#define MOBISERVE_PREPROCESS_PIXEL_CUH

#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#include "mobiserve_preprocess.h"

#define MOBISERVE_HD __host__ __device__ inline

namespace mobiserve {

MOBISERVE_HD int smaller(int a, int b) { return a < b ? a : b; }

struct Normalization {
  float mean[3];
  float std[3];
  int model_channel_order;
};

// OpenCV INTER_LINEAR's source coordinate: half-pixel centres, clamped to the edge pixels (which is what
// OpenCV's replicated border gives for the first and last output pixels).
MOBISERVE_HD float linear_source(int resized, float scale, int source_size) {
  float s = (resized + 0.5f) * scale - 0.5f;
  return fminf(fmaxf(s, 0.0f), static_cast<float>(source_size - 1));
}

// OpenCV INTER_AREA's source cells for one resized coordinate (its computeResizeAreaTab): resized pixel d
// covers [d * scale, (d + 1) * scale) of the source. Source pixels first..last-1 lie wholly inside; a
// partial one may precede them (first - 1, weight head) and follow them (last, weight tail); overlaps
// under 1e-3 are dropped. Coordinates in double, weights in float, as OpenCV.
struct AreaAxis {
  int first, last;
  float head, full, tail;  // head / tail are 0 when that partial pixel is dropped
};

MOBISERVE_HD AreaAxis area_axis(int d, int source_size, double scale) {
  const double from = d * scale;
  const double to = from + scale;
  const double cell = fmin(scale, source_size - from);
  AreaAxis a;
  a.last = smaller(static_cast<int>(floor(to)), source_size - 1);
  a.first = smaller(static_cast<int>(ceil(from)), a.last);
  a.head = a.first - from > 1e-3 ? static_cast<float>((a.first - from) / cell) : 0.0f;
  a.full = static_cast<float>(1.0 / cell);
  a.tail = to - a.last > 1e-3 ? static_cast<float>(fmin(fmin(to - a.last, 1.0), cell) / cell) : 0.0f;
  return a;
}

// OpenCV computes the scale of a resize as 1 / (resized / source), in double.
MOBISERVE_HD double area_scale(int source_size, int resized_size) {
  return 1.0 / (static_cast<double>(resized_size) / source_size);
}

// The weight of source pixel s on an axis, and its range: [start, end] with weights in ascending order.
MOBISERVE_HD int area_start(const AreaAxis &a) { return a.head > 0.0f ? a.first - 1 : a.first; }
MOBISERVE_HD int area_end(const AreaAxis &a) { return a.tail > 0.0f ? a.last : a.last - 1; }
MOBISERVE_HD float area_weight(const AreaAxis &a, int s) {
  return s < a.first ? a.head : s < a.last ? a.full : a.tail;
}

// One channel (byte offset `channel` in the pixel) of the area-resized pixel: each source row is first
// resized horizontally, then the rows are weighted, in ascending order, as OpenCV accumulates them.
MOBISERVE_HD float area_value(const uint8_t *pixels, int row_pitch, const AreaAxis &ax, const AreaAxis &ay,
                              int channel) {
  float sum = 0.0f;
  for (int sy = area_start(ay); sy <= area_end(ay); sy++) {
    const uint8_t *row = pixels + static_cast<size_t>(sy) * row_pitch;
    float horizontal = 0.0f;
    for (int sx = area_start(ax); sx <= area_end(ax); sx++) horizontal += area_weight(ax, sx) * row[sx * 3 + channel];
    sum += area_weight(ay, sy) * horizontal;
  }
  return sum;
}

// The image shrinks (OpenCV then uses INTER_AREA): the resize makes it smaller in both directions. A
// short-side resize keeps the aspect ratio, so it shrinks both or neither.
MOBISERVE_HD bool shrinks(const mobiserve_image_descriptor &img) {
  return img.resized_width < img.width && img.resized_height < img.height;
}

// Output pixel (x, y) of image `img`: three normalized values in the model's channel order. `img.pixels`
// is dereferenced, so it must be device memory on the device and host memory on the host.
MOBISERVE_HD void preprocess_pixel(const mobiserve_image_descriptor &img, const Normalization &norm, int x, int y,
                                   float out[3]) {
  const bool inside = x >= img.dst_x && x < img.dst_x + img.copy_width && y >= img.dst_y &&
                      y < img.dst_y + img.copy_height;
  if (!inside) {  // torchvision pads with black pixels: the normalized value of a 0 byte
    for (int c = 0; c < 3; c++) out[c] = (0.0f - norm.mean[c]) / norm.std[c];
    return;
  }
  // the output pixel's position in the resized image
  const int rx = x - img.dst_x + img.src_x;
  const int ry = y - img.dst_y + img.src_y;
  const bool swap = img.channel_order != norm.model_channel_order;
  float v[3];
  if (shrinks(img)) {
    const AreaAxis ax = area_axis(rx, img.width, area_scale(img.width, img.resized_width));
    const AreaAxis ay = area_axis(ry, img.height, area_scale(img.height, img.resized_height));
    for (int c = 0; c < 3; c++) v[c] = area_value(img.pixels, img.row_pitch, ax, ay, swap ? 2 - c : c);
  } else {
    const float sx = linear_source(rx, static_cast<float>(img.width) / img.resized_width, img.width);
    const float sy = linear_source(ry, static_cast<float>(img.height) / img.resized_height, img.height);
    const int x0 = static_cast<int>(sx);  // sx >= 0, so this is floor
    const int y0 = static_cast<int>(sy);
    const int x1 = smaller(x0 + 1, img.width - 1);
    const int y1 = smaller(y0 + 1, img.height - 1);
    const float fx = sx - x0;
    const float fy = sy - y0;
    const uint8_t *row0 = img.pixels + static_cast<size_t>(y0) * img.row_pitch;
    const uint8_t *row1 = img.pixels + static_cast<size_t>(y1) * img.row_pitch;
    for (int c = 0; c < 3; c++) {
      const int s = swap ? 2 - c : c;  // the frame's byte holding model channel c
      const float top = (1.0f - fx) * row0[x0 * 3 + s] + fx * row0[x1 * 3 + s];
      const float bottom = (1.0f - fx) * row1[x0 * 3 + s] + fx * row1[x1 * 3 + s];
      v[c] = (1.0f - fy) * top + fy * bottom;
    }
  }
  for (int c = 0; c < 3; c++) out[c] = (v[c] / 255.0f - norm.mean[c]) / norm.std[c];
}

}  // namespace mobiserve

#endif  // MOBISERVE_PREPROCESS_PIXEL_CUH
