"""What one controller decision costs, against one Redis round trip measured side by side (issue 23, item 2).

    python bench/controller_cost.py [--redis redis://127.0.0.1:6379/0] [--profile models/tiny-synth/profile.json]
                                    [--n 1000] [--json OUT] [--markdown OUT]

A decision reads the camera's bandwidth state and every decoder's published load (one pipelined round trip),
then solves eq. 5 over the profile with the server's wait per α. Both loops alternate, so a busy machine slows
them alike; the figure that matters is the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from _results import write_results
from redis.asyncio import Redis

from stae.control.controller import Controller
from stae.control.profile import Profile, ServerLoad
from stae.control.store import ControllerStore


async def _run(url: str, profile: Profile, n: int) -> dict[str, float]:
    prefix = f"bench-{time.monotonic_ns()}"
    store = ControllerStore(url, prefix=prefix, timeout_s=1.0)
    controller = Controller(store, profile)
    await store.put_profile(profile)
    for i in range(8):
        await controller.observe("cam", 50_000, 40.0 + i, 10e6)
    alphas = sorted({e.alpha for e in profile.entries})
    for d in ("http://decoder-a:8001", "http://decoder-b:8001"):
        # a loaded server: its time per request below what α = 16 costs, so every decision mixes on the hull
        load = ServerLoad(
            queue_depth=3,
            wait_ms=dict.fromkeys(alphas, 25.0),
            busy=True,
            budget_ms=6.0,
            cost_ms={a: 2.0 + a / 2 for a in alphas},
            decode_ms={f"h264:{a}": a / 4 for a in alphas},
        )
        await controller.observe_load(load, d)
    redis = Redis.from_url(url)
    ping, decide = [], []
    for _ in range(n):
        t = time.perf_counter()
        await redis.ping()
        ping.append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        await controller.decide("cam", 300.0)
        decide.append((time.perf_counter() - t) * 1e3)
    keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()
    await store.close()
    p50_ping, p50_decide = statistics.median(ping), statistics.median(decide)
    return {"redis_round_trip_ms": p50_ping, "decision_ms": p50_decide, "ratio": p50_decide / p50_ping}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    p.add_argument("--profile", type=Path, default=Path("models/tiny-synth/profile.json"))
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args(argv)
    profile = Profile.model_validate_json(args.profile.read_text())
    doc = asyncio.run(_run(args.redis, profile, args.n))
    text = (
        f"Controller decision ({len(profile.entries)} profile entries, 2 decoders' load) vs one Redis PING, "
        f"median of {args.n} each, alternating, this machine:\n\n"
        f"| Redis round trip | decision | ratio |\n|---|---|---|\n"
        f"| {doc['redis_round_trip_ms']:.3f} ms | {doc['decision_ms']:.3f} ms | {doc['ratio']:.2f}x |"
    )
    write_results({**doc, "entries": len(profile.entries), "n": args.n}, text, args.json, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
