// The plain C++ CPU reference the kernels are checked against: one image at a time, slow and obvious, and
// written from the algorithms it stands for rather than from the kernel's code — the resize as OpenCV does
// it (INTER_AREA when shrinking, built from OpenCV's cell table and accumulated row by row as its
// resizeArea does; INTER_LINEAR's geometry in float otherwise), torchvision's crop and padding, then
// (v / 255 - mean) / std. io.mobiserve.preprocess.GpuPreprocessReference (Java) is checked against OpenCV
// itself. Keep the three in step with native/src/preprocess_pixel.cuh.
#include "preprocess_reference.h"

#include <algorithm>
#include <cmath>
#include <vector>

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

// One entry of OpenCV's area table: source pixel `src` adds `alpha` of itself to resized pixel `dst`.
struct Tap {
  int dst, src;
  float alpha;
};

// OpenCV's computeResizeAreaTab: the source cells each resized pixel covers, in order.
std::vector<Tap> area_table(int source_size, int resized_size) {
  const double scale = 1.0 / (static_cast<double>(resized_size) / source_size);  // as cv::resize computes it
  std::vector<Tap> table;
  for (int d = 0; d < resized_size; d++) {
    double from = d * scale, to = from + scale;
    double cell = std::min(scale, source_size - from);
    int first = static_cast<int>(std::ceil(from)), last = static_cast<int>(std::floor(to));
    last = std::min(last, source_size - 1);
    first = std::min(first, last);
    if (first - from > 1e-3) table.push_back({d, first - 1, static_cast<float>((first - from) / cell)});
    for (int s = first; s < last; s++) table.push_back({d, s, static_cast<float>(1.0 / cell)});
    if (to - last > 1e-3) {
      table.push_back({d, last, static_cast<float>(std::min(std::min(to - last, 1.0), cell) / cell)});
    }
  }
  return table;
}

// OpenCV's resizeArea, in float and without its final rounding to bytes: each source row a resized row
// takes is resized horizontally, then added with its weight. HWC, the frame's channel order.
std::vector<float> resize_area(const uint8_t *pixels, int width, int height, int row_pitch, int resized_width,
                               int resized_height) {
  std::vector<Tap> columns = area_table(width, resized_width);
  std::vector<Tap> rows = area_table(height, resized_height);
  std::vector<float> resized(static_cast<size_t>(resized_height) * resized_width * 3, 0.0f);
  std::vector<float> row(static_cast<size_t>(resized_width) * 3);
  for (const Tap &r : rows) {
    std::fill(row.begin(), row.end(), 0.0f);
    const uint8_t *source = pixels + static_cast<long long>(r.src) * row_pitch;
    for (const Tap &c : columns) {
      for (int k = 0; k < 3; k++) row[c.dst * 3 + k] += c.alpha * source[c.src * 3 + k];
    }
    float *out = resized.data() + static_cast<size_t>(r.dst) * resized_width * 3;
    for (size_t i = 0; i < row.size(); i++) out[i] += r.alpha * row[i];
  }
  return resized;
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
  // OpenCV shrinks with INTER_AREA; a short-side resize shrinks both directions or neither
  const bool shrinks = g.resized_width < width && g.resized_height < height;
  std::vector<float> area;
  if (shrinks) area = resize_area(pixels, width, height, row_pitch, g.resized_width, g.resized_height);
  for (int y = 0; y < out_height; y++) {
    for (int x = 0; x < out_width; x++) {
      const int at = y * out_width + x;
      bool inside = x >= g.dst_x && x < g.dst_x + g.copy_width && y >= g.dst_y && y < g.dst_y + g.copy_height;
      if (!inside) {
        for (int c = 0; c < 3; c++) out[c * plane + at] = (0.0f - norm.mean[c]) / norm.std[c];
        continue;
      }
      const int rx = x - g.dst_x + g.src_x;
      const int ry = y - g.dst_y + g.src_y;
      for (int c = 0; c < 3; c++) {
        int s = swap ? 2 - c : c;
        float v;
        if (shrinks) {
          v = area[(static_cast<size_t>(ry) * g.resized_width + rx) * 3 + s];
        } else {
          float sx = source_coordinate(rx, scale_x, width);
          float sy = source_coordinate(ry, scale_y, height);
          int x0 = static_cast<int>(std::floor(sx));
          int y0 = static_cast<int>(std::floor(sy));
          int x1 = std::min(x0 + 1, width - 1);
          int y1 = std::min(y0 + 1, height - 1);
          float fx = sx - x0;
          float fy = sy - y0;
          const uint8_t *row0 = pixels + static_cast<long long>(y0) * row_pitch;
          const uint8_t *row1 = pixels + static_cast<long long>(y1) * row_pitch;
          float top = (1.0f - fx) * row0[x0 * 3 + s] + fx * row0[x1 * 3 + s];
          float bottom = (1.0f - fx) * row1[x0 * 3 + s] + fx * row1[x1 * 3 + s];
          v = (1.0f - fy) * top + fy * bottom;
        }
        out[c * plane + at] = (v / 255.0f - norm.mean[c]) / norm.std[c];
      }
    }
  }
}

}  // namespace reference
