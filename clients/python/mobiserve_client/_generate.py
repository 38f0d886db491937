"""Generates the protobuf and gRPC modules from the repository's proto/ into mobiserve_client/_proto.

    python3 -m mobiserve_client._generate [--proto-dir DIR]

The generated code is not committed: it is made from proto/mobiserve/v1/classify.proto with the
grpc_tools (Debian: python3-grpc-tools) that matches the installed grpcio and protobuf, so the two never
disagree. `mobiserve_client` also runs this on first import when the modules are missing or older than
the .proto file.
"""

import argparse
import os
import pathlib
import re
import sys

PACKAGE_DIR = pathlib.Path(__file__).resolve().parent
OUT_DIR = PACKAGE_DIR / "_proto"
PROTO_FILE = "mobiserve/v1/classify.proto"
GENERATED = ("mobiserve/v1/classify_pb2.py", "mobiserve/v1/classify_pb2_grpc.py")


def default_proto_dir():
    """MOBISERVE_PROTO_DIR, else the repository's proto/ (clients/python/../../proto)."""
    env = os.environ.get("MOBISERVE_PROTO_DIR")
    if env:
        return pathlib.Path(env)
    return PACKAGE_DIR.parent.parent.parent / "proto"


def is_stale(proto_dir=None):
    proto = (proto_dir or default_proto_dir()) / PROTO_FILE
    outputs = [OUT_DIR / name for name in GENERATED]
    if not all(path.exists() for path in outputs):
        return True
    if not proto.exists():
        return False  # generated earlier, proto not at hand (an installed copy): keep what there is
    return min(path.stat().st_mtime for path in outputs) < proto.stat().st_mtime


def generate(proto_dir=None):
    proto_dir = pathlib.Path(proto_dir or default_proto_dir())
    proto = proto_dir / PROTO_FILE
    if not proto.exists():
        raise RuntimeError(
            f"cannot generate the gRPC stubs: {proto} not found (set MOBISERVE_PROTO_DIR to the "
            "repository's proto/ directory)")
    try:
        from grpc_tools import protoc
    except ImportError as e:
        raise RuntimeError("grpc_tools is missing: apt-get install python3-grpc-tools") from e
    OUT_DIR.mkdir(exist_ok=True)
    args = ["grpc_tools.protoc", f"-I{proto_dir}", f"--python_out={OUT_DIR}",
            f"--grpc_python_out={OUT_DIR}", str(proto)]
    rc = protoc.main(args)
    if rc != 0:
        raise RuntimeError(f"protoc failed with exit code {rc}: {' '.join(args)}")
    for package in (OUT_DIR, OUT_DIR / "mobiserve", OUT_DIR / "mobiserve" / "v1"):
        (package / "__init__.py").touch()
    # grpc_tools writes an absolute import (`from mobiserve.v1 import classify_pb2`) that only works
    # with the output directory on sys.path; make it relative so the stubs live inside this package.
    grpc_module = OUT_DIR / GENERATED[1]
    text = grpc_module.read_text()
    text = re.sub(r"^from mobiserve\.v1 import classify_pb2 as", "from . import classify_pb2 as",
                  text, flags=re.M)
    grpc_module.write_text(text)
    return OUT_DIR


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m mobiserve_client._generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proto-dir", type=pathlib.Path, default=None,
                        help="the directory holding mobiserve/v1/classify.proto (the repository's proto/)")
    args = parser.parse_args(argv)
    try:
        out = generate(args.proto_dir)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"generated {', '.join(GENERATED)} in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
