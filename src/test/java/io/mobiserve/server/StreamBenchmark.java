package io.mobiserve.server;

import com.google.protobuf.ByteString;
import io.mobiserve.api.v1.ClassifyStreamRequest;
import io.mobiserve.api.v1.ClassifyStreamResponse;
import io.mobiserve.api.v1.EncodedImage;
import io.mobiserve.api.v1.FrameStatus;
import io.mobiserve.api.v1.Image;
import io.mobiserve.api.v1.StreamOptions;
import io.mobiserve.api.v1.StreamPolicy;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.model.mobilenet.BuiltinModelFile;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.testing.RunningServer;
import io.mobiserve.testing.StreamCall;
import io.mobiserve.testing.TestImages;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Live-stream load: N streams each sending a 640×480 JPEG at 30 fps for a few seconds to a real server
 * (Netty on loopback) with the built-in MobileNetV3-Large, under BLOCK or LATEST; prints answered and
 * classified frames per second and client-side latency percentiles (frame sent → answer received).
 *
 * <p>Run (not part of the test suite): {@code scripts/jmh.sh}'s classpath, then
 * {@code java -cp ... io.mobiserve.server.StreamBenchmark SECONDS POLICY STREAMS...}, e.g.
 * {@code StreamBenchmark 10 block 1 8 32}.
 */
public final class StreamBenchmark {
  private StreamBenchmark() {}

  public static void main(String[] args) throws Exception {
    int seconds = Integer.parseInt(args[0]);
    boolean latest = args[1].equals("latest");
    Path file = BuiltinModelFile.ensure(Path.of(System.getProperty("user.home"), ".cache", "mobiserve", "models"));
    ModelSpec model = OnnxModelLoader.load(file, ModelOverrides.none());
    ByteString jpeg = ByteString.copyFrom(TestImages.jpeg(TestImages.gradient(640, 480), 0.9f));
    try (RunningServer server = new RunningServer(model, (m, batches) -> OrtEngine.open(m, batches, new OrtEngineOptions(2)),
        RuntimeConfig.builder().build(), ServerLimits.DEFAULT)) {
      System.out.printf("policy=%s jpeg=%d bytes cores=%d%n", args[1], jpeg.size(),
          Runtime.getRuntime().availableProcessors());
      for (int a = 2; a < args.length; a++) {
        run(server, Integer.parseInt(args[a]), seconds, latest, jpeg);
      }
    }
  }

  private static void run(RunningServer server, int streams, int seconds, boolean latest, ByteString jpeg)
      throws Exception {
    int frames = seconds * 30;
    ScheduledExecutorService clock = Executors.newScheduledThreadPool(2);
    List<StreamCall> calls = new ArrayList<>();
    List<long[]> sentAt = new ArrayList<>();
    List<ScheduledFuture<?>> tasks = new ArrayList<>();
    long start = System.nanoTime();
    for (int s = 0; s < streams; s++) {
      StreamCall call = StreamCall.open(server.asyncStub());
      long[] sent = new long[frames];
      int[] next = {0};
      calls.add(call);
      sentAt.add(sent);
      long offset = TimeUnit.SECONDS.toMicros(1) / 30 * s / streams; // spread streams over the frame period
      tasks.add(clock.scheduleAtFixedRate(() -> {
        int i = next[0]++;
        if (i >= frames) {
          return;
        }
        ClassifyStreamRequest.Builder frame = ClassifyStreamRequest.newBuilder().setFrameId(i).setTopK(5)
            .addImages(Image.newBuilder().setEncoded(EncodedImage.newBuilder().setData(jpeg)));
        if (i == 0 && latest) {
          frame.setStreamOptions(StreamOptions.newBuilder().setPolicy(StreamPolicy.STREAM_POLICY_LATEST));
        }
        sent[i] = System.nanoTime();
        call.send(frame.build());
        if (i == frames - 1) {
          call.halfClose();
        }
      }, offset, TimeUnit.SECONDS.toMicros(1) / 30, TimeUnit.MICROSECONDS));
    }
    long answered = 0;
    long classified = 0;
    long serverP99 = 0;
    List<Long> latencies = new ArrayList<>();
    for (int s = 0; s < streams; s++) {
      StreamCall call = calls.get(s);
      call.await(seconds + 120L);
      for (StreamCall.Received r : call.received()) {
        ClassifyStreamResponse response = r.response();
        if (response.hasSummary()) {
          serverP99 = Math.max(serverP99, response.getSummary().getLatencyP99Us());
          continue;
        }
        answered++;
        if (response.getStatus() == FrameStatus.FRAME_STATUS_OK) {
          classified++;
          latencies.add(r.nanos() - sentAt.get(s)[(int) response.getFrameId()]);
        }
      }
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    tasks.forEach(t -> t.cancel(false));
    clock.shutdownNow();
    long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    System.out.printf("streams=%d frames=%d answered=%d classified=%d dropped=%d elapsed=%.1fs "
            + "classified/s=%.1f client latency ms p50=%.1f p90=%.1f p99=%.1f max=%.1f; worst stream's server p99=%.1f ms%n",
        streams, (long) frames * streams, answered, classified, answered - classified, elapsed, classified / elapsed,
        pct(sorted, 50), pct(sorted, 90), pct(sorted, 99), sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6,
        serverP99 / 1e3);
  }

  private static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int index = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p / 100) - 1));
    return sorted[index] / 1e6;
  }

}
