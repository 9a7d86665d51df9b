"""Accuracy against bytes for every way of sending a clip, on the same clips, through the deployed path.

Every row encodes each clip with ``SemanticEncoder`` and classifies the bytes with ``SemanticDecoder`` (parsing,
H.264 decoding, FR where it runs, the ViT), batched by α as the decoder service batches:

* ``stae_lossless``  wire v1 (today's payload) at a few (α, β) budgets;
* ``stae_h264``      wire v2: the model's coded settings (α, β, scale) at every byte budget of a ladder, the
                     payload's whole size counted (header and checksum included);
* ``stae_latent``    wire v3: the learned latent of FA's α frames at every rate level, the whole payload counted;
* ``h264_16``        plain H.264 of all 16 frames at CRFs 18..51: what a camera does without any of this. Its
                     bytes are the raw Annex-B stream without SEI, without our 24-byte header (the baseline is
                     not charged for our framing);
* ``h264_16_medium`` the same at libx264's ``medium`` preset (slower on the camera, a few % smaller);
* ``h264_fa``        H.264 of FA's α frames at the same CRFs (same byte counting);
* the H.264 rows again through a second ViT (``baseline``): the stock ViT fine-tuned on H.264 of 16 frames,
  what a user who fine-tunes could deploy (the strong baseline);
* ``h264_16_half``   H.264 (``medium``) of all 16 frames at half size, through a third ViT (``half``): the stock
  ViT fine-tuned on exactly that, with the same recipe (a user's answer to small budgets).

Summary numbers: BD-rate of each curve against ``h264_16`` (mean log-ratio of bytes at equal accuracy over the
accuracy range both cover, limited to [``acc_lo``, full-budget accuracy - 1 point]), against the strongest
baseline (the upper envelope of every plain-H.264 row through a ViT fine-tuned on it: both presets, both sizes),
accuracy of each curve at fixed sizes (its upper envelope: the best accuracy at that many bytes or fewer), and at
each size wire v3 against the strongest baseline on the same clips: the paired difference of the two rows the
envelopes pick, with its 95% interval (each row keeps which clips it got right, so the test is paired).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from stae.camera import EncodeResult, SemanticEncoder
from stae.figures import frontier as envelope
from stae.pipeline import SemanticDecoder
from stae.train.evaluate import wilson
from stae.wire import coded_overhead

H264_CRFS = (18, 23, 27, 30, 33, 36, 39, 42, 45, 48, 51)
BUDGET_LADDER = (250, 300, 350, 400, 500, 600, 800, 1000, 1500, 2000, 3000)
LOSSLESS_BUDGETS = ((16, 1.0), (16, 0.4), (16, 0.1), (4, 0.1), (1, 0.4))
SIZES = (250, 300, 393, 500, 700, 1000, 1500, 2000, 3000)


def _classify(decoder: SemanticDecoder, payloads: Sequence[bytes], batch: int = 32) -> list[int]:
    """Top-1 class of each payload through ``decoder`` (unpack, then batches of one α, as the service does)."""
    received = [decoder.unpack(p) for p in payloads]
    out = [0] * len(received)
    by_alpha: dict[int, list[int]] = {}
    for i, r in enumerate(received):
        by_alpha.setdefault(r.alpha, []).append(i)
    for rows in by_alpha.values():
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            for i, pred in zip(chunk, decoder.predictions([received[i] for i in chunk], 1), strict=True):
                out[i] = pred.class_ids[0]
    return out


def _row(method: str, labels: np.ndarray, preds: Sequence[int], sizes: Sequence[int], **setting: Any) -> dict[str, Any]:
    hits = int(np.sum(np.asarray(preds) == labels))
    n = len(labels)
    arr = np.asarray(sizes, dtype=np.float64)
    row: dict[str, Any] = {
        "method": method,
        **setting,
        "accuracy": hits / n,
        "ci95": list(wilson(hits, n)),
        "bytes_mean": float(arr.mean()),
        "bytes_p95": float(np.percentile(arr, 95)),
        # which clips it got right, one bit per clip (first clip = most significant), for paired comparisons
        "hits": format(int("1" + "".join("1" if h else "0" for h in np.asarray(preds) == labels), 2), "x"),
    }
    if setting.get("max_bytes"):
        over = arr > setting["max_bytes"]
        row["over_budget"] = float(over.mean())
        row["overrun_max"] = float((arr[over] / setting["max_bytes"] - 1).max()) if over.any() else 0.0
    return row


def accuracy_at(points: Sequence[tuple[float, float]], size: float) -> float | None:
    """Best accuracy of a curve at ``size`` bytes or fewer; None below its smallest point."""
    fit = [a for b, a in points if b <= size]
    return max(fit) if fit else None


def bd_rate(
    test: Sequence[tuple[float, float]], ref: Sequence[tuple[float, float]], lo: float, hi: float
) -> float | None:
    """Bjøntegaard-style rate difference of ``test`` against ``ref``: exp(mean over accuracy of log bytes_test -
    log bytes_ref) - 1, both curves' envelopes interpolated linearly in (accuracy, log bytes), over the part of
    [lo, hi] both cover. -0.5 = half the bytes. None when the curves share no accuracy range."""
    t, r = envelope(list(test)), envelope(list(ref))
    if len(t) < 2 or len(r) < 2:
        return None
    a0 = max(lo, t[0][1], r[0][1])
    a1 = min(hi, t[-1][1], r[-1][1])
    if a1 <= a0:
        return None
    grid = np.linspace(a0, a1, 200)

    def log_bytes(curve: list[tuple[float, float]]) -> np.ndarray:
        return np.interp(grid, [a for _, a in curve], [math.log(b) for b, _ in curve])

    return float(math.exp(float(np.mean(log_bytes(t) - log_bytes(r)))) - 1)


def evaluate_frontier(
    encoder: SemanticEncoder,
    decoder: SemanticDecoder,
    clips: Sequence[np.ndarray],
    labels: Sequence[int],
    *,
    baseline: SemanticDecoder | None = None,
    stock: SemanticDecoder | None = None,
    half: SemanticDecoder | None = None,
    budgets: Sequence[int] = BUDGET_LADDER,
    crfs: Sequence[int] = H264_CRFS,
    fa_alphas: Sequence[int] = (4, 8),
    lossless: Sequence[tuple[int, float]] = LOSSLESS_BUDGETS,
    progress: Callable[[str], None] = lambda _: None,
    methods: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Every method on the same ``clips`` (``methods``: only these: ``stae_lossless``, ``stae_h264``,
    ``stae_latent``, ``h264``); ``decoder`` holds the codec-aware model, ``stock`` the ViT before codec-aware
    fine-tuning (for the plain H.264 rows; default ``decoder``), ``baseline`` the stock ViT fine-tuned on H.264
    of 16 frames, ``half`` the one fine-tuned on H.264 of 16 frames at half size (its rows only when given)."""
    wanted = set(methods or ("stae_lossless", "stae_h264", "stae_latent", "h264"))
    cfg = encoder.config
    y = np.asarray(labels)
    rows: list[dict[str, Any]] = []
    stock = stock or decoder

    def run(
        method: str, results: list[EncodeResult], decoders: dict[str, SemanticDecoder], header: bool, **setting: Any
    ) -> None:
        payloads = [r.payload for r in results]
        # H.264 baselines: the stream alone (our 24-byte framing is not charged to them)
        sizes = [r.payload_bytes - (0 if header else coded_overhead(cfg.num_frames)) for r in results]
        for vit, dec in decoders.items():
            rows.append(_row(method, y, _classify(dec, payloads), sizes, vit=vit, **setting))
        progress(f"{method} {setting}: {rows[-1]['bytes_mean']:.0f} B, {rows[-1]['accuracy']:.1%}")

    for alpha, beta in lossless if "stae_lossless" in wanted else ():
        run(
            "stae_lossless",
            [encoder.encode(c, alpha, beta) for c in clips],
            {"codec_aware": decoder},
            True,
            alpha=alpha,
            beta=beta,
        )
    for s in cfg.coded if "stae_h264" in wanted else ():
        for b in budgets:
            res = [encoder.encode_coded(c, s.alpha, s.beta, b, scale=s.scale) for c in clips]
            run(
                "stae_h264",
                res,
                {"codec_aware": decoder},
                True,
                alpha=s.alpha,
                beta=s.beta,
                scale=s.scale,
                max_bytes=b,
                crf_mean=float(np.mean([r.crf or 0 for r in res])),
            )
    if encoder.latent_tables is not None and cfg.latent is not None and "stae_latent" in wanted:
        for alpha in cfg.latent.alphas:
            for level in range(encoder.latent_tables.levels):
                res = [encoder.encode_latent(c, alpha, level=level) for c in clips]
                run("stae_latent", res, {"codec_aware": decoder}, True, alpha=alpha, level=level)
    plain = {"stock": stock, **({"h264_finetuned": baseline} if baseline else {})}
    for crf in crfs if "h264" in wanted else ():
        run("h264_16", [encoder.encode_coded(c, cfg.num_frames, 1.0, crf=crf) for c in clips], plain, False, crf=crf)
        medium = [encoder.encode_coded(c, cfg.num_frames, 1.0, crf=crf, preset="medium") for c in clips]
        run("h264_16_medium", medium, plain, False, crf=crf)
        for a in fa_alphas:
            run("h264_fa", [encoder.encode_coded(c, a, 1.0, crf=crf) for c in clips], plain, False, alpha=a, crf=crf)
        if half is not None:
            small = [encoder.encode_coded(c, cfg.num_frames, 1.0, crf=crf, scale=2, preset="medium") for c in clips]
            run("h264_16_half", small, {"half_finetuned": half}, False, scale=2, crf=crf)
    return summarise(rows, len(clips), cfg.num_frames * cfg.vit.in_chans * cfg.img_size**2 * 4)


