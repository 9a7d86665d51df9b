"""Decoder service settings, from environment variables prefixed ``STAE_DECODER_``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service_common.common import require_secret
from service_common.security import secrets_from_files


class DecoderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STAE_DECODER_", extra="ignore")

    token: SecretStr = Field(
        description="shared secret the encoder presents as 'Authorization: Bearer ...'; several, comma-separated, "
        "are all accepted (rotation without a restart gap)"
    )
    checkpoint: str | None = Field(None, description="checkpoint directory; unset: random weights of `model`")
    model: str = Field("tiny", description="preset used when no checkpoint is given")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="auto: the GPU when there is one")
    max_batch: int = Field(8, ge=1, le=256, description="requests per forward pass")
    max_delay_ms: float = Field(
        0.0, ge=0, le=1000, description="extra wait for more requests; 0: batch whatever queued during the last pass"
    )
    max_queue: int = Field(64, ge=1, description="queued requests beyond which the service answers 503")
    target_utilisation: float = Field(
        0.9,
        gt=0,
        le=1,
        description="the busy share the decoder's published time per request aims at: each answer reports "
        "(target x 1 s) / (requests offered per second) as budget_ms, which controllers fit",
    )
    max_payload_bytes: int = Field(16 * 2**20, ge=1024, description="larger bodies get 413")
    request_timeout_s: float = Field(30.0, gt=0, description="a request waiting longer gets 504")
    warmup_reps: int = Field(3, ge=1, description="timed runs per budget when profiling at start-up")
    body_timeout_s: float = Field(30.0, gt=0, le=600, description="a request body must arrive within this (else 408)")
    header_timeout_s: float = Field(
        10.0, gt=0, le=600, description="a request line and headers must arrive within this (else 408, closed)"
    )
    max_connections: int = Field(256, ge=1, description="concurrent connections before new ones get 503 (uvicorn)")
    tls_cert_file: str | None = Field(None, description="server certificate (PEM): serve HTTPS only")
    tls_key_file: str | None = Field(None, description="the certificate's private key (PEM)")
    tls_client_ca_file: str | None = Field(
        None, description="mutual TLS: only clients with a certificate this CA signed get a handshake"
    )

    @model_validator(mode="before")
    @classmethod
    def _files(cls, data: Any) -> Any:
        return secrets_from_files(data, "STAE_DECODER_", ["token"])

    @field_validator("token")
    @classmethod
    def _real_secret(cls, v: SecretStr) -> SecretStr:
        return require_secret(v, "STAE_DECODER_TOKEN")
