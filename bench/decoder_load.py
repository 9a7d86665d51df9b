"""Many cameras against one decoder process on loopback, the decoder the bottleneck (issue 23, item 5).

    python bench/decoder_load.py [--checkpoint models/tiny-synth] [--cameras 1 4 16 64] [--seconds 10]
                                 [--deadline-ms 200] [--json OUT] [--markdown OUT]

Each camera replays pre-encoded wire payloads of a real clip back to back (so the cameras' own CPU is not what is
measured): with ``X-Deadline-Ms`` (the decoder schedules earliest deadline first, refuses at once what it cannot
finish in time, never computes a request that is late while others wait) and without (the decoder before issue
23: first in, first out, every request computed). Goodput is answers within the deadline per second; refusals
are 503 with Retry-After, timed; "computed late" counts answers that came back after their deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from _results import write_results

from stae.camera.encoder import SemanticEncoder
from stae.checkpoint import read_checkpoint
from stae.processes import ServiceProcess
from stae.video import read_clip

TOKEN = "bench-decoder-token"


def _payloads(checkpoint: str, clip: Path) -> list[bytes]:
    info = read_checkpoint(checkpoint)
    encoder = SemanticEncoder.from_checkpoint(info, "auto")
    frames = read_clip(clip, encoder.config.num_frames, encoder.config.img_size)
    return [encoder.encode_coded(frames, 16, 1.0, 2000).payload, encoder.encode(frames, 4, 0.4).payload]


async def _camera(
    client: httpx.AsyncClient, url: str, payloads: list[bytes], until: float, deadline_ms: float | None, out: list[Any]
) -> None:
    i = 0
    while time.perf_counter() < until:
        body = payloads[i % len(payloads)]
        i += 1
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/octet-stream"}
        if deadline_ms is not None:
            headers["X-Deadline-Ms"] = str(deadline_ms)
        t = time.perf_counter()
        resp = await client.post(url, content=body, headers=headers)
        ms = (time.perf_counter() - t) * 1e3
        out.append((resp.status_code, ms, resp.headers.get("retry-after")))
        if resp.status_code == 503:
            await asyncio.sleep(0.05)  # a camera that was refused tries its next clip a little later


async def _run(
    url: str, payloads: list[bytes], cameras: int, seconds: float, deadline: float, send: bool
) -> dict[str, Any]:
    out: list[tuple[int, float, str | None]] = []
    limits = httpx.Limits(max_connections=cameras + 4)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        until = time.perf_counter() + seconds
        await asyncio.gather(
            *(_camera(client, url, payloads, until, deadline if send else None, out) for _ in range(cameras))
        )
    ok = [ms for code, ms, _ in out if code == 200]
    refused = [ms for code, ms, _ in out if code == 503]
    on_time = [ms for ms in ok if ms <= deadline]
    return {
        "cameras": cameras,
        "deadlines": send,
        "requests": len(out),
        "answers_per_s": len(ok) / seconds,
        "goodput_per_s": len(on_time) / seconds,
        "on_time_share": len(on_time) / max(len(out), 1),
        "computed_late": len(ok) - len(on_time),
        "refused": len(refused),
        "refusal_p99_ms": float(np.percentile(refused, 99)) if refused else None,
        "refusals_with_retry_after": sum(1 for code, _, r in out if code == 503 and r),
        "p50_ms": statistics.median(ok) if ok else None,
        "p99_ms": float(np.percentile(ok, 99)) if ok else None,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default="models/tiny-synth")
    p.add_argument("--clip", type=Path, default=Path("../shared/data/clips/arm_wrestling_k400.mp4"))
    p.add_argument("--cameras", type=int, nargs="+", default=[1, 4, 16, 64])
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--deadline-ms", type=float, default=200.0)
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args(argv)
    payloads = _payloads(args.checkpoint, args.clip)
    env = {"STAE_DECODER_TOKEN": TOKEN, "STAE_DECODER_CHECKPOINT": args.checkpoint, "STAE_DECODER_DEVICE": "cpu"}
    rows: list[dict[str, Any]] = []
    with ServiceProcess("decoder", env) as dec:
        url = f"{dec.url}/v1/infer"
        for cameras in args.cameras:
            for send in (False, True):
                row = asyncio.run(_run(url, payloads, cameras, args.seconds, args.deadline_ms, send))
                rows.append(row)
                print(row, file=sys.stderr)
    lines = [
        f"Decoder under load: {args.checkpoint}, payloads of {args.clip.name} ({[len(b) for b in payloads]} B), "
        f"{args.seconds:g} s per run, deadline {args.deadline_ms:g} ms, this CPU.",
        "",
        "| cameras | deadlines sent | answers/s | goodput/s | on time | computed late | refused (p99 ms) "
        "| p50 / p99 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ref = f"{r['refused']} ({r['refusal_p99_ms']:.0f})" if r["refused"] else "0"
        lat = f"{r['p50_ms']:.0f} / {r['p99_ms']:.0f}" if r["p50_ms"] is not None else "—"
        lines.append(
            f"| {r['cameras']} | {'yes' if r['deadlines'] else 'no'} | {r['answers_per_s']:.1f} | "
            f"{r['goodput_per_s']:.1f} | {r['on_time_share']:.0%} | {r['computed_late']} | {ref} | {lat} |"
        )
    write_results({"rows": rows, "deadline_ms": args.deadline_ms}, "\n".join(lines), args.json, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
