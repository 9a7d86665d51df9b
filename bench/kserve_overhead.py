"""What the KServe v2 route costs over ``POST /v1/infer``, side by side on one decoder process (issue 20).

    python bench/kserve_overhead.py [--checkpoint models/tiny-synth] [--n 300] [--concurrency 8]
                                    [--json OUT] [--markdown OUT]

1. Latency: the same wire payload, one request at a time, v1 and v2 alternating on one keep-alive httpx client
   (the v2 body built as Triton's clients build it: JSON header, then the BYTES element); medians and the ratio.
2. Load through Triton's own client: ``tritonclient.http`` with ``concurrency`` connections and ``async_infer``,
   answers per second, against the same number of concurrent v1 requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import struct
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import tritonclient.http as triton
from _results import write_results

from stae.camera.encoder import SemanticEncoder
from stae.checkpoint import read_checkpoint
from stae.processes import ServiceProcess
from stae.video import read_clip

TOKEN = "bench-decoder-token"


def _v2_body(payload: bytes) -> tuple[bytes, str]:
    element = struct.pack("<I", len(payload)) + payload
    head = json.dumps(
        {
            "inputs": [
                {"name": "PAYLOAD", "datatype": "BYTES", "shape": [1], "parameters": {"binary_data_size": len(element)}}
            ],
            "outputs": [{"name": n, "parameters": {"binary_data": True}} for n in ("LABELS", "SCORES", "CLASS_IDS")],
        }
    ).encode()
    return head + element, str(len(head))


def _latency(url: str, payload: bytes, n: int) -> dict[str, float]:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body, head_len = _v2_body(payload)
    v1_ms, v2_ms = [], []
    with httpx.Client(base_url=url, timeout=30, headers=auth) as c:
        for _ in range(10):  # warm-up
            c.post("/v1/infer", content=payload)
        for _ in range(n):
            t = time.perf_counter()
            r1 = c.post("/v1/infer", content=payload, headers={"Content-Type": "application/octet-stream"})
            v1_ms.append((time.perf_counter() - t) * 1e3)
            t = time.perf_counter()
            r2 = c.post("/v2/models/stae/infer", content=body, headers={"Inference-Header-Content-Length": head_len})
            v2_ms.append((time.perf_counter() - t) * 1e3)
            assert r1.status_code == 200 and r2.status_code == 200, (r1.text, r2.text)
    a, b = statistics.median(v1_ms), statistics.median(v2_ms)
    return {"v1_median_ms": a, "v2_median_ms": b, "v2_over_v1": b / a}


def _triton_load(url: str, payload: bytes, concurrency: int, seconds: float) -> dict[str, float]:
    client = triton.InferenceServerClient(url=url.removeprefix("http://"), concurrency=concurrency)
    tensor = triton.InferInput("PAYLOAD", [1], "BYTES")
    tensor.set_data_from_numpy(np.array([payload], dtype=np.object_), binary_data=True)
    done = 0
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pending = [
            client.async_infer("stae", [tensor], headers={"Authorization": f"Bearer {TOKEN}"})
            for _ in range(concurrency)
        ]
        done += sum(1 for p in pending if p.get_result() is not None)
    client.close()
    return {"triton_answers_per_s": done / seconds}


async def _v1_load(url: str, payload: bytes, concurrency: int, seconds: float) -> dict[str, float]:
    done = 0
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/octet-stream"}
    async with httpx.AsyncClient(base_url=url, timeout=30, headers=auth) as c:
        until = time.perf_counter() + seconds
        while time.perf_counter() < until:
            answers = await asyncio.gather(*(c.post("/v1/infer", content=payload) for _ in range(concurrency)))
            done += sum(1 for r in answers if r.status_code == 200)
    return {"v1_answers_per_s": done / seconds}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default="models/tiny-synth")
    p.add_argument("--clip", type=Path, default=Path("../shared/data/clips/arm_wrestling_k400.mp4"))
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args(argv)
    encoder = SemanticEncoder.from_checkpoint(read_checkpoint(args.checkpoint), "auto")
    frames = read_clip(args.clip, encoder.config.num_frames, encoder.config.img_size)
    payload = encoder.encode_coded(frames, 16, 1.0, 2000).payload
    env = {"STAE_DECODER_TOKEN": TOKEN, "STAE_DECODER_CHECKPOINT": args.checkpoint, "STAE_DECODER_DEVICE": "cpu"}
    doc: dict[str, Any] = {"payload_bytes": len(payload), "n": args.n, "concurrency": args.concurrency}
    with ServiceProcess("decoder", env) as dec:
        doc.update(_latency(dec.url, payload, args.n))
        doc.update(asyncio.run(_v1_load(dec.url, payload, args.concurrency, args.seconds)))
        doc.update(_triton_load(dec.url, payload, args.concurrency, args.seconds))
    text = (
        f"KServe v2 vs /v1/infer on one decoder ({args.checkpoint}, a {len(payload)} B wire v2 payload of "
        f"{args.clip.name}, this CPU):\n\n"
        "| | v1 | v2 | v2 / v1 |\n|---|---|---|---|\n"
        f"| median latency, one at a time ({args.n} each, alternating) | {doc['v1_median_ms']:.2f} ms | "
        f"{doc['v2_median_ms']:.2f} ms | {doc['v2_over_v1']:.3f} |\n"
        f"| answers/s, {args.concurrency} concurrent (v2 through tritonclient.http) | {doc['v1_answers_per_s']:.1f} | "
        f"{doc['triton_answers_per_s']:.1f} | {doc['triton_answers_per_s'] / doc['v1_answers_per_s']:.3f} |"
    )
    write_results(doc, text, args.json, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
