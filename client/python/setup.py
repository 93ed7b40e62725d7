"""Builds the hrnn client package; generates its gRPC/protobuf code from the repository's proto/.

The generated modules are written into the build folder only (never into src/, never committed):

    hrnn/v1/recommender_pb2.py, recommender_pb2.pyi, recommender_pb2_grpc.py
        from proto/hrnn/v1/recommender.proto
    hrnn/_health/health_pb2.py, health_pb2_grpc.py
        from proto/grpc/health/v1/health.proto, compiled under the path hrnn/_health/ because
        its own path (grpc/health/v1) would make a module `grpc` that shadows grpcio's.

Where proto/ is: $HRNN_PROTO_DIR when set, else ../../proto (this folder is client/python of the
repository, and pip builds in-tree). The compiler: `protoc` with `grpc_python_plugin` (Debian's
protobuf-compiler and protobuf-compiler-grpc; $HRNN_PROTOC and $HRNN_GRPC_PYTHON_PLUGIN override
the paths), else the `grpc_tools.protoc` module when it can be imported (its protoc must accept
proto3 `optional`, which Debian 12's python3-grpc-tools 1.14 does not).
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, Tuple

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
RECOMMENDER_PROTO = Path("hrnn/v1/recommender.proto")
HEALTH_PROTO = Path("grpc/health/v1/health.proto")


class ProtoBuildError(SystemExit):
    """Stops the build with a message naming what is missing and how to fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(f"hrnn-client build: error: {message}")


def find_proto_dir() -> Path:
    """Returns the folder holding hrnn/v1/recommender.proto; raises ProtoBuildError if none."""
    configured = os.environ.get("HRNN_PROTO_DIR")
    proto_dir = Path(configured) if configured else HERE.parent.parent / "proto"
    for relative in (RECOMMENDER_PROTO, HEALTH_PROTO):
        if not (proto_dir / relative).is_file():
            raise ProtoBuildError(
                f"{proto_dir / relative} not found. The package is built from the hrnn "
                "repository's proto/ folder: install it from a checkout "
                "(pip install ./client/python, which builds in-tree), or set HRNN_PROTO_DIR to "
                "the proto/ folder.")
    return proto_dir


def find_compiler() -> Tuple[List[str], List[str]]:
    """Returns (the protoc command line start, the output flags given an output folder '{}').

    Raises ProtoBuildError when neither protoc + grpc_python_plugin nor grpc_tools is found."""
    protoc = os.environ.get("HRNN_PROTOC") or shutil.which("protoc")
    plugin = os.environ.get("HRNN_GRPC_PYTHON_PLUGIN") or shutil.which("grpc_python_plugin")
    if protoc and plugin:
        return ([protoc, f"--plugin=protoc-gen-grpc={plugin}"],
                ["--python_out={}", "--pyi_out={}", "--grpc_out={}"])
    if importlib.util.find_spec("grpc_tools") is None:
        raise ProtoBuildError(
            "no protobuf compiler: install `protoc` and `grpc_python_plugin` (Debian: "
            "apt-get install protobuf-compiler protobuf-compiler-grpc) or the grpcio-tools "
            "package, or set HRNN_PROTOC and HRNN_GRPC_PYTHON_PLUGIN.")
    return ([sys.executable, "-m", "grpc_tools.protoc"],
            ["--python_out={}", "--grpc_python_out={}"])


def generate(out_dir: Path) -> None:
    """Writes the generated modules (and their packages' __init__.py) under `out_dir`."""
    proto_dir = find_proto_dir()
    command, out_flags = find_compiler()
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = [flag.format(out_dir) for flag in out_flags]
    with tempfile.TemporaryDirectory(prefix="hrnn-proto-") as health_root:
        health_copy = Path(health_root) / "hrnn" / "_health" / "health.proto"
        health_copy.parent.mkdir(parents=True)
        shutil.copyfile(proto_dir / HEALTH_PROTO, health_copy)
        for include, proto in ((proto_dir, RECOMMENDER_PROTO),
                               (Path(health_root), Path("hrnn/_health/health.proto"))):
            argv = command + [f"-I{include}"] + outputs + [str(proto)]
            print("hrnn-client build: " + " ".join(argv))
            try:
                result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, check=False)
            except OSError as error:
                raise ProtoBuildError(f"cannot run {argv[0]}: {error}") from None
            if result.returncode != 0:
                raise ProtoBuildError(f"{' '.join(argv)} failed:\n{result.stdout}")
    for package in ("hrnn/v1", "hrnn/_health"):
        (out_dir / package / "__init__.py").write_text(
            '"""Generated from proto/ at build time; do not edit."""\n')


class BuildPyWithProtos(build_py):
    """build_py that also generates the gRPC/protobuf modules into the build folder."""

    def run(self) -> None:
        if not self.dry_run:  # First, so that a missing proto/ or compiler fails early.
            generate(Path(self.build_lib))
        super().run()


setup(cmdclass={"build_py": BuildPyWithProtos})
