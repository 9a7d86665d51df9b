"""The recognition flow on the camera side, framework-free: intake -> decide -> encode -> offload or local.

    clip bytes / raw frames ─► read_clip / prepare_frames ─► Controller.decide (eq. 5)
        ─► SemanticEncoder (FA, SA; lossless or H.264 within the byte budget)
        ─► Decoders.infer (offload)  or  the local SemanticDecoder  ─► Recognition

The encoder service is an HTTP shell over :class:`RecognitionService`; errors are the library's
(:mod:`stae.errors`), mapped to HTTP in one place by the service.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from stae.camera.encoder import EncodeResult, SemanticEncoder
from stae.control.controller import Choice, Controller
from stae.control.policy import LocalOption
from stae.control.profile import Profile, ServerLoad
from stae.edge import Decoders
from stae.errors import BudgetError, NotReadyError, RefusedError, STAEError
from stae.profiling import build_profile
from stae.video import VideoLimits, prepare_frames, read_clip

if TYPE_CHECKING:
    from stae.pipeline import SemanticDecoder

log = logging.getLogger("stae.camera")


@dataclass(frozen=True)
class RecognitionSettings:
    default_deadline_ms: float = 500.0
    brotli_quality: int = 1
    crf_slack: float = 0.15  # stop the H.264 rate search within this share under the byte budget
    crf_memory: int = 4096  # (camera, budget) pairs whose last CRF is remembered; 0: none
    limits: VideoLimits = field(default_factory=VideoLimits)
    max_intakes: int = 2  # clips decoded at once (the encoder service: one per CPU core); more wait their turn
    profile_path: str | None = None  # a profile JSON instead of measuring one
    profile_clip: str | None = None  # the clip the profile is measured on (else a synthetic one)
    profile_reps: int = 2
    decoder_deadlines: bool = True  # tell the decoder each request's time left (it refuses what cannot be on time)


@dataclass(frozen=True)
class Recognition:
    """One answered request: the labels, what the controller chose and why, the payload, every stage's time."""

    labels: list[tuple[str, float]]
    choice: Choice
    result: EncodeResult
    timings_ms: dict[str, float]
    total_ms: float
    deadline_ms: float
    trained: bool
    delivery_bps: float | None = None  # the decoder's measured arrival rate of the payload (offloads)
    load: ServerLoad | None = None  # the decoder's load as it answered (offloads)
    decoder: str | None = None  # which decoder answered (offloads)

    @property
    def deadline_met(self) -> bool:
        return self.total_ms <= self.deadline_ms


def synthetic_clip(frames: int, size: int) -> np.ndarray:
    """A smooth moving pattern (image-like statistics) to profile the camera when no clip is configured."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    out = []
    for t in range(frames):
        shift = t / frames
        r = 128 + 100 * np.sin(6.0 * (x + shift))
        g = 128 + 100 * np.cos(5.0 * (y - shift))
        b = 128 + 60 * np.sin(4.0 * (x + y) + 3 * shift)
        out.append(np.stack([r, g, b], axis=-1))
    return np.clip(np.stack(out), 0, 255).astype(np.uint8)


def parse_frame_shape(shape: str | None, body_bytes: int) -> tuple[int, int, int, int]:
    """``F,H,W,3`` of raw frames, checked against the body's size (STAEError: a malformed request)."""
    if not shape:
        raise STAEError("raw frames need their shape in the X-Frame-Shape header, e.g. 32,240,320,3")
    try:
        dims = tuple(int(d) for d in shape.split(","))
    except ValueError:
        raise STAEError(f"X-Frame-Shape {shape!r} is not comma-separated integers") from None
    # math.prod on Python ints: numpy's int64 product wraps around for huge dimensions
    if len(dims) != 4 or dims[3] != 3 or min(dims) < 1 or math.prod(dims) != body_bytes:
        raise STAEError(f"X-Frame-Shape {shape!r} must be F,H,W,3 and match the body's {body_bytes} bytes")
    return dims[0], dims[1], dims[2], dims[3]


