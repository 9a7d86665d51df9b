"""The `stae` command as a user runs it: a real process, real clips, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import real_clips

STAE_BIN = Path(sys.executable).parent / "stae"


def stae(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(STAE_BIN), *map(str, args)], capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ck") / "tiny"
    stae("init", "tiny", "--out", out, "--labels", ",".join(f"action{i}" for i in range(6)))
    return out


@pytest.mark.parametrize("clip", real_clips(), ids=lambda p: p.name)
def test_encode_decode_round_trip_every_clip(clip: Path, checkpoint: Path, tmp_path: Path) -> None:
    payload = tmp_path / "clip.stae"
    enc = json.loads(
        stae(
            "encode", clip, "--alpha", "4", "--beta", "0.4", "--checkpoint", checkpoint, "--out", payload, "--json"
        ).stdout
    )
    assert enc["payload_bytes"] == payload.stat().st_size
    assert len(enc["frame_indices"]) == 4 and enc["eq1_bytes"] == 4 * 4 * 3 * 1638
    assert enc["ratio_vs_float32"] == pytest.approx(enc["raw_float32_bytes"] / enc["payload_bytes"], rel=1e-2)
    assert "NOT trained" in enc["model"]
    dec = json.loads(stae("decode", payload, "--checkpoint", checkpoint, "--json").stdout)
    assert dec["frame_indices"] == enc["frame_indices"]
    assert len(dec["top"]) == 5 and all(t["label"].startswith("action") for t in dec["top"])


def test_text_output_without_checkpoint_says_weights_are_random(clips: list[Path], tmp_path: Path) -> None:
    out = stae("encode", clips[0], "--alpha", "1", "--beta", "0.4", "--out", tmp_path / "p").stdout
    assert "random weights" in out and "compression:" in out and "eq. 1 size:" in out
    out = stae("decode", tmp_path / "p").stdout
    assert "random weights" in out and "1. class_" in out


def test_bad_payload_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.stae"
    bad.write_bytes(b"STAE" + b"\x01" * 60)
    proc = stae("decode", bad, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "error" in proc.stderr
    proc = stae("encode", bad, "--out", tmp_path / "x", check=False)
    assert proc.returncode == 2 and "not a readable video" in proc.stderr


def test_info_reports_config_and_sizes(checkpoint: Path) -> None:
    doc = json.loads(stae("info", checkpoint, "--json").stdout)
    assert doc["trained"] is False and doc["config"]["name"] == "tiny"
    assert doc["parameters"]["total"] > doc["parameters"]["vit"] > 0
    assert "parameters:" in stae("info", checkpoint).stdout
