package io.mobiserve.server.kserve;

import io.mobiserve.preprocess.ImageInput;
import java.util.List;
import java.util.OptionalLong;

/**
 * A ModelInferRequest that passed every check: its images for the pipeline and what to answer with.
 *
 * @param id the request's id, echoed
 * @param inputName the input the images came in, for messages about them
 * @param images one per batch element, in order; their buffers are views of the request's bytes
 * @param outputs the outputs to return, in the order to return them
 * @param raw whether the inputs came in raw_input_contents, so the outputs go in raw_output_contents
 * @param timeoutMicros the request's "timeout" parameter, if given
 */
public record InferCall(
    String id, String inputName, List<ImageInput> images, List<RequestedOutput> outputs, boolean raw,
    OptionalLong timeoutMicros) {

  /**
   * One output to return.
   *
   * @param name {@link KServeModel#LOGITS} or {@link KServeModel#PROBABILITIES}, one of those the model presents
   * @param classification 0 for the tensor; k for its top k classes as "value:index:label" strings
   */
  public record RequestedOutput(String name, int classification) {}
}
