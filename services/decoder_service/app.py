"""The decoder service (edge server): entropy decoding, feature recovery and the ViT, behind HTTP.

Routes: ``POST /v1/infer`` (wire payload in, top-k out), ``GET /v1/profile`` (its own stage times, for the
controller), the KServe v2 protocol (health at ``/v2/health/live`` and ``/ready``; server and model metadata,
readiness, configuration and inference under ``/v2``: ``kserve.py``), and Prometheus metrics at ``/metrics``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from decoder_service import kserve
from decoder_service.batching import Batcher, CannotMeetDeadline, DeadlineMissed, QueueFull
from decoder_service.serving import Metrics, Serving
from decoder_service.settings import DecoderSettings
from service_common.common import model_source, octet_stream_body, operation_id, read_body, request_id, secrets_match
from service_common.errors import install_error_handler
from service_common.protocol import client_cert_name
from service_common.security import LiveSecret, parse_tokens
from stae import wire
from stae.control.profile import ServerTimes
from stae.edge import InferResponse
from stae.errors import NotReadyError, STAEError
from stae.pipeline import SemanticDecoder, resolve_device
from stae.profiling import measure_server
from stae.scheduling import CostModel

log = logging.getLogger("stae.decoder")


def create_app(settings: DecoderSettings | None = None) -> FastAPI:
    cfg = settings or DecoderSettings()  # the token comes from the environment
    metrics = Metrics()
    state: dict[str, object] = {"ready": False}
    # Comma-separated, two valid while rotating; re-read when STAE_DECODER_TOKEN_FILE changes.
    tokens = LiveSecret(cfg.token.get_secret_value(), "STAE_DECODER_TOKEN_FILE", parse_tokens)

    def load() -> tuple[SemanticDecoder, bool]:
        device = resolve_device(cfg.device)
        info, model = model_source(cfg.checkpoint, cfg.model)
        if info is not None:
            return SemanticDecoder.from_checkpoint(info, device), info.trained
        assert model is not None
        log.warning("no checkpoint configured: %s with RANDOM weights; predictions are meaningless", cfg.model)
        return SemanticDecoder.from_model(model, device), False

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        decoder, trained = await asyncio.to_thread(load)
        # Warm up and profile before reporting ready: every α once through FR and the ViT.
        times = await asyncio.to_thread(measure_server, decoder, decoder.config.alphas, cfg.warmup_reps)
        app.state.server_times = times
        batcher = Batcher(
            lambda tensors, k, timings: decoder.predictions(tensors, k, timings),
            max_batch=cfg.max_batch,
            max_delay_ms=cfg.max_delay_ms,
            max_queue=cfg.max_queue,
            cost=CostModel({a: times.vit_ms[a] + times.fr_ms.get(a, 0.0) for a in times.vit_ms}),
            default_deadline_s=cfg.request_timeout_s,
            target_utilisation=cfg.target_utilisation,
        )

        def on_batch(size: int, timings: dict[str, float]) -> None:
            metrics.executions.inc()
            metrics.inferences.inc(size)
            metrics.batch_size.observe(size)
            for stage in ("fr", "vit"):
                metrics.compute_seconds.labels(stage).inc(timings.get(stage, 0.0) / 1e3)

        batcher.on_batch = on_batch
        batcher.on_missed = lambda n: metrics.requests.labels("deadline_missed").inc(n)
        app.state.decoder, app.state.trained, app.state.batcher = decoder, trained, batcher
        app.state.serving = Serving(cfg, metrics, decoder, batcher, trained)
        batcher.start()
        state["ready"] = True
        log.info("decoder ready on %s (%s, trained=%s)", decoder.device, decoder.config.name, trained)
        yield
        state["ready"] = False
        await batcher.stop()

    app = FastAPI(
        title="STAE decoder service",
        version="0.1.0",
        description="Edge server of ViT STAE: restores and classifies semantic payloads.",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )

    def count_error(exc: STAEError, status: int) -> None:
        if isinstance(exc, DeadlineMissed):
            return  # counted by the batcher when it dropped the request
        kinds: tuple[tuple[type[STAEError], str], ...] = (
            (CannotMeetDeadline, "refused_deadline"),
            (QueueFull, "queue_full"),
            (wire.PayloadError, "bad_payload"),
        )
        kind = next((k for t, k in kinds if isinstance(exc, t)), f"http_{status}")
        metrics.requests.labels(kind).inc()

    install_error_handler(app, count_error)

    def authorize(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not secrets_match(token, tokens()):
            raise HTTPException(401, "missing or wrong decoder token: send 'Authorization: Bearer <token>'")
        # Under mutual TLS the client certificate names the encoder that sent this (counted per client).
        metrics.clients.labels(client_cert_name(request) or "-").inc()

    auth = [Depends(authorize)]

    @app.post(
        "/v1/infer",
        dependencies=auth,
        response_model=InferResponse,
        openapi_extra=octet_stream_body("a STAE wire payload (docs/wire-format.md)"),
        responses={
            400: {"description": "bad payload"},
            413: {},
            503: {"description": "queue full, or the request cannot be answered within its deadline (Retry-After)"},
        },
    )
    async def infer(
        request: Request,
        top_k: Annotated[int, Query(ge=1, le=100)] = 5,
        x_deadline_ms: Annotated[
            float | None,
            Header(
                gt=0,
                le=600_000,
                description="milliseconds the answer may take from when this request's headers arrive; the decoder "
                "schedules earliest deadline first, refuses at once (503, Retry-After) what it predicts it cannot "
                "finish in time and never computes a request whose deadline has passed. Absent: the service's "
                "request timeout.",
            ),
        ] = None,
    ) -> InferResponse:
        """Classify one semantic payload."""
        arrived = time.perf_counter()
        received = await read_body(request, cfg.max_payload_bytes, cfg.body_timeout_s)
        serving: Serving = request.app.state.serving
        return await serving.infer(
            received.data, top_k, x_deadline_ms, arrived, request_id(request), received.delivery_bps
        )

    @app.get("/v1/profile", response_model=ServerTimes, dependencies=auth)
    async def server_profile(request: Request) -> ServerTimes:
        """This server's measured FR and ViT times per α and its brotli decoding speed (for the controller)."""
        if not state["ready"]:
            raise NotReadyError("not ready: still loading and warming up", retry_after_s=1.0)
        times: ServerTimes = request.app.state.server_times
        return times

    @app.get("/v2/health/live")
    async def live() -> dict[str, bool]:
        """The process is up (touches nothing else)."""
        return {"live": True}

    @app.get("/v2/health/ready", responses={503: {"description": "still loading or warming up"}})
    async def ready(response: Response) -> dict[str, bool]:
        """The model is loaded and warmed up."""
        if not state["ready"]:
            response.status_code = 503
        return {"ready": bool(state["ready"])}

    app.include_router(kserve.router(cfg, auth, state, count_error))
    kserve.install_error_form(app)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
