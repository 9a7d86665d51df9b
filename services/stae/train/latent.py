"""Training wire v3's learned codec (``stae finetune-latent``): supervised compression on top of a trained model.

Starting from a checkpoint (Algorithm 1's model or the codec-aware one), a :class:`LatentCodec` is trained end
to end through the deployed selection: FA (frozen) keeps α frames, the analysis maps each to a latent, a
random rate level ``l`` scales and rounds it (straight-through), the synthesis turns the symbols back into
frames and the ViT classifies them at their temporal positions. Loss per batch:

    cross-entropy(labels) + distill · KL(teacher || student) + recon · MSE(frames) + rate_weights[l] · kilobytes(l)

where the teacher is the same ViT on the clip's full-budget frames, computed without gradients. With
``vit_lr = 0`` the ViT stays frozen, so one ViT keeps serving wire v1 and v2 unchanged; otherwise it is
fine-tuned too (a model for wire v3 alone). After training, the symbols of the training set at every level give
the integer tables the coder uses (``latent.json``), and ``stae export-onnx`` adds the analysis as
``latent.onnx`` for the camera.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from tqdm import tqdm

from stae.config import LatentConfig
from stae.latent import LatentTables
from stae.models.checkpoint import save_checkpoint
from stae.models.latent import LatentCodec, symbol_histograms
from stae.models.stae import STAE
from stae.train.datasets import VideoList, shuffled_loader
from stae.train.stepwise import augment, seed_everything, select_frames
from stae.video import normalize

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LatentTrainConfig:
    epochs: int = 6
    batch_size: int = 16
    lr: float = 2e-3  # the codec's transforms, gains and entropy model
    vit_lr: float = 0.0  # 0: the ViT stays frozen (it keeps serving wire v1 and v2 as it did)
    distill: float = 1.0  # weight of the KL to the full-budget prediction
    recon: float = 1.0  # weight of the frames' mean squared error (normalised space): what lets the synthesis
    # learn at all while the ViT is frozen (the task loss alone left a first run at chance after two epochs)
    pretrain_epochs: int = 0  # reconstruction alone first (frames through analysis, rounding and synthesis, no
    # ViT: cheap), so the task stage starts from frames the frozen ViT can read
    rate_warmup: float = 1.0  # epochs over which the rate weight rises from 0 to its value (quality first: a full
    # rate weight from the start taught the codec to send nothing before it could send anything useful)
    weight_decay: float = 0.01
    augment: bool = True
    workers: int = 2
    seed: int = 0


def _forward(
    model: STAE, codec: LatentCodec, x: torch.Tensor, alpha: int, level: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Logits (B, K), bits per clip (B,), symbols (B*α, C, h, w) and the frames' mean squared error (a scalar) for
    normalised clips x (B, T, C, S, S)."""
    with torch.no_grad():
        kept, idx = select_frames(model, x, alpha, 0.0)  # (B, α, C, S, S), (B, α)
    b, a = kept.shape[:2]
    y = codec.analysis(kept.flatten(0, 1))  # (B*α, channels, S/8, S/8)
    q, z = codec.quantize(y, level)
    frames = codec.dequantize(q, level).reshape(b, a, *kept.shape[2:])  # (B, α, C, S, S)
    bits = codec.rate_bits(z, level).reshape(b, a).sum(1)  # (B,)
    return model.vit(frames, idx), bits, q.detach(), F.mse_loss(frames, kept)


