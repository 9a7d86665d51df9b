"""The encoder service (camera side): ``POST /recognize``.

A clip (multipart upload of a video file, or raw uint8 frames as ``application/octet-stream``) is decoded and
sampled, the controller picks (α, β) and the entropy coder for the camera's measured bandwidth and the request's
deadline (eq. 5), FA and SA compress it, and the payload goes to the decoder service. The answer carries the
labels, the decision and why, payload sizes, and every stage's measured time (the paper's eq. 3 terms).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import httpx
import numpy as np
from fastapi import BackgroundTasks, Depends, FastAPI, Header, HTTPException, Query, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import UploadFile

from encoder_service.metrics import Metrics
from encoder_service.schemas import (
    Budget,
    CameraState,
    ControllerState,
    DecisionInfo,
    Label,
    PayloadInfo,
    RecognizeResponse,
)
from encoder_service.settings import EncoderSettings
from service_common.common import CAMERA_ID, model_source, operation_id, read_body, request_id, secrets_match
from stae.camera import SemanticEncoder
from stae.checkpoint import CheckpointInfo, read_checkpoint
from stae.control.controller import Controller
from stae.control.estimator import estimate_bps
from stae.control.policy import LocalOption
from stae.control.profile import Profile, ServerTimes
from stae.control.store import ControllerStore
from stae.errors import NotReadyError
from stae.profiling import build_profile
from stae.video import VideoError, VideoLimits, prepare_frames, read_clip

if TYPE_CHECKING:
    from stae.pipeline import SemanticDecoder

log = logging.getLogger("stae.encoder")


def _synthetic_clip(frames: int, size: int) -> np.ndarray:
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


RECOGNIZE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "a video file as multipart field `file`, or raw uint8 RGB frames (F, H, W, 3) as "
        "application/octet-stream with their shape in the X-Frame-Shape header (e.g. `32,240,320,3`)",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def create_app(settings: EncoderSettings | None = None) -> FastAPI:
    cfg = settings or EncoderSettings()  # secrets come from the environment
    metrics = Metrics()
    keys = cfg.keys()
    limits = VideoLimits(max_frames=cfg.max_clip_frames)
    inflight: dict[str, int] = {}  # payload bytes per camera sent to the decoder and not yet answered
    # Where each camera's last H.264 rate search ended, per setting and budget: consecutive clips of one camera
    # look alike, so starting there usually makes the search a single encode. Least recently used entries go.
    last_crf: OrderedDict[tuple[str, int, float, int, int], int] = OrderedDict()

    def load() -> tuple[SemanticEncoder, CheckpointInfo | None, SemanticDecoder | None]:
        info, model = model_source(cfg.checkpoint, cfg.model)
        if info is not None:
            encoder = SemanticEncoder.from_checkpoint(info, cfg.runtime)
            log.info("FA and SA run on %s", encoder.attention.runtime)
        else:
            assert model is not None
            log.warning("no checkpoint configured: %s with RANDOM weights; predictions are meaningless", cfg.model)
            encoder = SemanticEncoder.from_model(model)
        local = None
        if cfg.local_checkpoint:
            from stae.pipeline import SemanticDecoder  # the local option needs torch: stae[server]

            local = SemanticDecoder.from_checkpoint(read_checkpoint(cfg.local_checkpoint), "cpu")
        return encoder, info, local

    async def fetch_profile(app: FastAPI) -> None:
        """Build the profile once the decoder answers; retry until it does."""
        controller: Controller = app.state.controller
        encoder: SemanticEncoder = app.state.encoder
        while controller.profile is None:
            try:
                if cfg.profile_path:
                    profile = Profile.model_validate_json(Path(cfg.profile_path).read_text())
                else:
                    resp = await app.state.client.get("/v1/profile")
                    resp.raise_for_status()
                    server = ServerTimes.model_validate(resp.json())
                    c = encoder.config
                    if cfg.profile_clip:
                        frames = await asyncio.to_thread(read_clip, cfg.profile_clip, c.num_frames, c.img_size)
                    else:
                        frames = _synthetic_clip(c.num_frames, c.img_size)
                    measured = app.state.eval_accuracy  # from `stae eval --store`; else the paper's prior
                    profile = await asyncio.to_thread(
                        build_profile,
                        encoder,
                        frames,
                        server,
                        accuracy=measured,
                        coded_bytes=app.state.eval_coded_bytes,
                        reps=cfg.profile_reps,
                    )
                controller.profile = profile
                await controller.store.put_profile(profile)
                if app.state.local is not None:
                    controller.local = await asyncio.to_thread(_local_option, app.state.local, profile)
                log.info("controller profile ready (%d budgets, %s)", len(profile.entries), profile.accuracy_source)
            except (httpx.HTTPError, ValueError, OSError) as exc:
                log.info("waiting for the decoder's profile: %s", exc)
                await asyncio.sleep(1.0)

    def _local_option(local: SemanticDecoder, profile: Profile) -> LocalOption:
        c = local.config
        frames = _synthetic_clip(c.num_frames, c.img_size)
        enc: SemanticEncoder = app.state.encoder
        payload = enc.encode(frames, c.num_frames, 1.0, entropy="none").payload
        local.decode(payload)
        start = time.perf_counter()
        local.decode(payload)
        entry = profile.entry(c.num_frames, 1.0)
        return LocalOption(entry.accuracy if entry else 0.0, (time.perf_counter() - start) * 1e3)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        encoder, info, local = await asyncio.to_thread(load)
        app.state.encoder, app.state.trained, app.state.local = encoder, bool(info and info.trained), local
        stored = (info.metadata.get("eval") or {}) if info else {}
        app.state.eval_accuracy = stored.get("accuracy")
        app.state.eval_coded_bytes = stored.get("coded_bytes")
        app.state.client = httpx.AsyncClient(
            base_url=cfg.decoder_url,
            headers={"Authorization": f"Bearer {cfg.decoder_token.get_secret_value()}"},
            timeout=httpx.Timeout(cfg.decoder_timeout_s, connect=cfg.decoder_connect_timeout_s),
        )
        store = ControllerStore(
            cfg.redis_url or None,
            timeout_s=cfg.redis_timeout_s,
            retry_after_s=cfg.redis_retry_s,
            prefix=cfg.redis_prefix,
            ttl_s=cfg.camera_ttl_s,
            max_cameras=cfg.max_cameras,
        )
        if store.status().backend == "memory":
            log.warning("no Redis configured: controller state lives in this process only")
        app.state.controller = Controller(store, prior_bps=cfg.prior_bandwidth_bps, overhead_ms=cfg.overhead_ms)
        task = asyncio.create_task(fetch_profile(app))
        yield
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await app.state.client.aclose()
        await store.close()

    app = FastAPI(
        title="STAE encoder service",
        version="0.1.0",
        description="Camera side of ViT STAE: compresses clips with learned attention and offloads them.",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )

    def authorize(x_api_key: Annotated[str | None, Header()] = None) -> None:
        if not secrets_match(x_api_key, keys):
            metrics.requests.labels("unauthorized").inc()
            raise HTTPException(401, "missing or wrong API key: send it in the X-API-Key header")

    auth = [Depends(authorize)]

    async def read_frames(request: Request, body: bytes, shape: str | None) -> np.ndarray:
        """Decode the request into (T, S, S, 3) uint8 frames at the model's geometry."""
        c = request.app.state.encoder.config
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "multipart/form-data":
            data = await _multipart_file(request, body)
            return await asyncio.to_thread(read_clip, data, c.num_frames, c.img_size, limits)
        if kind == "application/octet-stream":
            if not shape:
                raise HTTPException(400, "raw frames need their shape in the X-Frame-Shape header, e.g. 32,240,320,3")
            try:
                dims = tuple(int(d) for d in shape.split(","))
            except ValueError:
                raise HTTPException(400, f"X-Frame-Shape {shape!r} is not comma-separated integers") from None
            # math.prod on Python ints: numpy's int64 product wraps around for huge dimensions
            if len(dims) != 4 or dims[3] != 3 or min(dims) < 1 or math.prod(dims) != len(body):
                raise HTTPException(
                    400, f"X-Frame-Shape {shape!r} must be F,H,W,3 and match the body's {len(body)} bytes"
                )
            frames = np.frombuffer(body, dtype=np.uint8).reshape(dims)
            return await asyncio.to_thread(prepare_frames, frames, c.num_frames, c.img_size, limits)
        raise HTTPException(415, f"send multipart/form-data (field 'file') or application/octet-stream, not {kind!r}")

    @app.post(
        "/recognize",
        dependencies=auth,
        response_model=RecognizeResponse,
        openapi_extra=RECOGNIZE_BODY,
        responses={
            400: {
                "description": "malformed request: alpha without beta (or the reverse), a budget outside the "
                "profile, a bad X-Frame-Shape"
            },
            401: {"description": "missing or wrong API key"},
            408: {"description": "the body did not arrive within the body timeout"},
            413: {"description": "upload too large"},
            415: {"description": "the body is neither multipart/form-data nor application/octet-stream"},
            422: {"description": "the clip cannot be decoded, or a query parameter is out of range"},
            503: {"description": "decoder unavailable or controller not ready; see Retry-After"},
        },
    )
    async def recognize(
        request: Request,
        background: BackgroundTasks,
        camera_id: Annotated[
            str,
            Query(
                pattern=CAMERA_ID.pattern, description="camera whose uplink is measured (1-64 of A-Z a-z 0-9 _ . : -)"
            ),
        ] = "default",
        deadline_ms: Annotated[float | None, Query(gt=0, le=600_000)] = None,
        alpha: Annotated[
            int | None, Query(ge=1, le=64, description="fixed frame budget; give beta too, or neither")
        ] = None,
        beta: Annotated[
            float | None, Query(gt=0, le=1, description="fixed spatial budget; give alpha too, or neither")
        ] = None,
        top_k: Annotated[int, Query(ge=1, le=100)] = 5,
        x_frame_shape: Annotated[
            str | None,
            Header(
                pattern=r"^[0-9]{1,9},[0-9]{1,9},[0-9]{1,9},3$",
                description="F,H,W,3 of raw frames: required when the body is application/octet-stream",
            ),
        ] = None,
    ) -> RecognizeResponse:
        """Recognize the action in a clip: compress on the camera, classify on the edge server."""
        rid = request_id(request)
        if not CAMERA_ID.match(camera_id):
            raise HTTPException(400, "camera_id must be 1-64 characters of letters, digits and _ . : -")
        if (alpha is None) != (beta is None):
            raise HTTPException(400, "give both alpha and beta to fix the budget, or neither")
        # Cheap refusals before the upload is read and decoded (issue 12, item 8)
        profile = request.app.state.controller.profile
        if profile is None:
            metrics.requests.labels("not_ready").inc()
            raise HTTPException(
                503, "the controller has no profile yet (is the decoder reachable?)", headers={"Retry-After": "2"}
            )
        if alpha is not None and beta is not None and profile.entry(alpha, beta) is None:
            raise HTTPException(400, f"budget alpha={alpha}, beta={beta} is not in the profile")
        body = await read_body(request, cfg.max_upload_bytes, cfg.body_timeout_s)
        started = time.perf_counter()
        deadline = deadline_ms or cfg.default_deadline_ms
        timings: dict[str, float] = {}
        try:
            frames = await read_frames(request, body, x_frame_shape)
        except VideoError as exc:
            metrics.requests.labels("bad_clip").inc()
            raise HTTPException(422, f"cannot use this clip: {exc}") from None
        timings["decode_video"] = (time.perf_counter() - started) * 1e3

        controller: Controller = request.app.state.controller
        encoder: SemanticEncoder = request.app.state.encoder
        fixed = (alpha, beta) if alpha is not None and beta is not None else None
        remaining = deadline - (time.perf_counter() - started) * 1e3
        try:
            backlog = inflight.get(camera_id, 0)  # this camera's payloads on their way right now
            choice = await controller.decide(camera_id, max(remaining, 0.001), fixed, backlog_bytes=backlog)
        except NotReadyError as exc:
            metrics.requests.labels("not_ready").inc()
            raise HTTPException(503, str(exc), headers={"Retry-After": "2"}) from None
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        d = choice.decision
        timings["controller"] = (time.perf_counter() - started) * 1e3 - timings["decode_video"]
        metrics.bandwidth.observe(choice.bandwidth_bps)
        metrics.mode.labels(d.mode).inc()

        if d.max_bytes is not None:
            key = (camera_id, d.alpha, d.beta, d.scale, d.max_bytes)
            result = await asyncio.to_thread(
                encoder.encode_coded,
                frames,
                d.alpha,
                d.beta,
                d.max_bytes,
                scale=d.scale,
                start_crf=last_crf.get(key, 30),
                slack=cfg.crf_slack,
            )
            if cfg.crf_memory and result.crf is not None:
                last_crf[key] = result.crf
                last_crf.move_to_end(key)
                while len(last_crf) > cfg.crf_memory:
                    last_crf.popitem(last=False)
            if result.payload_bytes > d.max_bytes:
                metrics.over_budget.inc()
        else:
            result = await asyncio.to_thread(
                encoder.encode, frames, d.alpha, d.beta, entropy=d.entropy, quality=cfg.brotli_quality
            )
        timings.update(result.timings_ms)
        if d.mode == "local":
            local: SemanticDecoder = request.app.state.local
            pred = await asyncio.to_thread(local.decode, result.payload, top_k)
            timings.update({"transfer": 0.0, "queue": 0.0, **pred.timings_ms})
            top = [Label(label=lab, score=s) for lab, s in zip(pred.labels, pred.scores, strict=True)]
            trained = bool(request.app.state.trained)
        else:
            inflight[camera_id] = inflight.get(camera_id, 0) + len(result.payload)
            try:
                top, trained = await _offload(request, rid, result.payload, top_k, timings)
            finally:
                inflight[camera_id] -= len(result.payload)
                if not inflight[camera_id]:
                    del inflight[camera_id]
            background.add_task(controller.observe, camera_id, len(result.payload), timings["transfer"])
            metrics.payload_bytes.observe(len(result.payload))

        total = (time.perf_counter() - started) * 1e3
        met = total <= deadline
        metrics.deadline.labels("hit" if met else "miss").inc()
        metrics.alpha.observe(d.alpha)
        metrics.beta.observe(d.beta)
        metrics.requests.labels("ok").inc()
        for stage, ms in timings.items():
            metrics.stage_seconds.labels(stage).inc(ms / 1e3)
        profile = controller.profile
        return RecognizeResponse(
            request_id=rid,
            camera_id=camera_id,
            top=top,
            budget=Budget(
                alpha=d.alpha,
                beta=d.beta,
                entropy=d.entropy,
                frame_indices=result.frame_indices,
                fixed=bool(fixed),
                encoding="lossless" if d.max_bytes is None else "h264",
                max_bytes=d.max_bytes,
                scale=d.scale,
                crf=result.crf,
            ),
            decision=DecisionInfo(
                mode=d.mode,
                reason=d.reason,
                bandwidth_bps=choice.bandwidth_bps,
                bandwidth_source=choice.bandwidth_source,
                deadline_ms=deadline,
                predicted_ms=round(d.predicted_ms + timings["decode_video"], 3),
                predicted_accuracy=d.accuracy,
                accuracy_source=profile.accuracy_source if profile else "",
            ),
            payload=PayloadInfo(
                bytes=result.payload_bytes,
                eq1_bytes=result.eq1_bytes,
                ratio_vs_float32=round(result.ratio_float32, 2),
                ratio_vs_uint8=round(result.ratio_uint8, 2),
            ),
            timings_ms={k: round(v, 3) for k, v in timings.items()},
            total_ms=round(total, 3),
            deadline_met=met,
            model=encoder.config.name,
            trained=trained,
        )

    async def _offload(
        request: Request, rid: str, payload: bytes, top_k: int, timings: dict[str, float]
    ) -> tuple[list[Label], bool]:
        client: httpx.AsyncClient = request.app.state.client
        sent = time.perf_counter()
        try:
            resp = await client.post(
                "/v1/infer",
                content=payload,
                params={"top_k": top_k},
                headers={"Content-Type": "application/octet-stream", "X-Request-Id": rid},
            )
        except httpx.TransportError as exc:
            metrics.requests.labels("decoder_unavailable").inc()
            raise HTTPException(
                503, f"decoder unavailable ({type(exc).__name__}); retry later", headers={"Retry-After": "2"}
            ) from None
        round_trip = (time.perf_counter() - sent) * 1e3
        if resp.status_code in (503, 504):
            metrics.requests.labels("decoder_busy").inc()
            retry = resp.headers.get("Retry-After", "1")
            raise HTTPException(503, f"decoder busy: {resp.text[:200]}", headers={"Retry-After": retry})
        if resp.status_code != 200:
            metrics.requests.labels("decoder_error").inc()
            raise HTTPException(502, f"decoder answered {resp.status_code}: {resp.text[:300]}")
        doc = resp.json()
        server = doc["timings_ms"]
        timings["transfer"] = max(0.0, round_trip - server["server_total"])
        for stage in ("queue", "entropy_decode", "fr", "vit"):
            timings[stage] = server[stage]
        return [Label(label=t["label"], score=t["score"]) for t in doc["top"]], bool(doc["trained"])

    @app.get("/v1/controller", response_model=ControllerState, dependencies=auth)
    async def controller_state(request: Request) -> ControllerState:
        """The controller's state: store health, profile, and every camera's bandwidth estimate."""
        controller: Controller = request.app.state.controller
        store = controller.store
        cameras = []
        for cam, st in (await store.get_many(await store.cameras())).items():
            cameras.append(
                CameraState(
                    camera_id=cam,
                    bandwidth_bps=estimate_bps(st, store.estimator),
                    last_sample_bps=st.last_bps if st else None,
                    samples=st.samples if st else 0,
                    updated_at=st.updated_at if st else None,
                )
            )
        status = store.status()
        profile = controller.profile
        return ControllerState(
            store=status.backend,
            redis_up=status.redis_up,
            redis_error=status.last_error,
            profile_model=profile.model if profile else None,
            accuracy_source=profile.accuracy_source if profile else None,
            prior_bandwidth_bps=controller.prior_bps,
            local_computing=controller.local is not None,
            cameras=cameras,
        )

    @app.get("/v1/controller/profile", response_model=Profile, dependencies=auth)
    async def controller_profile(request: Request) -> Profile:
        """The profile table eq. 5 is solved over."""
        profile = request.app.state.controller.profile
        if profile is None:
            raise HTTPException(503, "no profile yet: waiting for the decoder", headers={"Retry-After": "2"})
        return profile

    @app.get("/v2/health/live")
    async def live() -> dict[str, bool]:
        """The process is up."""
        return {"live": True}

    readiness: dict[str, float | bool] = {"at": 0.0}

    @app.get(
        "/v2/health/ready",
        responses={503: {"description": "models loading, no profile yet, or the decoder not answering"}},
    )
    async def ready(request: Request, response: Response) -> dict[str, bool]:
        """Models are loaded, the controller has its profile and the decoder answers its readiness (checked at
        most once a second). ``redis`` says whether Redis answers; without it the controller runs on state
        held in process, so it fails readiness only with STAE_ENCODER_READY_REQUIRES_REDIS."""
        controller = getattr(request.app.state, "controller", None)
        if controller is not None and time.monotonic() - float(readiness["at"]) > 1.0:
            readiness["at"] = time.monotonic()
            try:
                resp = await request.app.state.client.get("/v2/health/ready", timeout=1.0)
                readiness["decoder"] = resp.status_code == 200
            except httpx.HTTPError:
                readiness["decoder"] = False
            readiness["redis"] = await controller.store.ping()
        profiled = controller is not None and controller.profile is not None
        decoder, redis_up = bool(readiness.get("decoder")), bool(readiness.get("redis"))
        ok = profiled and decoder and (redis_up or not cfg.ready_requires_redis)
        if not ok:
            response.status_code = 503
        return {"ready": ok, "profile": profiled, "decoder": decoder, "redis": redis_up}

    @app.get("/metrics", include_in_schema=False)
    async def prometheus(authorization: Annotated[str | None, Header()] = None) -> Response:
        """Prometheus text format; with STAE_ENCODER_METRICS_TOKEN set, only for ``Authorization: Bearer <it>``."""
        if cfg.metrics_token is not None:
            token = (authorization or "").removeprefix("Bearer ").strip()
            if not secrets_match(token, [cfg.metrics_token.get_secret_value()]):
                raise HTTPException(401, "metrics need Authorization: Bearer <STAE_ENCODER_METRICS_TOKEN>")
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


async def _multipart_file(request: Request, body: bytes) -> bytes:
    """The 'file' field of a multipart body already read (and size-checked) into memory."""

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    form = await Request(request.scope, replay).form(max_files=1, max_fields=10)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise HTTPException(400, "multipart body needs a file field named 'file'")
    return await upload.read()
