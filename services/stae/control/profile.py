"""The profile table eq. 5 is solved over: for every budget (α, β), accuracy, payload bytes and stage times.

Two kinds of entry: lossless (wire v1) budgets (α, β), and, for a model fine-tuned on H.264 output, coded (wire
v2) budgets (α, β, scale, byte budget B), whose bytes are measured as a distribution (mean, 95th percentile,
share over B): eq. 5 uses the 95th percentile, what is actually sent in all but 1 request in 20.

Stage names are the paper's eq. 3 terms: FA, SA and entropy encoding (EE) on the camera, entropy decoding (ED),
FR and the ViT on the server. Camera times and payload sizes are measured by the encoder on its own device;
server times by the decoder on its own (it reports them at ``GET /v1/profile``); accuracy comes from an
evaluation (``stae eval``) stored in the checkpoint, or, until there is one, from a prior: the paper's Table I
(HMDB51, ViT-B) interpolated linearly in β between its β = 100% and β = 40% columns. A profile built on the
prior says so in ``accuracy_source``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Literal

import brotli
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from stae import codec, wire
from stae.pipeline import SemanticDecoder, SemanticEncoder
from stae.wire import SemanticTensor, kept_pixels

# Paper, Table I: accuracy (%) at β = 100% (ViT_FA) and β = 40% (ViT_STAE), per α. HMDB51, not our data.
PAPER_TABLE_I = {16: (73.3, 72.6), 8: (71.9, 71.3), 4: (70.8, 70.1), 2: (69.8, 69.1), 1: (68.7, 68.1)}
# Paper, Table I: server stage times on an RTX 2080 Ti (ms): the ViT per α, and FR at β = 40% per α.
PAPER_VIT_MS = {16: 31.5, 8: 24.6, 4: 18.7, 2: 10.2, 1: 6.8}
PAPER_FR_MS = {16: 16.3, 8: 7.8, 4: 4.9, 2: 2.5, 1: 1.6}
PAPER_PRIOR = "paper-prior: HMDB51 accuracies of the paper's Table I, linear in beta between 100% and 40%"


def paper_prior_accuracy(alpha: int, beta: float) -> float:
    """The paper's Table I accuracy for (α, β), as a fraction; α between table rows takes the lower row."""
    row = max(a for a in PAPER_TABLE_I if a <= alpha)
    full, forty = PAPER_TABLE_I[row]
    share = (min(max(beta, 0.4), 1.0) - 0.4) / 0.6
    return (forty + share * (full - forty)) / 100


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Encoding = Literal["lossless", "h264"]


class ProfileEntry(_Model):
    alpha: int = Field(ge=1)
    beta: float = Field(gt=0, le=1)
    encoding: Encoding = "lossless"
    scale: int = Field(1, ge=1)  # h264: frames coded at 1/scale of the side
    max_bytes: int | None = Field(None, ge=1)  # h264: the byte budget the encoder is asked to meet
    bytes_p95: float | None = Field(None, gt=0)  # h264: 95th percentile of the payload bytes measured
    over_budget: float = Field(0.0, ge=0, le=1)  # h264: share of measured payloads above max_bytes
    accuracy: float = Field(ge=0, le=1)
    bytes_brotli: float = Field(gt=0)
    bytes_none: float = Field(gt=0)
    fa_ms: float = Field(ge=0)
    sa_ms: float = Field(ge=0)
    pack_ms: float = Field(ge=0)  # packing without entropy coding
    ee_ms: float = Field(ge=0)  # extra time brotli adds on the camera
    ed_ms: float = Field(ge=0)  # brotli decoding on the server
    fr_ms: float = Field(ge=0)
    vit_ms: float = Field(ge=0)

    @property
    def key(self) -> str:
        """How accuracies are stored by ``stae eval``: "α,β" for lossless, "h264:α,β,scale,B" for coded."""
        if self.encoding == "lossless":
            return f"{self.alpha},{self.beta:g}"
        return f"h264:{self.alpha},{self.beta:g},{self.scale},{self.max_bytes}"

    def entry_is(self, alpha: int, beta: float) -> bool:
        """This is the lossless budget (α, β)."""
        return self.encoding == "lossless" and self.alpha == alpha and abs(self.beta - beta) < 1e-6

    def payload_bytes(self, entropy: wire.EntropyCoder) -> float:
        if self.encoding == "h264":
            return self.bytes_p95 or self.bytes_none
        return self.bytes_brotli if entropy == "brotli" else self.bytes_none

    def compute_ms(self, entropy: wire.EntropyCoder) -> float:
        """Eq. 3: every stage's time except the transfer."""
        coding = self.ee_ms + self.ed_ms if entropy == "brotli" or self.encoding == "h264" else 0.0
        return self.fa_ms + self.sa_ms + self.pack_ms + coding + self.fr_ms + self.vit_ms


