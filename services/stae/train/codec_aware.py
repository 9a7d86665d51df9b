"""Codec-aware fine-tuning (the step after Algorithm 1 for wire v2): the ViT learns from what the decoder receives.

Every training clip goes through the deployed path, not a relaxation of it: ``SemanticEncoder.encode_coded``
(FA's frames, SA's pixels with the rest filled flat, downscaling, libx264, packing) at a random setting of the
model's ``coded`` list and a random CRF, then ``SemanticDecoder.unpack`` and ``dense`` (parsing, H.264 decoding,
upscaling, normalising). FA, SA and FR stay frozen; the ViT is fine-tuned. A share of the batches takes the
lossless path (FA + SA + FR at a random budget of the grid, as in stage 3), so the one ViT keeps serving wire
v1 payloads. With ``coded`` = [(16, 1.0, 1)] and no lossless batches this is also how the strong baseline is
made: the stock ViT fine-tuned on plain H.264 of all 16 frames.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from tqdm import tqdm

from stae.camera import SemanticEncoder
from stae.config import CodedSetting
from stae.models.checkpoint import save_checkpoint
from stae.models.stae import STAE
from stae.pipeline import SemanticDecoder
from stae.train.datasets import VideoList, shuffled_loader
from stae.train.stepwise import seed_everything, select_frames, select_pixels
from stae.video import normalize

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CodecTrainConfig:
    epochs: int = 4
    batch_size: int = 16
    lr: float = 2e-4
    weight_decay: float = 0.05
    crf_range: tuple[int, int] = (18, 51)  # CRFs drawn uniformly (inclusive): what byte budgets lead to
    lossless_share: float = 0.25  # batches on the lossless path (0 for an H.264-only baseline)
    workers: int = 2
    seed: int = 0


def coded_batch(
    encoder: SemanticEncoder,
    decoder: SemanticDecoder,
    frames: np.ndarray,
    setting: CodedSetting,
    crfs: list[int],
) -> tuple[Tensor, Tensor, list[int]]:
    """The decoder's ViT input (B, α, C, S, S), frame indices (B, α) and payload bytes of a batch of clips
    (B, T, S, S, 3) through the deployed wire-v2 path at ``setting``, one CRF per clip."""
    dense, indices, sizes = [], [], []
    for clip, crf in zip(frames, crfs, strict=True):
        result = encoder.encode_coded(clip, setting.alpha, setting.beta, crf=crf, scale=setting.scale)
        received = decoder.unpack(result.payload)
        dense.append(decoder.dense(received)[0])
        indices.append(torch.from_numpy(received.frame_indices))
        sizes.append(result.payload_bytes)
    return torch.stack(dense), torch.stack(indices), sizes


def finetune_codec(
    model: STAE,
    train: VideoList,
    out: Path,
    tc: CodecTrainConfig,
    *,
    cache: str | None = None,
    metadata: dict[str, object] | None = None,
) -> Path:
    """Fine-tune ``model``'s ViT on its ``cfg.coded`` settings (and the lossless path); save to ``out``."""
    cfg = model.cfg
    if not cfg.coded:
        raise ValueError("the model's config lists no coded settings: give stae finetune-codec --settings")
    seed_everything(tc.seed)
    rng = random.Random(tc.seed)
    model.eval()
    encoder, decoder = SemanticEncoder.from_model(model), SemanticDecoder.from_model(model)
    for p in model.parameters():
        p.requires_grad_(False)
    for p in model.vit.parameters():
        p.requires_grad_(True)
    loader = shuffled_loader(
        train, cfg.num_frames, cfg.img_size, batch_size=tc.batch_size, workers=tc.workers, seed=tc.seed, cache=cache
    )
    opt = torch.optim.AdamW(model.vit.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, tc.lr, total_steps=tc.epochs * len(loader), pct_start=0.1)
    budgets = [(a, b) for a in cfg.alphas for b in cfg.betas]
    for epoch in range(tc.epochs):
        total = hits = n = 0.0
        for frames, y in tqdm(loader, desc=f"codec epoch {epoch}", disable=None, leave=False):
            if not len(y):
                continue
            model.vit.eval()  # the selections and the codec path run without dropout or gradients
            with torch.no_grad():
                if rng.random() < tc.lossless_share:
                    x = torch.from_numpy(normalize(frames.numpy(), cfg.mean, cfg.std))
                    alpha, beta = rng.choice(budgets)
                    kept, idx = select_frames(model, x, alpha, 0.0)
                    masked, mask = select_pixels(model, x, kept, idx, beta, 0.0)
                    inp = model.fr(masked, mask) if beta < 1.0 else kept
                else:
                    setting = rng.choice(cfg.coded)
                    crfs = [rng.randint(*tc.crf_range) for _ in range(len(y))]
                    inp, idx, _ = coded_batch(encoder, decoder, frames.numpy(), setting, crfs)
            model.vit.train()
            logits = model.vit(inp, idx)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(y)
            hits += float((logits.argmax(1) == y).sum())
            n += len(y)
        log.info("codec epoch %d: loss %.4f, train accuracy %.3f", epoch, total / max(n, 1), hits / max(n, 1))
    model.eval()
    return save_checkpoint(model, out, {**(metadata or {}), "codec_finetune": {**tc.__dict__}})
