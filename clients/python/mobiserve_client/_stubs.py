"""The generated modules, generated first if they are missing or older than the .proto file."""

from . import _generate

if _generate.is_stale():
    _generate.generate()

from ._proto.mobiserve.v1 import classify_pb2 as pb  # noqa: E402
from ._proto.mobiserve.v1 import classify_pb2_grpc as pb_grpc  # noqa: E402

__all__ = ["pb", "pb_grpc"]
