package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.BatchSizes;
import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineFactory;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.UnrecoverableEngineException;
import io.mobiserve.engine.tensorrt.cache.CacheKey;
import io.mobiserve.engine.tensorrt.cache.EngineCache;
import io.mobiserve.model.ModelSpec;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.tensorrt.global.nvinfer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates TensorRT engine instances: builds (or loads from the engine cache) one serialized engine per
 * model, then one execution context, CUDA stream and set of buffers per instance.
 *
 * <p>The first {@link #create} for a model probes {@link TensorRtAvailability}, then loads the model's plan
 * from {@link TensorRtOptions#engineCacheDir()} or builds it (and stores it there, with the timing cache),
 * and deserializes it once; later calls only add instances. Keep one factory for the life of the process:
 * deserialized engines cannot be freed from Java. Thread-safe; concurrent first calls build once.
 */
public final class TensorRtEngineFactory implements EngineFactory {
  private static final Logger LOG = LoggerFactory.getLogger(TensorRtEngineFactory.class);

  private final TensorRtOptions options;
  private final EngineCache cache;
  private final Map<Planned, DeserializedEngine> engines = new HashMap<>();

  /** A model and the batch sizes its engine is built for: what one deserialized engine serves. */
  private record Planned(ModelSpec model, BatchSizes batches) {}
  private int enginesBuilt;

  public TensorRtEngineFactory(TensorRtOptions options) {
    this.options = Objects.requireNonNull(options, "options");
    this.cache = new EngineCache(options.engineCacheDir());
  }

  public TensorRtOptions options() {
    return options;
  }

  /**
   * {@inheritDoc}
   *
   * @throws EngineException when TensorRT is unavailable here (the message says what is missing), or the
   *     model cannot be parsed, built or loaded
   */
  @Override
  public InferenceEngine create(ModelSpec model, BatchSizes batches) throws EngineException {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(batches, "batches");
    if (model.fixedBatch().isPresent() && batches.max() > model.fixedBatch().getAsInt()) {
      throw new IllegalArgumentException("max batch " + batches.max() + " exceeds the model's fixed batch of "
          + model.fixedBatch().getAsInt());
    }
    TensorRtAvailability availability = TensorRtAvailability.probe(options.deviceIndex());
    if (!availability.available() || availability.device().isEmpty()) {
      throw new EngineException("TensorRT is not available: " + availability.reason());
    }
    return TensorRtEngine.open(modelFor(new Planned(model, batches), availability.device().get()));
  }

  /** How many engines this factory built (rather than loaded from the cache); for tests and logs. */
  synchronized int enginesBuilt() {
    return enginesBuilt;
  }

  private synchronized DeserializedEngine modelFor(Planned planned, TensorRtAvailability.CudaDevice device)
      throws EngineException {
    DeserializedEngine loaded = engines.get(planned);
    if (loaded == null) {
      loaded = load(planned.model(), planned.batches(), device);
      engines.put(planned, loaded);
    }
    return loaded;
  }

  private DeserializedEngine load(ModelSpec model, BatchSizes batches, TensorRtAvailability.CudaDevice device)
      throws EngineException {
    CudaCheck.RUNTIME.check("cudaSetDevice(" + device.index() + ")", cudart.cudaSetDevice(device.index()));
    BatchProfile profile = BatchProfile.of(model, batches);
    PrecisionChoice precision = PrecisionChoice.choose(options.precision(),
        PrecisionChoice.hasFastFp16(device.major(), device.minor()), TensorRtProcess.builderFlag("kFP16").isPresent());
    if (precision.warn()) {
      LOG.warn("TensorRT precision for {}: {}", model.name(), precision.reason());
    } else {
      LOG.info("TensorRT precision for {}: {}", model.name(), precision.reason());
    }
    String version = TensorRtProcess.version(nvinfer.getInferLibVersion());
    CacheKey.Engine key = new CacheKey.Engine(model.name(), modelSha256(model), version, device.name(),
        device.computeCapability(), precision.precision().label(), profile.describe(), options.workspaceBytes());
    CacheKey.Timing timingKey = new CacheKey.Timing(version, device.name(), device.computeCapability());
    return loadOrBuild(cache, key, new PlanSource<>() {
      @Override
      public DeserializedEngine deserialize(byte[] plan) throws EngineException {
        return DeserializedEngine.deserialize(plan, model, profile, precision, batches.max(), device.index());
      }

      @Override
      public byte[] build() throws EngineException {
        TensorRtEngineBuilder.Built built = TensorRtEngineBuilder.build(model, profile, precision,
            options.workspaceBytes(), cache.load(timingKey));
        enginesBuilt++; // under modelFor's lock
        built.timingCache().ifPresent(bytes -> cache.store(timingKey, bytes));
        return built.plan();
      }
    });
  }

  /** Where {@link #loadOrBuild} gets engines from: TensorRT, or a fake in tests. */
  interface PlanSource<E> {
    /** Deserializes a plan and validates the engine against the model; throws when either fails. */
    E deserialize(byte[] plan) throws EngineException;

    /** Builds a new plan. */
    byte[] build() throws EngineException;
  }

  /**
   * The engine for {@code key}: deserialized from the cache when a usable plan is there, else built. A plan
   * is stored only once it has been deserialized and validated, so the cache never holds a plan that every
   * start would load, reject and rebuild.
   */
  static <E> E loadOrBuild(EngineCache cache, CacheKey.Engine key, PlanSource<E> source) throws EngineException {
    Optional<byte[]> cached = cache.load(key);
    if (cached.isPresent()) {
      try {
        E engine = source.deserialize(cached.get());
        LOG.info("loaded the TensorRT engine for {} from {}", key.modelName(), cache.fileFor(key));
        return engine;
      } catch (UnrecoverableEngineException e) {
        throw e;
      } catch (EngineException e) {
        // The header matched, so this is a plan TensorRT itself rejects (e.g. a driver change): rebuild.
        LOG.warn("cached TensorRT engine {} is unusable ({}); rebuilding", cache.fileFor(key), e.getMessage());
      }
    }
    byte[] plan = source.build();
    E engine = source.deserialize(plan);
    if (cache.store(key, plan)) {
      LOG.info("stored the TensorRT engine for {} in {}", key.modelName(), cache.fileFor(key));
    }
    return engine;
  }

  private static String modelSha256(ModelSpec model) throws EngineException {
    try {
      return CacheKey.sha256Of(model.onnxFile());
    } catch (IOException e) {
      throw new EngineException("cannot read " + model.onnxFile() + " to key the TensorRT engine cache: " + e, e);
    }
  }
}
