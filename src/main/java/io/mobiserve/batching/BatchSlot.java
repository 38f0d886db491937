package io.mobiserve.batching;

/** Image {@code index} of {@code work}: one slot of an engine batch. */
record BatchSlot(AdmittedWork work, int index) {

  /** The image's model input, C × H × W floats from its position. */
  java.nio.FloatBuffer image() {
    return work.work.images().get(index);
  }
}
