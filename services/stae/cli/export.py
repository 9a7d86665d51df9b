"""``stae export-onnx``: the camera's FA and SA as ONNX files inside a checkpoint (the camera then needs no torch)."""

from __future__ import annotations

import argparse
from typing import Any

from stae.checkpoint import read_checkpoint


def cmd_export_onnx(args: argparse.Namespace) -> int:
    from stae.camera.torch_graphs import export_onnx

    for path in export_onnx(read_checkpoint(args.checkpoint)):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


def add(sub: Any) -> None:
    exp = sub.add_parser("export-onnx", help="write a checkpoint's FA and SA as ONNX for a torch-free camera")
    exp.add_argument("checkpoint", help="checkpoint directory; fa.onnx and sa.onnx are written into it")
    exp.set_defaults(func=cmd_export_onnx)
