"""Generates the committed gRPC stubs in mobiserve_client/_proto from the repository's proto/.

    python3 generate_stubs.py [--proto-dir ../../proto] [--out mobiserve_client/_proto]

Run it after changing a .proto file, and commit the result: the package never generates anything at
import time (tests/test_stubs.py fails when the committed stubs differ from what this writes). It uses
grpc_tools (Debian: python3-grpc-tools), whose protoc matches the protobuf runtime CI installs.
"""

import argparse
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_PROTO_DIR = HERE.parent.parent / "proto"
DEFAULT_OUT = HERE / "mobiserve_client" / "_proto"
PROTOS = ("mobiserve/v1/classify.proto", "inference/model_config.proto", "inference/grpc_service.proto")
PACKAGES = ("", "mobiserve", "mobiserve/v1", "inference")
# grpc_tools writes absolute imports ("from inference import model_config_pb2") that work only with the
# output directory on sys.path; within the package they must be relative.
ABSOLUTE_IMPORT = re.compile(r"^from (mobiserve\.v1|inference) import (\w+_pb2) as", re.M)


def generate(proto_dir=DEFAULT_PROTO_DIR, out=DEFAULT_OUT):
    from grpc_tools import protoc
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    args = ["grpc_tools.protoc", f"-I{proto_dir}", f"--python_out={out}", f"--grpc_python_out={out}",
            *(str(pathlib.Path(proto_dir) / proto) for proto in PROTOS)]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed: {' '.join(args)}")
    for package in PACKAGES:
        (out / package / "__init__.py").write_text("")
    for module in out.rglob("*_pb2*.py"):
        module.write_text(ABSOLUTE_IMPORT.sub(r"from . import \2 as", module.read_text()))
    return sorted(p.relative_to(out) for p in out.rglob("*.py"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proto-dir", type=pathlib.Path, default=DEFAULT_PROTO_DIR)
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    files = generate(args.proto_dir, args.out)
    print(f"wrote {len(files)} files in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
