"""``stae finetune-codec``, ``stae finetune-latent`` and ``stae frontier``: the commands of wire v2 (H.264) and
wire v3 (the learned latent)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

from stae.cli.common import CLIError, print_and_write
from stae.config import CodedSetting

log = logging.getLogger("stae")

DEFAULT_SETTINGS = ("16,1,1", "16,1,2", "8,1,1", "8,1,2", "4,1,1", "4,1,2")
DEFAULT_BUDGETS = (250, 300, 350, 400, 500, 600, 800, 1000, 1500, 2000, 3000)


def _setting(text: str) -> CodedSetting:
    try:
        alpha, beta, scale = text.split(",")
        return CodedSetting(alpha=int(alpha), beta=float(beta), scale=int(scale))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: expected alpha,beta,scale such as 8,1,2 ({exc})") from None


def _videos(data: str, splits: str) -> Any:
    from stae.train.datasets import VideoList, split_file

    lists = [split_file(data, s) for s in splits.split(",")]
    return VideoList(
        tuple(p for v in lists for p in v.paths), tuple(y for v in lists for y in v.labels), lists[0].classes
    )


def cmd_finetune_codec(args: argparse.Namespace) -> int:
    from stae.models.checkpoint import load_model
    from stae.train.codec_aware import CodecTrainConfig, finetune_codec

    model, info = load_model(args.checkpoint)
    model.cfg = model.cfg.model_copy(update={"coded": tuple(args.settings), "coded_budgets": tuple(args.budgets)})
    type(model.cfg).model_validate(model.cfg.model_dump())  # the settings must fit the model's geometry
    tc = CodecTrainConfig(
        epochs=args.epochs,
        lossless_share=args.lossless_share,
        crf_range=(args.crf_min, 51),
        workers=args.workers,
        seed=args.seed,
        lr=args.lr,
    )
    meta = {k: v for k, v in info.metadata.items() if k != "eval"}  # its accuracies were of the old ViT
    out = finetune_codec(model, _videos(args.data, args.split), Path(args.out), tc, cache=args.cache, metadata=meta)
    print(f"codec-aware checkpoint in {out} ({len(args.settings)} settings, {args.epochs} epochs)")
    return 0


def cmd_finetune_latent(args: argparse.Namespace) -> int:
    from stae.camera.torch_graphs import export_onnx
    from stae.checkpoint import read_checkpoint
    from stae.config import LatentConfig
    from stae.models.checkpoint import load_model
    from stae.train.latent import LatentTrainConfig, finetune_latent

    model, info = load_model(args.checkpoint)
    if args.codec_from:  # another checkpoint's trained codec on this one's model (e.g. a new ViT for a codec)
        donor, _ = load_model(args.codec_from)
        if donor.latent is None or donor.cfg.latent is None:
            raise CLIError(f"--codec-from {args.codec_from}: that checkpoint has no latent codec (wire v3)")
        ours, theirs = (model.cfg.vit, donor.cfg.vit)
        if (ours.img_size, ours.num_frames, ours.in_chans) != (theirs.img_size, theirs.num_frames, theirs.in_chans):
            raise CLIError(f"--codec-from {args.codec_from}: its frames are not the checkpoint's geometry")
        model.latent = donor.latent
        model.cfg = model.cfg.model_copy(update={"latent": donor.cfg.latent})
    given = {"channels": args.channels, "width": args.width, "rate_weights": args.rate_weights, "alphas": args.alphas}
    base = model.cfg.latent or LatentConfig()  # a checkpoint with a codec: continue it (new λs, α, epochs)
    latent = LatentConfig.model_validate({**base.model_dump(), **{k: v for k, v in given.items() if v is not None}})
    if model.cfg.latent and (latent.channels, latent.width) != (base.channels, base.width):
        raise CLIError("--channels and --width must match the checkpoint's codec when continuing it")
    tc = LatentTrainConfig(
        epochs=args.epochs,
        lr=args.lr,
        vit_lr=args.vit_lr,
        recon=args.recon,
        rate_warmup=args.rate_warmup,
        pretrain_epochs=args.pretrain_epochs,
        workers=args.workers,
        seed=args.seed,
    )
    meta = dict(info.metadata)
    if args.codec_from:
        meta["codec_from"] = str(args.codec_from)
    if args.vit_from:  # the codec trained against another checkpoint's classifier (e.g. the strong baseline's)
        donor, _ = load_model(args.vit_from)
        if donor.cfg.vit != model.cfg.vit:
            raise CLIError(f"--vit-from {args.vit_from}: its ViT is not the same architecture as the checkpoint's")
        model.vit.load_state_dict(donor.vit.state_dict())
        model.cfg = model.cfg.model_copy(update={"coded": donor.cfg.coded})  # the H.264 settings it was tuned on
        meta["vit_from"] = str(args.vit_from)
    if args.vit_lr > 0 or args.vit_from:  # another ViT: the stored accuracies of wire v1 and v2 no longer hold
        meta.pop("eval", None)
    out, history = finetune_latent(
        model, _videos(args.data, args.split), Path(args.out), tc, latent, cache=args.cache, metadata=meta
    )
    export_onnx(read_checkpoint(out))
    last = history[-1]
    print(
        f"latent codec in {out} ({latent.levels} levels, {args.epochs} epochs; last epoch: train accuracy "
        f"{last['train_acc']:.1%}, {last['bytes_mean']:.0f} B per clip averaged over levels); ONNX exported"
    )
    return 0


def cmd_frontier(args: argparse.Namespace) -> int:
    from stae.camera import SemanticEncoder
    from stae.checkpoint import read_checkpoint
    from stae.figures import codec_frontier
    from stae.pipeline import SemanticDecoder
    from stae.train.datasets import ClipDataset
    from stae.train.frontier import evaluate_frontier, markdown

    info = read_checkpoint(args.checkpoint)
    encoder = SemanticEncoder.from_checkpoint(info)
    decoder = SemanticDecoder.from_checkpoint(info)
    stock = SemanticDecoder.from_checkpoint(args.stock) if args.stock else None
    baseline = SemanticDecoder.from_checkpoint(args.baseline) if args.baseline else None
    half = SemanticDecoder.from_checkpoint(args.half_baseline) if args.half_baseline else None
    videos = _videos(args.data, args.split)
    cfg = info.config
    ds = ClipDataset(videos, cfg.num_frames, cfg.img_size, args.cache)
    picks = np.linspace(0, len(videos) - 1, min(args.clips, len(videos))).round().astype(int)
    items = [ds[int(i)] for i in picks]
    clips = [f.numpy() for f, _ in (x for x in items if x is not None)]
    labels = [y for _, y in (x for x in items if x is not None)]
    doc = evaluate_frontier(
        encoder,
        decoder,
        clips,
        labels,
        stock=stock,
        baseline=baseline,
        half=half,
        budgets=tuple(cfg.coded_budgets) or tuple(DEFAULT_BUDGETS),
        progress=lambda m: log.info("%s", m),
        methods=args.methods,
    )
    doc.update(
        checkpoint=str(args.checkpoint),
        stock=args.stock,
        baseline=args.baseline,
        half_baseline=args.half_baseline,
        data=args.data,
    )
    print_and_write(doc, markdown(doc), args.json_out, args.markdown)
    if args.plot:
        print(f"wrote {codec_frontier(doc, Path(args.plot))}", file=sys.stderr)
    if args.store:  # the controller's profile reads the coded entries' accuracy and bytes from here
        stored = store_frontier(info, doc, f"{args.data} ({args.split}, {len(clips)} clips)", args.fresh_store)
        print(f"stored {stored} coded accuracies in {info.path / 'config.json'}", file=sys.stderr)
    return 0


def store_frontier(info: Any, doc: dict[str, Any], data: str, fresh: bool = False) -> int:
    """Write a frontier's coded (wire v2) and latent (wire v3) rows into the checkpoint's metadata, where the
    controller's profile reads their accuracy and byte distribution; returns how many were stored. ``fresh``:
    the stored accuracies are replaced by this frontier's, its lossless rows included (the ViT changed since the
    others were measured)."""
    from stae.checkpoint import update_metadata

    coded = [r for r in doc["rows"] if r["method"] == "stae_h264"]
    keys = {f"h264:{r['alpha']},{r['beta']:g},{r['scale']},{r['max_bytes']}": r for r in coded}
    keys |= {f"latent:{r['alpha']},{r['level']}": r for r in doc["rows"] if r["method"] == "stae_latent"}
    stored = dict(info.metadata.get("eval") or {})
    lossless = {f"{r['alpha']},{r['beta']:g}": r["accuracy"] for r in doc["rows"] if r["method"] == "stae_lossless"}
    before = {} if fresh else (stored.get("accuracy") or {})
    stored["accuracy"] = {**before, **(lossless if fresh else {}), **{k: r["accuracy"] for k, r in keys.items()}}
    measured = {
        k: {"mean": r["bytes_mean"], "p95": r["bytes_p95"], "over": r.get("over_budget", 0.0)} for k, r in keys.items()
    }  # merged like the accuracies: a frontier of wire v2 alone keeps the stored wire v3 bytes
    stored["coded_bytes"] = {**({} if fresh else stored.get("coded_bytes") or {}), **measured}
    stored["coded_data"] = data
    update_metadata(info.path, {**info.metadata, "eval": stored})
    return len(keys)


def add(sub: Any) -> None:
    ft = sub.add_parser("finetune-codec", help="fine-tune the ViT on H.264 output of wire-v2 settings")
    ft.add_argument("checkpoint", help="trained checkpoint (stae train)")
    ft.add_argument("--data", required=True, help="dataset root with split files (stae synth)")
    ft.add_argument("--split", default="train", help="split(s), comma-separated")
    ft.add_argument("--out", required=True, help="checkpoint directory to write")
    ft.add_argument(
        "--settings",
        type=_setting,
        nargs="+",
        default=[_setting(s) for s in DEFAULT_SETTINGS],
        help="coded settings alpha,beta,scale",
    )
    ft.add_argument("--budgets", type=int, nargs="+", default=list(DEFAULT_BUDGETS), help="byte budgets to profile")
    ft.add_argument("--epochs", type=int, default=4)
    ft.add_argument("--lr", type=float, default=2e-4)
    ft.add_argument("--lossless-share", type=float, default=0.25, help="share of batches on the lossless path")
    ft.add_argument("--crf-min", type=int, default=18, help="lowest CRF drawn (the highest is 51)")
    ft.add_argument("--workers", type=int, default=2)
    ft.add_argument("--cache")
    ft.add_argument("--seed", type=int, default=0)
    ft.set_defaults(func=cmd_finetune_codec)

    lt = sub.add_parser(
        "finetune-latent", help="train wire v3's learned latent codec on a trained checkpoint (task loss + rate)"
    )
    lt.add_argument("checkpoint", help="trained checkpoint (stae train or stae finetune-codec)")
    lt.add_argument("--data", required=True, help="dataset root with split files (stae synth)")
    lt.add_argument("--split", default="train", help="split(s), comma-separated")
    lt.add_argument("--out", required=True, help="checkpoint directory to write")
    lt.add_argument("--epochs", type=int, default=6)
    lt.add_argument("--lr", type=float, default=2e-3, help="learning rate of the codec")
    lt.add_argument("--vit-lr", type=float, default=0.0, help="fine-tune the ViT too (0: frozen, serves v1/v2)")
    lt.add_argument(
        "--vit-from", help="start from this checkpoint's ViT (same architecture), e.g. the H.264-fine-tuned baseline's"
    )
    lt.add_argument(
        "--codec-from",
        help="start from this checkpoint's latent codec (same frame geometry, any ViT), e.g. a codec "
        "trained for another ViT",
    )
    lt.add_argument("--recon", type=float, default=1.0, help="weight of the frames' mean squared error")
    lt.add_argument("--rate-warmup", type=float, default=1.0, help="epochs over which the rate weight ramps up")
    lt.add_argument(
        "--pretrain-epochs", type=int, default=0, help="epochs of reconstruction alone first (no ViT: cheap)"
    )
    lt.add_argument("--channels", type=int, help="latent channels per 8 x 8 block (default: LatentConfig's)")
    lt.add_argument("--width", type=int, help="hidden channels of the transforms (default: LatentConfig's)")
    lt.add_argument("--rate-weights", type=float, nargs="+", help="λ per rate level, on kilobytes (LatentConfig's)")
    lt.add_argument("--alphas", type=int, nargs="+", help="FA budgets to train the codec for (LatentConfig's: 16)")
    lt.add_argument("--workers", type=int, default=2)
    lt.add_argument("--cache")
    lt.add_argument("--seed", type=int, default=0)
    lt.set_defaults(func=cmd_finetune_latent)

    fr = sub.add_parser("frontier", help="accuracy vs bytes of codec STAE, lossless STAE and H.264, same clips")
    fr.add_argument("checkpoint", help="codec-aware checkpoint (stae finetune-codec)")
    fr.add_argument("--data", required=True, help="held-out dataset root (a seed not used in training)")
    fr.add_argument("--split", default="test,train", help="split(s), comma-separated")
    fr.add_argument("--clips", type=int, default=300)
    fr.add_argument(
        "--methods",
        nargs="+",
        choices=["stae_lossless", "stae_h264", "stae_latent", "h264"],
        help="only these rows (default: all; h264: the plain H.264 baselines)",
    )
    fr.add_argument("--stock", help="checkpoint whose ViT classifies the plain H.264 rows (before codec tuning)")
    fr.add_argument("--baseline", help="checkpoint of the ViT fine-tuned on H.264 of 16 frames (strong baseline)")
    fr.add_argument(
        "--half-baseline",
        help="checkpoint of the ViT fine-tuned on H.264 of 16 frames at half size (stae finetune-codec --settings "
        "16,1,2): adds that baseline's rows",
    )
    fr.add_argument("--cache")
    fr.add_argument("--json-out", "--json", dest="json_out")
    fr.add_argument("--markdown")
    fr.add_argument("--plot", help="PNG of accuracy against bytes")
    fr.add_argument(
        "--fresh-store",
        action="store_true",
        help="with --store: replace every stored accuracy by this frontier's (the ViT changed since)",
    )
    fr.add_argument("--store", action="store_true", help="write coded accuracies and bytes into the checkpoint")
    fr.set_defaults(func=cmd_frontier)
