package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.BatchSizes;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.ModelSpec;

/**
 * The optimization profile an engine is built for: the batch sizes TensorRT tunes and accepts, and the
 * image shape. A model whose ONNX input fixes the batch gets exactly that batch (min = opt = max).
 *
 * @param min the smallest batch the engine accepts
 * @param opt the batch TensorRT tunes its kernels for
 * @param max the largest batch the engine accepts; buffers are sized for it
 * @param fixed true when the model fixes the batch: every run uses {@code max} images, padded
 * @param input one image's shape
 */
record BatchProfile(int min, int opt, int max, boolean fixed, InputShape input) {

  BatchProfile {
    if (min < 1 || opt < min || max < opt) {
      throw new IllegalArgumentException("need 1 <= min <= opt <= max, got " + min + "/" + opt + "/" + max);
    }
  }

  /** The profile for {@code batches}, the sizes the runtime decided (never above a fixed batch). */
  static BatchProfile of(ModelSpec model, BatchSizes batches) {
    if (model.fixedBatch().isPresent()) {
      int batch = model.fixedBatch().getAsInt();
      return new BatchProfile(batch, batch, batch, true, model.input());
    }
    return new BatchProfile(1, batches.optimal(), batches.max(), false, model.input());
  }

  /** The batch the engine runs for {@code images} images (the fixed batch, when there is one). */
  int runBatch(int images) {
    return fixed ? max : images;
  }

  /** Stable text for cache keys, e.g. {@code "batch=1/8/64 input=3x224x224"}. */
  String describe() {
    return "batch=" + min + "/" + opt + "/" + max + " input=" + input.channels() + "x" + input.height() + "x"
        + input.width();
  }

  /** Bytes of the float32 input tensor at the largest batch (I/O stays fp32 even in fp16 engines). */
  long inputBytes() {
    return (long) max * input.elementCount() * Float.BYTES;
  }

  /** Bytes of the float32 logits at the largest batch. */
  long outputBytes(int classes) {
    return (long) max * classes * Float.BYTES;
  }
}
