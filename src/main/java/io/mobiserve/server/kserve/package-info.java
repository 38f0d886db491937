/**
 * The Open Inference Protocol ("KServe v2", {@code proto/inference/grpc_service.proto}) over gRPC, on the
 * same pipeline, batcher, limits, deadlines and metrics as ClassifyService: {@link
 * io.mobiserve.server.kserve.InferenceService} is the gRPC service, and {@link
 * io.mobiserve.server.kserve.Inference} runs one ModelInferRequest for it, for its stream and for the
 * HTTP front end ({@code io.mobiserve.server.http}), which speaks the same protocol in JSON.
 */
package io.mobiserve.server.kserve;
