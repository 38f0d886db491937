package io.mobiserve.server.kserve;

/** The protocol's tensor element types that mobiserve reads or writes. */
final class Datatype {
  static final String FP32 = "FP32";
  static final String BYTES = "BYTES";

  private Datatype() {}
}