class RecognitionService:
    def __init__(
        self,
        encoder: SemanticEncoder,
        controller: Controller,
        edge: Decoders,
        settings: RecognitionSettings | None = None,
        *,
        local: SemanticDecoder | None = None,
        trained: bool = False,
        eval_metadata: dict[str, Any] | None = None,
    ) -> None:
        self.encoder, self.controller, self.edge, self.local = encoder, controller, edge, local
        self.settings = settings or RecognitionSettings()
        self.trained = trained
        self.eval_metadata = eval_metadata or {}  # `stae eval --store`: measured accuracy and coded bytes
        # Where each camera's last H.264 rate search ended, per budget: consecutive clips of one camera look
        # alike, so starting there usually makes the search a single encode. Least recently used entries go.
        self._last_crf: OrderedDict[tuple[str, int, float, int, int], int] = OrderedDict()
        self._health: dict[str, float | bool] = {"at": 0.0}
        # Decoding clips is the camera's heaviest work: run at most max_intakes at once, each at full speed,
        # rather than all of them at a fraction (16 at once on 2 cores took 1.4 s each, issue 12).
        self._intakes = asyncio.Semaphore(self.settings.max_intakes)
        self._waiting = 0
        self._intake_ms = self._rest_ms = 0.0  # running means: a clip's intake, and what follows it

    # --- start-up ----------------------------------------------------------------------------------------
    async def load_profile(self) -> Profile:
        """Build (or read) the profile once the decoder answers, publish it, and derive the local option."""
        s, c = self.settings, self.encoder.config
        if s.profile_path:
            profile = Profile.model_validate_json(Path(s.profile_path).read_text())
        else:
            server = await self.edge.server_times()
            if s.profile_clip:
                frames = await asyncio.to_thread(read_clip, s.profile_clip, c.num_frames, c.img_size)
            else:
                frames = synthetic_clip(c.num_frames, c.img_size)
            profile = await asyncio.to_thread(
                build_profile,
                self.encoder,
                frames,
                server,
                accuracy=self.eval_metadata.get("accuracy"),
                coded_bytes=self.eval_metadata.get("coded_bytes"),
                reps=s.profile_reps,
            )
        self.controller.profile = profile
        await self.controller.store.put_profile(profile)
        if self.local is not None:
            self.controller.local = await asyncio.to_thread(self._local_option, self.local, profile)
        log.info("controller profile ready (%d budgets, %s)", len(profile.entries), profile.accuracy_source)
        return profile

    async def keep_loading_profile(self, retry_s: float = 1.0) -> None:
        """``load_profile`` until it succeeds (the decoder may start after the camera)."""
        while self.controller.profile is None:
            try:
                await self.load_profile()
            except (STAEError, OSError) as exc:
                log.info("waiting for the decoder's profile: %s", exc)
                await asyncio.sleep(retry_s)

    def _local_option(self, local: SemanticDecoder, profile: Profile) -> LocalOption:
        c = local.config
        payload = self.encoder.encode(synthetic_clip(c.num_frames, c.img_size), c.num_frames, 1.0, entropy="none")
        local.decode(payload.payload)  # warm-up
        start = time.perf_counter()
        local.decode(payload.payload)
        entry = profile.entry(c.num_frames, 1.0)
        return LocalOption(entry.accuracy if entry else 0.0, (time.perf_counter() - start) * 1e3, c.num_frames)

    # --- per request -------------------------------------------------------------------------------------
    def check(self, alpha: int | None, beta: float | None) -> tuple[int, float] | None:
        """The cheap refusals, before any upload is read: no profile yet, a half-fixed or unknown budget."""
        if (alpha is None) != (beta is None):
            raise BudgetError("give both alpha and beta to fix the budget, or neither")
        profile = self.controller.profile
        if profile is None:
            raise NotReadyError("the controller has no profile yet (is the decoder reachable?)")
        if alpha is None or beta is None:
            return None
        if profile.entry(alpha, beta) is None:
            raise BudgetError(f"budget alpha={alpha}, beta={beta} is not in the profile")
        return alpha, beta

    async def intake(
        self, read: Callable[[], np.ndarray], *, started: float, deadline_ms: float | None = None
    ) -> np.ndarray:
        """Run ``read`` (a clip's decoding, sampling and scaling) in a worker thread once one of the
        ``max_intakes`` slots is free. A request waits only as long as its deadline leaves after the intake and
        the rest of a request take (running means of recent requests); one that would be late is refused with
        :class:`NotReadyError` (503 + Retry-After). Under overload the service answers some requests in time and
        tells the others at once, instead of answering all of them late; a free slot is always taken."""
        deadline = deadline_ms or self.settings.default_deadline_ms
        spare_ms = deadline - (time.perf_counter() - started) * 1e3 - self._intake_ms - self._rest_ms
        self._waiting += 1
        try:
            if self._intakes.locked() and spare_ms <= 0:
                raise TimeoutError
            async with asyncio.timeout(max(spare_ms, 0.0) / 1e3):
                await self._intakes.acquire()
        except TimeoutError:
            raise NotReadyError(
                f"overloaded: no clip decoder free in time for the request's {deadline:g} ms deadline "
                f"({self.settings.max_intakes} busy, {self._waiting - 1} others waiting); retry later"
            ) from None
        finally:
            self._waiting -= 1
        try:
            began = time.perf_counter()
            frames = await asyncio.to_thread(read)
            self._intake_ms += 0.2 * ((time.perf_counter() - began) * 1e3 - self._intake_ms)
            return frames
        finally:
            self._intakes.release()

    def frames_from_file(self, data: bytes) -> np.ndarray:
        c = self.encoder.config
        return read_clip(data, c.num_frames, c.img_size, self.settings.limits)

    def frames_from_raw(self, body: bytes, shape: str | None) -> np.ndarray:
        c = self.encoder.config
        dims = parse_frame_shape(shape, len(body))
        frames = np.frombuffer(body, dtype=np.uint8).reshape(dims)  # (F, H, W, 3)
        return prepare_frames(frames, c.num_frames, c.img_size, self.settings.limits)

    async def recognize(
        self,
        frames: np.ndarray,
        *,
        camera_id: str,
        request_id: str,
        started: float,
        deadline_ms: float | None = None,
        fixed: tuple[int, float] | None = None,
        top_k: int = 5,
    ) -> Recognition:
        """Decide, encode and classify ``frames`` (already at the model's geometry); ``started`` is when the
        request arrived (``time.perf_counter()``), so the deadline counts the intake too."""
        deadline = deadline_ms or self.settings.default_deadline_ms
        timings = {"decode_video": (time.perf_counter() - started) * 1e3}
        remaining = deadline - timings["decode_video"]
        choice = await self.controller.decide(camera_id, max(remaining, 0.001), fixed)
        d, s = choice.decision, self.settings
        timings["controller"] = (time.perf_counter() - started) * 1e3 - timings["decode_video"]
        result = await asyncio.to_thread(self._encode, frames, camera_id, choice)
        timings.update(result.timings_ms)
        if d.mode == "local":
            assert self.local is not None  # the controller offers local only when it has the option
            pred = await asyncio.to_thread(self.local.decode, result.payload, top_k)
            timings.update({"transfer": 0.0, "queue": 0.0, **pred.timings_ms})
            labels, trained = list(zip(pred.labels, pred.scores, strict=True)), self.trained
            delivery, load, decoder = None, None, None
        else:
            # The decoder is told the time left only for a plan predicted to meet it: a predicted miss is sent
            # best effort (served after every request that can still be on time, never refused for lateness).
            left_ms = deadline - (time.perf_counter() - started) * 1e3 if d.feasible and s.decoder_deadlines else None
            try:
                async with self.controller.sending(camera_id, len(result.payload)):
                    offloaded = await self.edge.infer(result.payload, top_k, request_id, left_ms, choice.decoder_waits)
            except RefusedError as exc:  # the payload still went there: its transfer measured the link
                await self.controller.observe(camera_id, result.payload_bytes, exc.exchange_ms)
                raise
            answer = offloaded.answer
            timings["transfer"] = max(0.0, offloaded.exchange_ms - answer.stage_ms("server_total"))
            for stage in ("queue", "entropy_decode", "fr", "vit"):
                timings[stage] = answer.stage_ms(stage)
            labels, trained = [(t.label, t.score) for t in answer.top], answer.trained
            delivery, load, decoder = answer.delivery_bps, answer.load, offloaded.decoder
        total = (time.perf_counter() - started) * 1e3
        self._rest_ms += 0.2 * (total - timings["decode_video"] - self._rest_ms)
        return Recognition(labels, choice, result, timings, total, deadline, trained, delivery, load, decoder)

    async def observe(self, camera_id: str, recognition: Recognition) -> None:
        """Feed the offload's transfer time back to the bandwidth estimator, and the decoder's load to every
        encoder's controller (after the answer is sent)."""
        if recognition.load is not None and recognition.decoder is not None:
            await self.controller.observe_load(recognition.load, recognition.decoder)
        if recognition.choice.decision.mode == "offload":
            await self.controller.observe(
                camera_id,
                recognition.result.payload_bytes,
                recognition.timings_ms["transfer"],
                recognition.delivery_bps,
            )

    def _encode(self, frames: np.ndarray, camera_id: str, choice: Choice) -> EncodeResult:
        d, s = choice.decision, self.settings
        if d.encoding == "latent":
            return self.encoder.encode_latent(frames, d.alpha, level=d.level)
        if d.max_bytes is None:
            return self.encoder.encode(frames, d.alpha, d.beta, entropy=d.entropy, quality=s.brotli_quality)
        key = (camera_id, d.alpha, d.beta, d.scale, d.max_bytes)
        result = self.encoder.encode_coded(
            frames,
            d.alpha,
            d.beta,
            d.max_bytes,
            scale=d.scale,
            start_crf=self._last_crf.get(key, 30),
            slack=s.crf_slack,
        )
        if s.crf_memory and result.crf is not None:
            self._last_crf[key] = result.crf
            self._last_crf.move_to_end(key)
            while len(self._last_crf) > s.crf_memory:
                self._last_crf.popitem(last=False)
        return result

    # --- health ------------------------------------------------------------------------------------------
    async def health(self, max_age_s: float = 1.0) -> tuple[bool, bool, bool]:
        """(profile loaded, decoder ready, Redis answering); the decoder and Redis are asked at most once per
        ``max_age_s``."""
        h = self._health
        if time.monotonic() - float(h["at"]) > max_age_s:
            h["at"] = time.monotonic()
            h["decoder"] = await self.edge.ready()
            h["redis"] = await self.controller.store.ping()
        return self.controller.profile is not None, bool(h.get("decoder")), bool(h.get("redis"))
