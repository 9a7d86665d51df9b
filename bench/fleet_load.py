"""Many cameras planning with the production controller against real decoder processes on loopback, the
decoders the bottleneck (issue 23, item 5).

    python bench/fleet_load.py [--checkpoint models/tiny-synth] [--decoders 1 2] [--load 2.0] [--seconds 20]
                               [--deadline-ms 300] [--json OUT] [--markdown OUT]

With two cores or more the cameras (this process) run on the first core and the decoders on the others (one
decoder: all of them; two: half each), so that the decoders, not the cameras' HTTP clients, are the bottleneck.
First the capacity: cameras send the profile's most accurate budget back to back to one decoder, no deadline;
its answers per second are the capacity C. Then each run offers ``--load`` x C clips per second (open loop: 40
cameras, each one clip per period at a random phase, every clip released whether or not the last was answered).
For each clip the camera asks the production ``Controller`` (one in-memory store for all cameras: one encoder
replica's view; each answer's published load folded in as the encoder does) for a budget, is charged the
profile's camera time for it (the camera's own coding is not run: its CPU is not what is measured), and sends a
payload of that budget, pre-encoded from a real clip, through the production ``Decoders`` (smooth weighted round
robin, another decoder tried after a refusal while time is left) with ``X-Deadline-Ms`` = the time left.

Policies: ``oblivious`` (the controller without the decoders' load), ``load-aware`` (their predicted wait in eq.
4 and their published time per request), ``fixed`` (one budget for every clip: a few of the profile's most
accurate of every α and encoding are run). Per run: goodput (answers within the deadline per
second, and against C), effective accuracy (the mean over released clips of hit x the profile's accuracy of the
budget sent), answers after their deadline (as the camera sees it, and as the decoder does: its own time over
the time left it was sent with), refusals (503 with Retry-After, and how fast: from the camera's send, which
includes its wait for one of the client's connections, and on the wire, request headers out to the answer's
headers in), p50/p99, and the cameras' CPU
(this process's CPU seconds per second of the run: near 100% the cameras, not the decoders, would be the
bottleneck; the cameras' thread runs at raised priority where allowed, so another busy process does not starve it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from _results import write_results

from stae.camera.encoder import SemanticEncoder
from stae.checkpoint import read_checkpoint
from stae.control.controller import Controller
from stae.control.policy import Decision, offload_options
from stae.control.profile import Profile, ProfileEntry
from stae.control.store import ControllerStore
from stae.edge import Decoders, EdgeClient
from stae.errors import NotReadyError, RefusedError
from stae.fleet import camera_ms
from stae.processes import ServiceProcess
from stae.video import read_clip

TOKEN = "bench-decoder-token"
CAMERAS = 40

Key = tuple[int, float, str, int | None, int, str, int | None]


def _key(d: Decision) -> Key:
    return (d.alpha, d.beta, d.entropy, d.max_bytes, d.scale, d.encoding, d.level)


def _payloads(checkpoint: str, clip: Path, profile: Profile) -> dict[Key, tuple[bytes, ProfileEntry]]:
    """One payload of ``clip`` for every offload option of the profile."""
    encoder = SemanticEncoder.from_checkpoint(read_checkpoint(checkpoint), "auto")
    frames = read_clip(clip, encoder.config.num_frames, encoder.config.img_size)
    out: dict[Key, tuple[bytes, ProfileEntry]] = {}
    for d, e in offload_options(list(profile.entries)):
        if e.encoding == "h264":
            body = encoder.encode_coded(frames, e.alpha, e.beta, e.max_bytes, scale=e.scale).payload
        elif e.encoding == "latent":
            body = encoder.encode_latent(frames, e.alpha, level=e.level).payload
        else:
            body = encoder.encode(frames, e.alpha, e.beta, entropy=d.entropy).payload
        out[_key(d)] = (body, e)
    return out


def _most_accurate_per_kind(profile: Profile, n: int) -> list[Decision]:
    """The most accurate option of every α and encoding, the ``n`` most accurate of those."""
    best: dict[tuple[int, str], Decision] = {}
    for d, _ in offload_options(list(profile.entries)):
        kind = (d.alpha, d.encoding)
        if kind not in best or d.accuracy > best[kind].accuracy:
            best[kind] = d
    return sorted(best.values(), key=lambda d: -d.accuracy)[:n]


async def _capacity(url: str, body: bytes, seconds: float) -> float:
    """Answers per second of one decoder to 8 cameras sending ``body`` back to back, no deadline."""
    async with EdgeClient(url, TOKEN, timeout_s=30) as client:
        until = time.perf_counter() + seconds
        answered = 0

        async def camera() -> None:
            nonlocal answered
            while time.perf_counter() < until:
                await client.infer(body, 1, "capacity")
                answered += 1

        await asyncio.gather(*(camera() for _ in range(8)))
    return answered / seconds


async def _run(
    urls: list[str],
    profile: Profile,
    payloads: dict[Key, tuple[bytes, ProfileEntry]],
    policy: str,
    fixed: Decision | None,
    rate: float,
    seconds: float,
    deadline_ms: float,
    seed: int,
) -> dict[str, Any]:
    controller = Controller(
        ControllerStore(None), profile, prior_bps=1e9, overhead_ms=3.0, load_aware=policy != "oblivious"
    )
    decoders = Decoders([EdgeClient(u, TOKEN, timeout_s=10) for u in urls])
    rng = random.Random(seed)
    period = CAMERAS / rate
    outcomes: list[dict[str, Any]] = []

    async def clip(cam: int) -> None:
        released = time.perf_counter()
        d = (await controller.decide(f"cam{cam}", deadline_ms)).decision if fixed is None else fixed
        body, entry = payloads[_key(d)]
        own = camera_ms(entry, d)
        left = deadline_ms - own - (time.perf_counter() - released) * 1e3
        sent = time.perf_counter()
        row: dict[str, Any] = {"accuracy": d.accuracy, "alpha": d.alpha}
        try:
            got = await decoders.infer(body, 1, f"c{cam}", left)
        except RefusedError as exc:  # ms: from the camera's send (its wait for a connection too); exchange: on the wire
            row.update(status="refused", ms=(time.perf_counter() - sent) * 1e3, exchange_ms=exc.exchange_ms)
        except NotReadyError as exc:  # unreachable, or no answer within the client's timeout
            row.update(status="error", ms=(time.perf_counter() - sent) * 1e3, why=str(exc)[:120])
        else:
            total = own + (time.perf_counter() - released) * 1e3
            server_ms = got.answer.stage_ms("server_total")
            row.update(status="ok", ms=total, hit=total <= deadline_ms, server_late=server_ms > left)
            if got.answer.load is not None:
                await controller.observe_load(got.answer.load, got.decoder)
        outcomes.append(row)

    async def camera(cam: int) -> None:
        next_at = time.perf_counter() + rng.uniform(0, period)
        end = time.perf_counter() + seconds
        tasks = []
        while next_at < end:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            tasks.append(asyncio.create_task(clip(cam)))
            next_at += period
        await asyncio.gather(*tasks)

    cpu_before, wall_before = time.process_time(), time.perf_counter()
    try:
        await asyncio.gather(*(camera(c) for c in range(CAMERAS)))
    finally:
        await decoders.aclose()
    # over the run's real length: an overloaded run outlasts ``seconds`` while its last answers come in
    cameras_cpu = (time.process_time() - cpu_before) / (time.perf_counter() - wall_before)
    ok = [o for o in outcomes if o["status"] == "ok"]
    hits = [o for o in ok if o["hit"]]
    refused = [o["ms"] for o in outcomes if o["status"] == "refused"]
    exchanges = [o["exchange_ms"] for o in outcomes if o["status"] == "refused"]
    alphas = [o["alpha"] for o in outcomes]
    return {
        "decoders": len(urls),
        "policy": policy
        if fixed is None
        else f"fixed α={fixed.alpha} β={fixed.beta:.0%} {fixed.encoding} {fixed.max_bytes or fixed.entropy}",
        "clips": len(outcomes),
        "offered_per_s": len(outcomes) / seconds,
        "goodput_per_s": len(hits) / seconds,
        "effective_accuracy": sum(o["accuracy"] for o in hits) / max(len(outcomes), 1),
        "computed_late": len(ok) - len(hits),
        "late_at_decoder": sum(1 for o in ok if o["server_late"]),
        "refused": len(refused),
        "refusal_p99_ms": float(np.percentile(refused, 99)) if refused else None,
        "refusal_exchange_p99_ms": float(np.percentile(exchanges, 99)) if exchanges else None,
        "errors": sum(1 for o in outcomes if o["status"] == "error"),
        "error_examples": sorted({o["why"] for o in outcomes if o["status"] == "error"})[:3],
        "p50_ms": statistics.median(o["ms"] for o in ok) if ok else None,
        "p99_ms": float(np.percentile([o["ms"] for o in ok], 99)) if ok else None,
        "mean_alpha": sum(alphas) / max(len(alphas), 1),
        "cameras_cpu": cameras_cpu,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default="models/tiny-synth")
    p.add_argument("--clip", type=Path, default=Path("../shared/data/clips/arm_wrestling_k400.mp4"))
    p.add_argument("--decoders", type=int, nargs="+", default=[1, 2])
    p.add_argument(
        "--load", type=float, default=2.0, help="offered clips per second, in units of one decoder's capacity"
    )
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--deadline-ms", type=float, default=300.0)
    p.add_argument("--fixed", type=int, default=8, help="fixed budgets tried (the most accurate of each α, encoding)")
    p.add_argument("--max-batch", type=int, help="the decoders' requests per forward pass (default: theirs)")
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args(argv)
    profile = Profile.model_validate_json((Path(args.checkpoint) / "profile.json").read_text())
    payloads = _payloads(args.checkpoint, args.clip, profile)
    best = _most_accurate_per_kind(profile, args.fixed)
    env = {"STAE_DECODER_TOKEN": TOKEN, "STAE_DECODER_CHECKPOINT": args.checkpoint, "STAE_DECODER_DEVICE": "cpu"}
    if args.max_batch is not None:
        env["STAE_DECODER_MAX_BATCH"] = str(args.max_batch)
    cores = sorted(os.sched_getaffinity(0))
    wrappers: list[list[str]] = [[], []]
    if len(cores) >= 2:  # the cameras on the first core, each decoder on its own others: the decoders the bottleneck
        os.sched_setaffinity(0, {cores[0]})
        rest = cores[1:]
        env["OMP_NUM_THREADS"] = str(max(1, len(rest) // max(args.decoders)))
        for i in range(2):
            mine = rest[i::2] if max(args.decoders) > 1 and len(rest) > 1 else rest
            wrappers[i] = ["taskset", "-c", ",".join(map(str, mine))]
    rows: list[dict[str, Any]] = []
    with (
        ServiceProcess("decoder", env, wrapper=wrappers[0]) as first,
        ServiceProcess("decoder", env, wrapper=wrappers[1]) as second,
    ):
        try:  # the cameras (this thread, not the decoders) are the instrument: a busy machine must not starve them
            os.setpriority(os.PRIO_PROCESS, 0, -10)
        except PermissionError:
            print("not allowed to raise the cameras' priority: a busy machine may slow them", file=sys.stderr)
        capacity = asyncio.run(_capacity(first.url, payloads[_key(best[0])][0], min(args.seconds, 8.0)))
        print(f"capacity of one decoder at {best[0].encoding} α={best[0].alpha}: {capacity:.1f}/s", file=sys.stderr)
        rate = args.load * capacity
        for n in args.decoders:
            urls = [first.url, second.url][:n]
            for policy, fixed in [("oblivious", None), ("load-aware", None), *(("fixed", d) for d in best)]:
                row = asyncio.run(_run(urls, profile, payloads, policy, fixed, rate, args.seconds, args.deadline_ms, 0))
                row["goodput_share"] = row["goodput_per_s"] / capacity
                rows.append(row)
                print(row, file=sys.stderr)
    lines = [
        f"Fleet under load: {args.checkpoint}, payloads of {args.clip.name}, {CAMERAS} cameras offering "
        f"{rate:.1f} clips/s ({args.load:g}x one decoder's capacity of {capacity:.1f}/s at its most accurate "
        f"budget), deadline {args.deadline_ms:g} ms, {args.seconds:g} s per run, this CPU (cameras on core "
        f"{cores[0]}, decoders on {' and '.join(' '.join(w[2:]) or 'all' for w in wrappers[: max(args.decoders)])}).",
        "",
        "| decoders | policy | offered/s | goodput/s | goodput / capacity | effective accuracy | late (at decoder) "
        "| refused (p99 ms: from send / on the wire) | p50 / p99 ms | mean α | cameras' CPU |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ref = "0"
        if r["refused"]:
            ref = f"{r['refused']} ({r['refusal_p99_ms']:.0f} / {r['refusal_exchange_p99_ms']:.0f})"
        lat = f"{r['p50_ms']:.0f} / {r['p99_ms']:.0f}" if r["p50_ms"] is not None else "—"
        lines.append(
            f"| {r['decoders']} | {r['policy']} | {r['offered_per_s']:.1f} | {r['goodput_per_s']:.1f} | "
            f"{r['goodput_share']:.0%} | {r['effective_accuracy']:.1%} | {r['computed_late']} "
            f"({r['late_at_decoder']}) | {ref} | {lat} | "
            f"{r['mean_alpha']:.1f} | {r['cameras_cpu']:.0%} |"
        )
    doc = {"rows": rows, "capacity_per_s": capacity, "deadline_ms": args.deadline_ms, "load": args.load}
    write_results(doc, "\n".join(lines), args.json, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
