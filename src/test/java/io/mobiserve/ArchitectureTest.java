package io.mobiserve;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import io.mobiserve.batching.InferenceScheduler;
import io.mobiserve.engine.EngineFactory;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.pipeline.ClassificationPipeline;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package layout is the architecture (docs/architecture.md): dependencies point one way, one package
 * assembles the runtime, native code stays fenced in.
 */
class ArchitectureTest {
  private static final String[] CORE = {
      "..runtime..", "..pipeline..", "..batching..", "..engine..", "..preprocess..", "..model.."};
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.mobiserve");
  }

  @Test
  void onlyTheFrontEndsKnowGrpc() {
    noClasses().that().resideInAnyPackage(CORE)
        .should().dependOnClassesThat().resideInAnyPackage("io.grpc..")
        .check(classes);
  }

  @Test
  void credentialFilesAndTheTokenCheckKnowNoGrpc_soThatAnyFrontEndCanUseThem() {
    noClasses().that().resideInAPackage("io.mobiserve.security..")
        .or().haveFullyQualifiedName("io.mobiserve.server.auth.TokenAuthenticator")
        .should().dependOnClassesThat().resideInAnyPackage("io.grpc..")
        .check(classes);
  }

  @Test
  void theCoreDoesNotDependOnTheLayersAboveIt() {
    noClasses().that().resideInAnyPackage(CORE)
        .should().dependOnClassesThat().resideInAnyPackage(
            "io.mobiserve.server..", "io.mobiserve.cli..", "io.mobiserve.bench..", "io.mobiserve.metrics..",
            "io.mobiserve.client..")
        .check(classes);
    noClasses().that().resideInAnyPackage("io.mobiserve.server..")
        .should().dependOnClassesThat().resideInAnyPackage("io.mobiserve.cli..")
        .check(classes);
  }

  /**
   * The bench measures the server from outside, over gRPC, or the runtime in process: never through the
   * server's classes (a failure's status code comes from pipeline.CallFailure, as the server's does).
   */
  @Test
  void theBenchDoesNotReachIntoTheServer() {
    noClasses().that().resideInAPackage("io.mobiserve.bench..")
        .should().dependOnClassesThat().resideInAPackage("io.mobiserve.server..")
        .check(classes);
  }

  @Test
  void eachCoreLayerDependsOnlyOnTheLayersBelowIt() {
    noClasses().that().resideInAnyPackage("..pipeline..", "..batching..", "..engine..", "..preprocess..", "..model..")
        .should().dependOnClassesThat().resideInAPackage("io.mobiserve.runtime..")
        .check(classes);
    noClasses().that().resideInAnyPackage("..batching..", "..engine..", "..preprocess..", "..model..")
        .should().dependOnClassesThat().resideInAPackage("io.mobiserve.pipeline..")
        .check(classes);
    noClasses().that().resideInAnyPackage("..engine..", "..preprocess..", "..model..")
        .should().dependOnClassesThat().resideInAPackage("io.mobiserve.batching..")
        .check(classes);
  }

  @Test
  void theEngineInterfaceKnowsNoEngine() {
    noClasses().that().resideInAPackage("io.mobiserve.engine")
        .should().dependOnClassesThat().resideInAnyPackage("io.mobiserve.engine.*..")
        .check(classes);
    noClasses().that().resideInAnyPackage("..batching..", "..pipeline..", "..server..")
        .should().dependOnClassesThat().resideInAnyPackage("io.mobiserve.engine.onnxruntime..",
            "io.mobiserve.engine.tensorrt..")
        .check(classes);
  }

  @Test
  void onlyTheRuntimeBuildsEnginesBatchersAndPipelines() {
    noClasses().that().resideInAnyPackage("io.mobiserve.server..", "io.mobiserve.cli..", "io.mobiserve.bench..",
            "io.mobiserve.metrics..", "io.mobiserve.client..")
        .should(createAnEngineABatcherOrAPipeline())
        .check(classes);
  }

  /**
   * The Open Inference Protocol: server.kserve is its core (gRPC messages, checks, the one inference path);
   * server.http carries it over HTTP and may use that core, the served model and the metrics, never the
   * runtime's parts or mobiserve's own API; Jetty stays inside server.http.
   */
  @Test
  void theHttpFrontEndGoesThroughTheKServeCore() {
    noClasses().that().resideOutsideOfPackage("io.mobiserve.server.http..")
        .should().dependOnClassesThat().resideInAnyPackage("org.eclipse.jetty..")
        .check(classes);
    noClasses().that().resideInAPackage("io.mobiserve.server.http..")
        .should().dependOnClassesThat().resideInAnyPackage("io.mobiserve.runtime..", "io.mobiserve.engine..",
            "io.mobiserve.preprocess..", "io.mobiserve.model..", "io.mobiserve.server.stream..",
            "io.mobiserve.api.v1..")
        .check(classes);
    noClasses().that().resideInAPackage("io.mobiserve.server.kserve..")
        .should().dependOnClassesThat().resideInAnyPackage("io.mobiserve.server.http..", "io.mobiserve.server.stream..")
        .check(classes);
  }

  @Test
  void nativeLibrariesStayInTheirPackages() {
    noClasses().that().resideOutsideOfPackages("io.mobiserve.engine.onnxruntime..", "io.mobiserve.model..")
        .should().dependOnClassesThat().resideInAnyPackage("ai.onnxruntime..")
        .check(classes);
    noClasses().that().resideOutsideOfPackages("io.mobiserve.preprocess..", "io.mobiserve.engine.tensorrt..")
        .should().dependOnClassesThat().resideInAnyPackage("org.bytedeco..")
        .check(classes);
  }

  /**
   * Calls a constructor or static factory of an engine, an engine factory, a scheduler or the pipeline: the
   * assembling that belongs to {@code runtime}.
   */
  private static ArchCondition<JavaClass> createAnEngineABatcherOrAPipeline() {
    return new ArchCondition<>("construct engines, engine factories, schedulers or pipelines") {
      @Override
      public void check(JavaClass item, ConditionEvents events) {
        for (JavaAccess<?> access : item.getAccessesFromSelf()) {
          JavaClass owner = access.getTargetOwner();
          boolean assembles = assignableTo(InferenceEngine.class).test(owner)
              || assignableTo(EngineFactory.class).test(owner)
              || assignableTo(InferenceScheduler.class).test(owner)
              || owner.isEquivalentTo(ClassificationPipeline.class);
          boolean creates = access.getName().equals("<init>") || access.getTarget().resolveMember()
              .map(member -> member.getModifiers().contains(JavaModifier.STATIC)).orElse(false);
          if (assembles && creates && !owner.isInterface()) {
            events.add(SimpleConditionEvent.satisfied(item, access.getDescription()));
          }
        }
      }
    };
  }
}
