package io.mobiserve.client;

import io.mobiserve.api.v1.ChannelOrder;
import io.mobiserve.api.v1.ModelInfo;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import java.util.List;

/**
 * Reads a server's description of its model (GetModelInfo) into the project's own types, so that a
 * client can preprocess exactly as the server would.
 */
public final class ModelInfoReader {
  private ModelInfoReader() {}

  /** The model's input without the batch dimension. */
  public static InputShape inputShape(ModelInfo info) {
    if (info.getInputShapeCount() != 4) {
      throw new IllegalArgumentException("the server describes its input as " + info.getInputShapeList() + ", not NCHW");
    }
    return new InputShape((int) info.getInputShape(1), (int) info.getInputShape(2), (int) info.getInputShape(3));
  }

  /** The transform the server applies to encoded and raw images. */
  public static Preprocessing preprocessing(ModelInfo info) {
    io.mobiserve.api.v1.Preprocessing p = info.getPreprocessing();
    return new Preprocessing(
        p.getResizeShortSide(),
        toArray(p.getMeanList()),
        toArray(p.getStdList()),
        p.getChannelOrder() == ChannelOrder.CHANNEL_ORDER_BGR
            ? io.mobiserve.model.ChannelOrder.BGR
            : io.mobiserve.model.ChannelOrder.RGB);
  }

  private static float[] toArray(List<Float> values) {
    float[] array = new float[values.size()];
    for (int i = 0; i < array.length; i++) {
      array[i] = values.get(i);
    }
    return array;
  }
}
