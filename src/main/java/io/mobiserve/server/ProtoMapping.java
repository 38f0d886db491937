package io.mobiserve.server;

import io.mobiserve.api.v1.ChannelOrder;
import io.mobiserve.api.v1.ClassScore;
import io.mobiserve.api.v1.Classification;
import io.mobiserve.api.v1.ClassifyResponse;
import io.mobiserve.api.v1.Limits;
import io.mobiserve.api.v1.ModelInfo;
import io.mobiserve.api.v1.Preprocessing;
import io.mobiserve.api.v1.Timings;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.pipeline.ImageClassification;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Builds the API's response messages from the pipeline's results. */
public final class ProtoMapping {
  private ProtoMapping() {}

  static ClassifyResponse response(List<String> ids, List<ImageClassification> results) {
    return ClassifyResponse.newBuilder().addAllResults(classifications(ids, results)).build();
  }

  /** One Classification per result, in order, each with its image's id. */
  public static List<Classification> classifications(List<String> ids, List<ImageClassification> results) {
    List<Classification> classifications = new ArrayList<>(results.size());
    for (int i = 0; i < results.size(); i++) {
      ImageClassification result = results.get(i);
      Classification.Builder classification = Classification.newBuilder()
          .setId(ids.get(i))
          .setTimings(Timings.newBuilder()
              .setPreprocessUs(micros(result.preprocessNanos()))
              .setQueueUs(micros(result.queueNanos()))
              .setInferenceUs(micros(result.inferenceNanos()))
              .setBatchSize(result.batchSize()));
      for (io.mobiserve.preprocess.ClassScore score : result.classes()) {
        classification.addClasses(ClassScore.newBuilder()
            .setIndex(score.index())
            .setLabel(score.label())
            .setProbability(score.probability()));
      }
      classifications.add(classification.build());
    }
    return classifications;
  }

  static ModelInfo modelInfo(
      ModelSpec model, EngineInfo engine, int maxBatch, String backendReason, String fallback,
      ServerLimits limits) {
    io.mobiserve.model.Preprocessing pre = model.preprocessing();
    Preprocessing.Builder preprocessing = Preprocessing.newBuilder()
        .setResizeShortSide(pre.resizeShortSide())
        .setCropHeight(model.input().height())
        .setCropWidth(model.input().width())
        .setChannelOrder(pre.channelOrder() == io.mobiserve.model.ChannelOrder.BGR
            ? ChannelOrder.CHANNEL_ORDER_BGR
            : ChannelOrder.CHANNEL_ORDER_RGB);
    for (float m : pre.mean()) {
      preprocessing.addMean(m);
    }
    for (float s : pre.std()) {
      preprocessing.addStd(s);
    }
    return ModelInfo.newBuilder()
        .setName(model.name())
        .setArchitecture(model.architecture())
        .addInputShape(-1)
        .addInputShape(model.input().channels())
        .addInputShape(model.input().height())
        .addInputShape(model.input().width())
        .setNumClasses(model.classes())
        .setHasLabels(model.labels().isPresent())
        .setBackend(engine.backend())
        .setBackendReason(backendReason)
        .setFallback(fallback)
        .setPrecision(engine.precision())
        .setMaxBatch(maxBatch)
        .setTrained(model.trained())
        .setNotes(model.notes())
        .setPreprocessing(preprocessing)
        .setLimits(Limits.newBuilder()
            .setMaxImagesPerRequest(limits.maxImagesPerRequest())
            .setMaxEncodedBytes(limits.image().maxEncodedBytes())
            .setMaxPixels(limits.image().maxPixels())
            .setMaxMessageBytes(limits.maxMessageBytes()))
        .build();
  }

  private static long micros(long nanos) {
    return TimeUnit.NANOSECONDS.toMicros(nanos);
  }
}
