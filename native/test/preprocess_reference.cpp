// The same formulas as native/src/preprocess.cu and io.mobiserve.preprocess.BilinearPreprocessReference
// (Java): OpenCV INTER_LINEAR geometry in float, torchvision's crop and padding, (v / 255 - mean) / std.
// Keep the three in step.
#include "preprocess_reference.h"

#include <algorithm>
#include <cmath>

#include "mobiserve_preprocess.h"

namespace reference {
namespace {

struct Axis {
  int src, dst, length;
};

Axis axis(int size, int crop) {
  if (size < crop) return {0, (crop - size) / 2, size};
  // Python's round() rounds halves to even; so does nearbyint in the default rounding mode
  return {static_cast<int>(std::nearbyint((size - crop) / 2.0)), 0, crop};
}

float source_coordinate(int resized, float scale, int source_size) {
  float s = (resized + 0.5f) * scale - 0.5f;
  return std::min(std::max(s, 0.0f), static_cast<float>(source_size - 1));
}

}  // namespace

Geometry crop_geometry(int width, int height, int short_side, int crop_width, int crop_height) {
  int shortest = std::min(width, height);
  int longest = std::max(width, height);
  // torchvision: int(size * long / short), a float division truncated towards zero
  int resized_long = static_cast<int>(static_cast<double>(static_cast<long long>(short_side) * longest) / shortest);
  int resized_width = width <= height ? short_side : resized_long;
  int resized_height = width <= height ? resized_long : short_side;
  Axis x = axis(resized_width, crop_width);
  Axis y = axis(resized_height, crop_height);
  return {resized_width, resized_height, x.src, y.src, x.dst, y.dst, x.length, y.length};
}

void preprocess(const uint8_t *pixels, int width, int height, int row_pitch, int channel_order,
                const Geometry &g, const Normalization &norm, int out_height, int out_width, float *out) {
  const int plane = out_height * out_width;
  const float scale_x = static_cast<float>(width) / g.resized_width;
  const float scale_y = static_cast<float>(height) / g.resized_height;
  const bool swap = channel_order != norm.model_channel_order;
  for (int y = 0; y < out_height; y++) {
    for (int x = 0; x < out_width; x++) {
      const int at = y * out_width + x;
      bool inside = x >= g.dst_x && x < g.dst_x + g.copy_width && y >= g.dst_y && y < g.dst_y + g.copy_height;
      if (!inside) {
        for (int c = 0; c < 3; c++) out[c * plane + at] = (0.0f - norm.mean[c]) / norm.std[c];
        continue;
      }
      float sx = source_coordinate(x - g.dst_x + g.src_x, scale_x, width);
      float sy = source_coordinate(y - g.dst_y + g.src_y, scale_y, height);
      int x0 = static_cast<int>(std::floor(sx));
      int y0 = static_cast<int>(std::floor(sy));
      int x1 = std::min(x0 + 1, width - 1);
      int y1 = std::min(y0 + 1, height - 1);
      float fx = sx - x0;
      float fy = sy - y0;
      const uint8_t *row0 = pixels + static_cast<long long>(y0) * row_pitch;
      const uint8_t *row1 = pixels + static_cast<long long>(y1) * row_pitch;
      for (int c = 0; c < 3; c++) {
        int s = swap ? 2 - c : c;
        float top = (1.0f - fx) * row0[x0 * 3 + s] + fx * row0[x1 * 3 + s];
        float bottom = (1.0f - fx) * row1[x0 * 3 + s] + fx * row1[x1 * 3 + s];
        float v = (1.0f - fy) * top + fy * bottom;
        out[c * plane + at] = (v / 255.0f - norm.mean[c]) / norm.std[c];
      }
    }
  }
}

}  // namespace reference
