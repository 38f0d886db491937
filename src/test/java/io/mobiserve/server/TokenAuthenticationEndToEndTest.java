package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.CallCredentials;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.ClassifyResponse;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.api.v1.EncodedImage;
import io.mobiserve.api.v1.GetModelInfoRequest;
import io.mobiserve.api.v1.Image;
import io.mobiserve.client.ClientChannels;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.metrics.PrometheusMetrics;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.security.FileWatcher;
import io.mobiserve.server.auth.TokenAuthenticator;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.RunningServer;
import io.mobiserve.testing.Scrape;
import io.mobiserve.testing.SlowedEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve --auth-tokens} on a real Netty server: a call needs a valid bearer token, health does not, the
 * file is re-read when it changes, and the token's name is the caller: in the metrics and for fairness.
 */
class TokenAuthenticationEndToEndTest {
  private static final String CLASSIFY = "mobiserve.v1.ClassifyService/Classify";
  private static final String JOBS = "jobs-token-0123456789";
  private static final String CAMERAS = "cameras-token-0123456789";
  private static final long ENGINE_DELAY_MS = 40;

  @TempDir
  static Path dir;

  private static Path tokenFile;
  private static FileWatcher watcher;
  private static PrometheusMetrics metrics;
  private static RunningServer server;
  private static byte[] digit;
  private static final AtomicLong engineBatches = new AtomicLong();

