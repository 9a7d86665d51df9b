"""The ``stae`` command line: encode, decode, info, init, import-videomae, serve, demo, profile, simulate."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from stae import wire
from stae.models.checkpoint import (
    CheckpointInfo,
    parameter_counts,
    read_checkpoint,
    save_checkpoint,
)
from stae.models.registry import build_config, model_names
from stae.models.stae import RANDOM_SEED, STAE, random_model
from stae.models.videomae import load_videomae
from stae.pipeline import SemanticDecoder, SemanticEncoder, resolve_device
from stae.train.h264 import CRFS
from stae.video import read_clip

log = logging.getLogger("stae")


class CLIError(Exception):
    """An error to report on one line, exiting with status 2."""


def _source(args: argparse.Namespace) -> tuple[CheckpointInfo | None, str]:
    if args.checkpoint:
        info = read_checkpoint(args.checkpoint)
        state = "trained" if info.trained else "NOT trained (random weights): predictions are meaningless"
        return info, f"checkpoint {info.path} ({info.config.name}, {state})"
    return None, (
        f"model {args.model!r} with random weights (seed {RANDOM_SEED}; no --checkpoint given): "
        "predictions are meaningless until a trained checkpoint is used"
    )


def _encoder(args: argparse.Namespace) -> tuple[SemanticEncoder, str]:
    info, desc = _source(args)
    if info is not None:
        return SemanticEncoder.from_checkpoint(info), desc
    return SemanticEncoder.from_model(random_model(args.model)), desc


def _decoder(args: argparse.Namespace) -> tuple[SemanticDecoder, str]:
    info, desc = _source(args)
    device = resolve_device(args.device)
    if info is not None:
        return SemanticDecoder.from_checkpoint(info, device), desc
    return SemanticDecoder.from_model(random_model(args.model), device), desc


def _emit(args: argparse.Namespace, doc: dict[str, Any], lines: list[str]) -> None:
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print("\n".join(lines))


def cmd_encode(args: argparse.Namespace) -> int:
    encoder, desc = _encoder(args)
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
    _emit(
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
    decoder, desc = _decoder(args)
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
    _emit(args, doc, lines)
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
    _emit(
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


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn
    from pydantic import ValidationError

    try:
        if args.service == "encoder":
            from encoder_service.app import create_app as create_encoder
            from encoder_service.settings import EncoderSettings

            settings: Any = EncoderSettings()
            app = create_encoder(settings)
        else:
            from decoder_service.app import create_app as create_decoder
            from decoder_service.settings import DecoderSettings

            settings = DecoderSettings()
            app = create_decoder(settings)
    except ValidationError as exc:
        prefix = f"STAE_{args.service.upper()}_"
        problems = "; ".join(f"{prefix}{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise CLIError(f"bad settings: {problems}") from None
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        timeout_graceful_shutdown=5,
        limit_concurrency=settings.max_connections,
    )
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    from stae.control.profile import paper_server_times
    from stae.profiling import build_profile, measure_server

    encoder, desc = _encoder(args)
    decoder, _ = _decoder(args)
    cfg = encoder.config
    frames = read_clip(args.clip, cfg.num_frames, cfg.img_size)
    server = measure_server(decoder, cfg.alphas, args.reps)
    if args.server == "paper":
        server = paper_server_times(server.brotli_decode_ms_per_mb)
    stored = read_checkpoint(args.checkpoint).metadata.get("eval", {}) if args.checkpoint else {}
    profile = build_profile(
        encoder,
        frames,
        server,
        accuracy=stored.get("accuracy"),
        coded_bytes=stored.get("coded_bytes"),
        camera_device="cpu",
        reps=args.reps,
    )
    Path(args.json_out).write_text(profile.model_dump_json(indent=2) + "\n")
    print(
        f"{desc}\nwrote {len(profile.entries)} budgets to {args.json_out} (server: {server.device}; "
        f"accuracy: {profile.accuracy_source})"
    )
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from stae.control.profile import Profile
    from stae.simulate import POLICIES, Trace, simulate

    profile = Profile.model_validate_json(Path(args.profile).read_text())
    policies = args.policy or [p for p in POLICIES if p != "local" or args.local_ms is not None]
    rows = []
    for trace_path in args.trace:
        trace = Trace.load(trace_path)
        for deadline in args.deadline_ms:
            for policy in policies:
                res = simulate(
                    profile,
                    trace,
                    policy,
                    deadline_ms=deadline,
                    rate_hz=args.rate,
                    requests=args.requests,
                    overhead_ms=args.overhead_ms,
                    local_ms=args.local_ms,
                )
                row = {"trace": trace.name, "trace_mean_bps": trace.mean_bps(), **res.summary(deadline)}
                rows.append(row)
                print(
                    f"{trace.name:>22} {deadline:6.0f} ms {policy:>12}: hit {row['hit_rate']:6.1%}  "
                    f"acc {row['mean_accuracy']:6.1%}  bytes {row['mean_payload_bytes']:9.0f}  "
                    f"p95 {row['p95_ms']:8.1f} ms",
                    file=sys.stderr,
                )
    doc = {
        "profile": {
            "model": profile.model,
            "accuracy_source": profile.accuracy_source,
            "camera_device": profile.camera_device,
            "server_device": profile.server_device,
        },
        "rate_hz": args.rate,
        "overhead_ms": args.overhead_ms,
        "local_ms": args.local_ms,
        "results": rows,
    }
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(doc, indent=2) + "\n")
    if args.plots:
        from stae.figures import fig5

        local = args.local_ms if args.local_ms is not None else 1000.0
        for path in fig5(
            profile, Path(args.plots), local_ms=local, deadlines=tuple(args.deadline_ms), overhead_ms=args.overhead_ms
        ):
            print(f"wrote {path}", file=sys.stderr)
    print(_simulation_table(rows))
    return 0


def _simulation_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| trace | deadline ms | policy | hit rate | mean accuracy | mean payload B | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['trace']} | {r['deadline_ms']:g} | {r['policy']} | {r['hit_rate']:.1%} | {r['mean_accuracy']:.2%} | "
            f"{r['mean_payload_bytes']:.0f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['p99_ms']:.0f} |"
        )
    return "\n".join(lines)


def cmd_synth(args: argparse.Namespace) -> int:
    from stae.train.synth import SynthConfig, generate

    cfg = SynthConfig(classes=args.classes, clips_per_class=args.clips_per_class, size=args.size, seed=args.seed)
    counts = generate(Path(args.out), cfg, Path(args.backgrounds) if args.backgrounds else None)
    print(f"wrote {counts['train']} train and {counts['test']} test clips of {args.classes} classes to {args.out}")
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
    from stae.cli_codec import print_and_write
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
        from stae.models.checkpoint import update_metadata

        meta = {**info.metadata, "eval": {"data": str(args.data), "split": args.split, "accuracy": doc["accuracy"]}}
        update_metadata(ck, meta)  # config.json only; the weights are not rewritten
        print(f"stored the accuracies in {ck / 'config.json'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from stae.demo import run_demo

    return run_demo(Path(args.clip), args.checkpoint, args.deadline_ms)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="stae", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    p.add_argument("--debug", action="store_true", help="show the traceback of an error instead of one line")
    sub = p.add_subparsers(dest="command", required=True)

    def model_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--checkpoint", help="checkpoint directory (config.json + model.safetensors)")
        sp.add_argument("--model", default="tiny", choices=model_names(), help="preset when no checkpoint is given")
        sp.add_argument("--json", action="store_true", help="print JSON instead of text")

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
    srv = sub.add_parser("serve", help="run the encoder or decoder service (settings from STAE_* variables)")
    srv.add_argument("service", choices=["encoder", "decoder"])
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=8000)
    srv.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    srv.set_defaults(func=cmd_serve)

    from stae.demo import DEFAULT_CLIP

    prof = sub.add_parser("profile", help="measure the controller's profile table (stage times, bytes, accuracy)")
    prof.add_argument("--clip", default=str(DEFAULT_CLIP), help="clip the camera side is measured on")
    prof.add_argument(
        "--server",
        choices=["measured", "paper"],
        default="measured",
        help="server stage times measured here, or the paper's RTX 2080 Ti (Table I)",
    )
    prof.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="server device")
    prof.add_argument("--reps", type=int, default=3)
    prof.add_argument("--json-out", "--out", dest="json_out", required=True)
    model_args(prof)
    prof.set_defaults(func=cmd_profile)

    syn = sub.add_parser("synth", help="write the synthetic action dataset (mp4 in class folders + splits)")
    syn.add_argument("--out", required=True)
    syn.add_argument("--classes", type=int, default=10)
    syn.add_argument("--clips-per-class", type=int, default=60)
    syn.add_argument("--size", type=int, default=96)
    syn.add_argument("--seed", type=int, default=0)
    syn.add_argument("--backgrounds", help="folder of real clips whose frames become backgrounds")
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

    sim = sub.add_parser("simulate", help="replay uplink traces against the controller and other policies")
    sim.add_argument("--profile", required=True, help="profile JSON (stae profile)")
    sim.add_argument("--trace", nargs="+", required=True, help="Mahimahi uplink trace(s)")
    sim.add_argument("--deadline-ms", type=float, nargs="+", default=[500.0])
    sim.add_argument("--rate", type=float, default=2.0, help="clips per second")
    sim.add_argument("--requests", type=int, help="clips per run (default: one pass over the trace)")
    sim.add_argument("--policy", action="append", help="policy to run (repeatable; default: all)")
    sim.add_argument("--local-ms", type=float, help="local computing time on the camera (enables 'local')")
    sim.add_argument("--overhead-ms", type=float, default=3.0)
    sim.add_argument("--json-out", "--json", dest="json_out")
    sim.add_argument("--plots", help="folder for the Fig. 5 PNGs")
    sim.set_defaults(func=cmd_simulate)

    demo = sub.add_parser("demo", help="run decoder + encoder locally and recognize a real clip through them")
    demo.add_argument("--clip", default=str(DEFAULT_CLIP))
    demo.add_argument("--checkpoint", help="checkpoint for both services (default: random tiny model)")
    demo.add_argument("--deadline-ms", type=float, default=500.0)
    demo.set_defaults(func=cmd_demo)

    from stae.cli_codec import add_commands

    add_commands(sub)
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


if __name__ == "__main__":
    raise SystemExit(main())
