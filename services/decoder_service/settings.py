"""Decoder service settings, from environment variables prefixed ``STAE_DECODER_``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service_common.common import require_secret


class DecoderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STAE_DECODER_", extra="ignore")

    token: SecretStr = Field(description="shared secret the encoder presents as 'Authorization: Bearer ...'")
    checkpoint: str | None = Field(None, description="checkpoint directory; unset: random weights of `model`")
    model: str = Field("tiny", description="preset used when no checkpoint is given")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="auto: the GPU when there is one")
    max_batch: int = Field(8, ge=1, le=256, description="requests per forward pass")
    max_delay_ms: float = Field(
        0.0, ge=0, le=1000, description="extra wait for more requests; 0: batch whatever queued during the last pass"
    )
    max_queue: int = Field(64, ge=1, description="queued requests beyond which the service answers 503")
    max_payload_bytes: int = Field(16 * 2**20, ge=1024, description="larger bodies get 413")
    request_timeout_s: float = Field(30.0, gt=0, description="a request waiting longer gets 504")
    warmup_reps: int = Field(3, ge=1, description="timed runs per budget when profiling at start-up")
    body_timeout_s: float = Field(30.0, gt=0, le=600, description="a request body must arrive within this (else 408)")
    header_timeout_s: float = Field(
        10.0, gt=0, le=600, description="a request line and headers must arrive within this (else 408, closed)"
    )
    max_connections: int = Field(256, ge=1, description="concurrent connections before new ones get 503 (uvicorn)")

    @field_validator("token")
    @classmethod
    def _real_secret(cls, v: SecretStr) -> SecretStr:
        return require_secret(v, "STAE_DECODER_TOKEN")