class Profile(_Model):
    model: str
    accuracy_source: str
    camera_device: str = "unknown"
    server_device: str = "unknown"
    entries: tuple[ProfileEntry, ...]

    def entry(self, alpha: int, beta: float, max_bytes: int | None = None, scale: int = 1) -> ProfileEntry | None:
        """The lossless entry (α, β), or with ``max_bytes`` the coded entry (α, β, scale, max_bytes)."""
        for e in self.entries:
            same = e.alpha == alpha and abs(e.beta - beta) < 1e-6 and e.max_bytes == max_bytes
            if same and (max_bytes is None or e.scale == scale):
                return e
        return None


class ServerTimes(_Model):
    """What the decoder measures about itself at warm-up (``GET /v1/profile``)."""

    device: str
    fr_ms: dict[int, float]  # per α, for β < 100% (FR is skipped at β = 100%)
    vit_ms: dict[int, float]  # per α
    brotli_decode_ms_per_mb: float  # entropy decoding time per MB of brotli body


def paper_server_times(brotli_decode_ms_per_mb: float) -> ServerTimes:
    """Server times of the paper's RTX 2080 Ti (Table I; FR's cost does not depend on β), with brotli decoding
    at a measured speed (the server's CPU decodes, not its GPU)."""
    return ServerTimes(
        device="RTX 2080 Ti (paper, Table I)",
        fr_ms=dict(PAPER_FR_MS),
        vit_ms=dict(PAPER_VIT_MS),
        brotli_decode_ms_per_mb=brotli_decode_ms_per_mb,
    )


def _median_ms(fn: Callable[[], object], reps: int) -> float:
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
    per_mb = _median_ms(lambda: brotli.decompress(body), reps)
    return ServerTimes(device=str(decoder.device), fr_ms=fr_ms, vit_ms=vit_ms, brotli_decode_ms_per_mb=per_mb)


def build_profile(
    encoder: SemanticEncoder,
    frames: np.ndarray,
    server: ServerTimes,
    *,
    accuracy: dict[str, float] | None = None,
    coded_bytes: dict[str, dict[str, float]] | None = None,
    camera_device: str = "cpu",
    reps: int = 3,
) -> Profile:
    """Measure the camera side on ``frames`` for every budget of the model and merge the server's times.

    ``accuracy`` maps "α,β" (e.g. "4,0.4") to a fraction; missing lossless budgets fall back to the paper's
    prior. Coded budgets ("h264:α,β,scale,B", for a model with ``coded`` settings) are offered only where
    ``accuracy`` has them (no prior exists for them); ``coded_bytes`` gives their measured byte distribution
    over many clips ({"mean", "p95", "over"}), else the bytes of ``frames`` alone are used.
    """
    cfg = encoder.config
    entries = []
    used_prior = False
    for alpha in cfg.alphas:
        for beta in cfg.betas:
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
    entries += _coded_entries(encoder, frames, server, accuracy or {}, coded_bytes or {}, reps)
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
) -> list[ProfileEntry]:
    """Wire-v2 entries: camera time (FA, SA, the codec's rate search) on ``frames``, H.264 decoding time of
    the same payload on this machine (standing in for the server's CPU), bytes from the evaluation."""
    cfg = encoder.config
    entries = []
    for setting in cfg.coded:
        for budget in cfg.coded_budgets:
            key = f"h264:{setting.alpha},{setting.beta:g},{setting.scale},{budget}"
            if key not in accuracy:
                continue
            runs = [
                encoder.encode_coded(frames, setting.alpha, setting.beta, budget, scale=setting.scale)
                for _ in range(reps + 1)
            ][1:]
            last = runs[-1]
            msg = wire.unpack(last.payload)
            assert isinstance(msg, wire.CodedClip)
            decode_ms = _median_ms(
                partial(codec.decode, msg.stream, msg.alpha, msg.coded_height, msg.coded_width), reps
            )
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
