/*
 * mobiserve's GPU preprocessing: a batch of raw 8-bit HWC frames (RGB or BGR) becomes the model's
 * normalized CHW input, written straight into a device buffer (a TensorRT engine's input binding).
 *
 * Per image: resize of the short side as the CPU pipeline does it with OpenCV — INTER_AREA (a box
 * filter) when shrinking, INTER_LINEAR when enlarging, computed in float — torchvision's centre crop with
 * zero padding where the crop is larger than the resized image (the geometry comes from the caller:
 * io.mobiserve.preprocess.CropGeometry), then (v / 255 - mean[c]) / std[c] in the model's channel order.
 *
 * One kernel launch covers the whole batch. Every function is asynchronous on `stream` and returns the
 * launch's error (cudaSuccess when it was queued); the descriptors and pixels must stay valid until
 * the stream has run it.
 */
#ifndef MOBISERVE_PREPROCESS_H
#define MOBISERVE_PREPROCESS_H

#include <stddef.h>
#include <stdint.h>
#include <cuda_runtime.h>
#include <cuda_fp16.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Channel orders, as io.mobiserve.model.ChannelOrder's ordinals. */
#define MOBISERVE_RGB 0
#define MOBISERVE_BGR 1

/* The largest batch one launch takes (the grid's z dimension). */
#define MOBISERVE_MAX_BATCH 65535

/*
 * One image of a batch. The layout is fixed (56 bytes, offsets below) because Java writes these
 * records into a byte buffer (io.mobiserve.engine.tensorrt.frames.ImageDescriptor) and copies the
 * array to the device; mobiserve_image_descriptor_size() lets it check that both sides agree.
 */
typedef struct mobiserve_image_descriptor {
  const uint8_t *pixels;   /*  0: device address of row 0, HWC uint8 */
  int32_t width;           /*  8 */
  int32_t height;          /* 12 */
  int32_t row_pitch;       /* 16: bytes from one row to the next, at least 3 * width */
  int32_t channel_order;   /* 20: MOBISERVE_RGB or MOBISERVE_BGR, the frame's order */
  int32_t resized_width;   /* 24: size after the short-side resize */
  int32_t resized_height;  /* 28 */
  int32_t src_x;           /* 32: first resized column copied */
  int32_t src_y;           /* 36: first resized row copied */
  int32_t dst_x;           /* 40: output column it lands on (non-zero only when padding) */
  int32_t dst_y;           /* 44 */
  int32_t copy_width;      /* 48: columns copied */
  int32_t copy_height;     /* 52: rows copied */
} mobiserve_image_descriptor;

/* sizeof(mobiserve_image_descriptor) as this library was compiled: 56. */
size_t mobiserve_image_descriptor_size(void);

/*
 * Preprocesses `image_count` images described by the device array `images` into `output`, a device
 * buffer of image_count x 3 x output_height x output_width floats. `mean` and `std` are host arrays of
 * 3 values in the model's channel order (`model_channel_order`). cudaErrorInvalidValue for a bad
 * argument; nothing is launched then.
 */
cudaError_t mobiserve_preprocess_float(const mobiserve_image_descriptor *images, int image_count,
                                       const float *mean, const float *std, int model_channel_order,
                                       float *output, int output_height, int output_width,
                                       cudaStream_t stream);

/* The same, writing IEEE half precision (round to nearest even) for FP16 engines. */
cudaError_t mobiserve_preprocess_half(const mobiserve_image_descriptor *images, int image_count,
                                      const float *mean, const float *std, int model_channel_order,
                                      __half *output, int output_height, int output_width,
                                      cudaStream_t stream);

#ifdef __cplusplus
}
#endif

#endif /* MOBISERVE_PREPROCESS_H */
