"""The encoder service (camera side): ``POST /recognize``, an HTTP shell over stae.camera.RecognitionService.

A clip (multipart upload of a video file, or raw uint8 frames as ``application/octet-stream``) is decoded and
sampled, the controller picks the budget for the camera's measured bandwidth and the request's deadline
(eq. 5), FA and SA compress it, and the payload goes to the decoder service. The answer carries the labels, the
decision and why, payload sizes, and every stage's measured time (the paper's eq. 3 terms).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import partial
from typing import Annotated, Any

from fastapi import BackgroundTasks, Depends, FastAPI, Header, HTTPException, Query, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import SecretStr
from starlette.datastructures import UploadFile

from encoder_service import schemas
from encoder_service.metrics import Metrics
from encoder_service.settings import EncoderSettings, build_service
from encoder_service.status import (
    ACTIVITY_WINDOW_S,
    BUCKET_S,
    PAGE_FILES,
    PAGE_POLICY,
    Activity,
    CameraStatus,
    DecoderStatus,
    Status,
    page_file,
)
from service_common.common import CAMERA_ID, operation_id, read_body, request_id, secrets_match
from service_common.errors import install_error_handler
from service_common.security import Key
from stae.camera.recognition import RecognitionService
from stae.control.profile import Profile
from stae.errors import EdgeError, NotReadyError, STAEError
from stae.video import VideoError

log = logging.getLogger("stae.encoder")
ERROR_OUTCOMES = (
    (VideoError, "bad_clip"),
    (EdgeError, "decoder_error"),
    (NotReadyError, "not_ready"),
    (STAEError, "bad_request"),
)


def get_service(request: Request) -> RecognitionService:
    """The app's recognition service (typed state); 503 while the models are still loading."""
    svc: RecognitionService | None = getattr(request.app.state, "service", None)
    if svc is None:
        raise NotReadyError("the encoder is still loading its models")
    return svc


Service = Annotated[RecognitionService, Depends(get_service)]


def caller_key(request: Request, x_api_key: Annotated[str | None, Header()] = None) -> Key:
    """The API key the request presented (``authorize`` has refused requests without a valid one)."""
    key: Key | None = request.app.state.keys().find(x_api_key)
    if key is None:
        raise HTTPException(401, "missing or wrong API key: send it in the X-API-Key header")
    return key


Caller = Annotated[Key, Depends(caller_key)]


