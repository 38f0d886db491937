"""The committed stubs in mobiserve_client/_proto are exactly what generate_stubs.py makes from proto/, and they
load on every protobuf runtime the package admits: Debian's (4.21, C++ backend) here, PyPI's (upb backend) where
one is at hand."""

import filecmp
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import unittest

PYTHON_DIR = pathlib.Path(__file__).resolve().parents[1]
PROTO_PACKAGE = PYTHON_DIR / "mobiserve_client" / "_proto"
sys.path.insert(0, str(PYTHON_DIR))
import generate_stubs  # noqa: E402

# Imports the stubs as the top-level package `_proto` (mobiserve_client itself needs grpcio, which an
# interpreter with PyPI's protobuf may lack), round-trips a message of each file and, where grpcio is
# there, imports the service stubs too. Exit code 3: the interpreter has no upb backend.
UPB_IMPORT = """
import importlib, sys
import google.protobuf
from google.protobuf.internal import api_implementation
if api_implementation.Type() != "upb":
    print(f"protobuf {google.protobuf.__version__}, backend {api_implementation.Type()}: no upb")
    sys.exit(3)
sys.path.insert(0, sys.argv[1])
from _proto.mobiserve.v1 import classify_pb2 as pb
from _proto.inference import grpc_service_pb2 as v2, model_config_pb2 as config
request = pb.ClassifyRequest(top_k=5)
request.images.add().encoded.data = b"jpeg"
assert pb.ClassifyRequest.FromString(request.SerializeToString()) == request
assert v2.ModelInferRequest.FromString(v2.ModelInferRequest(model_name="m").SerializeToString()).model_name == "m"
assert config.ModelConfig(name="m").name == "m"
try:
    import grpc
except ImportError:
    grpc = None
if grpc:
    for module in ("_proto.mobiserve.v1.classify_pb2_grpc", "_proto.inference.grpc_service_pb2_grpc"):
        importlib.import_module(module)
print(f"protobuf {google.protobuf.__version__} (upb), grpcio {grpc.__version__ if grpc else 'absent'}: stubs load")
"""


class StubsTest(unittest.TestCase):
    def test_committed_stubs_match_the_protos(self):
        with tempfile.TemporaryDirectory() as tmp:
            fresh = pathlib.Path(tmp)
            try:
                files = generate_stubs.generate(out=fresh)
            except generate_stubs.GeneratorMissing as e:
                self.fail(str(e))
            self.assertGreaterEqual(len(files), 11)
            stale = [str(f) for f in files if not (PROTO_PACKAGE / f).exists()
                     or not filecmp.cmp(PROTO_PACKAGE / f, fresh / f, shallow=False)]
            extra = sorted(str(p.relative_to(PROTO_PACKAGE))
                           for p in [*PROTO_PACKAGE.rglob("*.py"), *PROTO_PACKAGE.rglob("*.pyi")]
                           if p.relative_to(PROTO_PACKAGE) not in files)
        self.assertEqual(stale + extra, [], "the committed stubs differ from proto/: run "
                         "`python3 generate_stubs.py` in clients/python and commit the result")

    def test_stubs_build_descriptors_from_the_serialized_file(self):
        """Modules that construct descriptors directly load only on the C++ and Python backends; upb, which
        every protobuf wheel on PyPI uses, refuses them ("Descriptors cannot be created directly")."""
        for module in PROTO_PACKAGE.rglob("*_pb2.py"):
            text = module.read_text()
            direct = re.search(r"_descriptor\.(File|Enum|)Descriptor\(", text)
            with self.subTest(module=module.name):
                self.assertTrue("AddSerializedFile(" in text and not direct,
                                f"{module.relative_to(PROTO_PACKAGE)} constructs its descriptors directly "
                                "(old protoc output): regenerate with `python3 generate_stubs.py`")

    def test_stubs_load_under_upb(self):
        """On this interpreter and on $MOBISERVE_UPB_PYTHON (an interpreter with PyPI's protobuf), with the upb
        backend asked for; skipped when none of them has it (Debian's python3-protobuf has not)."""
        interpreters = [sys.executable] + [p for p in [os.environ.get("MOBISERVE_UPB_PYTHON")] if p]
        env = dict(os.environ, PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION="upb")
        tried = []
        for python in interpreters:
            result = subprocess.run([python, "-W", "ignore", "-c", UPB_IMPORT, str(PROTO_PACKAGE.parent)],
                                    cwd="/", env=env, capture_output=True, text=True, timeout=120)
            if result.returncode == 3:
                tried.append(f"{python}: {result.stdout.strip()}")
                continue
            self.assertEqual(result.returncode, 0, f"{python}: the stubs do not load under upb:\n{result.stderr}")
            print(f"\n  {python}: {result.stdout.strip()}", file=sys.stderr)
            return
        self.skipTest("no protobuf with the upb backend here (set MOBISERVE_UPB_PYTHON to an interpreter with "
                      "PyPI's protobuf): " + "; ".join(tried))


if __name__ == "__main__":
    unittest.main()