  @BeforeAll
  static void start() throws Exception {
    tokenFile = Files.writeString(dir.resolve("tokens"), "jobs:" + JOBS + "\ncameras:" + CAMERAS + "\n");
    watcher = FileWatcher.every(Duration.ofMillis(50));
    TokenAuthenticator tokens = TokenAuthenticator.fromFile(tokenFile);
    tokens.watch(watcher);
    metrics = PrometheusMetrics.create();
    ModelSpec model = OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
    // One image per batch, each taking a while: enough to see whose images go first.
    server = new RunningServer(model,
        (m, batches) -> new SlowedEngine(OrtEngine.open(m, batches, new OrtEngineOptions(1)), ENGINE_DELAY_MS,
            engineBatches),
        RuntimeConfig.builder().maxBatch(1).build(), new ServerLimits(64, ImageLimits.DEFAULT, 1 << 24), metrics,
        new MobiserveServer.Access(tokens, false));
    digit = Files.readAllBytes(DigitsFixture.directory().resolve("heldout/0000_2.png"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    watcher.close();
  }

  private static ClassifyServiceGrpc.ClassifyServiceBlockingStub classify(String token) {
    ClassifyServiceGrpc.ClassifyServiceBlockingStub stub = server.blockingStub();
    return token == null ? stub : stub.withCallCredentials(bearer("Bearer " + token));
  }

  private static ClassifyRequest request(int images) {
    ClassifyRequest.Builder request = ClassifyRequest.newBuilder().setTopK(1);
    for (int i = 0; i < images; i++) {
      request.addImages(Image.newBuilder().setEncoded(EncodedImage.newBuilder().setData(ByteString.copyFrom(digit))));
    }
    return request.build();
  }

  @Test
  void aCallWithoutAValidToken_isUnauthenticated_withTheSameMessageWhateverWasWrong() {
    StatusRuntimeException missing = catchThrowableOfType(StatusRuntimeException.class,
        () -> classify(null).classify(request(1)));
    StatusRuntimeException wrong = catchThrowableOfType(StatusRuntimeException.class,
        () -> classify("not-a-token-0123456789").classify(request(1)));
    StatusRuntimeException malformed = catchThrowableOfType(StatusRuntimeException.class,
        () -> server.blockingStub().withCallCredentials(bearer("Basic " + JOBS)).getModelInfo(
            GetModelInfoRequest.getDefaultInstance()));

    assertThat(missing.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(wrong.getStatus()).usingRecursiveComparison().isEqualTo(missing.getStatus());
    assertThat(malformed.getStatus()).usingRecursiveComparison().isEqualTo(missing.getStatus());
    assertThat(missing.getStatus().getDescription()).doesNotContain(JOBS).contains("bearer token");
  }

  @Test
  void aCallWithAValidToken_isServed() {
    ClassifyResponse response = classify(JOBS).classify(request(1));

    assertThat(response.getResults(0).getClasses(0).getLabel()).isEqualTo("2");
  }

  @Test
  void health_isOpenWithoutAToken_andReflectionIsOffWhenAskedSo() {
    ServingStatus status = HealthGrpc.newBlockingStub(server.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    CompletableFuture<Status> reflection = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(server.channel())
        .withCallCredentials(bearer("Bearer " + JOBS))
        .serverReflectionInfo(new StreamObserver<ServerReflectionResponse>() {
          @Override
          public void onNext(ServerReflectionResponse value) {
            reflection.complete(Status.OK);
          }

          @Override
          public void onError(Throwable t) {
            reflection.complete(Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {}
        });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());

    assertThat(status).isEqualTo(ServingStatus.SERVING);
    assertThat(reflection.join().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
    requests.onCompleted();
  }

  @Test
  void theTokensName_labelsTheRequestMetrics_andRefusalsAreCountedAsUnauthenticated() {
    double before = count("cameras", "OK");
    double refusedBefore = count("unauthenticated", "UNAUTHENTICATED");

    classify(CAMERAS).classify(request(1));
    catchThrowableOfType(StatusRuntimeException.class, () -> classify("wrong-token-0123456789").classify(request(1)));

    assertThat(count("cameras", "OK")).isEqualTo(before + 1);
    assertThat(count("unauthenticated", "UNAUTHENTICATED")).isEqualTo(refusedBefore + 1);
    assertThat(metrics.scrape()).doesNotContain("127.0.0.1");
  }

  @Test
  void twoTokensOnOneConnection_areTwoCallersToTheBatcher_soOneCannotQueueTheOtherOut() throws Exception {
    // Both callers share one channel, hence one connection and one remote address, as behind a proxy: only the
    // token tells them apart. The jobs caller queues 20 images (20 x 40 ms); the cameras caller asks for one.
    long start = engineBatches.get();
    CompletableFuture<Long> jobs = CompletableFuture.supplyAsync(() -> {
      classify(JOBS).classify(request(20));
      return System.nanoTime();
    });
    // Until the engine is on the jobs caller's images: all 20 are queued by then.
    while (engineBatches.get() < start + 2) {
      Thread.sleep(5);
    }
    long camerasDone;
    classify(CAMERAS).classify(request(1));
    camerasDone = System.nanoTime();

    // Taken in turn with the other caller's images, not after all of them.
    assertThat(camerasDone).isLessThan(jobs.get(30, TimeUnit.SECONDS));
  }

  @Test
  void theTokenFile_isReadAgainWhenItChanges_takingUpNewTokensAndDroppingRemovedOnes() throws Exception {
    String added = "added-token-0123456789";
    try {
      Files.writeString(tokenFile, "jobs:" + JOBS + "\ncameras:" + CAMERAS + "\nadded:" + added + "\n");
      awaitCode(added, Status.Code.OK);
      Files.writeString(tokenFile, "jobs:" + JOBS + "\nadded:" + added + "\n");
      awaitCode(CAMERAS, Status.Code.UNAUTHENTICATED);

      assertThat(code(added)).isEqualTo(Status.Code.OK);
      assertThat(code(JOBS)).isEqualTo(Status.Code.OK);
    } finally {
      Files.writeString(tokenFile, "jobs:" + JOBS + "\ncameras:" + CAMERAS + "\n");
      awaitCode(CAMERAS, Status.Code.OK);
    }
  }

  private static Status.Code code(String token) {
    try {
      classify(token).getModelInfo(GetModelInfoRequest.getDefaultInstance());
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  private static void awaitCode(String token, Status.Code expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (code(token) != expected) {
      assertThat(System.nanoTime()).as("the token never got %s", expected).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private static double count(String caller, String code) {
    return new Scrape(metrics.scrape())
        .value("mobiserve_requests_total", "method", CLASSIFY, "caller", caller, "code", code).orElse(0.0);
  }

  private static CallCredentials bearer(String authorization) {
    return ClientChannels.authorization(authorization);
  }

}
