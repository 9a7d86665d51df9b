"""``stae demo``, ``profile``, ``simulate``: the main job and the controller's table. (The services run as
``stae-encoder`` and ``stae-decoder``: service_common.serve.)"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stae.checkpoint import read_checkpoint
from stae.cli.common import decoder_from_args, encoder_from_args, model_args
from stae.video import read_clip

if TYPE_CHECKING:
    from stae.control.profile import Profile

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


def _fleet(args: argparse.Namespace, profile: Profile) -> int:
    from stae.control.profile import PAPER_FR_MS, PAPER_VIT_MS
    from stae.fleet import FleetConfig, compare

    server_ms = {a: PAPER_VIT_MS[a] + PAPER_FR_MS[a] for a in PAPER_VIT_MS} if args.server_times == "paper" else None
    rows = []
    for servers in args.servers:
        for cameras in args.fleet:
            for deadline in args.deadline_ms:
                cfg = FleetConfig(
                    cameras=cameras,
                    servers=servers,
                    period_ms=args.period_ms,
                    deadline_ms=deadline,
                    camera_bps=args.camera_mbps * 1e6,
                    cell_bps=args.cell_mbps * 1e6 if args.cell_mbps else None,
                    duration_s=args.duration_s,
                    max_batch=args.max_batch,
                    batch_share=args.batch_share,
                    overhead_ms=args.overhead_ms,
                    server_ms=server_ms,
                )
                for res in compare(profile, cfg):
                    row = {**res.row(), "deadline_ms": deadline}
                    rows.append(row)
                    print(
                        f"{cameras:5d} cameras {servers} server(s) {deadline:5.0f} ms {res.policy:>10}: "
                        f"hit {row['hit_rate']:6.1%}  effective accuracy {res.effective_accuracy:6.1%}  "
                        f"refused {res.refused:5d}  utilisation {res.utilisation:5.1%}"
                        + (f"  ({res.fixed_budget})" if res.fixed_budget else ""),
                        file=sys.stderr,
                    )
    doc = {"profile": profile.model, "server_times": args.server_times, "period_ms": args.period_ms, "results": rows}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(doc, indent=2) + "\n")
    if args.markdown:
        lines = [
            "| cameras | servers | deadline | policy | hit rate | effective accuracy | refused | utilisation |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            name = str(r["policy"]) + (f" ({r['fixed_budget']})" if r["fixed_budget"] else "")
            lines.append(
                f"| {r['cameras']} | {r['servers']} | {r['deadline_ms']:.0f} ms | {name} | {r['hit_rate']:.1%} | "
                f"{r['effective_accuracy']:.1%} | {r['refused']} | {r['utilisation']:.1%} |"
            )
        Path(args.markdown).write_text("\n".join(lines) + "\n")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from stae.control.profile import Profile
    from stae.simulate import POLICIES, Trace, simulate

    profile = Profile.model_validate_json(Path(args.profile).read_text())
    if args.fleet:
        return _fleet(args, profile)
    if not args.trace:
        raise SystemExit("stae simulate: give --trace (one camera over real uplinks) or --fleet (many cameras)")
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
    sim.add_argument("--trace", nargs="+", help="Mahimahi uplink trace(s)")
    sim.add_argument("--deadline-ms", type=float, nargs="+", default=[500.0])
    sim.add_argument("--rate", type=float, default=2.0, help="clips per second")
    sim.add_argument("--requests", type=int, help="clips per run (default: one pass over the trace)")
    sim.add_argument("--policy", action="append", help="policy to run (repeatable; default: all)")
    sim.add_argument("--local-ms", type=float, help="local computing time on the camera (enables 'local')")
    sim.add_argument("--overhead-ms", type=float, default=3.0)
    sim.add_argument("--json-out", "--json", dest="json_out")
    sim.add_argument("--plots", help="folder for the Fig. 5 PNGs")
    fleet = sim.add_argument_group("fleet mode: many cameras sharing edge servers (stae.fleet)")
    fleet.add_argument("--fleet", type=int, nargs="+", metavar="CAMERAS", help="fleet sizes to simulate")
    fleet.add_argument("--servers", type=int, nargs="+", default=[1], help="edge servers (each fleet size)")
    fleet.add_argument("--period-ms", type=float, default=1000.0, help="each camera sends one clip per period")
    fleet.add_argument("--camera-mbps", type=float, default=20.0, help="each camera's uplink")
    fleet.add_argument("--cell-mbps", type=float, help="one cell's uplink shared by all cameras (fair share)")
    fleet.add_argument("--duration-s", type=float, default=30.0)
    fleet.add_argument("--max-batch", type=int, default=8)
    fleet.add_argument("--batch-share", type=float, default=0.5, help="cost of one more request in a batch")
    fleet.add_argument(
        "--server-times",
        choices=["paper", "profile"],
        default="paper",
        help="forward-pass times per α: the paper's GPU (Table I) or the profile's",
    )
    fleet.add_argument("--markdown", help="write the fleet table as Markdown")
    sim.set_defaults(func=cmd_simulate)
