package io.mobiserve.server.kserve;

import io.grpc.Status;
import io.grpc.StatusException;
import io.mobiserve.api.inference.InferParameter;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Reads the parameters mobiserve understands and refuses those it cannot honour. The protocol defines no
 * parameters of its own and lets servers ignore others; the shared-memory ones are refused rather than
 * ignored, because their tensor's data is not in the request at all.
 */
final class Parameters {
  static final String CLASSIFICATION = "classification";
  static final String TIMEOUT = "timeout";

  private Parameters() {}

  /**
   * An int64 parameter's value, if given.
   *
   * @param where what carries the parameter, for the message ("output 'logits'")
   * @throws StatusException INVALID_ARGUMENT when it is not an int64_param
   */
  static OptionalLong int64(Map<String, InferParameter> parameters, String key, String where) throws StatusException {
    InferParameter value = parameters.get(key);
    if (value == null) {
      return OptionalLong.empty();
    }
    if (value.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.INT64_PARAM) {
      throw invalid(where + ": parameter '" + key + "' must be an int64_param, not "
          + value.getParameterChoiceCase().name().toLowerCase(java.util.Locale.ROOT));
    }
    return OptionalLong.of(value.getInt64Param());
  }

  /** @throws StatusException INVALID_ARGUMENT when a shared-memory parameter is present */
  static void refuseSharedMemory(Map<String, InferParameter> parameters, String where) throws StatusException {
    for (String key : parameters.keySet()) {
      if (key.startsWith("shared_memory_")) {
        throw invalid(where + ": parameter '" + key + "': shared memory is not supported by this server; "
            + "send the tensor's data in the request");
      }
    }
  }

  static StatusException invalid(String description) {
    return Status.INVALID_ARGUMENT.withDescription(description).asException();
  }
}
