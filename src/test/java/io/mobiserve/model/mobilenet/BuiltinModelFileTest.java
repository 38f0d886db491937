package io.mobiserve.model.mobilenet;

import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.model.MetadataKeys;
import io.mobiserve.model.onnx.ModelProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuiltinModelFileTest {

  @Test
  void ensure_generatesTheLargeModelOnceAndReusesIt(@TempDir Path temp) throws IOException {
    Path cache = temp.resolve("cache/models"); // does not exist yet

    Path first = BuiltinModelFile.ensure(cache);

    assertThat(first).isEqualTo(cache.resolve(
        "mobilenetv3-large-224-seed" + BuiltinModelFile.SEED + "-v" + BuiltinModelFile.GENERATOR_VERSION + ".onnx"));
    ModelProto model;
    try (InputStream in = Files.newInputStream(first)) {
      model = ModelProto.parseFrom(in);
    }
    assertThat(model.getMetadataPropsList())
        .anySatisfy(e -> {
          assertThat(e.getKey()).isEqualTo(MetadataKeys.SEED);
          assertThat(e.getValue()).isEqualTo(Long.toString(BuiltinModelFile.SEED));
        });
    assertThat(model.getDocString()).startsWith("MobileNetV3-Large (width 1.0, 224x224, 1000 classes");

    // Backdate the file so a rewrite within the same clock tick would still show.
    FileTime past = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(first, past);
    Object inode = Files.readAttributes(first, BasicFileAttributes.class).fileKey();

    Path second = BuiltinModelFile.ensure(cache);

    assertThat(second).isEqualTo(first);
    BasicFileAttributes after = Files.readAttributes(second, BasicFileAttributes.class);
    assertThat(after.lastModifiedTime()).isEqualTo(past);
    assertThat(after.fileKey()).isEqualTo(inode);
  }

  @Test
  void writeTo_leavesOnlyTheFinishedFile(@TempDir Path temp) throws IOException {
    Path file = temp.resolve("small.onnx");
    MobileNetV3OnnxBuilder.writeTo(GeneratedModels.SMALL, file);
    MobileNetV3OnnxBuilder.writeTo(GeneratedModels.SMALL.withSeed(99), file); // replaces atomically

    try (Stream<Path> files = Files.list(temp)) {
      assertThat(files).containsExactly(file);
    }
    assertThat(Files.readAllBytes(file))
        .isEqualTo(MobileNetV3OnnxBuilder.build(GeneratedModels.SMALL.withSeed(99)).toByteArray());
  }
}
