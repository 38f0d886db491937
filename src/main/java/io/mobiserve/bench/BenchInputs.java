package io.mobiserve.bench;

import io.mobiserve.client.RgbPixels;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.preprocess.InvalidImageException;
import io.mobiserve.preprocess.OpenCvImagePreprocessor;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * The images a bench sends: generated photo-like pictures, or the JPEG/PNG files of a folder, turned into
 * the run's {@link InputKind} once, before any load, so that the client spends no time on them during a
 * step.
 */
public final class BenchInputs {
  /** How many distinct generated pictures a run cycles through. */
  static final int GENERATED = 8;

  private BenchInputs() {}

  /**
   * Generated pictures of {@code width × height} (tensors are preprocessed for {@code model} instead).
   */
  public static List<BenchImage> generated(InputKind kind, int width, int height, ModelUnderTest model) {
    List<BenchImage> images = new ArrayList<>(GENERATED);
    for (int i = 0; i < GENERATED; i++) {
      images.add(convert(kind, syntheticPhoto(width, height, 1000 + i), model));
    }
    return images;
  }

  /**
   * The JPEG and PNG files of {@code folder}, in name order. JPEG and PNG inputs send each file's bytes as
   * they are, whatever their format; raw and tensor inputs decode them here.
   *
   * @throws IllegalArgumentException when the folder holds no readable image
   */
  public static List<BenchImage> fromFolder(Path folder, InputKind kind, ModelUnderTest model) throws IOException {
    List<Path> files;
    try (Stream<Path> listing = Files.list(folder)) {
      files = listing.filter(BenchInputs::isImageFile).sorted().toList();
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException(folder + " holds no .jpg, .jpeg or .png file");
    }
    List<BenchImage> images = new ArrayList<>(files.size());
    for (Path file : files) {
      byte[] bytes = Files.readAllBytes(file);
      if (kind == InputKind.JPEG || kind == InputKind.PNG) {
        images.add(new BenchImage.Encoded(bytes));
        continue;
      }
      BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(bytes));
      if (decoded == null) {
        throw new IllegalArgumentException(file + " cannot be decoded by the JDK's ImageIO");
      }
      images.add(convert(kind, decoded, model));
    }
    return images;
  }

  private static boolean isImageFile(Path path) {
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    return Files.isRegularFile(path) && (name.endsWith(".jpg") || name.endsWith(".jpeg") || name.endsWith(".png"));
  }

  static BenchImage convert(InputKind kind, BufferedImage image, ModelUnderTest model) {
    return switch (kind) {
      case JPEG -> new BenchImage.Encoded(jpeg(image, 0.9f));
      case PNG -> new BenchImage.Encoded(png(image));
      case RAW -> new BenchImage.Raw(RgbPixels.of(image), image.getWidth(), image.getHeight());
      case TENSOR -> new BenchImage.Tensor(tensor(png(image), model));
    };
  }

  /**
   * A picture with the statistics of a photo rather than of a test card: smooth gradients, soft shapes
   * and sensor-like noise, so that JPEG and PNG sizes and decode times are realistic.
   */
  public static BufferedImage syntheticPhoto(int width, int height, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    float hue = (float) random.nextDouble();
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        float fx = (float) x / width;
        float fy = (float) y / height;
        image.setRGB(x, y, Color.HSBtoRGB(hue + 0.25f * fx, 0.35f + 0.4f * fy, 0.35f + 0.5f * (1 - fy * fx)));
      }
    }
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    for (int i = 0; i < 12; i++) {
      g.setColor(new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256), 90 + random.nextInt(140)));
      int w = width / 12 + random.nextInt(Math.max(1, width / 3));
      int h = height / 12 + random.nextInt(Math.max(1, height / 3));
      int x = random.nextInt(Math.max(1, width - w / 2));
      int y = random.nextInt(Math.max(1, height - h / 2));
      switch (i % 3) {
        case 0 -> g.fillOval(x, y, w, h);
        case 1 -> g.fillRect(x, y, w, h);
        default -> {
          g.setStroke(new BasicStroke(2 + random.nextInt(8)));
          g.drawLine(x, y, x + w, y + h);
        }
      }
    }
    g.dispose();
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int rgb = image.getRGB(x, y);
        int r = noisy((rgb >> 16) & 0xff, random);
        int gr = noisy((rgb >> 8) & 0xff, random);
        int b = noisy(rgb & 0xff, random);
        image.setRGB(x, y, r << 16 | gr << 8 | b);
      }
    }
    return image;
  }

  private static int noisy(int value, SplittableRandom random) {
    // Gaussian sensor noise, sigma 6, from a sum of uniforms (close enough, and cheap).
    double noise = (random.nextDouble() + random.nextDouble() + random.nextDouble() - 1.5) * 12;
    return Math.max(0, Math.min(255, (int) Math.round(value + noise)));
  }

  static byte[] jpeg(BufferedImage image, float quality) {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
      writer.setOutput(stream);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality);
      writer.write(null, new IIOImage(rgbOnly(image), null, null), param);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  static byte[] png(BufferedImage image) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(rgbOnly(image), "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static BufferedImage rgbOnly(BufferedImage image) {
    if (image.getType() == BufferedImage.TYPE_INT_RGB) {
      return image;
    }
    BufferedImage rgb = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = rgb.createGraphics();
    g.drawImage(image, 0, 0, null);
    g.dispose();
    return rgb;
  }

  /** Preprocesses with the server's own transform, as ModelInfo or the model spec describe it. */
  private static byte[] tensor(byte[] png, ModelUnderTest model) {
    OpenCvImagePreprocessor preprocessor =
        new OpenCvImagePreprocessor(model.input(), model.preprocessing(), ImageLimits.DEFAULT);
    ByteBuffer bytes = ByteBuffer.allocate(model.input().elementCount() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    try {
      preprocessor.preprocess(new ImageInput.Encoded(ByteBuffer.wrap(png)), bytes.asFloatBuffer());
    } catch (InvalidImageException e) {
      throw new IllegalStateException("a generated picture could not be preprocessed: " + e.getMessage(), e);
    }
    return bytes.array();
  }
}
