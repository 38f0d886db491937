"""mobiserve_client: Python clients for mobiserve.

    from mobiserve_client import Client, AsyncClient, KServeClient

Client and AsyncClient speak mobiserve's ClassifyService (proto/mobiserve/v1/classify.proto): classify
images, stream video frames. KServeClient speaks the KServe v2 / Open Inference Protocol
(proto/inference/grpc_service.proto) that the same server serves beside it. The generated stubs are
committed in mobiserve_client/_proto (pb, pb_grpc, v2, v2_grpc).
"""

from ._stubs import pb, pb_grpc, v2, v2_grpc
from .client import (AsyncClient, Classification, ClassScore, Client, FrameResult, StreamTracker, Timings,
                     encoded_image, file_image, frame_request, percentile, raw_image, to_image)
from .kserve import KServeClient, KServeClass

__all__ = ["AsyncClient", "Classification", "ClassScore", "Client", "FrameResult", "KServeClass", "KServeClient",
           "StreamTracker", "Timings", "encoded_image", "file_image", "frame_request", "percentile", "raw_image",
           "to_image", "pb", "pb_grpc", "v2", "v2_grpc"]
