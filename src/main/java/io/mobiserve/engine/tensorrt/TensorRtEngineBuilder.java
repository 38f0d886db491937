package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.EngineException;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.ModelSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.tensorrt.global.nvinfer.MemoryPoolType;
import org.bytedeco.tensorrt.global.nvinfer.OptProfileSelector;
import org.bytedeco.tensorrt.global.nvonnxparser;
import org.bytedeco.tensorrt.nvinfer.Dims4;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IBuilderConfig;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;
import org.bytedeco.tensorrt.nvinfer.ILogger.Severity;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.IOptimizationProfile;
import org.bytedeco.tensorrt.nvinfer.ITensor;
import org.bytedeco.tensorrt.nvinfer.ITimingCache;
import org.bytedeco.tensorrt.nvonnxparser.IParser;
import org.bytedeco.tensorrt.nvonnxparser.IParserError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a serialized TensorRT engine (a plan) from a model's ONNX file: parse, configure (workspace,
 * precision, optimization profile, timing cache), build.
 *
 * <p>Each build leaves its network, parser and config behind in native memory — TensorRT objects cannot
 * be freed from Java — so engines are built once per model and cached on disk, never per request.
 */
final class TensorRtEngineBuilder {
  private static final Logger LOG = LoggerFactory.getLogger(TensorRtEngineBuilder.class);

  private TensorRtEngineBuilder() {}

  /**
   * A finished build.
   *
   * @param plan the serialized engine
   * @param timingCache the timing cache after the build, to persist for the next build
   * @param took how long the build took
   */
  record Built(byte[] plan, Optional<byte[]> timingCache, Duration took) {}

  /**
   * Builds the plan. The caller has set the CUDA device on this thread.
   *
   * @param timingCache a timing cache from an earlier build, possibly of another model or stale: TensorRT
   *     is told to ignore mismatches rather than fail
   */
  static Built build(ModelSpec model, BatchProfile profile, PrecisionChoice precision, long workspaceBytes,
      Optional<byte[]> timingCache) throws EngineException {
    synchronized (TensorRtProcess.LOCK) {
      long started = System.nanoTime();
      long errorMark = TensorRtLogger.INSTANCE.errorMark();
      IBuilder builder = TensorRtProcess.builder();
      INetworkDefinition network = builder.createNetworkV2(0);
      if (network == null || network.isNull()) {
        throw new EngineException("TensorRT could not create a network definition" + TensorRtLogger.INSTANCE.errorSuffix(errorMark));
      }
      parse(network, model);
      IBuilderConfig config = builder.createBuilderConfig();
      config.setMemoryPoolLimit(MemoryPoolType.kWORKSPACE, workspaceBytes);
      setPrecision(config, precision);
      addProfile(builder, config, network, model, profile);
      ITimingCache cache = timingCache(config, timingCache);

      IHostMemory plan = builder.buildSerializedNetwork(network, config);
      if (plan == null || plan.isNull() || plan.size() == 0) {
        throw new EngineException("TensorRT could not build an engine for " + model.onnxFile()
            + TensorRtLogger.INSTANCE.errorSuffix(errorMark));
      }
      byte[] planBytes = copy(plan);
      Optional<byte[]> cacheBytes = Optional.ofNullable(cache).map(ITimingCache::serialize)
          .filter(memory -> !memory.isNull() && memory.size() > 0)
          .map(TensorRtEngineBuilder::copy);
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      LOG.info("built a TensorRT engine for {} in {} s: {}, {}, {} MB", model.name(),
          String.format("%.1f", took.toMillis() / 1000.0), precision.precision().label(), profile.describe(),
          String.format("%.1f", planBytes.length / 1e6));
      return new Built(planBytes, cacheBytes, took);
    }
  }

