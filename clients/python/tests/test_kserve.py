"""The KServe v2 protocol from Python, against the live server: gRPC with stubs generated here from the
project's proto/inference (as any client of the protocol would generate them), HTTP/REST with a JSON body
sent by urllib, and the package's own KServeClient."""

import base64
import importlib
import json
import pathlib
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

import grpc

from mobiserve_client import Client, KServeClient

from . import live_server

HELDOUT = live_server.DIGITS / "heldout"
MODEL = "digits-mobilenetv3-small"
PROTO_DIR = live_server.REPO / "proto"


def generated_stubs(out):
    """grpc_tools' stubs for inference/grpc_service.proto, imported from a fresh directory."""
    from grpc_tools import protoc
    rc = protoc.main(["grpc_tools.protoc", f"-I{PROTO_DIR}", f"--python_out={out}", f"--grpc_python_out={out}",
                      str(PROTO_DIR / "inference/model_config.proto"), str(PROTO_DIR / "inference/grpc_service.proto")])
    assert rc == 0, rc
    (pathlib.Path(out) / "inference" / "__init__.py").write_text("")
    sys.path.insert(0, str(out))
    try:
        return (importlib.import_module("inference.grpc_service_pb2"),
                importlib.import_module("inference.grpc_service_pb2_grpc"))
    finally:
        sys.path.remove(str(out))


class KServeGrpcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.target = live_server.target()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.pb, cls.pb_grpc = generated_stubs(cls.tmp.name)
        cls.channel = grpc.insecure_channel(cls.target)
        cls.stub = cls.pb_grpc.GRPCInferenceServiceStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.tmp.cleanup()

    def test_ready_metadata_and_config(self):
        self.assertTrue(self.stub.ServerReady(self.pb.ServerReadyRequest(), timeout=30).ready)
        metadata = self.stub.ModelMetadata(self.pb.ModelMetadataRequest(name=MODEL), timeout=30)
        self.assertEqual([(t.name, t.datatype, list(t.shape)) for t in metadata.inputs],
                         [("input", "FP32", [-1, 3, 64, 64])])
        config = self.stub.ModelConfig(self.pb.ModelConfigRequest(name=MODEL), timeout=30).config
        self.assertGreater(config.max_batch_size, 0)
        self.assertEqual(list(config.input[0].dims), [3, 64, 64])

    def test_model_infer_bytes_with_classification_matches_classify(self):
        data = sorted(HELDOUT.glob("*.png"))[3].read_bytes()
        request = self.pb.ModelInferRequest(model_name=MODEL, id="py-1", inputs=[
            self.pb.ModelInferRequest.InferInputTensor(name="input", datatype="BYTES", shape=[1],
                                                       contents=self.pb.InferTensorContents(bytes_contents=[data]))])
        output = request.outputs.add(name="probabilities")
        output.parameters["classification"].int64_param = 5
        response = self.stub.ModelInfer(request, timeout=30)
        self.assertEqual(response.id, "py-1")
        strings = [s.decode() for s in response.outputs[0].contents.bytes_contents]
        with Client(self.target) as c:
            expected = c.classify([data], top_k=5)[0].classes
        self.assertEqual([int(s.split(":")[1]) for s in strings], [e.index for e in expected])
        for s, e in zip(strings, expected):
            self.assertAlmostEqual(float(s.split(":")[0]), e.probability, delta=1e-5)

    def test_unknown_model_is_not_found(self):
        with self.assertRaises(grpc.RpcError) as caught:
            self.stub.ModelReady(self.pb.ModelReadyRequest(name="resnet50"), timeout=30)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_package_kserve_client(self):
        with KServeClient(self.target) as c:
            self.assertTrue(c.server_ready())
            classes = c.classify(MODEL, [HELDOUT / "0000_2.png", HELDOUT / "0001_5.png"], top_k=2)
        self.assertEqual([row[0].label for row in classes], ["2", "5"])
        self.assertGreater(classes[0][0].score, classes[0][1].score)


class KServeHttpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base = f"http://{live_server.http_target()}"

    def request(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method="GET" if body is None else "POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def test_health_and_metadata(self):
        self.assertEqual(self.request("/v2/health/ready"), (200, b""))
        status, body = self.request(f"/v2/models/{MODEL}")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["outputs"][1]["name"], "probabilities")

    def test_json_infer_of_a_base64_png(self):
        png = (HELDOUT / "0000_2.png").read_bytes()
        status, body = self.request(f"/v2/models/{MODEL}/infer", {
            "id": "http-1",
            "inputs": [{"name": "input", "datatype": "BYTES", "shape": [1],
                        "data": [{"b64": base64.b64encode(png).decode()}]}],
            "outputs": [{"name": "probabilities", "parameters": {"classification": 3}}]})
        self.assertEqual(status, 200, body)
        response = json.loads(body)
        self.assertEqual(response["id"], "http-1")
        self.assertEqual(response["outputs"][0]["shape"], [1, 3])
        self.assertEqual(response["outputs"][0]["data"][0].split(":")[1:], ["2", "2"])

    def test_json_infer_refusal_names_the_tensor(self):
        status, body = self.request(f"/v2/models/{MODEL}/infer", {
            "inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3, 64, 64], "data": [0.5, 0.25]}]})
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body), {"error": "input 'input': data holds 2 values; its shape needs 12288"})


if __name__ == "__main__":
    unittest.main()