def hits_of(row: dict[str, Any]) -> np.ndarray:
    """The per-clip correctness a row recorded (bool per clip, in clip order)."""
    bits = bin(int(row["hits"], 16))[3:]  # drop "0b" and the leading sentinel 1
    return np.array([b == "1" for b in bits])


def paired_difference(a: dict[str, Any], b: dict[str, Any]) -> tuple[float, float, float]:
    """Accuracy of row ``a`` minus row ``b`` on the same clips, with a 95% interval from the discordant pairs
    (normal approximation of the paired difference of proportions)."""
    x, y = hits_of(a), hits_of(b)
    n = len(x)
    only_a, only_b = int(np.sum(x & ~y)), int(np.sum(~x & y))
    d = (only_a - only_b) / n
    se = math.sqrt(max(only_a + only_b - n * d * d, 0.0)) / n
    return d, d - 1.96 * se, d + 1.96 * se


def _best_row(rows: Sequence[dict[str, Any]], size: float) -> dict[str, Any] | None:
    fit = [r for r in rows if r["bytes_mean"] <= size]
    return max(fit, key=lambda r: (r["accuracy"], -r["bytes_mean"])) if fit else None


STRONGEST = "strongest baseline (H.264, fine-tuned ViT)"
_FINE_TUNED = {("h264_16", "h264_finetuned"), ("h264_16_medium", "h264_finetuned"), ("h264_16_half", "half_finetuned")}


