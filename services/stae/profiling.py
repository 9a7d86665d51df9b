"""Measuring the profile table (``stae.control.profile`` holds its types): the camera side on a clip with the
deployed ``SemanticEncoder``, the server side with the deployed ``SemanticDecoder``. Kept apart from
``stae.control`` so that the controller, the policy and the simulator run without PyTorch.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING

import brotli
import numpy as np

from stae import codec, wire
from stae.camera import SemanticEncoder
from stae.control.profile import (
    PAPER_PRIOR,
    Profile,
    ProfileEntry,
    ServerTimes,
    paper_prior_accuracy,
)
from stae.wire import SemanticTensor, kept_pixels

if TYPE_CHECKING:
    from stae.pipeline import SemanticDecoder  # the server side (torch) is measured where it runs


def median_ms(fn: Callable[[], object], reps: int) -> float:
    """Median wall time in ms of ``reps`` calls of ``fn`` after one warm-up call."""
    fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def measure_server(decoder: SemanticDecoder, alphas: Iterable[int], reps: int = 3) -> ServerTimes:
    """Time FR and the ViT at batch 1 for every α, and brotli decoding throughput."""
    cfg = decoder.config
    t, s, c = cfg.num_frames, cfg.img_size, cfg.vit.in_chans
    rng = np.random.default_rng(0)
    fr_ms: dict[int, float] = {}
    vit_ms: dict[int, float] = {}
    for alpha in alphas:
        k = kept_pixels(0.5, s, s)
        mask = np.zeros((alpha, s * s), dtype=bool)
        mask[:, :k] = True
        values = rng.integers(0, 256, size=(alpha, k, c), dtype=np.uint8)
        tensor = SemanticTensor(t, np.arange(alpha, dtype=np.int64), 0.5, mask.reshape(alpha, s, s), values)
        runs: list[dict[str, float]] = []
        for _ in range(reps + 1):
            timings: dict[str, float] = {}
            decoder.logits([tensor], timings)
            runs.append(timings)
        fr_ms[alpha] = statistics.median(r["fr"] for r in runs[1:])
        vit_ms[alpha] = statistics.median(r["vit"] for r in runs[1:])
    # Brotli decoding throughput on a smooth (image-like) body of 1 MB.
    ramp = (np.arange(2**20) // 7 % 256).astype(np.uint8).tobytes()
    body = brotli.compress(ramp, quality=wire.DEFAULT_BROTLI_QUALITY)
    per_mb = median_ms(lambda: brotli.decompress(body), reps)
    latent_ms: dict[int, float] = {}
    if decoder.latent is not None and cfg.latent is not None:  # wire v3: rANS decoding and the synthesis
        tables = decoder.latent[1]
        for alpha in cfg.latent.alphas:
            shape = (alpha, tables.channels, s // wire.LATENT_STRIDE, s // wire.LATENT_STRIDE)
            symbols = rng.integers(-1, 2, size=shape).astype(np.int64)  # small symbols, the common case
            level = tables.levels // 2
            stream = tables.encode(symbols, level)
            clip = wire.LatentClip(t, np.arange(alpha), level, tables.channels, s, s, tables.tables_id, stream)
            payload = wire.pack_latent(clip)
            latent_ms[alpha] = median_ms(partial(_unpack_and_restore, decoder, payload), reps)
    return ServerTimes(
        device=str(decoder.device), fr_ms=fr_ms, vit_ms=vit_ms, brotli_decode_ms_per_mb=per_mb, latent_ms=latent_ms
    )


def _unpack_and_restore(decoder: SemanticDecoder, payload: bytes) -> None:
    decoder.dense(decoder.unpack(payload))


def build_profile(
    encoder: SemanticEncoder,
    frames: np.ndarray,
    server: ServerTimes,
    *,
    accuracy: dict[str, float] | None = None,
    coded_bytes: dict[str, dict[str, float]] | None = None,
    camera_device: str = "cpu",
    reps: int = 3,
    max_over_budget: float = 0.01,
) -> Profile:
    """Measure the camera side on ``frames`` for every budget of the model and merge the server's times.

    ``accuracy`` maps "α,β" (e.g. "4,0.4") to a fraction. With no lossless accuracy measured at all, every
    lossless budget gets the paper's prior; once some are measured, the others are left out (an evaluation of a
    sub-grid does not mix our accuracies with HMDB51's). Coded budgets ("h264:α,β,scale,B", for a model with
    ``coded`` settings) and latent ones ("latent:α,level") are offered only where ``accuracy`` has them (no prior
    exists for them); ``coded_bytes`` gives their measured byte distribution over many clips ({"mean", "p95",
    "over"}), else the bytes of ``frames`` alone are used; coded budgets overrun on more than
    ``max_over_budget`` of those clips are left out.
    """
    cfg = encoder.config
    entries = []
    used_prior = False
    measured = any(":" not in key for key in accuracy or {})
    for alpha in cfg.alphas:
        for beta in cfg.betas:
            if measured and f"{alpha},{beta:g}" not in (accuracy or {}):
                continue
            runs = []
            for _ in range(reps + 1):
                plain = encoder.encode(frames, alpha, beta, entropy="none")
                coded = encoder.encode(frames, alpha, beta, entropy="brotli")
                runs.append((plain, coded))
            runs = runs[1:]
            plain, coded = runs[-1]
            key = f"{alpha},{beta:g}"
            acc = (accuracy or {}).get(key)
            if acc is None:
                used_prior = True
                acc = paper_prior_accuracy(alpha, beta)
            pack = statistics.median(p.timings_ms["entropy_encode"] for p, _ in runs)
            coded_ms = statistics.median(c.timings_ms["entropy_encode"] for _, c in runs)
            entries.append(
                ProfileEntry(
                    alpha=alpha,
                    beta=beta,
                    accuracy=acc,
                    bytes_brotli=coded.payload_bytes,
                    bytes_none=plain.payload_bytes,
                    fa_ms=statistics.median(p.timings_ms["fa"] for p, _ in runs),
                    sa_ms=statistics.median(p.timings_ms["sa"] for p, _ in runs),
                    pack_ms=pack,
                    ee_ms=max(0.0, coded_ms - pack),
                    ed_ms=server.brotli_decode_ms_per_mb * len(plain.payload) / 2**20,
                    fr_ms=server.fr_ms.get(alpha, 0.0) if beta < 1.0 else 0.0,
                    vit_ms=server.vit_ms.get(alpha, 0.0),
                )
            )
    entries += _coded_entries(encoder, frames, server, accuracy or {}, coded_bytes or {}, reps, max_over_budget)
    entries += _latent_entries(encoder, frames, server, accuracy or {}, coded_bytes or {}, reps)
    source = PAPER_PRIOR if used_prior else "measured: stae eval results stored in the checkpoint"
    return Profile(
        model=cfg.name,
        accuracy_source=source,
        camera_device=camera_device,
        server_device=server.device,
        entries=tuple(entries),
    )


def _coded_entries(
    encoder: SemanticEncoder,
    frames: np.ndarray,
    server: ServerTimes,
    accuracy: dict[str, float],
    coded_bytes: dict[str, dict[str, float]],
    reps: int,
    max_over_budget: float,
) -> list[ProfileEntry]:
    """Wire-v2 entries: camera time (FA, SA, the codec's rate search) on ``frames``, H.264 decoding time of
    the same payload on this machine (standing in for the server's CPU), bytes from the evaluation. A budget
    that more than ``max_over_budget`` of the evaluated clips overran (below what CRF 51 reaches for that
    setting) is not offered: the controller asks only for budgets the encoder can keep."""
    cfg = encoder.config
    entries = []
    for setting in cfg.coded:
        for budget in cfg.coded_budgets:
            key = f"h264:{setting.alpha},{setting.beta:g},{setting.scale},{budget}"
            if key not in accuracy or coded_bytes.get(key, {}).get("over", 0.0) > max_over_budget:
                continue
            runs = [
                encoder.encode_coded(frames, setting.alpha, setting.beta, budget, scale=setting.scale)
                for _ in range(reps + 1)
            ][1:]
            last = runs[-1]
            msg = wire.unpack(last.payload)
            assert isinstance(msg, wire.CodedClip)
            decode_ms = median_ms(partial(codec.decode, msg.stream, msg.alpha, msg.coded_height, msg.coded_width), reps)
            stats = coded_bytes.get(key, {})
            mean = stats.get("mean", float(last.payload_bytes))
            entries.append(
                ProfileEntry(
                    alpha=setting.alpha,
                    beta=setting.beta,
                    encoding="h264",
                    scale=setting.scale,
                    max_bytes=budget,
                    bytes_p95=stats.get("p95", mean),
                    over_budget=stats.get("over", float(last.payload_bytes > budget)),
                    accuracy=accuracy[key],
                    bytes_brotli=mean,
                    bytes_none=mean,
                    fa_ms=statistics.median(r.timings_ms["fa"] for r in runs),
                    sa_ms=statistics.median(r.timings_ms["sa"] for r in runs),
                    pack_ms=statistics.median(r.timings_ms["entropy_encode"] for r in runs),
                    ee_ms=0.0,
                    ed_ms=decode_ms,
                    fr_ms=0.0,  # FR does not run on decoded frames
                    vit_ms=server.vit_ms.get(setting.alpha, 0.0),
                )
            )
    return entries


def _latent_entries(
    encoder: SemanticEncoder,
    frames: np.ndarray,
    server: ServerTimes,
    accuracy: dict[str, float],
    coded_bytes: dict[str, dict[str, float]],
    reps: int,
) -> list[ProfileEntry]:
    """Wire-v3 entries, one per (α, rate level) that ``accuracy`` has: camera time (FA, analysis, rANS) on
    ``frames``, the server's rANS decoding and synthesis (``ServerTimes.latent_ms``), bytes from the
    evaluation."""
    cfg, tables = encoder.config, encoder.latent_tables
    if cfg.latent is None or tables is None:
        return []
    entries = []
    for alpha in cfg.latent.alphas:
        for level in range(tables.levels):
            key = f"latent:{alpha},{level}"
            if key not in accuracy:
                continue
            runs = [encoder.encode_latent(frames, alpha, level=level) for _ in range(reps + 1)][1:]
            stats = coded_bytes.get(key, {})
            mean = stats.get("mean", float(runs[-1].payload_bytes))
            entries.append(
                ProfileEntry(
                    alpha=alpha,
                    beta=1.0,
                    encoding="latent",
                    level=level,
                    bytes_p95=stats.get("p95", mean),
                    accuracy=accuracy[key],
                    bytes_brotli=mean,
                    bytes_none=mean,
                    fa_ms=statistics.median(r.timings_ms["fa"] for r in runs),
                    sa_ms=0.0,
                    pack_ms=statistics.median(r.timings_ms["entropy_encode"] for r in runs),
                    ee_ms=0.0,
                    ed_ms=server.latent_ms.get(alpha, 0.0),
                    fr_ms=0.0,
                    vit_ms=server.vit_ms.get(alpha, 0.0),
                )
            )
    return entries