def finetune_latent(
    model: STAE,
    train: VideoList,
    out: Path,
    tc: LatentTrainConfig,
    latent: LatentConfig,
    *,
    cache: str | None = None,
    metadata: dict[str, object] | None = None,
) -> tuple[Path, list[dict[str, float]]]:
    """Give ``model`` a latent codec trained on ``train``; save the checkpoint (with ``latent.json``) to ``out``.
    Returns the path and one row per epoch."""
    seed_everything(tc.seed)
    rng = random.Random(tc.seed)
    gen = torch.Generator().manual_seed(tc.seed)
    cfg = model.cfg.model_copy(update={"latent": latent})
    student = STAE(cfg)
    state = model.state_dict()
    previous = model.latent
    relevel = previous is not None and previous.cfg.rate_weights != latent.rate_weights  # new levels from old ones
    if relevel:
        state = {k: v for k, v in state.items() if k not in ("latent.log_gain", "latent.prior_logits")}
    student.load_state_dict(state, strict=False)  # every part but a new codec (or its new levels)
    codec = student.latent
    assert codec is not None
    if relevel:
        assert previous is not None
        codec.adopt_levels(previous)
    for p in student.parameters():
        p.requires_grad_(False)
    for p in codec.parameters():
        p.requires_grad_(True)
    groups: list[dict[str, Any]] = [{"params": list(codec.parameters()), "lr": tc.lr}]
    lrs = [tc.lr]
    if tc.vit_lr > 0:
        for p in student.vit.parameters():
            p.requires_grad_(True)
        groups.append({"params": list(student.vit.parameters()), "lr": tc.vit_lr})
        lrs.append(tc.vit_lr)
    teacher = model.eval()
    loader = shuffled_loader(
        train, cfg.num_frames, cfg.img_size, batch_size=tc.batch_size, workers=tc.workers, seed=tc.seed, cache=cache
    )
    if len(loader) == 0:
        raise ValueError(f"{len(train)} training clips make no full batch of {tc.batch_size}")
    opt = torch.optim.AdamW(groups, weight_decay=tc.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lrs, total_steps=tc.epochs * len(loader), pct_start=0.1)
    history: list[dict[str, float]] = []
    if tc.pretrain_epochs:
        history += _pretrain(codec, loader, tc, latent, cfg.mean, cfg.std, rng, gen)
    step = 0
    for epoch in range(tc.epochs):
        start = time.perf_counter()
        totals = torch.zeros(4, dtype=torch.float64)  # clips, correct, loss, bytes
        student.eval()  # FA, and the ViT when frozen, without dropout; the codec has none
        if tc.vit_lr > 0:
            student.vit.train()
        for frames, y in tqdm(loader, desc=f"latent epoch {epoch + 1}/{tc.epochs}", disable=None, leave=False):
            if not len(y):
                continue
            if tc.augment:
                frames = augment(frames, gen)
            x = torch.from_numpy(normalize(frames.numpy(), cfg.mean, cfg.std))  # (B, T, C, S, S)
            alpha = rng.choice(latent.alphas)
            level = rng.randrange(latent.levels)
            with torch.no_grad():
                target = F.log_softmax(teacher.vit(x), dim=1)
            logits, bits, _, mse = _forward(student, codec, x, alpha, level)
            kb = bits / 8000
            ramp = min(1.0, (step + 1) / max(tc.rate_warmup * len(loader), 1.0))
            step += 1
            loss = (
                F.cross_entropy(logits, y)
                + tc.distill * F.kl_div(F.log_softmax(logits, 1), target, log_target=True, reduction="batchmean")
                + tc.recon * mse
                + ramp * latent.rate_weights[level] * kb.mean()
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            sched.step()
            totals += torch.tensor(
                [
                    len(y),
                    float((logits.argmax(1) == y).sum()),
                    float(loss.detach()) * len(y),
                    float(kb.detach().sum()) * 1000,
                ]
            )
        n = max(float(totals[0]), 1.0)
        row = {
            "epoch": epoch + 1,
            "loss": float(totals[2]) / n,
            "train_acc": float(totals[1]) / n,
            "bytes_mean": float(totals[3]) / n,
            "seconds": round(time.perf_counter() - start, 1),
        }
        history.append(row)
        log.info("latent epoch %d: %s", epoch + 1, row)
    tables = measure_tables(student, loader, latent)
    student.eval()
    meta = {**(metadata or {}), "latent_finetune": {**tc.__dict__}, "latent_history": history}
    path = save_checkpoint(student, out, meta)
    tables.save(path)
    return path, history


def _pretrain(
    codec: LatentCodec,
    loader: DataLoader[tuple[torch.Tensor, torch.Tensor]],
    tc: LatentTrainConfig,
    latent: LatentConfig,
    mean: tuple[float, ...],
    std: tuple[float, ...],
    rng: random.Random,
    gen: torch.Generator,
) -> list[dict[str, float]]:
    """The reconstruction stage: four frames of each clip through analysis, a random level's gain with uniform
    noise for the rounding, and synthesis; mean squared error in the ViT's input space; its own optimiser and
    schedule."""
    opt = torch.optim.AdamW(codec.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, tc.lr, total_steps=tc.pretrain_epochs * len(loader))
    rows = []
    for epoch in range(tc.pretrain_epochs):
        start, total, n = time.perf_counter(), 0.0, 0
        for frames, y in loader:
            if not len(y):
                continue
            if tc.augment:
                frames = augment(frames, gen)
            pick = torch.randperm(frames.shape[1], generator=gen)[:4]  # 4 frames a clip: neighbours look alike
            x = torch.from_numpy(normalize(frames[:, pick].numpy(), mean, std)).flatten(0, 1)  # (B*4, C, S, S)
            level = rng.randrange(latent.levels)
            _, z = codec.quantize(codec.analysis(x), level)
            # Uniform noise in place of rounding (Ballé et al.): rounding small initial latents to 0 gives the
            # synthesis nothing to learn from (a first run stayed at MSE 0.91 of 1 after an epoch).
            noisy = z + torch.rand(z.shape, generator=gen) - 0.5
            loss = F.mse_loss(codec.dequantize(noisy, level), x)
            opt.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            sched.step()
            total, n = total + float(loss.detach()) * len(y), n + len(y)
        row = {"pretrain_epoch": epoch + 1, "mse": total / max(n, 1), "seconds": round(time.perf_counter() - start, 1)}
        log.info("latent reconstruction epoch %d: %s", epoch + 1, row)
        rows.append(row)
    return rows


@torch.no_grad()
def measure_tables(
    model: STAE, loader: DataLoader[tuple[torch.Tensor, torch.Tensor]], latent: LatentConfig
) -> LatentTables:
    """The integer tables: symbol counts of the training set at every level, without augmentation."""
    codec = model.latent
    assert codec is not None
    counts = torch.zeros(latent.levels, latent.channels, latent.symbols, dtype=torch.float64)
    for frames, y in loader:
        if not len(y):
            continue
        x = torch.from_numpy(normalize(frames.numpy(), model.cfg.mean, model.cfg.std))
        for alpha in latent.alphas:
            kept, _ = select_frames(model, x, alpha, 0.0)
            y_lat = codec.analysis(kept.flatten(0, 1))
            for level in range(latent.levels):
                q, _ = codec.quantize(y_lat, level)
                symbol_histograms(codec, q, level, counts)
    gains = codec.log_gain.detach().exp().numpy()
    return LatentTables.from_counts(gains, counts.numpy(), latent.max_symbol)
