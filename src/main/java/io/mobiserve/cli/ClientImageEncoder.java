package io.mobiserve.cli;

import com.google.protobuf.ByteString;
import io.mobiserve.api.v1.ChannelOrder;
import io.mobiserve.api.v1.Image;
import io.mobiserve.api.v1.ModelInfo;
import io.mobiserve.api.v1.RawImage;
import io.mobiserve.api.v1.Tensor;
import io.mobiserve.client.RgbPixels;
import io.mobiserve.client.ModelInfoReader;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.preprocess.InvalidImageException;
import io.mobiserve.preprocess.OpenCvImagePreprocessor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Turns an image file into the API's Image message, in the form the user chose. */
@FunctionalInterface
interface ClientImageEncoder {

  Image encode(Path file);

  /** Decodes the file here and sends its RGB pixels. */
  static Image raw(Path file) {
    BufferedImage image;
    try {
      image = ImageIO.read(new ByteArrayInputStream(ClassifyCommand.read(file)));
    } catch (IOException e) {
      throw new ConfigurationException("cannot decode " + file + ": " + e.getMessage(), e);
    }
    if (image == null) {
      throw new ConfigurationException("cannot decode " + file + ": not an image format this JDK reads");
    }
    byte[] pixels = RgbPixels.of(image);
    return Image.newBuilder()
        .setRaw(RawImage.newBuilder()
            .setPixels(ByteString.copyFrom(pixels))
            .setWidth(image.getWidth())
            .setHeight(image.getHeight())
            .setChannelOrder(ChannelOrder.CHANNEL_ORDER_RGB))
        .build();
  }

  /** Preprocesses here, with the server's own transform as ModelInfo describes it, and sends tensors. */
  static ClientImageEncoder tensor(ModelInfo info) {
    InputShape shape = ModelInfoReader.inputShape(info);
    Preprocessing preprocessing = ModelInfoReader.preprocessing(info);
    OpenCvImagePreprocessor preprocessor = new OpenCvImagePreprocessor(shape, preprocessing, ImageLimits.DEFAULT);
    return file -> {
      ByteBuffer bytes = ByteBuffer.allocate(shape.elementCount() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      FloatBuffer floats = bytes.asFloatBuffer();
      try {
        preprocessor.preprocess(new ImageInput.Encoded(ByteBuffer.wrap(ClassifyCommand.read(file))), floats);
      } catch (InvalidImageException e) {
        throw new ConfigurationException(file + ": " + e.getMessage(), e);
      }
      return Image.newBuilder()
          .setTensor(Tensor.newBuilder().setFloat32Data(ByteString.copyFrom(bytes.array())))
          .build();
    };
  }
}
