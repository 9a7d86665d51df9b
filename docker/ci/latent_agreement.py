"""Wire v3 across CPUs: the camera image (arm64 under QEMU in docker/ci/stack.sh) codes the real clips, the
edge (this machine, amd64, PyTorch) decodes them, and every symbol must come back exactly as the camera
quantised it, with the integer tables both load from the same checkpoint.

    a checkpoint (here):             python latent_agreement.py make --checkpoint CK
    camera side (in the container):  python latent_agreement.py camera --checkpoint CK --clips DIR > coded.json
    edge side (here):                python latent_agreement.py edge --checkpoint CK --clips DIR --coded coded.json

``make`` writes the tiny model with a seeded, randomly initialised latent codec (symbol agreement does not
depend on training), tables peaked at zero as trained ones are, and its ONNX export; stack.sh also runs the camera
and edge sides on the shipped checkpoint's trained codec.

The edge side also codes the same clips with its own ONNX Runtime and says how many payloads came out byte for
byte the same (the analysis' float rounding may differ between CPUs, which only moves a symbol across a
rounding boundary: a different but equally valid payload). Exits non-zero on the first disagreement.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from stae.camera import SemanticEncoder
from stae.video import read_clip


def make(checkpoint: Path) -> None:
    import torch

    from stae.camera.torch_graphs import export_onnx
    from stae.config import LatentConfig
    from stae.latent import LatentTables
    from stae.models import STAE, build_config
    from stae.models.checkpoint import save_checkpoint

    torch.manual_seed(0)
    latent = LatentConfig()
    model = STAE(build_config("tiny").model_copy(update={"latent": latent})).eval()
    assert model.latent is not None
    with torch.no_grad():  # gains that spread the levels from a few to many non-zero symbols
        model.latent.log_gain.copy_(torch.linspace(0.0, 3.0, latent.levels)[:, None].expand_as(model.latent.log_gain))
    out = save_checkpoint(model, checkpoint, {"trained": False})
    k = latent.max_symbol
    counts = 1000 * np.exp(-np.abs(np.arange(-k, k + 1)))[None, None, :].repeat(latent.levels, 0).repeat(
        latent.channels, 1
    )
    LatentTables.from_counts(model.latent.log_gain.detach().exp().numpy(), counts, k).save(out)
    from stae.checkpoint import read_checkpoint

    export_onnx(read_checkpoint(out))


def camera(checkpoint: Path, clips: Path) -> list[dict[str, object]]:
    encoder = SemanticEncoder.from_checkpoint(checkpoint, runtime="onnx")
    tables = encoder.latent_tables
    if tables is None:
        raise SystemExit(f"{checkpoint} has no latent codec (wire v3)")
    cfg = encoder.config
    out = []
    for clip in sorted(clips.glob("*.*")):
        frames = read_clip(clip, cfg.num_frames, cfg.img_size)
        for level in sorted({0, tables.levels // 2, tables.levels - 1}):
            res = encoder.encode_latent(frames, cfg.num_frames, level=level)
            latent = encoder.attention.latent(np.ascontiguousarray(frames[res.frame_indices]))
            symbols = tables.quantize(latent, level)
            out.append(
                {
                    "clip": clip.name,
                    "level": level,
                    "payload": base64.b64encode(res.payload).decode(),
                    "symbols_sha256": hashlib.sha256(symbols.astype("<i8").tobytes()).hexdigest(),
                }
            )
    return out


def edge(checkpoint: Path, clips: Path, coded: list[dict[str, str]]) -> int:
    from stae.pipeline import LatentSymbols, SemanticDecoder

    decoder = SemanticDecoder.from_checkpoint(checkpoint)
    own = {(r["clip"], r["level"]): r["payload"] for r in camera(checkpoint, clips)}
    same = 0
    for row in coded:
        payload = base64.b64decode(row["payload"])
        got = decoder.unpack(payload)
        if not isinstance(got, LatentSymbols):
            print(f"latent_agreement: {row['clip']} level {row['level']} is not a wire v3 payload", file=sys.stderr)
            return 1
        digest = hashlib.sha256(got.values.astype("<i8").tobytes()).hexdigest()
        if digest != row["symbols_sha256"]:
            print(
                f"latent_agreement: {row['clip']} level {row['level']}: the edge decoded other symbols "
                "than the camera coded",
                file=sys.stderr,
            )
            return 1
        same += own.get((row["clip"], row["level"])) == row["payload"]
        top = decoder.predict(got, top_k=1).labels[0]
        print(f"{row['clip']:<28} level {row['level']}: {len(payload):>5} B, every symbol agrees; top-1 {top}")
    print(
        f"{len(coded)} payloads decoded symbol for symbol; {same} of them byte-identical to this machine's own coding"
    )
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("side", choices=["make", "camera", "edge"])
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--clips", type=Path)
    p.add_argument("--coded", type=Path, help="edge: the camera side's output")
    args = p.parse_args()
    if args.side == "make":
        make(args.checkpoint)
        return 0
    if args.clips is None:
        p.error("the camera and edge sides need --clips")
    if args.side == "camera":
        json.dump(camera(args.checkpoint, args.clips), sys.stdout)
        return 0
    if args.coded is None:
        p.error("the edge side needs the camera side's output file")
    return edge(args.checkpoint, args.clips, json.loads(args.coded.read_text()))


if __name__ == "__main__":
    sys.exit(main())
