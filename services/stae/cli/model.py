"""``stae encode``, ``decode``, ``info``, ``init``, ``import-videomae``: payloads and checkpoints."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import torch

from stae import wire
from stae.checkpoint import read_checkpoint
from stae.cli.common import CLIError, decoder_from_args, emit, encoder_from_args, model_args
from stae.models.checkpoint import parameter_counts, save_checkpoint
from stae.models.registry import build_config, model_names
from stae.models.stae import RANDOM_SEED, STAE
from stae.models.videomae import load_videomae
from stae.video import read_clip

log = logging.getLogger("stae")


def cmd_encode(args: argparse.Namespace) -> int:
    encoder, desc = encoder_from_args(args)
    cfg = encoder.config
    frames = read_clip(args.clip, cfg.num_frames, cfg.img_size)
    result = encoder.encode(
        frames,
        args.alpha,
        args.beta,
        values=args.values,
        entropy="none" if args.no_entropy else "brotli",
        quality=args.quality,
    )
    Path(args.out).write_bytes(result.payload)
    doc = {
        "model": desc,
        "clip": str(args.clip),
        "out": str(args.out),
        "alpha": result.alpha,
        "beta": result.beta,
        "frame_indices": result.frame_indices,
        "values": result.value_encoding,
        "entropy": result.entropy,
        "payload_bytes": result.payload_bytes,
        "eq1_bytes": result.eq1_bytes,
        "raw_float32_bytes": result.raw_float32_bytes,
        "raw_uint8_bytes": result.raw_uint8_bytes,
        "ratio_vs_float32": round(result.ratio_float32, 2),
        "ratio_vs_uint8": round(result.ratio_uint8, 2),
        "timings_ms": {k: round(v, 3) for k, v in result.timings_ms.items()},
    }
    emit(
        args,
        doc,
        [
            f"model:          {desc}",
            f"kept frames:    {result.frame_indices} (alpha={result.alpha} of {cfg.num_frames})",
            f"kept pixels:    beta={result.beta:.0%} of {cfg.img_size}x{cfg.img_size} per frame",
            f"payload:        {result.payload_bytes} bytes ({result.value_encoding}, {result.entropy}) -> {args.out}",
            f"eq. 1 size:     {result.eq1_bytes} bytes (float32 kept values, no mask, no entropy coding)",
            f"compression:    {result.ratio_float32:.1f}x vs raw float32 ({result.raw_float32_bytes} B), "
            f"{result.ratio_uint8:.1f}x vs raw uint8 ({result.raw_uint8_bytes} B)",
            "timings (ms):   " + ", ".join(f"{k} {v:.2f}" for k, v in result.timings_ms.items()),
        ],
    )
    return 0


def cmd_decode(args: argparse.Namespace) -> int:
    decoder, desc = decoder_from_args(args)
    try:
        payload = Path(args.payload).read_bytes()
    except OSError as exc:
        raise CLIError(f"cannot read {args.payload}: {exc.strerror}") from None
    pred = decoder.decode(payload, top_k=args.top_k)
    doc = {
        "model": desc,
        "frame_indices": pred.frame_indices,
        "beta": pred.beta,
        "top": [{"label": lab, "score": s} for lab, s in zip(pred.labels, pred.scores, strict=True)],
        "timings_ms": {k: round(v, 3) for k, v in pred.timings_ms.items()},
    }
    lines = [f"model: {desc}", f"frames {pred.frame_indices}, beta={pred.beta:.0%}"]
    lines += [f"  {i + 1}. {lab:<32} {s:.4f}" for i, (lab, s) in enumerate(zip(pred.labels, pred.scores, strict=True))]
    lines.append("timings (ms): " + ", ".join(f"{k} {v:.2f}" for k, v in pred.timings_ms.items()))
    emit(args, doc, lines)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    info = read_checkpoint(args.checkpoint)
    model = STAE(info.config)
    counts = parameter_counts(model)
    weights = info.path / "model.safetensors"
    doc = {
        "path": str(info.path),
        "trained": info.trained,
        "metadata": info.metadata,
        "config": info.config.model_dump(mode="json"),
        "parameters": counts,
        "weights_bytes": weights.stat().st_size,
    }
    cfg = info.config
    emit(
        args,
        doc,
        [
            f"checkpoint: {info.path}  ({'trained' if info.trained else 'NOT trained: random weights'})",
            f"model:      {cfg.name}; input {cfg.num_frames} x {cfg.vit.in_chans} x {cfg.img_size} x {cfg.img_size}",
            f"classes:    {cfg.vit.num_classes} ({', '.join(cfg.labels[:5]) or 'unnamed'}"
            f"{', ...' if len(cfg.labels) > 5 else ''})",
            f"budgets:    alpha {list(cfg.alphas)}, beta {list(cfg.betas)}",
            "parameters: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()),
            f"weights:    {weights.stat().st_size / 2**20:.2f} MiB",
            f"metadata:   {json.dumps(info.metadata)}",
        ],
    )
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    labels = tuple(args.labels.split(",")) if args.labels else ()
    torch.manual_seed(args.seed)
    model = STAE(build_config(args.model, num_classes=args.num_classes, labels=labels))
    save_checkpoint(model, args.out, {"trained": False, "note": f"random initialisation, seed {args.seed}"})
    print(f"wrote an untrained {args.model} checkpoint to {args.out}")
    return 0


def cmd_import_videomae(args: argparse.Namespace) -> int:
    imported = load_videomae(args.source, num_classes=args.num_classes)
    vcfg = imported.model.cfg
    base = build_config(args.model, num_classes=vcfg.num_classes)
    cfg = base.model_copy(update={"vit": vcfg, "labels": imported.labels, "mean": imported.mean, "std": imported.std})
    cfg = type(cfg).model_validate(cfg.model_dump())  # re-validate the combination
    torch.manual_seed(args.seed)
    model = STAE(cfg)
    model.vit.load_state_dict(imported.model.state_dict())
    note = "ViT imported from VideoMAE; FA, SA and FR untrained"
    save_checkpoint(model, args.out, {"trained": False, "vit_trained": True, "source": str(args.source), "note": note})
    head = " (new, untrained classifier head)" if imported.head_initialised else ""
    print(f"imported {args.source}: ViT {vcfg.depth} blocks x {vcfg.embed_dim}, {vcfg.num_classes} classes{head}")
    print(f"wrote {args.out}: {note}")
    return 0


def add(sub: Any) -> None:
    enc = sub.add_parser("encode", help="compress a clip into a semantic payload (camera side)")
    enc.add_argument("clip", help="video file (mp4, avi, webm, ...)")
    enc.add_argument("--alpha", type=int, default=16, help="frames to keep (1..16)")
    enc.add_argument("--beta", type=float, default=1.0, help="share of pixels to keep per frame, (0, 1]")
    enc.add_argument("--values", choices=["uint8", "float32"], default="uint8")
    enc.add_argument("--no-entropy", action="store_true", help="skip brotli")
    enc.add_argument("--quality", type=int, default=wire.DEFAULT_BROTLI_QUALITY, choices=range(12), metavar="0-11")
    enc.add_argument("--out", required=True, help="payload file to write")
    model_args(enc)
    enc.set_defaults(func=cmd_encode)

    dec = sub.add_parser("decode", help="recover and classify a payload (edge side)")
    dec.add_argument("payload")
    dec.add_argument("--top-k", type=int, default=5)
    dec.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    model_args(dec)
    dec.set_defaults(func=cmd_decode)

    inf = sub.add_parser("info", help="show a checkpoint's config and sizes")
    inf.add_argument("checkpoint")
    inf.add_argument("--json", action="store_true")
    inf.set_defaults(func=cmd_info)

    ini = sub.add_parser("init", help="write a randomly initialised checkpoint of a preset")
    ini.add_argument("model", choices=model_names())
    ini.add_argument("--out", required=True)
    ini.add_argument("--num-classes", type=int)
    ini.add_argument("--labels", help="comma-separated class names")
    ini.add_argument("--seed", type=int, default=RANDOM_SEED)
    ini.set_defaults(func=cmd_init)

    imp = sub.add_parser("import-videomae", help="make a checkpoint whose ViT is a VideoMAE checkpoint")
    imp.add_argument("source", help="Hugging Face directory, or an original VideoMAE .pth/.bin/.safetensors")
    imp.add_argument("--out", required=True)
    imp.add_argument("--model", default="vit-base", choices=model_names(), help="preset for FA, SA and FR")
    imp.add_argument("--num-classes", type=int, help="classes of a new head (pre-training checkpoints)")
    imp.add_argument("--seed", type=int, default=RANDOM_SEED)
    imp.set_defaults(func=cmd_import_videomae)
