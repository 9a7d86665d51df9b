"""Real service processes on loopback for end-to-end tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest

from stae.control.profile import Profile, ProfileEntry
from stae.processes import ServiceProcess, free_port

# .ci/run sets STAE_CI=1: there a missing prerequisite that CI promises is a failure, never a skip.
IN_CI = os.environ.get("STAE_CI") == "1"
TOKEN = "decoder-token-for-tests"
API_KEY = "camera-key-for-tests"


Service = ServiceProcess


def prerequisite(missing: str | None) -> None:
    """Skip a test whose prerequisite is missing on a developer's machine; fail it in CI, which promises it."""
    if missing:
        if IN_CI:
            pytest.fail(f"{missing}: CI provides this, so its absence is a failure")
        pytest.skip(reason=missing)


class RedisServer:
    """A private redis-server on a free port, so a test may stop and restart it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


def decoder_env(**extra: str) -> dict[str, str]:
    return {"STAE_DECODER_TOKEN": TOKEN, "STAE_DECODER_DEVICE": "cpu", "STAE_DECODER_WARMUP_REPS": "1", **extra}


def encoder_env(decoder_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    return {
        "STAE_ENCODER_API_KEYS": f"{API_KEY},second-camera-key",
        "STAE_ENCODER_DECODER_TOKEN": TOKEN,
        "STAE_ENCODER_DECODER_URL": decoder_url,
        "STAE_ENCODER_REDIS_URL": redis_url,
        "STAE_ENCODER_REDIS_PREFIX": f"stae-test-{os.getpid()}-{free_port()}",
        "STAE_ENCODER_PROFILE_REPS": "1",
        **extra,
    }


def profile_entry(alpha: int, beta: float, nbytes: float, acc: float, ee: float = 2.0) -> ProfileEntry:
    """A profile row with round stage times: compute 21 ms with FR (β < 100%), 16 ms without; brotli halves."""
    return ProfileEntry(
        alpha=alpha,
        beta=beta,
        accuracy=acc,
        bytes_brotli=nbytes / 2,
        bytes_none=nbytes,
        fa_ms=1.0,
        sa_ms=1.0,
        pack_ms=1.0,
        ee_ms=ee,
        ed_ms=1.0,
        fr_ms=5.0 if beta < 1 else 0.0,
        vit_ms=10.0,
    )


# Four budgets spanning 50 kB to 2 MB, the controller and simulator tests' common profile.
TEST_PROFILE = Profile(
    model="test",
    accuracy_source="test",
    entries=(
        profile_entry(16, 1.0, 2_000_000, 0.80),
        profile_entry(16, 0.4, 800_000, 0.78),
        profile_entry(4, 1.0, 500_000, 0.75),
        profile_entry(1, 0.4, 50_000, 0.70),
    ),
)


def random_model_payloads(n: int) -> list[bytes]:
    """Wire v1 payloads of one random clip from the seeded random tiny model the services build without a
    checkpoint (so a decoder without one classifies them)."""
    import numpy as np
    import torch

    from stae.camera import SemanticEncoder
    from stae.models import STAE, build_config

    torch.manual_seed(0)
    encoder = SemanticEncoder.from_model(STAE(build_config("tiny")))
    frames = np.random.default_rng(0).integers(0, 256, size=(16, 64, 64, 3), dtype=np.uint8)
    return [encoder.encode(frames, 4, 0.5).payload for _ in range(n)]
