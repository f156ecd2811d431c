"""Regenerate the committed Python stubs from `compliance/v1/compliance.proto`: `python -m protos._generate`.

The lead's command is `python -m grpc_tools.protoc -I protos --python_out=protos --grpc_python_out=protos
--pyi_out=protos protos/compliance/v1/compliance.proto`; this module runs exactly that (into any output
folder) and then applies the one fix-up the stubs need, so the stub test compares like with like.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

PROTOS_DIR = Path(__file__).resolve().parent
PROTO = "compliance/v1/compliance.proto"
GENERATED = (
    "compliance/v1/compliance_pb2.py",
    "compliance/v1/compliance_pb2.pyi",
    "compliance/v1/compliance_pb2_grpc.py",
)
"""The generated files, relative to the output folder."""

# protoc writes imports relative to its -I root ("compliance.v1"); the stubs live in the `protos`
# package, so the grpc module must import from there.
_IMPORT_FROM = "from compliance.v1 import compliance_pb2"
_IMPORT_TO = "from protos.compliance.v1 import compliance_pb2"


class GenerateError(RuntimeError):
    """protoc refused the proto file (its message says where)."""


def fix_imports(text: str) -> str:
    """The generated grpc module with its import of the messages module rooted at `protos`."""
    return text.replace(_IMPORT_FROM, _IMPORT_TO)


def generate(out_dir: Path = PROTOS_DIR) -> list[Path]:
    """Run protoc into `out_dir` (default: in place) and fix imports; returns the files written."""
    from grpc_tools import protoc  # a build tool: imported only when regenerating

    include = resources.files("grpc_tools") / "_proto"
    out = str(out_dir)
    args = [
        "grpc_tools.protoc",
        f"-I{PROTOS_DIR}",
        f"-I{include}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        f"--pyi_out={out}",
        str(PROTOS_DIR / PROTO),
    ]
    (out_dir / "compliance" / "v1").mkdir(parents=True, exist_ok=True)
    if protoc.main(args) != 0:
        raise GenerateError(f"protoc failed on {PROTO}")
    grpc_module = out_dir / "compliance/v1/compliance_pb2_grpc.py"
    grpc_module.write_text(fix_imports(grpc_module.read_text()))
    return [out_dir / name for name in GENERATED]


if __name__ == "__main__":
    for path in generate():
        sys.stdout.write(f"{path}\n")
