"""Shared fixtures: the real data in ../shared/data and small seeded models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

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
        pytest.skip(f"real clips missing: {CLIPS_DIR} (the shared data folder beside the project) is absent")
    return found


@pytest.fixture(scope="session")
def tiny_model() -> STAE:
    torch.manual_seed(0)
    return STAE(build_config("tiny")).eval()


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
