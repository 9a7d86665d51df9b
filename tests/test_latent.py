"""Wire v3: the integer rANS coder, the latent tables, the framing, and the learned codec through the camera's
runtimes (ONNX Runtime and PyTorch) and the edge decoder, on real clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from stae import rans, wire
from stae.camera import SemanticEncoder
from stae.camera.torch_graphs import export_onnx
from stae.checkpoint import read_checkpoint
from stae.config import LatentConfig
from stae.latent import LatentTables
from stae.models import STAE, build_config
from stae.models.checkpoint import save_checkpoint
from stae.models.latent import symbol_histograms
from stae.pipeline import LatentSymbols, SemanticDecoder
from stae.train.frontier import SIZES, _row, hits_of, paired_difference
from stae.video import read_clip
from stae.wire import LatentClip, PayloadError


def random_tables(rng: np.random.Generator, n: int, k: int) -> rans.Tables:
    return rans.Tables(rans.quantize_table(rng.dirichlet(np.full(k, 0.3), size=n)))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 3000), k=st.integers(2, 31), tables=st.integers(1, 8))
def test_rans_round_trip_is_exact_and_near_the_ideal_size(seed: int, n: int, k: int, tables: int) -> None:
    rng = np.random.default_rng(seed)
    tab = random_tables(rng, tables, k)
    ids = rng.integers(0, tables, n)
    # draw from the tables themselves, so the code length is close to the ideal
    cdf = np.cumsum(tab.freqs, axis=1) / 2**rans.PRECISION
    sym = np.array([int(np.searchsorted(cdf[t], rng.random(), side="right")) for t in ids], dtype=np.int64)
    sym = np.minimum(sym, k - 1)
    data = tab.encode(sym, ids)
    np.testing.assert_array_equal(tab.decode(data, ids), sym)
    assert len(data) <= tab.bits(sym, ids) / 8 + 6  # the final state (4 bytes) and a word's rounding


def test_compiled_and_plain_python_coders_write_the_same_bytes(latent_checkpoint: Path, clips: list[Path]) -> None:
    """Numba's loops (what the edge and a `fast` camera run) and plain Python's (a lean camera's) are one coder:
    the same bytes from the same symbols, each reading the other's streams, on real clips at every level."""
    assert rans._jit is not None, "numba is missing: `make setup` installs it (the server extra)"
    enc = SemanticEncoder.from_checkpoint(latent_checkpoint, runtime="onnx")
    tables = enc.latent_tables
    assert tables is not None
    cases = []
    for path in clips:
        latent = enc.attention.latent(np.ascontiguousarray(read_clip(path, 16, 64)))
        for level in range(tables.levels):
            cases.append((tables.quantize(latent, level), level))
    compiled = [tables.encode(q, lv) for q, lv in cases]
    for (q, lv), stream in zip(cases, compiled, strict=True):  # the compiled decoder builds its lookups first
        np.testing.assert_array_equal(tables.decode(stream, q.shape, lv), q)
    with rans.plain_python():
        for (q, lv), stream in zip(cases, compiled, strict=True):
            assert tables.encode(q, lv) == stream
            np.testing.assert_array_equal(tables.decode(stream, q.shape, lv), q)


def test_quantized_tables_are_valid_and_keep_every_symbol_codable() -> None:
    freqs = rans.quantize_table([[1.0, 0.0, 0.0, 1e-12], [0.25, 0.25, 0.25, 0.25]])
    assert (freqs >= 1).all() and (freqs.sum(axis=1) == 2**rans.PRECISION).all()
    tab = rans.Tables(freqs)
    sym = np.array([1, 2, 3, 0])  # symbols the first table thought impossible still code
    np.testing.assert_array_equal(tab.decode(tab.encode(sym, [0, 0, 0, 1]), [0, 0, 0, 1]), sym)
    with pytest.raises(ValueError, match="sum to"):
        rans.Tables(freqs - 1)


def test_corrupt_or_foreign_streams_raise_rans_error(rng: np.random.Generator) -> None:
    tab = random_tables(rng, 4, 15)
    ids = rng.integers(0, 4, 500)
    sym = rng.integers(0, 15, 500)
    data = tab.encode(sym, ids)
    with pytest.raises(rans.RansError):
        tab.decode(data[:-2], ids)  # truncated
    with pytest.raises(rans.RansError):
        tab.decode(data + b"\0\0", ids)  # padded
    with pytest.raises(rans.RansError):
        tab.decode(data[:3], ids)  # odd and short
    other = random_tables(np.random.default_rng(99), 4, 15)
    with pytest.raises(rans.RansError):
        other.decode(data, ids)  # other tables: desynchronised, and the end state tells


def test_latent_clip_framing_and_bad_payloads(rng: np.random.Generator) -> None:
    clip = LatentClip(16, np.array([0, 3, 9], dtype=np.int64), 2, 16, 64, 64, 0xDEADBEEF, b"\x01\x02\x03\x04")
    data = wire.pack_latent(clip)
    assert len(data) == wire.latent_overhead(16) + 4 and wire.peek(data) == (3, 16, 3, 64, 64, 3)
    back = wire.unpack(data)
    assert isinstance(back, LatentClip) and back.tables_id == 0xDEADBEEF and back.level == 2
    assert back.latent_shape == (3, 16, 8, 8) and back.stream == clip.stream
    np.testing.assert_array_equal(back.frame_indices, clip.frame_indices)
    flipped = bytearray(data)
    flipped[-6] ^= 1
    with pytest.raises(PayloadError, match="checksum"):
        wire.unpack(bytes(flipped))
    with pytest.raises(PayloadError, match="shorter"):
        wire.unpack(data[:12])
    with pytest.raises(PayloadError, match="multiple of 8"):
        wire.pack_latent(LatentClip(16, np.array([1]), 0, 16, 60, 64, 0, b"\0\0\0\0"))


@pytest.fixture(scope="module")
def latent_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model with a randomly initialised latent codec, its tables measured on real clips, exported."""
    torch.manual_seed(3)
    cfg = build_config("tiny").model_copy(update={"latent": LatentConfig(channels=8, width=16)})
    model = STAE(cfg).eval()
    codec = model.latent
    assert codec is not None
    with torch.no_grad():  # a spread of gains, so the levels give different sizes
        codec.log_gain.copy_(torch.linspace(0.5, 3.0, cfg.latent.levels)[:, None].expand_as(codec.log_gain))
    out = save_checkpoint(model, tmp_path_factory.mktemp("latent") / "ck", {"trained": False})
    k = codec.cfg.max_symbol
    peaked = 1000 * torch.exp(-torch.arange(-k, k + 1).abs().double())  # tables that favour small symbols
    counts = peaked.expand(codec.cfg.levels, codec.cfg.channels, -1)
    gains = codec.log_gain.detach().exp().numpy()
    LatentTables.from_counts(gains, counts.numpy(), codec.cfg.max_symbol).save(out)
    export_onnx(read_checkpoint(out))
    return out


def test_camera_runtimes_and_edge_agree_on_every_symbol(latent_checkpoint: Path, clips: list[Path]) -> None:
    """The symbols the camera quantises (ONNX Runtime or PyTorch) are exactly what the edge decodes, with the
    same integer tables, at every level, on the real clips."""
    onnx_enc = SemanticEncoder.from_checkpoint(latent_checkpoint, runtime="onnx")
    torch_enc = SemanticEncoder.from_checkpoint(latent_checkpoint, runtime="torch")
    dec = SemanticDecoder.from_checkpoint(latent_checkpoint)
    assert onnx_enc.attention.runtime == "onnx" and torch_enc.attention.runtime == "torch"
    tables = onnx_enc.latent_tables
    assert tables is not None and dec.latent is not None and dec.latent[1].tables_id == tables.tables_id
    sizes = []
    for path in clips:
        frames = read_clip(path, 16, 64)
        for level in (0, tables.levels - 1):
            for enc in (onnx_enc, torch_enc):
                res = enc.encode_latent(frames, 4, level=level)
                got = dec.unpack(res.payload)
                assert isinstance(got, LatentSymbols) and got.level == level
                latent = enc.attention.latent(np.ascontiguousarray(frames[res.frame_indices]))
                np.testing.assert_array_equal(got.values, tables.quantize(latent, level))
                sizes.append(res.payload_bytes)
        pred = dec.decode(onnx_enc.encode_latent(frames, 16, level=1).payload, top_k=3)
        assert len(pred.labels) == 3 and len(pred.frame_indices) == 16
    assert max(sizes) > min(sizes)  # the levels differ


def test_wire_v3_on_the_camera_needs_no_torch(latent_checkpoint: Path, clips: list[Path]) -> None:
    """The analysis on ONNX Runtime and the rANS coder in pure Python, with PyTorch made unimportable."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from stae.camera import SemanticEncoder\n"
        "from stae.video import read_clip\n"
        f"enc = SemanticEncoder.from_checkpoint({str(latent_checkpoint)!r})\n"
        f"frames = read_clip({str(clips[0])!r}, 16, 64)\n"
        "r = enc.encode_latent(frames, 16, 400)\n"
        "print(enc.attention.runtime, r.payload[4], r.level is not None)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["onnx", "3", "True"]


def test_byte_budget_picks_the_highest_level_that_fits(latent_checkpoint: Path, clips: list[Path]) -> None:
    enc = SemanticEncoder.from_checkpoint(latent_checkpoint)
    frames = read_clip(clips[0], 16, 64)
    by_level = [enc.encode_latent(frames, 16, level=lv).payload_bytes for lv in range(6)]
    assert by_level == sorted(by_level) and by_level[0] < by_level[-1]
    budget = (by_level[2] + by_level[3]) // 2
    res = enc.encode_latent(frames, 16, budget)
    assert res.level == 2 and res.payload_bytes <= budget
    assert enc.encode_latent(frames, 16, 10).level == 0  # nothing fits: the smallest level


def test_edge_refuses_latent_payloads_it_cannot_decode(latent_checkpoint: Path, clips: list[Path]) -> None:
    enc = SemanticEncoder.from_checkpoint(latent_checkpoint)
    dec = SemanticDecoder.from_checkpoint(latent_checkpoint)
    frames = read_clip(clips[0], 16, 64)
    payload = enc.encode_latent(frames, 16, level=3).payload
    msg = wire.unpack(payload)
    assert isinstance(msg, LatentClip)
    foreign = wire.pack_latent(
        LatentClip(16, msg.frame_indices, 3, msg.channels, 64, 64, msg.tables_id ^ 1, msg.stream)
    )
    with pytest.raises(PayloadError, match="different checkpoints"):
        dec.unpack(foreign)
    bad_stream = wire.pack_latent(
        LatentClip(16, msg.frame_indices, 3, msg.channels, 64, 64, msg.tables_id, msg.stream[:-2])
    )
    with pytest.raises(PayloadError, match="latent stream"):
        dec.unpack(bad_stream)
    with pytest.raises(PayloadError, match="levels"):
        dec.unpack(
            wire.pack_latent(LatentClip(16, msg.frame_indices, 9, msg.channels, 64, 64, msg.tables_id, msg.stream))
        )
    plain = SemanticDecoder.from_model(STAE(build_config("tiny")))
    with pytest.raises(PayloadError, match="no latent codec"):
        plain.unpack(payload)


def test_paired_difference_counts_only_the_clips_the_two_rows_disagree_on() -> None:
    """The frontier's paired test: each row keeps which clips it got right; the difference and its interval
    come from the discordant clips alone."""
    labels = np.zeros(100, dtype=int)
    a = np.zeros(100, dtype=int)  # right on every clip
    b = np.zeros(100, dtype=int)
    b[:10] = 1  # wrong on the first ten
    ra = _row("x", labels, list(a), [1] * 100, vit="v")
    rb = _row("y", labels, list(b), [1] * 100, vit="v")
    assert hits_of(rb).tolist() == [False] * 10 + [True] * 90
    d, lo, hi = paired_difference(ra, rb)
    assert d == pytest.approx(0.10) and 0.0 < lo < d < hi  # ten discordant clips all one way: significant
    assert paired_difference(ra, ra) == (0.0, 0.0, 0.0)
    c = np.zeros(100, dtype=int)
    c[10:20] = 1  # as accurate as b, wrong on other clips: no difference, a wide interval
    d, lo, hi = paired_difference(_row("z", labels, list(c), [1] * 100, vit="v"), rb)
    assert d == 0.0 and lo < -0.05 and hi > 0.05


def test_symbol_histograms_count_every_symbol() -> None:
    torch.manual_seed(0)
    cfg = build_config("tiny").model_copy(update={"latent": LatentConfig(channels=4, width=8)})
    codec = STAE(cfg).latent
    assert codec is not None
    q = torch.randint(-7, 8, (5, 4, 8, 8)).float()
    counts = torch.zeros(6, 4, 15, dtype=torch.float64)
    symbol_histograms(codec, q, 2, counts)
    assert counts[2].sum() == q.numel() and counts[[0, 1, 3, 4, 5]].sum() == 0
    assert counts[2, 1, 7 + int(q[0, 1, 0, 0])] >= 1


@pytest.mark.slow
def test_finetune_latent_trains_the_codec_only_and_ships_tables_and_onnx(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`stae finetune-latent` on a few clips: the ViT and FA are untouched (frozen), the codec moved, and the
    checkpoint carries latent.json and latent.onnx that the torch-free camera loads."""
    from safetensors.torch import load_file

    from stae.cli import main
    from stae.train.synth import SynthConfig, generate

    generate(tmp_path / "d", SynthConfig(classes=2, clips_per_class=12, size=64, seed=4))  # 18 train clips
    torch.manual_seed(0)
    base = save_checkpoint(STAE(build_config("tiny", labels=("move_right", "move_left"))).eval(), tmp_path / "base")
    args = ["finetune-latent", str(base), "--data", str(tmp_path / "d"), "--out", str(tmp_path / "lt")]
    assert main([*args, "--epochs", "1", "--workers", "0", "--channels", "4", "--width", "8"]) == 0
    before, after = load_file(str(base / "model.safetensors")), load_file(str(tmp_path / "lt" / "model.safetensors"))
    assert all(torch.equal(before[k], after[k]) for k in before)  # every part that existed is as it was
    assert any(k.startswith("latent.") for k in after)
    info = read_checkpoint(tmp_path / "lt")
    assert info.config.latent is not None and info.config.latent.channels == 4
    assert (info.path / "latent.onnx").is_file() and LatentTables.load(info.path).channels == 4
    assert SemanticEncoder.from_checkpoint(info, runtime="onnx").latent_tables is not None
    # --codec-from: that codec carried onto a checkpoint of another ViT (the conv stem), its ViT frozen
    conv = save_checkpoint(STAE(build_config("tiny-conv", labels=("move_right", "move_left"))).eval(), tmp_path / "cv")
    refused = ["finetune-latent", str(conv), "--codec-from", str(base), "--data", str(tmp_path / "d"), "--out", "x"]
    assert main(refused) == 2 and "no latent codec" in capsys.readouterr().err
    grafted = ["finetune-latent", str(conv), "--codec-from", str(tmp_path / "lt"), "--data", str(tmp_path / "d")]
    assert main([*grafted, "--out", str(tmp_path / "cl"), "--epochs", "1", "--workers", "0"]) == 0
    conv_before, conv_after = (
        load_file(str(conv / "model.safetensors")),
        load_file(str(tmp_path / "cl" / "model.safetensors")),
    )
    assert all(torch.equal(conv_before[k], conv_after[k]) for k in conv_before)
    carried = read_checkpoint(tmp_path / "cl")
    assert carried.config.latent is not None and carried.config.latent.channels == 4  # the donor's, not the default
    assert carried.metadata["codec_from"] == str(tmp_path / "lt")


@pytest.mark.slow
def test_frontier_command_measures_and_stores_the_latent_rows(latent_checkpoint: Path, tmp_path: Path) -> None:
    """`stae frontier` on a latent checkpoint: a row per rate level, H.264 at both presets through both ViTs,
    and --store writes the latent accuracies and byte distributions the profile offers the controller."""
    import json
    import shutil

    from stae.checkpoint import read_checkpoint
    from stae.cli import main
    from stae.control.profile import ServerTimes
    from stae.profiling import build_profile
    from stae.train.synth import SynthConfig, generate

    generate(tmp_path / "d", SynthConfig(classes=2, clips_per_class=4, size=64, seed=3, test_share=0.5))
    ck = shutil.copytree(latent_checkpoint, tmp_path / "ck")
    out = tmp_path / "f.json"
    argv = ["frontier", str(ck), "--data", str(tmp_path / "d"), "--split", "test", "--clips", "2", "--stock", str(ck)]
    argv += ["--baseline", str(ck), "--half-baseline", str(ck)]
    assert main([*argv, "--store", "--json", str(out), "--plot", str(tmp_path / "f.png")]) == 0
    doc = json.loads(out.read_text())
    levels = [r["level"] for r in doc["rows"] if r["method"] == "stae_latent"]
    assert levels == list(range(6))
    methods = {(r["method"], r["vit"]) for r in doc["rows"]}
    assert {("h264_16_medium", "stock"), ("h264_16_medium", "h264_finetuned")} <= methods
    assert ("h264_16_half", "half_finetuned") in methods
    half = [r for r in doc["rows"] if r["method"] == "h264_16_half"]
    full = [r for r in doc["rows"] if r["method"] == "h264_16_medium" and r["vit"] == "stock"]
    assert sum(r["bytes_mean"] for r in half) < sum(r["bytes_mean"] for r in full)  # a quarter of the pixels
    assert "stae_latent" in doc["accuracy_at_bytes"]["3000"] and (tmp_path / "f.png").is_file()
    assert doc["bd_rate_vs_strongest"] and set(doc["latent_vs_strongest"]) <= {str(s) for s in SIZES}
    meta = read_checkpoint(ck).metadata["eval"]
    assert {f"latent:16,{lv}" for lv in range(6)} <= set(meta["accuracy"]) <= set(meta["coded_bytes"]) | {"16,1"}
    # the profile turns them into latent entries eq. 5 can choose
    enc = SemanticEncoder.from_checkpoint(ck)
    server = ServerTimes(
        device="cpu", fr_ms={16: 1.0}, vit_ms={16: 2.0}, brotli_decode_ms_per_mb=1.0, latent_ms={16: 3.0}
    )
    frames = read_clip(sorted((tmp_path / "d").rglob("*.mp4"))[0], 16, 64)
    profile = build_profile(enc, frames, server, accuracy=meta["accuracy"], coded_bytes=meta["coded_bytes"], reps=1)
    latent = [e for e in profile.entries if e.encoding == "latent"]
    assert [e.level for e in latent] == list(range(6)) and all(e.ed_ms == 3.0 for e in latent)
    assert all(e.bytes_p95 == meta["coded_bytes"][e.key]["p95"] for e in latent)
