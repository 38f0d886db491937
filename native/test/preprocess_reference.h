// Plain C++ CPU reference for the preprocessing kernels: no CUDA, one image at a time, slow and obvious.
#ifndef MOBISERVE_PREPROCESS_REFERENCE_H
#define MOBISERVE_PREPROCESS_REFERENCE_H

#include <cstdint>

namespace reference {

// io.mobiserve.preprocess.CropGeometry, ported: torchvision's Resize(short_side) then CenterCrop.
struct Geometry {
  int resized_width, resized_height;
  int src_x, src_y, dst_x, dst_y, copy_width, copy_height;
};

Geometry crop_geometry(int width, int height, int short_side, int crop_width, int crop_height);

struct Normalization {
  float mean[3];
  float std[3];
  int model_channel_order;  // MOBISERVE_RGB or MOBISERVE_BGR
};

// Writes 3 x out_height x out_width CHW floats for one HWC frame.
void preprocess(const uint8_t *pixels, int width, int height, int row_pitch, int channel_order,
                const Geometry &g, const Normalization &norm, int out_height, int out_width, float *out);

}  // namespace reference

#endif
