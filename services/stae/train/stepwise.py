"""Step-by-step training (the paper's Algorithm 1), with one model shared by every budget.

Stage 0  the ViT alone, on random frame subsets of every size α in the budget grid (so one ViT serves all α);
Stage 1  FA with the ViT frozen;
Stage 2  SA with FA and the ViT frozen; the ViT sees the zero-filled kept pixels;
Stage 3  FR, and the ViT fine-tuned, with FA and SA frozen.

The paper trains one model per (α, β); here each batch draws a budget (α, β) from the grid and FR is shared
across budgets (it sees the mask, so it knows β). The hard top-k choices are relaxed for training with
*perturbed top-k and a straight-through gradient*: Gumbel noise is added to the attention logits, the top-k are
kept exactly as at inference (the forward pass is the deployed one), and the gradient reaches the attention
weights through ``hard + w - w.detach()`` (frames) and ``mask + w - w.detach()`` (pixels). The noise makes the
chosen sets vary, so every frame and pixel gets learning signal.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import Tensor
from torch.utils.data import DataLoader

from stae.config import STAEConfig
from stae.models.checkpoint import WEIGHTS_FILE, save_checkpoint
from stae.models.stae import STAE
from stae.train.datasets import ClipDataset, VideoList, collate
from stae.video import normalize
from stae.wire import kept_pixels

log = logging.getLogger(__name__)
STAGES = (0, 1, 2, 3)


@dataclass(frozen=True)
class TrainConfig:
    epochs: tuple[int, int, int, int] = (15, 4, 4, 8)  # per stage
    batch_size: int = 8
    lr: float = 1e-3
    finetune_lr: float = 2e-4  # the ViT in stage 3
    weight_decay: float = 0.05
    gumbel: float = 0.5  # noise scale of the perturbed top-k
    recon_weight: float = 0.5  # stage 3: L1 on the restored pixels, added to the classification loss
    workers: int = 2
    seed: int = 0
    device: str = "cpu"


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _gumbel(shape: torch.Size, scale: float, device: torch.device) -> Tensor:
    u = torch.rand(shape, device=device).clamp_(1e-6, 1 - 1e-6)
    return -scale * torch.log(-torch.log(u))


def select_frames(model: STAE, x: Tensor, alpha: int, noise: float) -> tuple[Tensor, Tensor]:
    """Kept frames (B, α, C, H, W) and their indices (B, α); straight-through gradient to FA."""
    b, t = x.shape[:2]
    if alpha == t:
        return x, torch.arange(t, device=x.device).expand(b, t)
    w = model.fa(x)  # (B, T)
    logits = torch.logit(w.clamp(1e-4, 1 - 1e-4))
    if noise > 0:
        logits = logits + _gumbel(logits.shape, noise, x.device)
    idx = torch.topk(logits, alpha, dim=1).indices.sort(dim=1).values  # (B, α)
    gate = torch.gather(w, 1, idx)
    gate = 1.0 + gate - gate.detach()  # 1 in the forward pass, dw in the backward pass
    rows = torch.arange(b, device=x.device)[:, None]
    return x[rows, idx] * gate[:, :, None, None, None], idx


def select_pixels(
    model: STAE, x: Tensor, kept: Tensor, idx: Tensor, beta: float, noise: float
) -> tuple[Tensor, Tensor]:
    """Zero-filled kept pixels (B, α, C, H, W) and the mask (B, α, 1, H, W); straight-through gradient to SA."""
    b, a, _, h, w_ = kept.shape
    if beta >= 1.0:
        return kept, torch.ones(b, a, 1, h, w_, device=x.device)
    w = model.sa(x, idx)  # (B, α, H, W)
    logits = torch.logit(w.clamp(1e-4, 1 - 1e-4)).reshape(b * a, h * w_)
    if noise > 0:
        logits = logits + _gumbel(logits.shape, noise, x.device)
    k = kept_pixels(beta, h, w_)
    hard = torch.zeros_like(logits).scatter_(1, torch.topk(logits, k, dim=1).indices, 1.0).reshape(b, a, h, w_)
    mask = (hard + w - w.detach())[:, :, None]  # (B, α, 1, H, W): hard in the forward pass
    return kept * mask, mask


def _loader(videos: VideoList, cfg: STAEConfig, tc: TrainConfig, shuffle: bool, cache: str | None) -> DataLoader[Any]:
    g = torch.Generator()
    g.manual_seed(tc.seed)
    return DataLoader(
        ClipDataset(videos, cfg.num_frames, cfg.img_size, cache),
        batch_size=tc.batch_size,
        shuffle=shuffle,
        num_workers=tc.workers,
        collate_fn=collate,
        generator=g,
        worker_init_fn=lambda i: seed_everything(tc.seed + i),
        persistent_workers=tc.workers > 0,
    )


def _batches(loader: DataLoader[Any], cfg: STAEConfig, device: torch.device) -> Iterator[tuple[Tensor, Tensor]]:
    for frames, labels in loader:
        if frames.numel():
            yield normalize(frames, cfg.mean, cfg.std).to(device), labels.to(device)


class Trainer:
    def __init__(self, model: STAE, tc: TrainConfig, run_dir: Path) -> None:
        self.model, self.tc, self.run = model, tc, run_dir
        self.device = torch.device(tc.device)
        self.model.to(self.device)
        self.metrics = (run_dir / "metrics.jsonl").open("a")
        self.rng = random.Random(tc.seed)

    def log(self, **row: Any) -> None:
        self.metrics.write(json.dumps(row) + "\n")
        self.metrics.flush()

    def _budget(self, stage: int) -> tuple[int, float]:
        cfg = self.model.cfg
        alphas = [a for a in cfg.alphas if a < cfg.num_frames] if stage == 1 else list(cfg.alphas)  # FA acts if α < T
        if stage == 0 and self.rng.random() < 0.5:
            alphas = [cfg.num_frames]  # half of the ViT's batches see the whole clip
        alpha = self.rng.choice(alphas or list(cfg.alphas))
        betas = [b for b in cfg.betas if b < 1.0] if stage >= 2 else [1.0]
        return alpha, self.rng.choice(betas or [1.0])

    def _forward(self, stage: int, x: Tensor, alpha: int, beta: float) -> tuple[Tensor, Tensor]:
        """(logits, extra loss) for one batch at budget (α, β) as stage ``stage`` trains it."""
        m = self.model
        zero = torch.zeros((), device=x.device)
        if stage == 0:  # random frame subsets: one ViT for every α
            b, t = x.shape[:2]
            idx = torch.stack([torch.randperm(t, device=x.device)[:alpha].sort().values for _ in range(b)])
            rows = torch.arange(b, device=x.device)[:, None]
            return m.vit(x[rows, idx], idx), zero
        kept, idx = select_frames(m, x, alpha, self.tc.gumbel if stage == 1 else 0.0)
        if stage == 1:
            return m.vit(kept, idx), zero
        masked, mask = select_pixels(m, x, kept, idx, beta, self.tc.gumbel if stage == 2 else 0.0)
        if stage == 2:
            return m.vit(masked, idx), zero
        hard = mask.detach()
        restored = m.fr(masked.detach(), hard)
        recon = F.l1_loss(restored * (1 - hard), kept.detach() * (1 - hard)) / (1 - hard).mean().clamp(min=1e-3)
        return m.vit(restored, idx), self.tc.recon_weight * recon

    def _params(self, stage: int) -> list[dict[str, Any]]:
        m, tc = self.model, self.tc
        for p in m.parameters():
            p.requires_grad_(False)
        by_stage: dict[int, list[tuple[torch.nn.Module, float]]] = {
            0: [(m.vit, tc.lr)],
            1: [(m.fa, tc.lr)],
            2: [(m.sa, tc.lr)],
            3: [(m.fr, tc.lr), (m.vit, tc.finetune_lr)],
        }
        groups = by_stage[stage]
        out = []
        for module, lr in groups:
            for p in module.parameters():
                p.requires_grad_(True)
            out.append({"params": list(module.parameters()), "lr": lr})
        return out

    def train_stage(
        self, stage: int, train: DataLoader[Any], test: DataLoader[Any] | None, first_epoch: int = 0
    ) -> None:
        """Epochs ``first_epoch + 1 .. epochs[stage]`` of ``stage`` (a resumed stage restarts its LR schedule)."""
        epochs = self.tc.epochs[stage] - first_epoch
        if epochs <= 0:
            return
        opt = torch.optim.AdamW(self._params(stage), weight_decay=self.tc.weight_decay)
        steps = epochs * max(1, len(train))
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=[g["lr"] for g in opt.param_groups], total_steps=steps, pct_start=0.15
        )
        step = 0
        for epoch in range(epochs):
            self.model.train()
            start, seen, correct, total_loss = time.perf_counter(), 0, 0, 0.0
            for x, y in _batches(train, self.model.cfg, self.device):
                alpha, beta = self._budget(stage)
                logits, extra = self._forward(stage, x, alpha, beta)
                loss = F.cross_entropy(logits, y, label_smoothing=0.1) + extra
                opt.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                opt.step()
                if step < steps:
                    sched.step()
                step += 1
                seen += len(y)
                correct += int((logits.argmax(1) == y).sum())
                total_loss += float(loss.detach()) * len(y)
            row = {
                "stage": stage,
                "epoch": first_epoch + epoch + 1,
                "loss": total_loss / max(seen, 1),
                "train_acc": correct / max(seen, 1),
                "seconds": round(time.perf_counter() - start, 1),
            }
            if test is not None and (epoch + 1 == epochs or (epoch + 1) % 5 == 0):
                row["test_acc"] = self.evaluate(stage, test)
            self.log(**row)
            log.info("stage %d: %s", stage, row)
            self.save(stage, first_epoch + epoch + 1)

    @torch.no_grad()
    def evaluate(
        self, stage: int, loader: DataLoader[Any], alpha: int | None = None, beta: float | None = None
    ) -> float:
        """Accuracy at budget (α, β) (default: the hardest budget the stage trains) with the deployed forward."""
        self.model.eval()
        cfg = self.model.cfg
        a = alpha or (min(cfg.alphas) if stage >= 1 else cfg.num_frames)
        b = beta or (min(cfg.betas) if stage >= 2 else 1.0)
        correct = seen = 0
        for x, y in _batches(loader, cfg, self.device):
            logits, _ = self._forward(max(stage, 1), x, a, b)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
        return correct / max(seen, 1)

    def save(self, stage: int, epoch: int) -> None:
        save_checkpoint(self.model, self.run / "last", {"trained": stage == 3, "stage": stage, "epoch": epoch})
        (self.run / "progress.json").write_text(json.dumps({"stage": stage, "epoch": epoch}))


def train(
    model_cfg: STAEConfig,
    train_videos: VideoList,
    test_videos: VideoList | None,
    run_dir: Path,
    tc: TrainConfig,
    cache: str | None = None,
    resume: bool = True,
) -> STAE:
    """Run all four stages into ``run_dir`` (checkpoints, resolved config, metrics.jsonl); resumable."""
    run_dir.mkdir(parents=True, exist_ok=True)
    seed_everything(tc.seed)
    torch.use_deterministic_algorithms(tc.device == "cpu", warn_only=True)
    model = STAE(model_cfg)
    done = (-1, 0)
    progress = run_dir / "progress.json"
    if resume and progress.is_file() and (run_dir / "last" / WEIGHTS_FILE).is_file():
        p = json.loads(progress.read_text())
        model.load_state_dict(load_file(str(run_dir / "last" / WEIGHTS_FILE)))
        done = (p["stage"], p["epoch"])
        log.info("resuming after stage %d epoch %d", *done)
    (run_dir / "config.json").write_text(
        json.dumps({"model": model_cfg.model_dump(mode="json"), "train": asdict(tc)}, indent=2) + "\n"
    )
    trainer = Trainer(model, tc, run_dir)
    train_loader = _loader(train_videos, model_cfg, tc, shuffle=True, cache=cache)
    test_loader = _loader(test_videos, model_cfg, tc, shuffle=False, cache=cache) if test_videos else None
    for stage in STAGES:
        if stage >= done[0]:
            trainer.train_stage(stage, train_loader, test_loader, done[1] if stage == done[0] else 0)
    return model
