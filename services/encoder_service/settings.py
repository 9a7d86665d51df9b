"""Encoder service settings, from environment variables prefixed ``STAE_ENCODER_``."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service_common.common import model_source, require_secret
from service_common.security import KeyRing, LiveSecret, client_tls, secrets_from_files
from stae.camera.encoder import SemanticEncoder
from stae.camera.recognition import RecognitionService, RecognitionSettings
from stae.control.controller import Controller
from stae.control.store import ControllerStore
from stae.edge import Decoders, EdgeClient
from stae.video import VideoLimits

log = logging.getLogger("stae.encoder")


class EncoderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STAE_ENCODER_", extra="ignore")

    api_keys: SecretStr = Field(
        description="comma-separated keys cameras present in the X-API-Key header; 'key@cam1|cam2' binds a key to "
        "those camera ids (a request naming another gets 403), a bare key may name any camera"
    )
    decoder_url: str = Field(
        "http://127.0.0.1:8001",
        description="base URL of the decoder service; several, comma-separated: replicas the encoder spreads "
        "requests over by their published load (one that fails is skipped, the request tried on the next)",
    )
    decoder_token: SecretStr = Field(description="the decoder's STAE_DECODER_TOKEN")
    checkpoint: str | None = Field(None, description="checkpoint directory; unset: random weights of `model`")
    model: str = Field("tiny", description="preset used when no checkpoint is given (must match the decoder)")
    runtime: Literal["auto", "onnx", "torch"] = Field(
        "auto",
        description="where FA and SA run: ONNX Runtime (the checkpoint's fa.onnx, sa.onnx) or PyTorch; "
        "auto prefers ONNX",
    )
    redis_url: str | None = Field(
        "redis://127.0.0.1:6379/0", description="controller state; empty: in-process only (one replica)"
    )
    redis_timeout_s: float = Field(0.2, gt=0, le=5, description="per Redis call; a failure means in-process state")
    redis_retry_s: float = Field(1.0, gt=0, le=60, description="after a Redis failure, no call for this long")
    redis_prefix: str = Field("stae", pattern=r"^[A-Za-z0-9_.:-]{1,64}$", description="namespace of the keys")
    default_deadline_ms: float = Field(500.0, gt=0, description="deadline of a request that sets none")
    prior_bandwidth_bps: float = Field(10e6, gt=0, description="bandwidth assumed before a camera's first sample")
    overhead_ms: float = Field(3.0, ge=0, description="per-request HTTP overhead added to every prediction")
    profile_path: str | None = Field(
        None, description="profile JSON (as served at /v1/controller/profile); unset: measured at start-up"
    )
    profile_clip: str | None = Field(None, description="clip the start-up profile is measured on")
    profile_reps: int = Field(2, ge=1, description="timed runs per budget when profiling at start-up")
    local_checkpoint: str | None = Field(None, description="enables local computing with this checkpoint")
    decoder_timeout_s: float = Field(10.0, gt=0, description="read timeout of a call to the decoder")
    decoder_connect_timeout_s: float = Field(1.0, gt=0, description="connect timeout to the decoder")
    decoder_max_connections: int = Field(
        16, ge=1, le=1024, description="requests in flight to each decoder at once (more wait for a connection)"
    )
    max_upload_bytes: int = Field(64 * 2**20, ge=1024, description="larger uploads get 413")
    max_clip_frames: int = Field(9000, ge=16, description="frames a clip may have (5 minutes at 30 fps)")
    max_intakes: int = Field(
        0,
        ge=0,
        description="clips decoded at once (0: one per CPU core); others wait as long as their deadline leaves "
        "after the usual intake and processing time, else 503 with Retry-After",
    )
    brotli_quality: int = Field(1, ge=0, le=11, description="0-11; 1 is fast (bench/results/encoder-cpu.md)")
    camera_ttl_s: int = Field(
        7 * 24 * 3600, ge=60, description="a camera's state expires this long after its last sample"
    )
    max_cameras: int = Field(10_000, ge=1, description="cameras held in process and listed at /v1/controller")
    metrics_token: SecretStr | None = Field(None, description="when set, /metrics needs it as a bearer token")
    ready_requires_redis: bool = Field(
        False, description="readiness fails while Redis is down (default: the controller runs on in-process state)"
    )
    crf_slack: float = Field(
        0.15, ge=0, lt=1, description="an H.264 stream within this share below its byte budget ends the CRF search"
    )
    crf_memory: int = Field(
        4096, ge=0, description="H.264 rate searches remembered (camera, setting, budget): the next starts there"
    )
    body_timeout_s: float = Field(30.0, gt=0, le=600, description="a request body must arrive within this (else 408)")
    header_timeout_s: float = Field(
        10.0, gt=0, le=600, description="a request line and headers must arrive within this (else 408, closed)"
    )
    max_connections: int = Field(256, ge=1, description="concurrent connections before new ones get 503 (uvicorn)")
    decoder_deadlines: bool = Field(
        True,
        description="send the decoder each request's time left (X-Deadline-Ms): it schedules earliest deadline "
        "first and refuses (503) what cannot be answered in time; false: every request is answered, late or not",
    )
    tls_cert_file: str | None = Field(None, description="server certificate (PEM) of the camera-facing API")
    tls_key_file: str | None = Field(None, description="the certificate's private key (PEM)")
    decoder_ca_file: str | None = Field(
        None, description="CA bundle the decoder's certificate is verified against (https decoder URLs)"
    )
    decoder_client_cert_file: str | None = Field(None, description="client certificate for mutual TLS to the decoder")
    decoder_client_key_file: str | None = Field(None, description="its private key")
    load_aware: bool = Field(
        True, description="plan each budget with the decoders' published load (false: as if the server were idle)"
    )

    @model_validator(mode="before")
    @classmethod
    def _files(cls, data: Any) -> Any:
        return secrets_from_files(data, "STAE_ENCODER_", ["api_keys", "decoder_token", "metrics_token"])

    @field_validator("api_keys")
    @classmethod
    def _keys(cls, v: SecretStr) -> SecretStr:
        for key in v.get_secret_value().split(","):
            require_secret(SecretStr(key.partition("@")[0]), "STAE_ENCODER_API_KEYS")
        return v

    @field_validator("decoder_token")
    @classmethod
    def _token(cls, v: SecretStr) -> SecretStr:
        return require_secret(v, "STAE_ENCODER_DECODER_TOKEN")

    def live_metrics_token(self) -> Callable[[], SecretStr | None]:
        """The metrics token now (re-read when STAE_ENCODER_METRICS_TOKEN_FILE changes), None when unset."""
        if self.metrics_token is None:
            return lambda: None
        return LiveSecret(self.metrics_token.get_secret_value(), "STAE_ENCODER_METRICS_TOKEN_FILE", SecretStr)

    def keys(self) -> LiveSecret[KeyRing]:
        """The API keys now (re-read when STAE_ENCODER_API_KEYS_FILE changes: rotation without a restart)."""
        return LiveSecret(self.api_keys.get_secret_value(), "STAE_ENCODER_API_KEYS_FILE", KeyRing.parse)


def build_service(cfg: EncoderSettings) -> RecognitionService:
    """The camera's recognition service as the settings describe it (loads the models: call off the loop)."""
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

        local = SemanticDecoder.from_checkpoint(cfg.local_checkpoint, "cpu")
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
    token = LiveSecret(cfg.decoder_token.get_secret_value(), "STAE_ENCODER_DECODER_TOKEN_FILE", str)
    urls = [u.strip() for u in cfg.decoder_url.split(",") if u.strip()]
    verify = client_tls(cfg.decoder_ca_file, cfg.decoder_client_cert_file, cfg.decoder_client_key_file)
    edge = Decoders(
        [
            EdgeClient(
                u,
                token,
                cfg.decoder_timeout_s,
                cfg.decoder_connect_timeout_s,
                verify=verify,
                max_connections=cfg.decoder_max_connections,
            )
            for u in urls
        ]
    )
    settings = RecognitionSettings(
        default_deadline_ms=cfg.default_deadline_ms,
        brotli_quality=cfg.brotli_quality,
        crf_slack=cfg.crf_slack,
        crf_memory=cfg.crf_memory,
        limits=VideoLimits(max_frames=cfg.max_clip_frames),
        max_intakes=cfg.max_intakes or len(os.sched_getaffinity(0)),
        profile_path=cfg.profile_path,
        profile_clip=cfg.profile_clip,
        profile_reps=cfg.profile_reps,
        decoder_deadlines=cfg.decoder_deadlines,
    )
    return RecognitionService(
        encoder,
        Controller(store, prior_bps=cfg.prior_bandwidth_bps, overhead_ms=cfg.overhead_ms, load_aware=cfg.load_aware),
        edge,
        settings,
        local=local,
        trained=bool(info and info.trained),
        eval_metadata=(info.metadata.get("eval") or {}) if info else {},
    )
