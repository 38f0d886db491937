package io.mobiserve.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GoodputTest {

  @Test
  void sum_addsEverySampleOfTheMetric_whateverItsLabels_andNoOtherMetric() {
    String scrape = """
        # HELP mobiserve_images_total Images run through an engine
        mobiserve_images_total{backend="onnxruntime-cpu"} 120.0
        mobiserve_images_total{backend="tensorrt-gpu"} 30.0
        mobiserve_images_discarded_total 15.0
        mobiserve_images_totalish 99
        """;

    assertThat(ServerGoodput.sum(scrape, "mobiserve_images_total")).isEqualTo(150);
    assertThat(ServerGoodput.sum(scrape, "mobiserve_images_discarded_total")).isEqualTo(15);
  }

  @Test
  void goodputSince_isTheShareOfTheStepsInferredImagesThatWereNotDiscarded() {
    GoodputSource.Counts before = new GoodputSource.Counts(100, 10);
    GoodputSource.Counts after = new GoodputSource.Counts(300, 30);

    assertThat(after.goodputSince(before)).isEqualTo(0.9);
    assertThat(before.goodputSince(before)).isNaN();
  }
}
