package io.mobiserve.bench;

import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;

/**
 * What a bench needs to know about the model behind its target, whether it came from GetModelInfo or from
 * the in-process model.
 */
public record ModelUnderTest(
    String name,
    String architecture,
    String backend,
    InputShape input,
    Preprocessing preprocessing,
    int classes,
    int maxBatch,
    int maxImagesPerRequest) {}
