"""Range asymmetric numeral systems (rANS) over static integer frequency tables: the entropy coder of wire v3.

Camera and edge must agree on every probability, to the last bit, or the decoder desynchronises. So nothing
here is floating point: a table is integer frequencies summing to ``2**PRECISION`` (computed once after
training and stored in the checkpoint), and the coder is integer arithmetic, identical on amd64, arm64 and any
other CPU, whether it runs as plain Python or compiled by Numba (the ``fast`` extra, ~10x faster). (The
entropy-coding libraries on the package index, constriction and range-coder, have no arm64 wheel and no source
distribution, so the camera image could not carry them.)

Scalar rANS with a 32-bit state and 16-bit renormalisation (Duda 2013; the layout of Fabian Giesen's
``rans_word``): symbols are coded in reverse, so the decoder reads them forwards; the stream ends with the
final state. Every symbol names its table (one table per latent channel).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

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


def _encode_py(freq: Any, start: Any, words: Any) -> tuple[int, int]:
    """The coder's state through ``freq``/``start`` (each symbol's frequency and cumulative start, last symbol
    first); the 16-bit words it emits go to ``words``. Returns (final state, words written)."""
    x, n = _L, 0
    for f, c in zip(freq, start):  # noqa: B905 - Numba's zip takes no `strict`; the caller sizes both alike
        if x >= f << (32 - PRECISION):
            words[n] = x & _MASK16
            x >>= 16
            n += 1
        x = ((x // f) << PRECISION) + (x % f) + c
    return x, n


def _decode_py(words: Any, tid: Any, lut: Any, freqs: Any, starts: Any, k: int, out: Any) -> tuple[int, int, int]:
    """Symbols into ``out`` with tables ``tid`` (flat per-table arrays: ``lut`` slot -> symbol, ``freqs`` and
    ``starts`` by symbol, ``k`` symbols a table). Returns (symbols decoded, words read, final state): fewer
    symbols than asked when the stream ran out."""
    x = (words[0] << 16) | words[1]
    pos, end = 2, len(words)
    for i in range(len(tid)):
        t = tid[i]
        slot = x & (_M - 1)
        s = lut[t * _M + slot]
        out[i] = s
        x = freqs[t * k + s] * (x >> PRECISION) + slot - starts[t * k + s]
        if x < _L:
            if pos == end:
                return i + 1, pos, x
            x = (x << 16) | words[pos]
            pos += 1
    return len(tid), pos, x


def _compiled() -> tuple[Callable[..., tuple[int, int]], Callable[..., tuple[int, int, int]]] | None:
    """The same two loops compiled by Numba where it is installed (the `fast` extra; bit-identical, since every
    value is a non-negative integer below 2**48, and ~10x faster)."""
    try:
        import numba
    except ImportError:  # pragma: no cover - depends on the install
        return None
    return numba.njit(nogil=True)(_encode_py), numba.njit(nogil=True)(_decode_py)


_jit = _compiled()
_encode_loop: Callable[..., tuple[int, int]] = _jit[0] if _jit else _encode_py
_decode_loop: Callable[..., tuple[int, int, int]] = _jit[1] if _jit else _decode_py


@contextmanager
def plain_python() -> Iterator[None]:
    """Run the coder as plain Python inside the block (what a camera without Numba runs): for comparing the two."""
    global _jit, _encode_loop, _decode_loop
    saved = _jit, _encode_loop, _decode_loop
    _jit, _encode_loop, _decode_loop = None, _encode_py, _decode_py
    try:
        yield
    finally:
        _jit, _encode_loop, _decode_loop = saved


def warm_up() -> None:
    """Compile the loops now (about a second with Numba, nothing without), not on a request's clock."""
    t = Tables([[_M // 2, _M // 2]])
    t.decode(t.encode([0, 1], [0, 0]), [0, 0])


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
        self._lookups: tuple[npt.NDArray[Any], ...] | None = None  # the decoder's, built on first use
        self._lookup_lists: tuple[list[int], ...] | None = None  # the same as lists, for plain Python

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
        f: Any = self.freqs.ravel()[flat[::-1]]  # coded last symbol first
        c: Any = self.starts.ravel()[flat[::-1]]
        words: Any = np.empty(sym.size, dtype=np.int64)  # at most one word per symbol
        if _jit is None:
            f, c, words = f.tolist(), c.tolist(), words.tolist()  # plain Python runs fastest on lists
        x, n = _encode_loop(f, c, words)
        # Decoder order: the final state (two words, high first), then the words in reverse order of writing.
        out = np.empty(2 + n, dtype="<u2")
        out[0], out[1] = x >> 16, x & _MASK16
        out[2:] = np.asarray(words[:n], dtype=np.int64)[::-1]
        return out.tobytes()

    def decode(self, data: bytes, table_ids: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """The symbols (n,) that ``encode`` coded with these table ids; RansError when ``data`` is not such a
        stream. Work is bounded by n and len(data)."""
        tid = np.asarray(table_ids, dtype=np.int64).ravel()
        if tid.size and (tid.min() < 0 or tid.max() >= self.count):
            raise ValueError(f"table ids must be in [0, {self.count})")
        if len(data) < 4 or len(data) % 2:
            raise RansError(f"a stream is an even number of bytes, at least 4; got {len(data)}")
        if self._lookups is None:  # slot -> symbol table after table, and each symbol's frequency and start
            k = np.arange(self.symbols, dtype=np.int8)
            lut = np.concatenate([np.repeat(k, row) for row in self.freqs])
            self._lookups = (lut, self.freqs.ravel(), self.starts.ravel())
        words = np.frombuffer(data, dtype="<u2").astype(np.int64)
        if _jit is None:
            if self._lookup_lists is None:  # plain Python runs fastest on lists
                self._lookup_lists = tuple(a.tolist() for a in self._lookups)
            res = [0] * tid.size
            done, pos, x = _decode_loop(words.tolist(), tid.tolist(), *self._lookup_lists, self.symbols, res)
            out = np.asarray(res, dtype=np.int64)
        else:
            out = np.empty(tid.size, dtype=np.int64)
            done, pos, x = _decode_loop(words, tid, *self._lookups, self.symbols, out)
        if done < tid.size:
            raise RansError(f"stream ended after {done} of {tid.size} symbols")
        if pos != len(data) // 2 or x != _L:
            raise RansError("stream does not end where its symbols do: corrupt, or coded with other tables")
        return out
