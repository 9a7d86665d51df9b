"""Shared fixtures: the real data in ../shared/data and small seeded models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import RedisServer, Service, decoder_env, encoder_env, prerequisite

from stae.models import STAE, build_config

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
CLIPS_DIR = SHARED_DATA / "clips"


def real_clips() -> list[Path]:
    return sorted(CLIPS_DIR.glob("*.*")) if CLIPS_DIR.is_dir() else []


@pytest.fixture(scope="session")
def clips() -> list[Path]:
    found = real_clips()
    if not found:
        pytest.fail(f"real clips missing: {CLIPS_DIR} (the shared data folder beside the project, which CI provides)")
    return found


@pytest.fixture(scope="session")
def tiny_model() -> STAE:
    torch.manual_seed(0)
    return STAE(build_config("tiny")).eval()


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


# --- real services, shared by the end-to-end test modules ------------------------------------------------


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    prerequisite(None if RedisServer.available() else "redis-server is not installed (.ci/run installs it)")
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def decoder() -> Iterator[Service]:
    with Service("decoder", decoder_env(STAE_DECODER_MAX_DELAY_MS="30", STAE_DECODER_MAX_BATCH="16")) as svc:
        yield svc


@pytest.fixture(scope="session")
def encoder(decoder: Service, redis_server: RedisServer) -> Iterator[Service]:
    env = encoder_env(decoder.url, redis_server.url, STAE_ENCODER_MAX_UPLOAD_BYTES=str(4 * 2**20))
    with Service("encoder", env) as svc:
        yield svc


# The two tiers (README, "Development"): these modules start real processes (services, Redis, the CLI);
# everything else runs in process.
E2E = {"test_services", "test_clients", "test_reliability", "test_shaped_link", "test_deploy", "test_cli"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.module is not None and item.module.__name__ in E2E:
            item.add_marker(pytest.mark.e2e)
