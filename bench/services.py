"""Service benchmark on loopback: HTTP overhead of /recognize, the controller's decision time, and decoder
throughput with and without dynamic batching.

    python bench/services.py [--clip CLIP] [--reps 20] [--json OUT] [--markdown OUT]

1. Overhead: client-measured /recognize time minus the compute stages the services report (video decoding,
   FA, SA, entropy coding, FR, ViT), for a 224 x 224 clip (`vit-base` geometry, random weights) at two budgets.
2. Controller: ``Controller.decide`` against the real Redis on 127.0.0.1:6379 (a camera with samples, the
   full profile), median over many calls; and the ``controller`` time the encoder reports per request.
3. Throughput: 16 concurrent clients posting payloads to the decoder (`tiny`, CPU) for a fixed time, with
   ``max_batch`` 16 and 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import torch
from _results import write_results

from stae.camera import SemanticEncoder
from stae.control.controller import Controller
from stae.control.store import ControllerStore
from stae.models import STAE, build_config
from stae.pipeline import SemanticDecoder
from stae.processes import ServiceProcess, redis_answers
from stae.profiling import build_profile, measure_server

COMPUTE = ("decode_video", "fa", "sa", "entropy_encode", "entropy_decode", "fr", "vit")


def _median(xs: Sequence[float]) -> float:
    return round(statistics.median(xs), 3)


def overhead(clip: Path, reps: int, redis_url: str) -> list[dict[str, Any]]:
    token, key = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    model = {"STAE_DECODER_MODEL": "vit-base", "STAE_ENCODER_MODEL": "vit-base"}
    rows = []
    with ServiceProcess("decoder", {**model, "STAE_DECODER_TOKEN": token, "STAE_DECODER_WARMUP_REPS": "1"}) as dec:
        env = {
            **model,
            "STAE_ENCODER_API_KEYS": key,
            "STAE_ENCODER_DECODER_TOKEN": token,
            "STAE_ENCODER_DECODER_URL": dec.url,
            "STAE_ENCODER_REDIS_URL": redis_url,
            "STAE_ENCODER_REDIS_PREFIX": f"stae-bench-{secrets.token_hex(4)}",
            "STAE_ENCODER_PROFILE_REPS": "1",
        }
        with ServiceProcess("encoder", env) as enc, httpx.Client(timeout=120) as client:
            data = clip.read_bytes()
            for alpha, beta in ((1, 0.4), (16, 0.4)):
                over, totals, controller = [], [], []
                for i in range(reps + 2):
                    start = time.perf_counter()
                    resp = client.post(
                        f"{enc.url}/recognize",
                        files={"file": (clip.name, data)},
                        params={"alpha": alpha, "beta": beta, "camera_id": "bench"},
                        headers={"X-API-Key": key},
                    )
                    wall = (time.perf_counter() - start) * 1e3
                    resp.raise_for_status()
                    doc = resp.json()
                    if i < 2:
                        continue  # warm-up
                    t = doc["timings_ms"]
                    over.append(wall - sum(t[k] for k in COMPUTE))
                    totals.append(wall)
                    controller.append(t["controller"])
                rows.append(
                    {
                        "alpha": alpha,
                        "beta": beta,
                        "payload_bytes": doc["payload"]["bytes"],
                        "overhead_median_ms": _median(over),
                        "overhead_p90_ms": round(sorted(over)[int(0.9 * (len(over) - 1))], 3),
                        "end_to_end_median_ms": _median(totals),
                        "controller_in_service_median_ms": _median(controller),
                    }
                )
                print(f"overhead alpha={alpha} beta={beta}: {rows[-1]}", file=sys.stderr)
    return rows


def controller_time(redis_url: str, calls: int) -> dict[str, Any]:
    torch.manual_seed(0)
    model = STAE(build_config("vit-base")).eval()
    encoder, decoder = SemanticEncoder.from_model(model), SemanticDecoder.from_model(model)
    frames = np.random.default_rng(0).integers(0, 256, (16, 224, 224, 3), dtype=np.uint8)
    profile = build_profile(encoder, frames, measure_server(decoder, [1, 16], reps=1), reps=1)

    async def run() -> list[float]:
        store = ControllerStore(redis_url or None, prefix=f"stae-bench-{secrets.token_hex(4)}")
        ctl = Controller(store, profile)
        for _ in range(10):
            await ctl.observe("cam", 100_000, 20.0)
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            await ctl.decide("cam", 200.0)
            times.append((time.perf_counter() - start) * 1e3)
        await store.close()
        return times

    times = asyncio.run(run())
    return {
        "store": "redis" if redis_url else "memory",
        "budgets": len(profile.entries),
        "calls": calls,
        "median_ms": _median(times),
        "p99_ms": round(sorted(times)[int(0.99 * (len(times) - 1))], 3),
    }


def _payloads(alpha: int, beta: float, n: int) -> list[bytes]:
    torch.manual_seed(0)
    encoder = SemanticEncoder.from_model(STAE(build_config("tiny")))
    rng = np.random.default_rng(0)
    return [
        encoder.encode(rng.integers(0, 256, (16, 64, 64, 3), dtype=np.uint8), alpha, beta).payload for _ in range(n)
    ]


async def _load(url: str, token: str, payloads: list[bytes], clients: int, seconds: float) -> tuple[int, float]:
    done = 0
    stop = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"}
    batch_sizes: list[int] = []

    async def worker(i: int, client: httpx.AsyncClient) -> None:
        nonlocal done
        j = i
        while time.perf_counter() < stop:
            resp = await client.post(f"{url}/v1/infer", content=payloads[j % len(payloads)], headers=headers)
            resp.raise_for_status()
            batch_sizes.append(resp.json()["batch_size"])
            done += 1
            j += clients

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await asyncio.gather(*(worker(i, client) for i in range(clients)))
    return done, statistics.mean(batch_sizes) if batch_sizes else 0.0


def throughput(seconds: float, clients: int = 16) -> list[dict[str, Any]]:
    rows = []
    for alpha, beta in ((16, 1.0), (4, 0.5)):
        payloads = _payloads(alpha, beta, 32)
        for max_batch in (1, 16):
            token = secrets.token_urlsafe(16)
            env = {
                "STAE_DECODER_TOKEN": token,
                "STAE_DECODER_MAX_BATCH": str(max_batch),
                "STAE_DECODER_MAX_QUEUE": "256",
            }
            with ServiceProcess("decoder", env) as dec:
                asyncio.run(_load(dec.url, token, payloads, clients, 1.0))  # warm-up
                start = time.perf_counter()
                done, mean_batch = asyncio.run(_load(dec.url, token, payloads, clients, seconds))
                rate = done / (time.perf_counter() - start)
            rows.append(
                {
                    "alpha": alpha,
                    "beta": beta,
                    "max_batch": max_batch,
                    "clients": clients,
                    "requests": done,
                    "throughput_rps": round(rate, 1),
                    "mean_batch": round(mean_batch, 2),
                }
            )
            print(f"throughput: {rows[-1]}", file=sys.stderr)
    return rows


def _markdown(doc: dict[str, Any]) -> str:
    env = doc["environment"]
    out = [
        f"Services on loopback: {env['cores']} cores, torch {env['torch']} ({env['torch_threads']} threads), "
        f"controller store {doc['controller']['store']}.",
        "",
        "Overhead of /recognize (client wall time minus reported compute stages), vit-base geometry 16 x 224 x 224:",
        "",
        "| α | β | payload B | overhead median ms | overhead p90 ms | end-to-end median ms | controller ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in doc["overhead"]:
        out.append(
            f"| {r['alpha']} | {r['beta']:.0%} | {r['payload_bytes']} | {r['overhead_median_ms']:.2f} | "
            f"{r['overhead_p90_ms']:.2f} | {r['end_to_end_median_ms']:.1f} | "
            f"{r['controller_in_service_median_ms']:.3f} |"
        )
    c = doc["controller"]
    out += [
        "",
        f"Controller decision ({c['store']}, {c['budgets']} budgets, {c['calls']} calls): median "
        f"{c['median_ms']:.3f} ms, p99 {c['p99_ms']:.3f} ms.",
        "",
        "Decoder throughput, tiny model on CPU, 16 concurrent clients:",
        "",
        "| α | β | max_batch | throughput req/s | mean batch | speed-up |",
        "|---|---|---|---|---|---|",
    ]
    base: dict[tuple[int, float], float] = {}
    for r in doc["throughput"]:
        key = (r["alpha"], r["beta"])
        if r["max_batch"] == 1:
            base[key] = r["throughput_rps"]
        speed = r["throughput_rps"] / base[key] if key in base else 1.0
        out.append(
            f"| {r['alpha']} | {r['beta']:.0%} | {r['max_batch']} | {r['throughput_rps']} | {r['mean_batch']} | "
            f"{speed:.2f}x |"
        )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--clip", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/clips/arm_wrestling_k400.mp4"
    )
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--seconds", type=float, default=10.0, help="duration of each throughput run")
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args(argv)
    redis_url = "redis://127.0.0.1:6379/0" if redis_answers() else ""
    doc = {
        "environment": {
            "cores": os.cpu_count(),
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(),
            "clip": args.clip.name,
        },
        "controller": controller_time(redis_url, 2000),
        "overhead": overhead(args.clip, args.reps, redis_url),
        "throughput": throughput(args.seconds),
    }
    write_results(doc, _markdown(doc), args.json, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
