package io.mobiserve;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The package layout is the architecture: dependencies point one way, native code stays fenced in. */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.mobiserve");
  }

  @Test
  void onlyServerAndCliKnowGrpc() {
    noClasses().that().resideInAnyPackage("..engine..", "..batching..", "..pipeline..", "..preprocess..", "..model..")
        .should().dependOnClassesThat().resideInAnyPackage("io.grpc..")
        .check(classes);
  }

  @Test
  void theCoreDoesNotDependOnTheLayersAboveIt() {
    noClasses().that().resideInAnyPackage("..engine..", "..batching..", "..pipeline..", "..preprocess..", "..model..")
        .should().dependOnClassesThat().resideInAnyPackage("io.mobiserve.server..", "io.mobiserve.cli..")
        .check(classes);
    noClasses().that().resideInAnyPackage("io.mobiserve.server..")
        .should().dependOnClassesThat().resideInAnyPackage("io.mobiserve.cli..")
        .check(classes);
  }

  @Test
  void theEngineInterfaceKnowsNoEngine() {
    noClasses().that().resideInAPackage("io.mobiserve.engine")
        .should().dependOnClassesThat().resideInAnyPackage("io.mobiserve.engine.*..")
        .check(classes);
    noClasses().that().resideInAnyPackage("..batching..", "..pipeline..", "..server..")
        .should().dependOnClassesThat().resideInAnyPackage("io.mobiserve.engine.onnxruntime..")
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
}
