"""The ``stae`` command line; each group of commands lives in its own module:

* ``model``: encode, decode, info, init, import-videomae;
* ``run``: demo, profile, simulate;
* ``train``: synth, train, eval;
* ``codec``: finetune-codec, frontier;
* ``export``: export-onnx;
* ``certs``: dev-certs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from stae.cli import certs, codec, export, model, run, train
from stae.cli.common import CLIError

__all__ = ["CLIError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="stae",
        description="ViT STAE: compress video clips on the camera (FA + SA, lossless or H.264), classify them on "
        "the edge server (FR + video ViT); train, evaluate and profile the models.",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    p.add_argument("--debug", action="store_true", help="show the traceback of an error instead of one line")
    sub = p.add_subparsers(dest="command", required=True)
    for group in (model, run, train, codec, export, certs):
        group.add(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return int(args.func(args))
    except (CLIError, ValueError, OSError) as exc:  # bad input (STAEError and other ValueErrors): one line, exit 2
        if args.debug:
            raise
        print(f"stae {args.command}: error: {exc}", file=sys.stderr)
        return 2
