"""Step-by-step training (the paper's Algorithm 1), with one model shared by every budget.

Stage 0  the ViT alone, on random frame subsets of every size α in the budget grid (so one ViT serves all α);
Stage 1  FA with the ViT frozen;
Stage 2  SA with FA and the ViT frozen; the ViT sees the zero-filled kept pixels;
Stage 3  FR, and the ViT fine-tuned, with FA and SA frozen.

The paper trains one model per (α, β); here each batch draws a budget (α, β) from the grid and FR is shared
across budgets (it sees the mask, so it knows β). The hard top-k choices need a training-time relaxation:

* pixels (stage 2): *perturbed top-k with a straight-through gradient*. Gumbel noise is added to SA's logits,
  the top-k are kept exactly as at inference (the forward pass is the deployed one), and the gradient reaches
  every pixel's weight through ``mask + w - w.detach()``: it says whether letting more of that pixel through
  would lower the loss, for kept and dropped pixels alike;
* frames (stage 1): *ranking distillation from the frozen ViT*. The same straight-through trick gives a dropped
  frame no gradient at all (FA collapsed onto one fixed frame index for every clip, measured). Instead the frozen
  ViT classifies every frame alone, and FA learns to rank frames by it: cross-entropy between FA's softmax over
  frames and softmax(-per-frame loss / τ). FA still scores frames independently and top-α is taken from its
  scores, so what it learns is exactly what inference uses.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import Tensor, nn
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from stae.checkpoint import WEIGHTS_FILE
from stae.config import STAEConfig
from stae.models.checkpoint import save_checkpoint
from stae.models.stae import STAE
from stae.train.datasets import ClipDataset, VideoList, collate
from stae.video import normalize
from stae.wire import kept_pixels

log = logging.getLogger(__name__)
STAGES = (0, 1, 2, 3)


@dataclass(frozen=True)
class TrainConfig:
    epochs: tuple[int, int, int, int] = (12, 3, 3, 4)  # per stage
    batch_size: int = 16
    lr: float = 1e-3
    finetune_lr: float = 2e-4  # the ViT in stage 3
    weight_decay: float = 0.05
    gumbel: float = 0.5  # noise scale of the perturbed top-k
    rank_tau: float = 0.5  # temperature of the per-frame teacher distribution (stage 1)
    recon_weight: float = 0.5  # stage 3: L1 on the restored pixels, added to the classification loss
    workers: int = 2
    seed: int = 0
    device: str = "cpu"
    augment: bool = True  # random shifts of up to 1/8 of the frame and brightness/colour changes while training


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


@dataclass(frozen=True)
class Dist:
    """Where this process sits in a torchrun job (world 1: a plain single-process run)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls, device: str) -> Dist:
        """Join the process group torchrun set up (NCCL on GPUs, Gloo on CPUs), or a single-process run."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if device.startswith("cuda"):
            torch.cuda.set_device(local_rank)  # one GPU per process
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
        return cls(dist.get_rank(), world, local_rank)


def _loader(
    videos: VideoList, cfg: STAEConfig, tc: TrainConfig, ctx: Dist, *, shuffle: bool, cache: str | None
) -> DataLoader[Any]:
    """Clips in DataLoader workers; each rank of a torchrun job reads its own share of the training set."""
    dataset = ClipDataset(videos, cfg.num_frames, cfg.img_size, cache)
    sampler: DistributedSampler[Any] | None = None
    if shuffle and ctx.world > 1:
        sampler = DistributedSampler(dataset, seed=tc.seed)
    g = torch.Generator()
    g.manual_seed(tc.seed)
    return DataLoader(
        dataset,
        batch_size=tc.batch_size,
        shuffle=shuffle and sampler is None,
        sampler=sampler,
        num_workers=tc.workers,
        collate_fn=collate,
        generator=g,
        worker_init_fn=lambda i: seed_everything(tc.seed + 1000 * ctx.rank + i),
        persistent_workers=tc.workers > 0,
    )


def augment(frames: Tensor, gen: torch.Generator) -> Tensor:
    """(B, T, H, W, 3) uint8 -> the same clips shifted by up to 1/8 of the frame (edges replicated) and with
    random gain and colour offsets. Motion direction and timing are untouched, so labels stay valid."""
    b, t, h, w, c = frames.shape
    pad = h // 8
    x = frames.permute(0, 1, 4, 2, 3).reshape(b, t * c, h, w).float()  # (B, T*3, H, W)
    x = F.pad(x, (pad, pad, pad, pad), mode="replicate")
    shifts = torch.randint(0, 2 * pad + 1, (b, 2), generator=gen)
    x = torch.stack([x[i, :, dy : dy + h, dx : dx + w] for i, (dy, dx) in enumerate(shifts.tolist())])
    x = x.reshape(b, t, c, h, w)
    gain = torch.empty(b, 1, 1, 1, 1).uniform_(0.8, 1.2, generator=gen)
    offset = torch.empty(b, 1, c, 1, 1).uniform_(-20, 20, generator=gen)
    x = (x * gain + offset).clamp_(0, 255).round_()
    return x.to(torch.uint8).permute(0, 1, 3, 4, 2)  # back to (B, T, H, W, 3)


def _batches(
    loader: DataLoader[Any], cfg: STAEConfig, device: torch.device, gen: torch.Generator | None = None
) -> Iterator[tuple[Tensor, Tensor]]:
    """Normalised (B, T, C, H, W) clips and labels; augmented when a generator is given."""
    for frames, labels in loader:
        if frames.numel():
            if gen is not None:
                frames = augment(frames, gen)
            yield torch.from_numpy(normalize(frames.numpy(), cfg.mean, cfg.std)).to(device), labels.to(device)


class StageStep(nn.Module):
    """The training forward pass of one stage at one budget, as a module so DistributedDataParallel can wrap it."""

    def __init__(self, model: STAE, tc: TrainConfig) -> None:
        super().__init__()
        self.model, self.tc = model, tc

    def rank_loss(self, x: Tensor, y: Tensor) -> Tensor:
        """Stage 1: FA's distribution over frames against the frozen ViT's per-frame loss (lower = better)."""
        m = self.model
        b, t = x.shape[:2]
        with torch.no_grad():
            single = x.reshape(b * t, 1, *x.shape[2:])  # every frame as a clip of one frame
            ids = torch.arange(t, device=x.device).repeat(b)[:, None]  # (B*T, 1) true positions
            per_frame = F.cross_entropy(m.vit(single, ids).float(), y.repeat_interleave(t), reduction="none")
            target = torch.softmax(-per_frame.view(b, t) / self.tc.rank_tau, dim=1)  # (B, T)
        logits = torch.logit(m.fa(x).float().clamp(1e-4, 1 - 1e-4))  # (B, T)
        return -(target * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()

    def forward(self, x: Tensor, y: Tensor, stage: int, alpha: int, beta: float) -> tuple[Tensor, Tensor]:
        """(logits, extra loss) for a batch (B, T, C, H, W) at budget (α, β) as stage ``stage`` trains it."""
        tc = self.tc
        m = self.model
        zero = torch.zeros((), device=x.device)
        if stage == 0:  # random frame subsets: one ViT for every α
            b, t = x.shape[:2]
            idx = torch.stack([torch.randperm(t, device=x.device)[:alpha].sort().values for _ in range(b)])
            rows = torch.arange(b, device=x.device)[:, None]
            return m.vit(x[rows, idx], idx), zero
        kept, idx = select_frames(m, x, alpha, 0.0)
        if stage == 1:  # FA learns by ranking distillation (module docstring); evaluation has no extra loss
            return m.vit(kept, idx), self.rank_loss(x, y) if self.training else zero
        masked, mask = select_pixels(m, x, kept, idx, beta, tc.gumbel if stage == 2 and self.training else 0.0)
        if stage == 2:
            return m.vit(masked, idx), zero
        hard = mask.detach()
        restored = m.fr(masked.detach(), hard)
        recon = F.l1_loss(restored * (1 - hard), kept.detach() * (1 - hard)) / (1 - hard).mean().clamp(min=1e-3)
        return m.vit(restored, idx), tc.recon_weight * recon


class Trainer:
    def __init__(self, model: STAE, tc: TrainConfig, run_dir: Path, ctx: Dist) -> None:
        self.model, self.tc, self.run, self.ctx = model, tc, run_dir, ctx
        self.device = torch.device(f"cuda:{ctx.local_rank}" if tc.device.startswith("cuda") else tc.device)
        self.model.to(self.device)
        self.step = StageStep(model, tc)
        self.metrics = (run_dir / "metrics.jsonl").open("a") if ctx.main else None
        self.rng = random.Random(tc.seed)  # the same budget sequence on every rank
        self.gen = torch.Generator().manual_seed(tc.seed + ctx.rank)  # augmentation differs per rank

    def log(self, **row: Any) -> None:
        if self.metrics is not None:
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

    def _autocast(self) -> torch.autocast:
        """bf16 mixed precision on GPUs (no loss scaling needed), as the decoder serves; float32 on CPUs."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.device.type == "cuda")

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
        out = []
        for module, lr in by_stage[stage]:
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
        # DDP after requires_grad is set: it all-reduces the gradients of exactly the parameters this stage trains.
        step: nn.Module = self.step
        if self.ctx.world > 1:
            ids = [self.ctx.local_rank] if self.device.type == "cuda" else None
            step = nn.parallel.DistributedDataParallel(self.step, device_ids=ids)
        steps = epochs * max(1, len(train))
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=[g["lr"] for g in opt.param_groups], total_steps=steps, pct_start=0.15
        )
        done = 0
        for epoch in range(first_epoch, first_epoch + epochs):
            if isinstance(train.sampler, DistributedSampler):
                train.sampler.set_epoch(1000 * stage + epoch)
            self.model.train()
            start = time.perf_counter()
            totals = torch.zeros(3, dtype=torch.float64)  # seen, correct, summed loss
            bar = tqdm(
                _batches(train, self.model.cfg, self.device, self.gen if self.tc.augment else None),
                total=len(train),
                desc=f"stage {stage} epoch {epoch + 1}/{self.tc.epochs[stage]}",
                disable=None if self.ctx.main else True,  # rank 0 only, and only on a terminal
                leave=False,
            )
            for x, y in bar:
                alpha, beta = self._budget(stage)
                with self._autocast():
                    logits, extra = step(x, y, stage, alpha, beta)
                    loss = F.cross_entropy(logits.float(), y, label_smoothing=0.1) + extra.float()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if done < steps:
                    sched.step()
                done += 1
                totals += torch.tensor([len(y), int((logits.argmax(1) == y).sum()), float(loss.detach()) * len(y)])
                bar.set_postfix(loss=f"{totals[2] / totals[0]:.3f}", acc=f"{totals[1] / totals[0]:.3f}", refresh=False)
            if self.ctx.world > 1:
                dist.all_reduce(totals)  # gloo and nccl both reduce float64 on the CPU/GPU tensor they are given
            seen = max(float(totals[0]), 1.0)
            row: dict[str, Any] = {
                "stage": stage,
                "epoch": epoch + 1,
                "loss": float(totals[2]) / seen,
                "train_acc": float(totals[1]) / seen,
                "seconds": round(time.perf_counter() - start, 1),
            }
            if self.ctx.main:
                if test is not None and (epoch + 1 == self.tc.epochs[stage] or (epoch + 1) % 5 == 0):
                    row["test_acc"] = self.evaluate(stage, test)
                self.log(**row)
                log.info("stage %d: %s", stage, row)
                self.save(stage, epoch + 1)
            if self.ctx.world > 1:
                dist.barrier()  # the others wait while rank 0 evaluates and saves

    @torch.no_grad()
    def evaluate(
        self, stage: int, loader: DataLoader[Any], alpha: int | None = None, beta: float | None = None
    ) -> float:
        """Accuracy at budget (α, β) (default: the hardest budget the stage trains) with the deployed forward."""
        self.model.eval()
        self.step.eval()
        cfg = self.model.cfg
        a = alpha or (min(cfg.alphas) if stage >= 1 else cfg.num_frames)
        b = beta or (min(cfg.betas) if stage >= 2 else 1.0)
        correct = seen = 0
        for x, y in _batches(loader, cfg, self.device):
            with self._autocast():
                logits, _ = self.step(x, y, max(stage, 1), a, b)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
        self.step.train()
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
    """Run all four stages into ``run_dir`` (checkpoints, resolved config, metrics.jsonl); resumable.

    Under ``torchrun --nproc_per_node N`` every process trains on its share of each epoch and the gradients are
    averaged by DistributedDataParallel; rank 0 evaluates, logs and writes the checkpoints.
    """
    ctx = Dist.from_env(tc.device)
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
    if ctx.main:
        config = {"model": model_cfg.model_dump(mode="json"), "train": asdict(tc), "world_size": ctx.world}
        (run_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    trainer = Trainer(model, tc, run_dir, ctx)
    train_loader = _loader(train_videos, model_cfg, tc, ctx, shuffle=True, cache=cache)
    test_loader = _loader(test_videos, model_cfg, tc, ctx, shuffle=False, cache=cache) if test_videos else None
    for stage in STAGES:
        if stage >= done[0]:
            trainer.train_stage(stage, train_loader, test_loader, done[1] if stage == done[0] else 0)
    return model
