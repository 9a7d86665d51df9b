"""The encoder service's Prometheus metrics: no per-camera labels (camera ids are unbounded and sensitive)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

if TYPE_CHECKING:
    from stae.camera.recognition import Recognition


class Metrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.requests = Counter("stae_encoder_requests", "Recognize requests by outcome", ["status"], registry=r)
        self.stage_seconds = Counter("stae_encoder_stage_seconds", "Cumulative time per stage", ["stage"], registry=r)
        self.payload_bytes = Histogram(
            "stae_encoder_payload_bytes", "Payload sizes sent", buckets=tuple(2**i for i in range(10, 26)), registry=r
        )
        # No per-camera labels: camera ids are unbounded and sensitive (issue 12, items 5 and 6)
        self.bandwidth = Histogram(
            "stae_encoder_bandwidth_bps",
            "Bandwidth estimates the controller decided with",
            buckets=tuple(1e5 * 2**i for i in range(15)),
            registry=r,
        )
        self.alpha = Histogram("stae_encoder_alpha", "Chosen frame budget", buckets=(1, 2, 4, 8, 16), registry=r)
        self.beta = Histogram(
            "stae_encoder_beta", "Chosen spatial budget", buckets=(0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0), registry=r
        )
        self.over_budget = Counter(
            "stae_encoder_over_budget", "H.264 payloads larger than the byte budget they were given", registry=r
        )
        self.deadline = Counter("stae_encoder_deadline", "Deadline hits and misses", ["outcome"], registry=r)
        self.mode = Counter("stae_encoder_decisions", "Offload or local computing", ["mode"], registry=r)
        self.encoding = Counter(
            "stae_encoder_encodings", "Budgets chosen by payload encoding", ["encoding"], registry=r
        )
        self.hit_accuracy = Counter(
            "stae_encoder_hit_accuracy",
            "Sum over answered requests of the chosen budget's predicted accuracy where the deadline was met (0 "
            "where missed): its rate over the rate of answers is the effective accuracy",
            registry=r,
        )
        self.latency = Histogram(
            "stae_encoder_request_seconds",
            "Recognize time, request to answer",
            buckets=(0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0),
            registry=r,
        )
        self.redis_up = Gauge("stae_encoder_redis_up", "1 while the controller's Redis answers", registry=r)
        self.decoder_up = Gauge("stae_encoder_decoder_up", "1 while a decoder reports ready", registry=r)

    def count(self, rec: Recognition) -> None:
        """One answered request."""
        d, result = rec.choice.decision, rec.result
        self.requests.labels("ok").inc()
        self.bandwidth.observe(rec.choice.bandwidth_bps)
        self.mode.labels(d.mode).inc()
        self.deadline.labels("hit" if rec.deadline_met else "miss").inc()
        self.encoding.labels(d.sent_as).inc()
        self.hit_accuracy.inc(d.accuracy if rec.deadline_met else 0.0)
        self.latency.observe(rec.total_ms / 1e3)
        self.alpha.observe(d.alpha)
        self.beta.observe(d.beta)
        if d.mode == "offload":
            self.payload_bytes.observe(result.payload_bytes)
        if d.max_bytes is not None and result.payload_bytes > d.max_bytes:
            self.over_budget.inc()
        for stage, ms in rec.timings_ms.items():
            self.stage_seconds.labels(stage).inc(ms / 1e3)
