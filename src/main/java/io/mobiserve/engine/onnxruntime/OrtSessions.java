package io.mobiserve.engine.onnxruntime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Opens ONNX Runtime sessions the same way for the engine and for the bare benchmark loop: one batch at a
 * time per session, its own intra-op threads, named so that a thread dump or {@code top -H} shows which
 * threads are ONNX Runtime's.
 */
final class OrtSessions {
  /** ORT allows one environment per process; every session in this JVM shares it. */
  static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
  private static final AtomicInteger SESSIONS = new AtomicInteger();

  private OrtSessions() {}

  /**
   * Opens a session for {@code onnxFile}. It is created on a thread of its own named {@code
   * onnxruntime-N}: ONNX Runtime starts its intra-op threads there, and native threads inherit their
   * creator's name.
   */
  static OrtSession open(Path onnxFile, OrtEngineOptions options) throws OrtException {
    AtomicReference<OrtSession> session = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread opener = new Thread(() -> {
      try (SessionOptions sessionOptions = sessionOptions(options)) {
        session.set(ENV.createSession(onnxFile.toString(), sessionOptions));
      } catch (OrtException | RuntimeException | Error e) {
        failure.set(e);
      }
    }, "onnxruntime-" + SESSIONS.getAndIncrement());
    opener.start();
    boolean interrupted = false;
    while (opener.isAlive()) {
      try {
        opener.join();
      } catch (InterruptedException e) {
        interrupted = true; // the session is being created natively: wait for it, then say so
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    Throwable thrown = failure.get();
    if (thrown instanceof OrtException e) {
      throw e;
    }
    if (thrown instanceof RuntimeException e) {
      throw e;
    }
    if (thrown instanceof Error e) {
      throw e;
    }
    return session.get();
  }

  private static SessionOptions sessionOptions(OrtEngineOptions options) throws OrtException {
    SessionOptions sessionOptions = new SessionOptions();
    try {
      sessionOptions.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
      sessionOptions.setIntraOpNumThreads(options.intraOpThreads());
      // One batch at a time per session: parallelism comes from intra-op threads and from running
      // several engines, so inter-op threads would only compete for the same cores.
      sessionOptions.setInterOpNumThreads(1);
      sessionOptions.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
      sessionOptions.setCPUArenaAllocator(true);
      sessionOptions.addConfigEntry("session.intra_op.allow_spinning", options.spinning() ? "1" : "0");
      return sessionOptions;
    } catch (OrtException | RuntimeException e) {
      sessionOptions.close();
      throw e;
    }
  }
}