def _curve(rows: Sequence[dict[str, Any]], method: str, vit: str | None = None) -> list[tuple[float, float]]:
    return [
        (r["bytes_mean"], r["accuracy"]) for r in rows if r["method"] == method and (vit is None or r["vit"] == vit)
    ]


def summarise(rows: list[dict[str, Any]], clips: int, raw_float32: int, acc_lo: float = 0.60) -> dict[str, Any]:
    """BD-rates against plain H.264 of 16 frames, accuracy at fixed sizes, budget overruns."""
    full = max(
        (
            r["accuracy"]
            for r in rows
            if r["method"] == "stae_lossless" and r.get("alpha") == 16 and r.get("beta") == 1.0
        ),
        default=1.0,
    )
    hi = full - 0.01
    curves = {
        "stae_latent": _curve(rows, "stae_latent"),
        "stae_h264": _curve(rows, "stae_h264"),
        "stae_lossless": _curve(rows, "stae_lossless"),
        "h264_16 (stock ViT)": _curve(rows, "h264_16", "stock"),
        "h264_16 (H.264-fine-tuned ViT)": _curve(rows, "h264_16", "h264_finetuned"),
        "h264_16 medium (stock ViT)": _curve(rows, "h264_16_medium", "stock"),
        "h264_16 medium (H.264-fine-tuned ViT)": _curve(rows, "h264_16_medium", "h264_finetuned"),
        "h264_16 half medium (half-size-fine-tuned ViT)": _curve(rows, "h264_16_half", "half_finetuned"),
        "h264_fa (stock ViT)": _curve(rows, "h264_fa", "stock"),
    }
    strongest = [r for r in rows if (r["method"], r["vit"]) in _FINE_TUNED]
    curves[STRONGEST] = [(r["bytes_mean"], r["accuracy"]) for r in strongest]
    curves = {k: v for k, v in curves.items() if v}
    ref = curves.get("h264_16 (stock ViT)")  # absent when --methods leaves H.264 out: no BD-rates then
    coded = [r for r in rows if r["method"] == "stae_h264"]
    latent = [r for r in rows if r["method"] == "stae_latent"]
    paired: dict[str, Any] = {}
    for size in SIZES:
        ours, theirs = _best_row(latent, size), _best_row(strongest, size)
        if ours and theirs and "hits" in ours and "hits" in theirs:
            d, lo, hi_ = paired_difference(ours, theirs)
            ci = [lo, hi_]
            paired[str(size)] = {"difference": d, "ci95": ci, "ours": ours["accuracy"], "theirs": theirs["accuracy"]}
    return {
        "clips": clips,
        "raw_float32_bytes": raw_float32,
        "full_budget_accuracy": full,
        "accuracy_range": [acc_lo, hi],
        "bd_rate_vs_h264_16": {k: bd_rate(v, ref, acc_lo, hi) if ref else None for k, v in curves.items()},
        "bd_rate_vs_h264_16_finetuned": {
            k: bd_rate(v, curves["h264_16 (H.264-fine-tuned ViT)"], acc_lo, hi)
            for k, v in curves.items()
            if "h264_16 (H.264-fine-tuned ViT)" in curves
        },
        "bd_rate_vs_strongest": {k: bd_rate(v, curves[STRONGEST], acc_lo, hi) for k, v in curves.items()}
        if STRONGEST in curves
        else {},
        "latent_vs_strongest": paired,
        "accuracy_at_bytes": {str(s): {k: accuracy_at(v, s) for k, v in curves.items()} for s in SIZES},
        "over_budget": {
            "requests": len(coded) * clips,
            "share_over": float(np.mean([r["over_budget"] for r in coded])) if coded else None,
            "worst_overrun": max((r["overrun_max"] for r in coded), default=None),
        },
        "rows": rows,
    }


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v:+.0%}"


