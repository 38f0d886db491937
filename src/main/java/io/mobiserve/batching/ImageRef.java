package io.mobiserve.batching;

/** Image {@code index} of {@code job}: one slot of an engine batch. */
record ImageRef(Job job, int index) {}