def viewer(
    request: Request,
    x_api_key: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> frozenset[str] | None:
    """Who may read the status: an API key (the cameras it may speak for; None: any) or the metrics token (every
    camera)."""
    key: Key | None = request.app.state.keys().find(x_api_key)
    if key is not None:
        return key.cameras
    if metrics_token_matches(authorization, request.app.state.metrics_token()):
        return None
    raise HTTPException(401, "send an API key (X-API-Key) or the metrics token (Authorization: Bearer ...)")


Viewer = Annotated[frozenset[str] | None, Depends(viewer)]


def metrics_token_matches(authorization: str | None, expected: SecretStr | None) -> bool:
    """Whether ``Authorization: Bearer <token>`` carries the metrics token (False when none is set)."""
    token = (authorization or "").removeprefix("Bearer ").strip()
    return expected is not None and secrets_match(token, [expected.get_secret_value()])


def create_app(settings: EncoderSettings | None = None) -> FastAPI:
    cfg = settings or EncoderSettings()  # secrets come from the environment
    metrics, keys, activity = Metrics(), cfg.keys(), Activity()
    metrics_token = cfg.live_metrics_token()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = await asyncio.to_thread(build_service, cfg)
        app.state.service = service
        task = asyncio.create_task(service.keep_loading_profile())
        yield
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await service.edge.aclose()
        await service.controller.store.close()

    app = FastAPI(
        title="STAE encoder service",
        version="0.1.0",
        description="Camera side of ViT STAE: compresses clips with learned attention and offloads them.",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    install_error_handler(
        app, lambda exc, _: metrics.requests.labels(next(o for t, o in ERROR_OUTCOMES if isinstance(exc, t))).inc()
    )

    def authorize(x_api_key: Annotated[str | None, Header()] = None) -> None:
        if keys().find(x_api_key) is None:
            metrics.requests.labels("unauthorized").inc()
            raise HTTPException(401, "missing or wrong API key: send it in the X-API-Key header")

    auth = [Depends(authorize)]
    app.state.keys, app.state.metrics_token = keys, metrics_token

    @app.post(
        "/recognize",
        dependencies=auth,
        response_model=schemas.RecognizeResponse,
        openapi_extra=schemas.RECOGNIZE_BODY,
        responses=schemas.RECOGNIZE_ERRORS,
    )
    async def recognize(
        request: Request,
        svc: Service,
        caller: Caller,
        background: BackgroundTasks,
        camera_id: Annotated[str, Query(pattern=CAMERA_ID.pattern, description=schemas.CAMERA_DOC)] = "default",
        deadline_ms: Annotated[float | None, Query(gt=0, le=600_000)] = None,
        alpha: Annotated[int | None, Query(ge=1, le=64, description=schemas.ALPHA_DOC)] = None,
        beta: Annotated[float | None, Query(gt=0, le=1, description=schemas.BETA_DOC)] = None,
        top_k: Annotated[int, Query(ge=1, le=100)] = 5,
        x_frame_shape: Annotated[
            str | None, Header(pattern=r"^[0-9]{1,9},[0-9]{1,9},[0-9]{1,9},3$", description=schemas.SHAPE_DOC)
        ] = None,
    ) -> schemas.RecognizeResponse:
        """Recognize the action in a clip: compress on the camera, classify on the edge server."""
        rid = request_id(request)
        if not CAMERA_ID.match(camera_id):
            raise HTTPException(400, "camera_id must be 1-64 characters of letters, digits and _ . : -")
        if caller.cameras is not None and camera_id not in caller.cameras:
            metrics.requests.labels("forbidden").inc()
            raise HTTPException(
                403, f"this API key may only post for cameras {sorted(caller.cameras)}, not {camera_id!r}"
            )
        fixed = svc.check(alpha, beta)  # cheap refusals before the upload is read (issue 12, item 8)
        body = (await read_body(request, cfg.max_upload_bytes, cfg.body_timeout_s)).data
        started = time.perf_counter()
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "multipart/form-data":
            read = partial(svc.frames_from_file, await _multipart_file(request, body))
        elif kind == "application/octet-stream":
            read = partial(svc.frames_from_raw, body, x_frame_shape)
        else:
            raise HTTPException(
                415, f"send multipart/form-data (field 'file') or application/octet-stream, not {kind!r}"
            )
        frames = await svc.intake(read, started=started, deadline_ms=deadline_ms)
        rec = await svc.recognize(
            frames,
            camera_id=camera_id,
            request_id=rid,
            started=started,
            deadline_ms=deadline_ms,
            fixed=fixed,
            top_k=top_k,
        )
        background.add_task(svc.observe, camera_id, rec)
        metrics.count(rec)
        activity.add(camera_id, rec)
        return schemas.recognize_response(rid, camera_id, rec, svc, fixed is not None)

    @app.get("/v1/controller", response_model=schemas.ControllerState, dependencies=auth)
    async def controller_state(svc: Service) -> schemas.ControllerState:
        """The controller's state: store health, profile, and every camera's bandwidth estimate."""
        return await schemas.controller_state(svc.controller)

    @app.get("/v1/controller/profile", response_model=Profile, dependencies=auth)
    async def controller_profile(svc: Service) -> Profile:
        """The profile table eq. 5 is solved over."""
        if svc.controller.profile is None:
            raise NotReadyError("no profile yet: waiting for the decoder")
        return svc.controller.profile

    @app.get("/v1/status", response_model=Status)
    async def live_status(svc: Service, cameras: Viewer) -> Status:
        """What the status page shows: every camera's estimates with this replica's last answer to it, deadline
        hits per 10 s over the last 10 minutes, payload sizes, and the decoder's health and last reported load.
        A key bound to cameras sees only those."""
        state = await schemas.controller_state(svc.controller)
        _, decoder_up, redis_up = await svc.health()
        now = time.time()
        deadlines, sizes = activity.window(now)
        seen = [
            CameraStatus(
                camera_id=c.camera_id,
                bandwidth_bps=c.bandwidth_bps,
                latency_ms=c.latency_ms,
                samples=c.samples,
                updated_at=c.updated_at,
                last=activity.last.get(c.camera_id),
            )
            for c in state.cameras
            if cameras is None or c.camera_id in cameras
        ]
        load_at, load = activity.load if activity.load else (None, None)
        return Status(
            generated_at=now,
            window_s=ACTIVITY_WINDOW_S,
            bucket_s=BUCKET_S,
            redis_up=redis_up,
            profile_model=state.profile_model,
            cameras=sorted(seen, key=lambda c: c.camera_id),
            deadlines=deadlines if cameras is None else [],
            payload_bytes=sizes if cameras is None else [],
            decoder=DecoderStatus(ready=decoder_up, load=load, load_at=load_at),
        )

    @app.get("/status", include_in_schema=False)
    async def status_page() -> Response:
        """The live status page (static; it asks for a key and polls /v1/status)."""
        return _page("status.html")

    @app.get("/status/{name}", include_in_schema=False)
    async def status_asset(name: str) -> Response:
        if name not in PAGE_FILES or name == "status.html":
            raise HTTPException(404, f"no page file {name}")
        return _page(name)

    @app.get("/v2/health/live")
    async def live() -> dict[str, bool]:
        """The process is up."""
        return {"live": True}

    @app.get(
        "/v2/health/ready",
        responses={503: {"description": "models loading, no profile yet, or the decoder not answering"}},
    )
    async def ready(request: Request, response: Response) -> dict[str, bool]:
        """Models are loaded, the controller has its profile and the decoder answers its readiness (checked at
        most once a second). ``redis`` says whether Redis answers; without it the controller runs on state
        held in process, so it fails readiness only with STAE_ENCODER_READY_REQUIRES_REDIS."""
        svc: RecognitionService | None = getattr(request.app.state, "service", None)
        profiled, decoder, redis_up = await svc.health() if svc is not None else (False, False, False)
        ok = profiled and decoder and (redis_up or not cfg.ready_requires_redis)
        if not ok:
            response.status_code = 503
        return {"ready": ok, "profile": profiled, "decoder": decoder, "redis": redis_up}

    @app.get("/metrics", include_in_schema=False)
    async def prometheus(request: Request, authorization: Annotated[str | None, Header()] = None) -> Response:
        """Prometheus text format; with STAE_ENCODER_METRICS_TOKEN set, only for ``Authorization: Bearer <it>``."""
        expected = metrics_token()
        if expected is not None and not metrics_token_matches(authorization, expected):
            raise HTTPException(401, "metrics need Authorization: Bearer <STAE_ENCODER_METRICS_TOKEN>")
        svc: RecognitionService | None = getattr(request.app.state, "service", None)
        if svc is not None:  # asked at most once a second, like readiness
            _, decoder_up, redis_up = await svc.health()
            metrics.decoder_up.set(decoder_up)
            metrics.redis_up.set(redis_up)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


def _page(name: str) -> Response:
    headers = {"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    return Response(page_file(name), media_type=PAGE_FILES[name], headers=headers)


async def _multipart_file(request: Request, body: bytes) -> bytes:
    """The 'file' field of a multipart body already read (and size-checked) into memory."""

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    form = await Request(request.scope, replay).form(max_files=1, max_fields=10)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise STAEError("multipart body needs a file field named 'file'")
    return await upload.read()