  private static void parse(INetworkDefinition network, ModelSpec model) throws EngineException {
    IParser parser = nvonnxparser.createParser(network, TensorRtLogger.INSTANCE);
    if (parser == null || parser.isNull()) {
      throw new EngineException("TensorRT could not create an ONNX parser");
    }
    if (!parser.parseFromFile(model.onnxFile().toString(), Severity.kWARNING.value)) {
      List<OnnxParseErrors.ParseError> errors = new ArrayList<>();
      for (int i = 0; i < parser.getNbErrors(); i++) {
        IParserError error = parser.getError(i);
        errors.add(new OnnxParseErrors.ParseError(
            TensorRtProcess.enumName(nvonnxparser.ErrorCode.values(), c -> c.value, error.code().value),
            error.desc(), error.node(), error.nodeName(), error.nodeOperator()));
      }
      parser.clearErrors();
      throw new EngineException(OnnxParseErrors.message(model.onnxFile(), errors));
    }
  }

  private static void setPrecision(IBuilderConfig config, PrecisionChoice precision) {
    if (precision.precision() == Precision.FP16) {
      // PrecisionChoice only picks FP16 where the flag exists.
      TensorRtProcess.builderFlag("kFP16").ifPresent(config::setFlag);
    } else {
      // TensorRT enables TF32 by default, which rounds FP32 matrix inputs to 10 mantissa bits: an "fp32"
      // engine should compute in FP32.
      TensorRtProcess.builderFlag("kTF32").ifPresent(config::clearFlag);
    }
  }

  private static void addProfile(IBuilder builder, IBuilderConfig config, INetworkDefinition network,
      ModelSpec model, BatchProfile profile) throws EngineException {
    if (network.getNbInputs() != 1) {
      throw new EngineException("TensorRT parsed " + network.getNbInputs() + " inputs from " + model.onnxFile()
          + "; a classifier has one");
    }
    ITensor input = network.getInput(0);
    Dims64 dims = input.getDimensions();
    if (dims.nbDims() != 4 || dims.d(0) != -1) {
      return; // a fixed-shape input needs no profile; IoTensors checks its shape after deserialization
    }
    InputShape shape = profile.input();
    IOptimizationProfile optimization = builder.createOptimizationProfile();
    String name = input.getName();
    boolean valid;
    try (Dims4 min = new Dims4(profile.min(), shape.channels(), shape.height(), shape.width());
        Dims4 opt = new Dims4(profile.opt(), shape.channels(), shape.height(), shape.width());
        Dims4 max = new Dims4(profile.max(), shape.channels(), shape.height(), shape.width())) {
      valid = optimization.setDimensions(name, OptProfileSelector.kMIN, min)
          && optimization.setDimensions(name, OptProfileSelector.kOPT, opt)
          && optimization.setDimensions(name, OptProfileSelector.kMAX, max);
    }
    if (!valid || config.addOptimizationProfile(optimization) < 0) {
      throw new EngineException("TensorRT refused the optimization profile " + profile.describe() + " for input "
          + name);
    }
  }

  /** Null when TensorRT cannot create one; the build then simply runs without. */
  private static ITimingCache timingCache(IBuilderConfig config, Optional<byte[]> stored) {
    ITimingCache cache;
    if (stored.isPresent()) {
      try (BytePointer blob = new BytePointer(stored.get())) {
        cache = config.createTimingCache(blob, stored.get().length); // TensorRT copies the blob
      }
    } else {
      cache = config.createTimingCache(null, 0);
    }
    if (cache == null || cache.isNull() || !config.setTimingCache(cache, true)) {
      LOG.warn("TensorRT timing cache unavailable; building without one");
      return null;
    }
    return cache;
  }

  private static byte[] copy(IHostMemory memory) {
    long size = memory.size();
    if (size > Integer.MAX_VALUE - 4096) {
      throw new IllegalStateException("a TensorRT blob of " + size + " bytes is too large to cache");
    }
    byte[] bytes = new byte[(int) size];
    new BytePointer(memory.data()).capacity(size).get(bytes);
    return bytes;
  }
}
