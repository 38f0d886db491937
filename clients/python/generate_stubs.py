"""Generates the committed gRPC stubs in mobiserve_client/_proto from the repository's proto/.

    python3 generate_stubs.py [--proto-dir ../../proto] [--out mobiserve_client/_proto]

Run it after changing a .proto file, and commit the result: the package never generates anything at
import time (tests/test_stubs.py fails when the committed stubs differ from what this writes).

It runs protoc 3.21.x with grpc_python_plugin (Debian 12: apt-get install protobuf-compiler
protobuf-compiler-grpc; or set $PROTOC and $GRPC_PYTHON_PLUGIN). protoc 3.21 writes modules that build their
descriptors from the serialized file (AddSerializedFile), which every protobuf runtime from 4.21 on loads:
Debian's python3-protobuf (4.21, C++ backend) and PyPI's wheels (4.21 to 7.x, upb backend). Older protoc
output (the Debian python3-grpc-tools' own, from 2018) constructs descriptors directly, which upb refuses
("Descriptors cannot be created directly"); protoc 26 and newer write a runtime version check that refuses
protobuf 4.21. Any other protoc version is refused here, so that the output is reproducible byte for byte.
"""

import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_PROTO_DIR = HERE.parent.parent / "proto"
DEFAULT_OUT = HERE / "mobiserve_client" / "_proto"
PROTOS = ("mobiserve/v1/classify.proto", "inference/model_config.proto", "inference/grpc_service.proto")
PACKAGES = ("", "mobiserve", "mobiserve/v1", "inference")
PROTOC_VERSION = re.compile(r"^libprotoc 3\.21\.\d+$")
INSTALL_HINT = ("Debian 12: apt-get install protobuf-compiler protobuf-compiler-grpc; "
                "or set PROTOC and GRPC_PYTHON_PLUGIN")
# protoc writes absolute imports ("from inference import model_config_pb2") that work only with the
# output directory on sys.path; within the package they must be relative.
ABSOLUTE_IMPORT = re.compile(r"^from (mobiserve\.v1|inference) import (\w+_pb2) as", re.M)


class GeneratorMissing(RuntimeError):
    """protoc 3.21.x or grpc_python_plugin is not installed."""


def find_generator():
    """(protoc, grpc_python_plugin): their paths, after checking protoc's version."""
    protoc = os.environ.get("PROTOC") or shutil.which("protoc")
    plugin = os.environ.get("GRPC_PYTHON_PLUGIN") or shutil.which("grpc_python_plugin")
    if not protoc or not plugin:
        raise GeneratorMissing(f"protoc and grpc_python_plugin are needed ({INSTALL_HINT})")
    version = subprocess.run([protoc, "--version"], capture_output=True, text=True).stdout.strip()
    if not PROTOC_VERSION.match(version):
        raise GeneratorMissing(f"{protoc} is {version or 'not a protoc'}; the stubs are generated with "
                               f"libprotoc 3.21.x ({INSTALL_HINT})")
    return protoc, plugin


def generate(proto_dir=DEFAULT_PROTO_DIR, out=DEFAULT_OUT):
    protoc, plugin = find_generator()
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    args = [protoc, f"-I{proto_dir}", f"--plugin=protoc-gen-grpc_python={plugin}", f"--python_out={out}",
            f"--pyi_out={out}", f"--grpc_python_out={out}", *(str(pathlib.Path(proto_dir) / p) for p in PROTOS)]
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"protoc failed: {' '.join(args)}\n{result.stderr}")
    for package in PACKAGES:
        (out / package / "__init__.py").write_text("")
    for module in [*out.rglob("*_pb2*.py"), *out.rglob("*_pb2*.pyi")]:
        module.write_text(ABSOLUTE_IMPORT.sub(r"from . import \2 as", module.read_text()))
    return sorted(p.relative_to(out) for p in [*out.rglob("*.py"), *out.rglob("*.pyi")])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proto-dir", type=pathlib.Path, default=DEFAULT_PROTO_DIR)
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        files = generate(args.proto_dir, args.out)
    except GeneratorMissing as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {len(files)} files in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
