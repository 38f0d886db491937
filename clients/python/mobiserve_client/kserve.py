"""A small client for the KServe v2 / Open Inference Protocol over gRPC (inference.GRPCInferenceService),
as mobiserve serves it beside ClassifyService: health, metadata, and classification of encoded images
through ModelInfer with a BYTES input and Triton's classification extension."""

import dataclasses
import pathlib
from typing import List, Optional, Sequence, Union

from ._stubs import v2, v2_grpc
from .client import DEFAULT_OPTIONS
from .connection import Security, open_channel


@dataclasses.dataclass(frozen=True)
class KServeClass:
    """One "value:index[:label]" string of the classification extension, parsed."""
    score: float
    index: int
    label: str

    @classmethod
    def parse(cls, text: Union[bytes, str]) -> "KServeClass":
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        value, index, *label = text.split(":", 2)
        return cls(float(value), int(index), label[0] if label else "")


class KServeClient:
    """`with KServeClient("localhost:8500") as c: c.classify("digits", [jpeg_bytes], top_k=5)`; the connection's
    keyword arguments (TLS, token) are Client's."""

    def __init__(self, target: str, timeout: float = 30.0, options=DEFAULT_OPTIONS, channel=None, *, tls=False,
                 ca=None, cert=None, key=None, server_name=None, token=None):
        self.timeout = timeout
        self.channel = channel or open_channel(
            target, Security(tls, ca, cert, key, server_name, token), options)
        self.stub = v2_grpc.GRPCInferenceServiceStub(self.channel)

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def server_ready(self) -> bool:
        return self.stub.ServerReady(v2.ServerReadyRequest(), timeout=self.timeout).ready

    def model_metadata(self, model: str, version: str = "") -> "v2.ModelMetadataResponse":
        return self.stub.ModelMetadata(v2.ModelMetadataRequest(name=model, version=version), timeout=self.timeout)

    def model_config(self, model: str, version: str = ""):
        return self.stub.ModelConfig(v2.ModelConfigRequest(name=model, version=version), timeout=self.timeout).config

    def infer(self, request: "v2.ModelInferRequest", timeout: Optional[float] = None) -> "v2.ModelInferResponse":
        return self.stub.ModelInfer(request, timeout=timeout or self.timeout)

    def classify(self, model: str, images: Sequence[Union[bytes, str, pathlib.Path]], top_k: int = 5,
                 output: str = "probabilities", timeout: Optional[float] = None) -> List[List[KServeClass]]:
        """Classifies encoded images (JPEG/PNG bytes, or paths of such files) in one ModelInfer: the model's
        input as BYTES [N], and `output` with the classification parameter top_k. Returns each image's
        classes, highest first."""
        data = [pathlib.Path(i).read_bytes() if isinstance(i, (str, pathlib.Path)) else bytes(i) for i in images]
        metadata = self.model_metadata(model)
        request = v2.ModelInferRequest(model_name=model, inputs=[v2.ModelInferRequest.InferInputTensor(
            name=metadata.inputs[0].name, datatype="BYTES", shape=[len(data)],
            contents=v2.InferTensorContents(bytes_contents=data))])
        requested = request.outputs.add(name=output)
        requested.parameters["classification"].int64_param = top_k
        response = self.infer(request, timeout)
        strings = list(response.outputs[0].contents.bytes_contents)
        return [[KServeClass.parse(s) for s in strings[i * top_k:(i + 1) * top_k]] for i in range(len(data))]
