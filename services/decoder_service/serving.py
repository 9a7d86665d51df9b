"""The decoder's one inference path, behind both protocols (``POST /v1/infer`` and KServe v2's infer):
parse the payload, refuse at once what the schedule cannot fit (before decoding it), decode it (one video or
latent decode per core), queue it for a batch by deadline, answer; and the service's Prometheus metrics.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Callable
from typing import TypeVar

from fastapi import HTTPException
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from decoder_service.batching import Batcher, DeadlineMissed
from decoder_service.settings import DecoderSettings
from stae import wire
from stae.edge import InferResponse, Label
from stae.pipeline import SemanticDecoder
from stae.scheduling import DecayingRate

A = TypeVar("A")
R = TypeVar("R")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("stae_decoder_requests", "Inference requests by outcome", ["status"], registry=r)
        self.clients = Counter(
            "stae_decoder_client_requests",
            "Authorised requests by client certificate subject (mutual TLS; '-': none presented)",
            ["client"],
            registry=r,
        )
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
        self.calibration = Gauge(
            "stae_decoder_cost_calibration",
            "Published over uncalibrated time per request (CPU decoder): what the unmodelled work left of it",
            registry=r,
        )
        self.delivery_bps = Histogram(
            "stae_decoder_delivery_bits_per_second",
            "Rate payloads arrived at, as the decoder measured it",
            buckets=tuple(10.0**i for i in range(5, 11)),
            registry=r,
        )


def _on_cpu(fn: Callable[[A], R], arg: A) -> tuple[R, float]:
    """``fn(arg)`` and the CPU milliseconds this thread spent on it."""
    t = time.thread_time()
    out = fn(arg)
    return out, (time.thread_time() - t) * 1e3


class Calibration:
    """What the published costs leave out on a CPU decoder, where one request's work is HTTP handling, parsing and
    decoding as well as its share of a forward pass, and refused requests cost something too. The process's
    measured CPU time per second (over its cores) minus the modelled work of the answered requests per second
    (``ServerLoad.cost_ms`` + ``decode_ms``), both averaged over ``tau_s``, is the work the model misses; spread
    over the offered requests it comes off the published time per request, so the controller's sum of modelled
    costs fits what the server really has. The correction is additive, not a factor: overhead per request does
    not scale with the model's cost, and a factor (modelled over measured) shrank the budget most when cheap
    budgets were chosen, which kept the fleet at its cheapest budget long after the server had room."""

    def __init__(self, cores: int, tau_s: float = 2.0, bounds: tuple[float, float] = (0.25, 4.0)) -> None:
        self.cores, self.tau_s, self.bounds = cores, tau_s, bounds
        self.modelled = DecayingRate(tau_s)  # server ms per second
        self._at, self._cpu = time.perf_counter(), time.process_time()
        self._busy: float | None = None  # measured share of the cores

    def answered(self, now: float, modelled_ms: float) -> None:
        self.modelled.add(now, modelled_ms)

    def budget_ms(self, now: float, budget_ms: float, utilisation: float) -> float:
        """``budget_ms`` (``utilisation`` x 1 s / offered per second) less the unmodelled work per offered
        request, bounded to ``bounds`` x ``budget_ms``: the budget at which modelled plus unmodelled work keeps
        the cores ``utilisation`` busy."""
        cpu = time.process_time()
        if now - self._at >= 0.05:  # shorter intervals read the clock's granularity
            busy = (cpu - self._cpu) / (now - self._at) / self.cores
            w = 1.0 - math.exp(-(now - self._at) / self.tau_s)
            self._busy = busy if self._busy is None else (1 - w) * self._busy + w * busy
            self._at, self._cpu = now, cpu
        if self._busy is None or self._busy < 0.1:  # a quiet server: nothing to calibrate against
            return budget_ms
        # offered per s = utilisation x 1e3 / budget_ms, so unmodelled ms per request = unmodelled ms per s x that
        unmodelled_per_s = self._busy * 1e3 - self.modelled.per_s(now)
        calibrated = budget_ms - unmodelled_per_s * budget_ms / (utilisation * 1e3)
        lo, hi = self.bounds
        return min(max(calibrated, lo * budget_ms), hi * budget_ms)


_ENCODING = {wire.VERSION: "lossless", wire.CODED_VERSION: "h264", wire.LATENT_VERSION: "latent"}  # the profile's


class Serving:
    """What a route calls once it has the payload's bytes."""

    def __init__(
        self, cfg: DecoderSettings, metrics: Metrics, decoder: SemanticDecoder, batcher: Batcher, trained: bool
    ) -> None:
        self.cfg, self.metrics, self.decoder, self.batcher, self.trained = cfg, metrics, decoder, batcher, trained
        self._slots = len(os.sched_getaffinity(0))
        self._decode_slots = asyncio.Semaphore(self._slots)
        self._decoding = 0  # requests waiting for or in the decoding stage
        self._decode_ms: dict[int, float] = {}  # running mean of a wire version's decoding time
        # Published with the load where decoding competes with the model for the cores (a CPU decoder): per
        # "encoding:α", the running mean of the CPU time one payload takes to parse and decode, per core.
        self._shared_cores = decoder.device.type == "cpu"
        self._decode_cost: dict[str, float] = {}
        self._calibration = Calibration(self._slots)

    async def infer(
        self,
        body: bytes,
        top_k: int,
        x_deadline_ms: float | None,
        arrived: float,
        rid: str,
        delivery_bps: float | None = None,
    ) -> InferResponse:
        """Classify one wire payload; ``x_deadline_ms`` counts from ``arrived`` (when the request's headers came).
        Raises the library's errors (PayloadError, NotReadyError: mapped to HTTP by the routes) or HTTPException."""
        self.metrics.in_flight.inc()
        try:
            # server_total starts once the whole payload is here: receiving it is the transfer, which the
            # encoder measures as its round trip minus this figure.
            started = time.perf_counter()
            decoder, batcher, metrics, cfg = self.decoder, self.batcher, self.metrics, self.cfg
            metrics.payload_bytes.observe(len(body))
            t0 = started
            head = wire.peek(body)  # the fixed header (bytes, no parsing); what parse will refuse gets its 400
            if head is not None and head.geometry == decoder.geometry:
                batcher.offer()
                if x_deadline_ms is not None:  # refuse before any work (a thread, parsing, decoding) what the
                    # schedule cannot fit. Decoding waits its turn too: the requests ahead of it there, per core.
                    early_ms = x_deadline_ms - (time.perf_counter() - arrived) * 1e3
                    ahead = self._decoding / self._slots
                    batcher.precheck(head.alpha, early_ms - self._decode_ms.get(head.version, 0.0) * (1 + ahead))
            msg, parse_cpu_ms = await asyncio.to_thread(_on_cpu, decoder.parse, body)  # PayloadError: 400
            assert head is not None  # parse accepted the payload, so its fixed header read
            version = head.version
            key = f"{_ENCODING[version]}:{msg.alpha}"  # the profile's "encoding:α"
            self._decoding += 1
            try:
                async with self._decode_slots:  # one video or latent decode per core: more only slow each other down
                    t1 = time.perf_counter()
                    tensor, restore_cpu_ms = await asyncio.to_thread(_on_cpu, decoder.restore, msg)
                    took = (time.perf_counter() - t1) * 1e3
                    self._decode_ms[version] = self._decode_ms.get(version, 0.0) * 0.8 + 0.2 * took
                    if self._shared_cores:  # CPU time, not wall time: waiting for a busy core is not a cost
                        per_core = (parse_cpu_ms + restore_cpu_ms) / self._slots
                        self._decode_cost[key] = round(0.8 * self._decode_cost.get(key, per_core) + 0.2 * per_core, 3)
            finally:
                self._decoding -= 1
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
            load = batcher.load(decoder.config.alphas, self._decode_cost)
            if self._shared_cores:
                now = time.perf_counter()
                self._calibration.answered(now, load.cost_ms.get(msg.alpha, 0.0) + self._decode_cost.get(key, 0.0))
                if load.budget_ms is not None:
                    budget = self._calibration.budget_ms(now, load.budget_ms, batcher.target_utilisation)
                    metrics.calibration.set(budget / load.budget_ms)
                    load = load.model_copy(update={"budget_ms": round(budget, 3)})
            for a, ms in load.wait_ms.items():
                metrics.predicted_wait.labels(str(a)).set(ms / 1e3)
            if delivery_bps is not None:
                metrics.delivery_bps.observe(delivery_bps)
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
                trained=self.trained,
                delivery_bps=delivery_bps,
                load=load,
            )
        finally:
            self.metrics.in_flight.dec()
