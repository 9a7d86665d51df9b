"""Range asymmetric numeral systems (rANS) over static integer frequency tables: the entropy coder of wire v3.

Camera and edge must agree on every probability, to the last bit, or the decoder desynchronises. So nothing
here is floating point: a table is integer frequencies summing to ``2**PRECISION`` (computed once after
training and stored in the checkpoint), and the coder is Python integer arithmetic, identical on amd64, arm64
and any other CPU. (The entropy-coding libraries on the package index, constriction and range-coder, have no
arm64 wheel and no source distribution, so the camera image could not carry them.)

Scalar rANS with a 32-bit state and 16-bit renormalisation (Duda 2013; the layout of Fabian Giesen's
``rans_word``): symbols are coded in reverse, so the decoder reads them forwards; the stream ends with the
final state. Every symbol names its table (one table per latent channel).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

PRECISION = 14  # table frequencies sum to 2**14
_M = 1 << PRECISION
_L = 1 << 16  # the state stays in [_L, 2**32)
_MASK16 = 0xFFFF


class RansError(ValueError):
    """A stream that does not decode with these tables (corrupt, truncated or from another model)."""


def quantize_table(probs: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Probabilities (..., K) -> integer frequencies (..., K), each >= 1, every row summing to 2**PRECISION.
    Deterministic: the largest entries absorb the rounding remainder, ties broken by position."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim < 1 or p.shape[-1] < 2 or p.shape[-1] > _M // 2:
        raise ValueError(f"a table needs 2 to {_M // 2} symbols, got shape {p.shape}")
    if not np.isfinite(p).all() or (p < 0).any():
        raise ValueError("probabilities must be finite and non-negative")
    rows = p.reshape(-1, p.shape[-1])
    out = np.empty(rows.shape, dtype=np.int64)
    k = rows.shape[1]
    for i, row in enumerate(rows):
        total = row.sum()
        share = row / total if total > 0 else np.full(k, 1.0 / k)
        freq = np.maximum(1, np.floor(share * (_M - k)).astype(np.int64) + 1)
        rest = _M - int(freq.sum())
        order = np.argsort(-share, kind="stable")
        j = 0
        while rest != 0:  # hand out (or take back) the remainder one unit at a time, biggest first
            s = order[j % k]
            if rest > 0:
                freq[s] += 1
                rest -= 1
            elif freq[s] > 1:
                freq[s] -= 1
                rest += 1
            j += 1
        out[i] = freq
    return out.reshape(p.shape)


class Tables:
    """A set of integer frequency tables (tables, K), validated once; ``encode``/``decode`` code with them."""

    def __init__(self, freqs: npt.ArrayLike) -> None:
        f = np.asarray(freqs, dtype=np.int64)
        if f.ndim != 2 or f.shape[1] < 2 or f.shape[1] > 127:
            raise ValueError(f"tables must be (tables, 2..127 symbols), got shape {f.shape}")
        if (f < 1).any() or (f.sum(axis=1) != _M).any():
            raise ValueError(f"every frequency must be >= 1 and every table must sum to {_M}")
        self.freqs = f
        self.starts = np.concatenate([np.zeros((f.shape[0], 1), np.int64), np.cumsum(f, axis=1)[:, :-1]], axis=1)
        self._lut: list[list[int]] | None = None

    @property
    def count(self) -> int:
        return int(self.freqs.shape[0])

    @property
    def symbols(self) -> int:
        return int(self.freqs.shape[1])

    def bits(self, symbols: npt.ArrayLike, table_ids: npt.ArrayLike) -> float:
        """The ideal code length of ``symbols`` with these tables (what ``encode`` spends, within a few bits)."""
        f = self.freqs[np.asarray(table_ids, dtype=np.int64), np.asarray(symbols, dtype=np.int64)]
        return float(np.sum(PRECISION - np.log2(f)))

    def encode(self, symbols: npt.ArrayLike, table_ids: npt.ArrayLike) -> bytes:
        """Code ``symbols`` (n,) in [0, K), symbol i with table ``table_ids[i]``."""
        sym = np.asarray(symbols, dtype=np.int64).ravel()
        tid = np.asarray(table_ids, dtype=np.int64).ravel()
        if sym.shape != tid.shape:
            raise ValueError(f"{sym.size} symbols but {tid.size} table ids")
        k = self.symbols
        if sym.size and (sym.min() < 0 or sym.max() >= k or tid.min() < 0 or tid.max() >= self.count):
            raise ValueError(f"symbols must be in [0, {k}) and table ids in [0, {self.count})")
        flat = tid * k + sym
        f_list = self.freqs.ravel()[flat].tolist()
        c_list = self.starts.ravel()[flat].tolist()
        words: list[int] = []
        x = _L
        shift = 32 - PRECISION
        for f, c in zip(reversed(f_list), reversed(c_list), strict=True):
            if x >= f << shift:
                words.append(x & _MASK16)
                x >>= 16
            x = ((x // f) << PRECISION) + (x % f) + c
        # Decoder order: the final state (two words, high first), then the words in reverse order of writing.
        out = np.empty(2 + len(words), dtype="<u2")
        out[0], out[1] = x >> 16, x & _MASK16
        out[2:] = words[::-1]
        return out.tobytes()

    def decode(self, data: bytes, table_ids: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """The symbols (n,) that ``encode`` coded with these table ids; RansError when ``data`` is not such a
        stream. Work is bounded by n and len(data)."""
        tid = np.asarray(table_ids, dtype=np.int64).ravel()
        if tid.size and (tid.min() < 0 or tid.max() >= self.count):
            raise ValueError(f"table ids must be in [0, {self.count})")
        if len(data) < 4 or len(data) % 2:
            raise RansError(f"a stream is an even number of bytes, at least 4; got {len(data)}")
        if self._lut is None:  # slot -> symbol, per table (built once, on the first decode)
            k = np.arange(self.symbols, dtype=np.int64)
            self._lut = [np.repeat(k, row).tolist() for row in self.freqs]
        lut = self._lut
        f_rows, c_rows = self.freqs.tolist(), self.starts.tolist()
        words = np.frombuffer(data, dtype="<u2").tolist()
        x = (words[0] << 16) | words[1]
        pos, end = 2, len(words)
        out = [0] * tid.size
        mask = _M - 1
        for i, t in enumerate(tid.tolist()):
            slot = x & mask
            s = lut[t][slot]
            out[i] = s
            x = f_rows[t][s] * (x >> PRECISION) + slot - c_rows[t][s]
            if x < _L:
                if pos == end:
                    raise RansError(f"stream ended after {i + 1} of {tid.size} symbols")
                x = (x << 16) | words[pos]
                pos += 1
        if pos != end or x != _L:
            raise RansError("stream does not end where its symbols do: corrupt, or coded with other tables")
        return np.asarray(out, dtype=np.int64)
