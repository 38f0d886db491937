"""mobiserve_client: Python clients for mobiserve.

    from mobiserve_client import Client, AsyncClient, KServeClient

Client and AsyncClient speak mobiserve's ClassifyService (proto/mobiserve/v1/classify.proto): classify
images, stream video frames. KServeClient speaks the KServe v2 / Open Inference Protocol
(proto/inference/grpc_service.proto) that the same server serves beside it. All three take the connection's
settings as keyword arguments — tls, ca, cert, key (mutual TLS), server_name, token — and spread their calls
round-robin over the servers of a dns: or ipv4: target (mobiserve_client.connection). The generated stubs are
committed in mobiserve_client/_proto (pb, pb_grpc, v2, v2_grpc).
"""

from ._stubs import pb, pb_grpc, v2, v2_grpc
from .client import (AsyncClient, Classification, ClassScore, Client, FrameResult, StreamTracker, Timings,
                     encoded_image, file_image, frame_request, percentile, raw_image, to_image)
from .connection import ConfigurationError, Security, open_channel, resolve_token
from .kserve import KServeClient, KServeClass

__all__ = ["AsyncClient", "Classification", "ClassScore", "Client", "ConfigurationError", "FrameResult", "KServeClass",
           "KServeClient", "Security", "StreamTracker", "Timings", "encoded_image", "file_image", "frame_request",
           "open_channel", "percentile", "raw_image", "resolve_token", "to_image", "pb", "pb_grpc", "v2", "v2_grpc"]
