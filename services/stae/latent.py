"""What camera and edge share for wire v3, without torch: the per-level gains, the integer entropy tables, and
the layout of symbols in a stream.

A checkpoint with a learned latent codec carries ``latent.json`` (written by ``stae finetune-latent``): the
gains (levels x channels, float32) and one integer frequency table per (level, channel) over the symbols
[-K, K]. Its ``tables_id`` (CRC-32 of the integers) goes into every payload, so an edge holding other tables
refuses the payload instead of decoding garbage.

Symbols are coded in the order of the (α, channels, h, w) array, row-major; the symbol of channel c at level l
uses table ``l * channels + c``.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from stae import rans

LATENT_FILE = "latent.json"
FORMAT = "stae-latent/1"


@dataclass(frozen=True)
class LatentTables:
    gains: npt.NDArray[np.float32]  # (levels, channels)
    tables: rans.Tables  # (levels * channels, 2K + 1)
    max_symbol: int

    @property
    def levels(self) -> int:
        return int(self.gains.shape[0])

    @property
    def channels(self) -> int:
        return int(self.gains.shape[1])

    @property
    def tables_id(self) -> int:
        return zlib.crc32(self.tables.freqs.astype("<i4").tobytes())

    @classmethod
    def from_counts(cls, gains: npt.ArrayLike, counts: npt.ArrayLike, max_symbol: int) -> LatentTables:
        """Tables from symbol counts (levels, channels, 2K+1) over a training set (+1 smoothing)."""
        c = np.asarray(counts, dtype=np.float64) + 1.0
        g = np.asarray(gains, dtype=np.float32)
        freqs = rans.quantize_table(c.reshape(-1, c.shape[-1]))
        return cls(g, rans.Tables(freqs), max_symbol)

    def save(self, folder: Path) -> Path:
        doc = {
            "format": FORMAT,
            "max_symbol": self.max_symbol,
            "precision": rans.PRECISION,
            "tables_id": self.tables_id,
            "gains": self.gains.tolist(),
            "freqs": self.tables.freqs.tolist(),
        }
        path = folder / LATENT_FILE
        path.write_text(json.dumps(doc) + "\n")
        return path

    @classmethod
    def load(cls, folder: Path) -> LatentTables:
        path = folder / LATENT_FILE
        try:
            doc: dict[str, Any] = json.loads(path.read_text())
            if doc.get("format") != FORMAT or doc.get("precision") != rans.PRECISION:
                raise ValueError(f"format {doc.get('format')!r} at precision {doc.get('precision')}")
            out = cls(
                np.asarray(doc["gains"], dtype=np.float32),
                rans.Tables(np.asarray(doc["freqs"], dtype=np.int64)),
                int(doc["max_symbol"]),
            )
            if out.tables.count != out.levels * out.channels or out.tables.symbols != 2 * out.max_symbol + 1:
                raise ValueError("tables do not match the gains' levels x channels and the symbol range")
            if out.tables_id != doc["tables_id"]:
                raise ValueError("tables_id does not match the tables")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path} is not a valid latent table file: {exc}") from None
        rans.warm_up()
        return out

    def table_ids(self, shape: tuple[int, ...], level: int) -> npt.NDArray[np.int64]:
        """Table id of every symbol of an (α, channels, h, w) array at ``level``, flattened."""
        a, c, h, w = shape
        ids = level * self.channels + np.arange(c, dtype=np.int64)
        return np.broadcast_to(ids[None, :, None, None], (a, c, h, w)).ravel()

    def quantize(self, latent: npt.NDArray[np.float32], level: int) -> npt.NDArray[np.int64]:
        """(α, channels, h, w) analysis output -> symbol values in [-K, K] at ``level``."""
        z = latent * self.gains[level][None, :, None, None]
        return np.clip(np.rint(z), -self.max_symbol, self.max_symbol).astype(np.int64)

    def encode(self, values: npt.NDArray[np.int64], level: int) -> bytes:
        return self.tables.encode(values.ravel() + self.max_symbol, self.table_ids(values.shape, level))

    def decode(self, stream: bytes, shape: tuple[int, int, int, int], level: int) -> npt.NDArray[np.int64]:
        """The symbol values (α, channels, h, w) of a stream; rans.RansError when it is not one."""
        flat = self.tables.decode(stream, self.table_ids(shape, level))
        return flat.reshape(shape) - self.max_symbol
