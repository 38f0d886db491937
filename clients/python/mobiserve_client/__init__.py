"""mobiserve_client: Python clients for mobiserve's ClassifyService (proto/mobiserve/v1/classify.proto).

    from mobiserve_client import Client, AsyncClient, pb

The gRPC stubs are generated from the proto on first import (or by `python3 -m mobiserve_client._generate`).
"""

from ._stubs import pb, pb_grpc
from .client import (AsyncClient, Client, FrameResult, StreamTracker, encoded_image, file_image,
                     frame_request, percentile, raw_image)

__all__ = ["AsyncClient", "Client", "FrameResult", "StreamTracker", "encoded_image", "file_image",
           "frame_request", "percentile", "raw_image", "pb", "pb_grpc"]
