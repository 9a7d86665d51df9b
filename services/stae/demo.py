"""``stae demo``: the whole system on one machine, with real processes and real HTTP.

Starts the decoder service and the encoder service as child processes on loopback (the controller uses the
Redis on 127.0.0.1:6379 when one answers, else its in-process store, and says which), sends a real clip to
``POST /recognize`` twice (the first request plans with the prior bandwidth, the second with the bandwidth the
first one measured), prints both answers, and stops everything. With the shipped model and the real footage
folder, it also sends synthetic actions drawn over moving footage of real videos the model never saw in training
and prints each clip's true class beside the prediction, a recognition a newcomer can check.
"""

from __future__ import annotations

import secrets
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from numpy.random import default_rng as random_gen

from stae.processes import SHIPPED_CHECKPOINT, ServiceProcess, redis_answers


def _print_answer(n: int, doc: dict[str, Any]) -> None:
    b, d, p, t = doc["budget"], doc["decision"], doc["payload"], doc["timings_ms"]
    print(f"\n=== request {n} (camera {doc['camera_id']}, {doc['request_id'][:8]}) ===")
    note = "" if doc["trained"] else "   [random weights: labels are meaningless until a trained checkpoint is used]"
    print(f"top-5 ({doc['model']}):{note}")
    for i, lab in enumerate(doc["top"], 1):
        print(f"  {i}. {lab['label']:<28} {lab['score']:.3f}")
    print(f"budget:    alpha={b['alpha']} frames {b['frame_indices']}, beta={b['beta']:.0%}, entropy={b['entropy']}")
    if b.get("encoding") == "h264":
        scale = b["scale"]
        print(f"           wire v2: H.264 at 1/{scale} size, CRF {b['crf']}, within a budget of {b['max_bytes']} bytes")
    print(f"decision:  {d['mode']}; {d['reason']}")
    print(
        f"           bandwidth {d['bandwidth_bps'] / 1e6:.1f} Mbit/s ({d['bandwidth_source']}), predicted accuracy "
        f"{d['predicted_accuracy']:.1%} ({d['accuracy_source'].split(':')[0]})"
    )
    print(
        f"payload:   {p['bytes']} bytes (eq. 1: {p['eq1_bytes']}), {p['ratio_vs_float32']:.1f}x vs raw float32, "
        f"{p['ratio_vs_uint8']:.1f}x vs raw uint8"
    )
    print("timings:   " + ", ".join(f"{k} {v:.1f}" for k, v in t.items()) + " (ms)")
    verdict = "met" if doc["deadline_met"] else "MISSED"
    print(f"total:     {doc['total_ms']:.1f} ms against a {d['deadline_ms']:.0f} ms deadline: {verdict}")


def _unseen_actions(footage_dir: Path, out: Path, per_class: int = 1) -> list[tuple[Path, str]]:
    """Fresh synthetic clips (a seed training never used) over the benchmark's unseen background videos."""
    from stae.train.footage import FootagePool, benchmark_sources
    from stae.train.synth import CLASSES, SynthConfig, footage_canvas, make_clip, write_mp4

    cfg = SynthConfig(size=64)
    pool = FootagePool.load(benchmark_sources(footage_dir)[1], footage_canvas(cfg.size))
    rng = random_gen(7)
    clips = []
    for i in range(per_class):
        for cls in CLASSES[: cfg.classes]:
            path = out / f"{cls}_{i}.mp4"
            write_mp4(make_clip(cls, cfg, rng, pool), path, cfg.fps)
            clips.append((path, cls))
    return clips


def run_demo(clip: Path, checkpoint: str | None = None, deadline_ms: float = 500.0, footage: Path | None = None) -> int:
    if not clip.is_file():
        print(f"stae demo: no clip at {clip}; pass one with --clip (make demo CLIP=path)", file=sys.stderr)
        return 2
    if checkpoint is None and (SHIPPED_CHECKPOINT / "model.safetensors").is_file():
        checkpoint = str(SHIPPED_CHECKPOINT)
        print(f"model: {checkpoint} (trained on the project's synthetic actions; a real clip gets a synthetic label)")
    token, key = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    common = {"STAE_DECODER_CHECKPOINT": checkpoint or "", "STAE_ENCODER_CHECKPOINT": checkpoint or ""}
    if redis_answers():
        redis_url = "redis://127.0.0.1:6379/0"
        print("controller store: Redis at 127.0.0.1:6379")
    else:
        redis_url = ""
        print("controller store: no Redis answers on 127.0.0.1:6379, so the encoder keeps its state in process")
    if not checkpoint:
        print("model: no checkpoint given: both services use the same seeded random 'tiny' model")
    print("starting the decoder (edge server) and the encoder (camera side) ...", flush=True)
    decoder = ServiceProcess("decoder", {**common, "STAE_DECODER_TOKEN": token})
    with decoder:
        encoder_env = {
            **common,
            "STAE_ENCODER_API_KEYS": key,
            "STAE_ENCODER_DECODER_TOKEN": token,
            "STAE_ENCODER_DECODER_URL": decoder.url,
            "STAE_ENCODER_REDIS_URL": redis_url,
            "STAE_ENCODER_REDIS_PREFIX": f"stae-demo-{secrets.token_hex(4)}",
        }
        with ServiceProcess("encoder", encoder_env) as encoder:
            print(f"decoder at {decoder.url}, encoder at {encoder.url}; sending {clip}")

            def recognize(path: Path) -> dict[str, Any] | None:
                with path.open("rb") as f:
                    resp = httpx.post(
                        f"{encoder.url}/recognize",
                        files={"file": (path.name, f)},
                        params={"camera_id": "demo-camera", "deadline_ms": deadline_ms},
                        headers={"X-API-Key": key},
                        timeout=120,
                    )
                if resp.status_code != 200:
                    print(f"stae demo: /recognize answered {resp.status_code}: {resp.text}", file=sys.stderr)
                    return None
                doc: dict[str, Any] = resp.json()
                return doc

            for n in (1, 2):
                doc = recognize(clip)
                if doc is None:
                    return 1
                _print_answer(n, doc)
            if checkpoint == str(SHIPPED_CHECKPOINT) and footage is not None:
                return _check_unseen(recognize, footage)
    return 0


def _check_unseen(recognize: Callable[[Path], dict[str, Any] | None], footage: Path) -> int:
    """Actions the model knows, over real videos it never saw: true class beside the prediction."""
    clips = _unseen_actions(footage, Path(tempfile.mkdtemp()))
    print(f"\n=== {len(clips)} synthetic actions over moving footage of real videos never seen in training ===")
    print(f"{'true action':<12} {'predicted':<12} {'score':>6}  budget          payload")
    right = 0
    for path, cls in clips:
        doc = recognize(path)
        if doc is None:
            return 1
        top, b = doc["top"][0], doc["budget"]
        right += top["label"] == cls
        mark = "ok" if top["label"] == cls else "WRONG"
        budget = f"a={b['alpha']} {b.get('encoding', 'pixels')}"
        print(f"{cls:<12} {top['label']:<12} {top['score']:>6.3f}  {budget:<15} {doc['payload']['bytes']:>6} B  {mark}")
    print(f"{right} of {len(clips)} recognised (chance: 1 in {len(clips)})")
    return 0
