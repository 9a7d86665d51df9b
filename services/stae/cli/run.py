"""``stae demo``, ``profile``, ``simulate``: the main job and the controller's table. (The services run as
``stae-encoder`` and ``stae-decoder``: service_common.serve.)"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from stae.checkpoint import read_checkpoint
from stae.cli.common import decoder_from_args, encoder_from_args, model_args
from stae.video import read_clip

log = logging.getLogger("stae")


def cmd_demo(args: argparse.Namespace) -> int:
    from stae.demo import run_demo

    return run_demo(Path(args.clip), args.checkpoint, args.deadline_ms, Path(args.footage) if args.footage else None)


def cmd_profile(args: argparse.Namespace) -> int:
    from stae.control.profile import paper_server_times
    from stae.profiling import build_profile, measure_server

    encoder, desc = encoder_from_args(args)
    decoder, _ = decoder_from_args(args)
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


def add(sub: Any) -> None:
    demo = sub.add_parser("demo", help="run decoder + encoder locally and recognize a real clip through them")
    demo.add_argument("--clip", required=True, help="a real video file (make demo passes one from ../shared)")
    demo.add_argument("--checkpoint", help="checkpoint for both services (default: random tiny model)")
    demo.add_argument("--deadline-ms", type=float, default=500.0)
    demo.add_argument(
        "--footage",
        metavar="DATA_DIR",
        help="the real footage folder (../shared/data): also send synthetic actions over videos the model never saw",
    )
    demo.set_defaults(func=cmd_demo)

    prof = sub.add_parser("profile", help="measure the controller's profile table (stage times, bytes, accuracy)")
    prof.add_argument("--clip", required=True, help="clip the camera side is measured on")
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
