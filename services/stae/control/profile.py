"""The profile table eq. 5 is solved over: for every budget (α, β), accuracy, payload bytes and stage times.

Three kinds of entry: lossless (wire v1) budgets (α, β); for a model fine-tuned on H.264 output, coded (wire
v2) budgets (α, β, scale, byte budget B); for a model with a learned latent codec, latent (wire v3) budgets (α,
rate level). The bytes of the last two are measured as a distribution (mean, 95th percentile, share over B):
eq. 5 uses the 95th percentile, what is actually sent in all but 1 request in 20.

Stage names are the paper's eq. 3 terms: FA, SA and entropy encoding (EE) on the camera, entropy decoding (ED),
FR and the ViT on the server. Camera times and payload sizes are measured by the encoder on its own device;
server times by the decoder on its own (it reports them at ``GET /v1/profile``); accuracy comes from an
evaluation (``stae eval``) stored in the checkpoint, or, until there is one, from a prior: the paper's Table I
(HMDB51, ViT-B) interpolated linearly in β between its β = 100% and β = 40% columns. A profile built on the
prior says so in ``accuracy_source``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stae import wire

# Paper, Table I: accuracy (%) at β = 100% (ViT_FA) and β = 40% (ViT_STAE), per α. HMDB51, not our data.
PAPER_TABLE_I = {16: (73.3, 72.6), 8: (71.9, 71.3), 4: (70.8, 70.1), 2: (69.8, 69.1), 1: (68.7, 68.1)}
# Paper, Table I: server stage times on an RTX 2080 Ti (ms): the ViT per α, and FR at β = 40% per α.
PAPER_VIT_MS = {16: 31.5, 8: 24.6, 4: 18.7, 2: 10.2, 1: 6.8}
PAPER_FR_MS = {16: 16.3, 8: 7.8, 4: 4.9, 2: 2.5, 1: 1.6}
PAPER_PRIOR = "paper-prior: HMDB51 accuracies of the paper's Table I, linear in beta between 100% and 40%"


def paper_prior_accuracy(alpha: int, beta: float) -> float:
    """The paper's Table I accuracy for (α, β), as a fraction; α between table rows takes the lower row."""
    row = max(a for a in PAPER_TABLE_I if a <= alpha)
    full, forty = PAPER_TABLE_I[row]
    share = (min(max(beta, 0.4), 1.0) - 0.4) / 0.6
    return (forty + share * (full - forty)) / 100


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Encoding = Literal["lossless", "h264", "latent"]


class ProfileEntry(_Model):
    alpha: int = Field(ge=1)
    beta: float = Field(gt=0, le=1)
    encoding: Encoding = "lossless"
    scale: int = Field(1, ge=1)  # h264: frames coded at 1/scale of the side
    max_bytes: int | None = Field(None, ge=1)  # h264: the byte budget the encoder is asked to meet
    level: int | None = Field(None, ge=0)  # latent: the rate level the encoder quantises at
    bytes_p95: float | None = Field(None, gt=0)  # h264, latent: 95th percentile of the payload bytes measured
    over_budget: float = Field(0.0, ge=0, le=1)  # h264: share of measured payloads above max_bytes
    accuracy: float = Field(ge=0, le=1)
    bytes_brotli: float = Field(gt=0)
    bytes_none: float = Field(gt=0)
    fa_ms: float = Field(ge=0)
    sa_ms: float = Field(ge=0)
    pack_ms: float = Field(ge=0)  # packing without entropy coding
    ee_ms: float = Field(ge=0)  # extra time brotli adds on the camera
    ed_ms: float = Field(ge=0)  # brotli, H.264 or rANS decoding on the server (latent: with the synthesis)
    fr_ms: float = Field(ge=0)
    vit_ms: float = Field(ge=0)

    @property
    def key(self) -> str:
        """How accuracies are stored by ``stae eval``/``stae frontier``: "α,β" for lossless, "h264:α,β,scale,B"
        for coded, "latent:α,level" for the learned latent."""
        if self.encoding == "lossless":
            return f"{self.alpha},{self.beta:g}"
        if self.encoding == "latent":
            return f"latent:{self.alpha},{self.level}"
        return f"h264:{self.alpha},{self.beta:g},{self.scale},{self.max_bytes}"

    def entry_is(self, alpha: int, beta: float) -> bool:
        """This is the lossless budget (α, β)."""
        return self.encoding == "lossless" and self.alpha == alpha and abs(self.beta - beta) < 1e-6

    def payload_bytes(self, entropy: wire.EntropyCoder) -> float:
        if self.encoding != "lossless":
            return self.bytes_p95 or self.bytes_none
        return self.bytes_brotli if entropy == "brotli" else self.bytes_none

    def compute_ms(self, entropy: wire.EntropyCoder) -> float:
        """Eq. 3: every stage's time except the transfer."""
        coding = self.ee_ms + self.ed_ms if entropy == "brotli" or self.encoding != "lossless" else 0.0
        return self.fa_ms + self.sa_ms + self.pack_ms + coding + self.fr_ms + self.vit_ms


class Profile(_Model):
    model: str
    accuracy_source: str
    camera_device: str = "unknown"
    server_device: str = "unknown"
    entries: tuple[ProfileEntry, ...]

    def entry(self, alpha: int, beta: float, max_bytes: int | None = None, scale: int = 1) -> ProfileEntry | None:
        """The lossless entry (α, β), or with ``max_bytes`` the coded entry (α, β, scale, max_bytes)."""
        for e in self.entries:
            same = e.alpha == alpha and abs(e.beta - beta) < 1e-6 and e.max_bytes == max_bytes
            if same and (max_bytes is None or e.scale == scale):
                return e
        return None


class ServerTimes(_Model):
    """What the decoder measures about itself at warm-up (``GET /v1/profile``)."""

    device: str
    fr_ms: dict[int, float]  # per α, for β < 100% (FR is skipped at β = 100%)
    vit_ms: dict[int, float]  # per α
    brotli_decode_ms_per_mb: float  # entropy decoding time per MB of brotli body
    latent_ms: dict[int, float] = {}  # per α: rANS decoding and the synthesis of a wire v3 payload, if any


class ServerLoad(_Model):
    """A decoder's load as its scheduler predicts it (in every answer, ``GET /v1/load``, and in Redis)."""

    queue_depth: int  # requests waiting for a batch
    wait_ms: dict[int, float]  # per α: how long a new request would wait before its batch starts
    busy: bool  # a batch is running
    # The server's time per request: what each may cost it for the requests offered (admitted or refused) to
    # keep it at its target utilisation (None: nothing offered yet), and what one of α costs it when busy (its
    # share of a full batch). Controllers mix budgets to fit (policy.ServerShare).
    budget_ms: float | None = None
    cost_ms: dict[int, float] = {}
    # Per encoding and α ("h264:16"): the recent decoding time of one such payload, part of a request's cost where
    # decoding shares the server's cores with the model (a CPU decoder: per core; empty where a GPU runs the model).
    decode_ms: dict[str, float] = {}


def paper_server_times(brotli_decode_ms_per_mb: float) -> ServerTimes:
    """Server times of the paper's RTX 2080 Ti (Table I; FR's cost does not depend on β), with brotli decoding
    at a measured speed (the server's CPU decodes, not its GPU)."""
    return ServerTimes(
        device="RTX 2080 Ti (paper, Table I)",
        fr_ms=dict(PAPER_FR_MS),
        vit_ms=dict(PAPER_VIT_MS),
        brotli_decode_ms_per_mb=brotli_decode_ms_per_mb,
    )