def _acc(v: float | None) -> str:
    return "—" if v is None else f"{v:.1%}"


def markdown(doc: dict[str, Any]) -> str:
    """The frontier's summary and every row, as Markdown."""
    lines = [
        f"{doc['clips']} held-out clips, every method on the same clips through SemanticEncoder/SemanticDecoder.",
        f"Full-budget lossless accuracy {doc['full_budget_accuracy']:.1%}; BD-rates over accuracy "
        f"{doc['accuracy_range'][0]:.0%}..{doc['accuracy_range'][1]:.1%} (negative = fewer bytes than the reference).",
        "",
        "| curve | BD-rate vs H.264 of 16 frames (stock ViT) | vs H.264 of 16 frames (H.264-fine-tuned ViT) "
        "| vs the strongest baseline |",
        "|---|---|---|---|",
    ]
    strongest = doc.get("bd_rate_vs_strongest") or {}
    for k, v in doc["bd_rate_vs_h264_16"].items():
        ft = doc["bd_rate_vs_h264_16_finetuned"].get(k)
        lines.append(f"| {k} | {_pct(v)} | {_pct(ft)} | {_pct(strongest.get(k))} |")
    curves = list(doc["bd_rate_vs_h264_16"])
    lines += [
        "",
        "Best accuracy at a payload of at most N bytes (mean bytes per clip):",
        "",
        "| bytes | " + " | ".join(curves) + " |",
        "|---" * (len(curves) + 1) + "|",
    ]
    for s, accs in doc["accuracy_at_bytes"].items():
        lines.append(f"| {s} | " + " | ".join(_acc(accs.get(k)) for k in curves) + " |")
    if doc.get("latent_vs_strongest"):
        lines += [
            "",
            f"Wire v3 against the {STRONGEST} at each size, paired on the same clips (the best row of each at or "
            "under the size):",
            "",
            "| bytes | wire v3 | strongest baseline | difference | 95% interval |",
            "|---|---|---|---|---|",
        ]
        for s, p in doc["latent_vs_strongest"].items():
            lo, hi = p["ci95"]
            lines.append(
                f"| {s} | {p['ours']:.1%} | {p['theirs']:.1%} | {p['difference']:+.1%} | {lo:+.1%} .. {hi:+.1%} |"
            )
    ob = doc["over_budget"]
    if ob["share_over"] is not None:
        lines += [
            "",
            f"Byte budgets: {ob['share_over']:.1%} of {ob['requests']} coded payloads exceeded their budget; "
            f"worst overrun {ob['worst_overrun']:.0%}.",
        ]
    lines += [
        "",
        "| method | ViT | α | β | scale | budget B | CRF / level | bytes mean | p95 | over B | accuracy |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in doc["rows"]:
        crf = r.get("crf", r.get("crf_mean", r.get("level")))
        over = f"{r['over_budget']:.0%}" if "over_budget" in r else ""
        lines.append(
            f"| {r['method']} | {r['vit']} | {r.get('alpha', 16)} | {r.get('beta', 1.0):.0%} | {r.get('scale', 1)} | "
            f"{r.get('max_bytes') or ''} | {'' if crf is None else f'{crf:.0f}'} | {r['bytes_mean']:.0f} | "
            f"{r['bytes_p95']:.0f} | {over} | {r['accuracy']:.1%} |"
        )
    return "\n".join(lines)
