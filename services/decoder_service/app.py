"""The decoder service (edge server): entropy decoding, feature recovery and the ViT, behind HTTP.

Routes: ``POST /v1/infer`` (wire payload in, top-k out), ``GET /v1/profile`` (its own stage times, for the
controller), KServe-v2-style health (``/v2/health/live``, ``/v2/health/ready``) and model metadata
(``/v2/models/stae``), and Prometheus metrics at ``/metrics``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from pydantic import BaseModel

from decoder_service.batching import Batcher, CannotMeetDeadline, DeadlineMissed, QueueFull
from decoder_service.settings import DecoderSettings
from service_common.common import model_source, octet_stream_body, operation_id, read_body, request_id, secrets_match
from service_common.errors import install_error_handler
from stae import wire
from stae.control.profile import ServerTimes
from stae.edge import InferResponse, Label
from stae.errors import NotReadyError, STAEError
from stae.pipeline import SemanticDecoder, resolve_device
from stae.profiling import measure_server
from stae.scheduling import CostModel

log = logging.getLogger("stae.decoder")


class ModelMetadata(BaseModel):
    name: str
    trained: bool
    labels: list[str]
    input: dict[str, int]
    alphas: list[int]
    betas: list[float]
    device: str
    max_batch: int
    wire_version: int


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("stae_decoder_requests", "Inference requests by outcome", ["status"], registry=r)
        self.inferences = Counter("stae_decoder_inference_count", "Clips classified", registry=r)
        self.executions = Counter("stae_decoder_exec_count", "Forward passes (batches) run", registry=r)
        self.queue_seconds = Histogram("stae_decoder_queue_seconds", "Time waiting to be batched", registry=r)
        self.compute_seconds = Counter(
            "stae_decoder_compute_seconds", "Cumulative compute time by stage", ["stage"], registry=r
        )
        self.batch_size = Histogram(
            "stae_decoder_batch_size", "Requests per forward pass", buckets=(1, 2, 4, 8, 16, 32, 64), registry=r
        )
        self.payload_bytes = Histogram(
            "stae_decoder_payload_bytes",
            "Payload sizes received",
            buckets=tuple(2**i for i in range(10, 26)),
            registry=r,
        )
        self.queue_depth = Gauge("stae_decoder_queue_depth", "Requests waiting in the batching queue", registry=r)
        self.in_flight = Gauge("stae_decoder_in_flight", "Requests being served", registry=r)
        self.predicted_wait = Gauge(
            "stae_decoder_predicted_wait_seconds",
            "Predicted wait before a new request's batch starts, by kept frames",
            ["alpha"],
            registry=r,
        )
        self.delivery_bps = Histogram(
            "stae_decoder_delivery_bits_per_second",
            "Rate payloads arrived at, as the decoder measured it",
            buckets=tuple(10.0**i for i in range(5, 11)),
            registry=r,
        )


def create_app(settings: DecoderSettings | None = None) -> FastAPI:
    cfg = settings or DecoderSettings()  # the token comes from the environment
    metrics = Metrics()
    state: dict[str, object] = {"ready": False}
    tokens = [cfg.token.get_secret_value()]

    slots = len(os.sched_getaffinity(0))
    decode_slots = asyncio.Semaphore(slots)
    decoding = {"n": 0}  # requests waiting for or in the decoding stage
    decode_ms: dict[str, float] = {}  # running mean of a message kind's decoding time (admission subtracts it)

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

    def authorize(authorization: Annotated[str | None, Header()] = None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not secrets_match(token, tokens):
            raise HTTPException(401, "missing or wrong decoder token: send 'Authorization: Bearer <token>'")

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
        rid = request_id(request)
        metrics.in_flight.inc()
        try:
            received = await read_body(request, cfg.max_payload_bytes, cfg.body_timeout_s)
            body = received.data
            # server_total starts once the whole payload is here: receiving it is the transfer, which the
            # encoder measures as its round trip minus this figure.
            started = time.perf_counter()
            metrics.payload_bytes.observe(len(body))
            decoder: SemanticDecoder = request.app.state.decoder
            batcher: Batcher = request.app.state.batcher
            t0 = started
            msg = await asyncio.to_thread(decoder.parse, body)  # PayloadError: 400 (service_common.errors)
            kind = type(msg).__name__
            if x_deadline_ms is not None:  # refuse before decoding what the schedule cannot fit
                early_ms = x_deadline_ms - (time.perf_counter() - arrived) * 1e3
                # Decoding waits its turn too: the requests ahead of it in that stage, a slot per core.
                ahead = decoding["n"] / slots
                batcher.precheck(msg.alpha, early_ms - decode_ms.get(kind, 0.0) * (1 + ahead))
            decoding["n"] += 1
            try:
                async with decode_slots:  # one video or latent decode per core: more only slow each other down
                    t1 = time.perf_counter()
                    tensor = await asyncio.to_thread(decoder.restore, msg)
                    decode_ms[kind] = decode_ms.get(kind, 0.0) * 0.8 + 0.2 * (time.perf_counter() - t1) * 1e3
            finally:
                decoding["n"] -= 1
            unpack_ms = (time.perf_counter() - t0) * 1e3
            metrics.compute_seconds.labels("entropy_decode").inc(unpack_ms / 1e3)
            left_ms = None if x_deadline_ms is None else x_deadline_ms - (time.perf_counter() - arrived) * 1e3
            if left_ms is not None and left_ms <= 0:
                if not batcher.idle:  # it arrived late: computing it would only delay requests still on time
                    metrics.requests.labels("deadline_missed").inc()
                    raise DeadlineMissed(-left_ms)
                left_ms = 1e-3  # an idle server answers it anyway, first (the camera learns it is late)
            try:  # QueueFull, CannotMeetDeadline, DeadlineMissed (NotReadyErrors): 503 with Retry-After
                result = await asyncio.wait_for(batcher.submit(tensor, top_k, left_ms), cfg.request_timeout_s)
            except TimeoutError:
                metrics.requests.labels("timeout").inc()
                raise HTTPException(504, f"inference did not finish within {cfg.request_timeout_s} s") from None
            finally:
                metrics.queue_depth.set(batcher.depth)
            load = batcher.load(decoder.config.alphas)
            for a, ms in load.wait_ms.items():
                metrics.predicted_wait.labels(str(a)).set(ms / 1e3)
            if received.delivery_bps is not None:
                metrics.delivery_bps.observe(received.delivery_bps)
            metrics.queue_seconds.observe(result.queue_ms / 1e3)
            metrics.requests.labels("ok").inc()
            pred = result.prediction
            timings = {
                "queue": result.queue_ms,
                "entropy_decode": unpack_ms,
                "fr": result.timings_ms.get("fr", 0.0),
                "vit": result.timings_ms.get("vit", 0.0),
                "server_total": (time.perf_counter() - started) * 1e3,
            }
            return InferResponse(
                request_id=rid,
                top=[
                    Label(label=lab, score=s, class_id=c)
                    for lab, s, c in zip(pred.labels, pred.scores, pred.class_ids, strict=True)
                ],
                frame_indices=pred.frame_indices,
                beta=pred.beta,
                batch_size=result.batch_size,
                timings_ms={k: round(v, 3) for k, v in timings.items()},
                model=decoder.config.name,
                trained=request.app.state.trained,
                delivery_bps=received.delivery_bps,
                load=load,
            )
        finally:
            metrics.in_flight.dec()

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

    @app.get("/v2/models/stae", response_model=ModelMetadata)
    async def metadata(request: Request) -> ModelMetadata:
        """Labels, input geometry and supported budgets of the served model."""
        if not state["ready"]:
            raise NotReadyError("not ready", retry_after_s=1.0)
        decoder: SemanticDecoder = request.app.state.decoder
        c = decoder.config
        return ModelMetadata(
            name=c.name,
            trained=request.app.state.trained,
            labels=[c.label(i) for i in range(c.vit.num_classes)],
            input={"frames": c.num_frames, "channels": c.vit.in_chans, "height": c.img_size, "width": c.img_size},
            alphas=list(c.alphas),
            betas=list(c.betas),
            device=str(decoder.device),
            max_batch=cfg.max_batch,
            wire_version=wire.VERSION,
        )

    @app.get("/metrics", include_in_schema=False)
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
