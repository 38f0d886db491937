/**
 * The Open Inference Protocol over HTTP/REST ({@code serve --http-port}): the KServe v2 routes with JSON
 * tensors and Triton's binary tensor extension, on the same {@link io.mobiserve.server.kserve.Inference}
 * path as the gRPC service. {@link io.mobiserve.server.http.V2Routes} is the protocol, independent of any
 * HTTP server; {@link io.mobiserve.server.http.KServeHttpServer} serves it with Jetty.
 */
package io.mobiserve.server.http;
