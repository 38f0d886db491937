"""The generated protobuf and gRPC modules, committed under _proto (see generate_stubs.py)."""

from ._proto.inference import grpc_service_pb2 as v2
from ._proto.inference import grpc_service_pb2_grpc as v2_grpc
from ._proto.inference import model_config_pb2 as v2_config
from ._proto.mobiserve.v1 import classify_pb2 as pb
from ._proto.mobiserve.v1 import classify_pb2_grpc as pb_grpc

__all__ = ["pb", "pb_grpc", "v2", "v2_grpc", "v2_config"]
