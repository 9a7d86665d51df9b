from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.profile_entry_encoding import ProfileEntryEncoding
from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="ProfileEntry")



@_attrs_define
class ProfileEntry:
    """ 
        Attributes:
            accuracy (float):
            alpha (int):
            beta (float):
            bytes_brotli (float):
            bytes_none (float):
            ed_ms (float):
            ee_ms (float):
            fa_ms (float):
            fr_ms (float):
            pack_ms (float):
            sa_ms (float):
            vit_ms (float):
            bytes_p95 (float | None | Unset):
            encoding (ProfileEntryEncoding | Unset):  Default: ProfileEntryEncoding.LOSSLESS.
            level (int | None | Unset):
            max_bytes (int | None | Unset):
            over_budget (float | Unset):  Default: 0.0.
            scale (int | Unset):  Default: 1.
     """

    accuracy: float
    alpha: int
    beta: float
    bytes_brotli: float
    bytes_none: float
    ed_ms: float
    ee_ms: float
    fa_ms: float
    fr_ms: float
    pack_ms: float
    sa_ms: float
    vit_ms: float
    bytes_p95: float | None | Unset = UNSET
    encoding: ProfileEntryEncoding | Unset = ProfileEntryEncoding.LOSSLESS
    level: int | None | Unset = UNSET
    max_bytes: int | None | Unset = UNSET
    over_budget: float | Unset = 0.0
    scale: int | Unset = 1





    def to_dict(self) -> dict[str, Any]:
        accuracy = self.accuracy

        alpha = self.alpha

        beta = self.beta

        bytes_brotli = self.bytes_brotli

        bytes_none = self.bytes_none

        ed_ms = self.ed_ms

        ee_ms = self.ee_ms

        fa_ms = self.fa_ms

        fr_ms = self.fr_ms

        pack_ms = self.pack_ms

        sa_ms = self.sa_ms

        vit_ms = self.vit_ms

        bytes_p95: float | None | Unset
        if isinstance(self.bytes_p95, Unset):
            bytes_p95 = UNSET
        else:
            bytes_p95 = self.bytes_p95

        encoding: str | Unset = UNSET
        if not isinstance(self.encoding, Unset):
            encoding = self.encoding.value


        level: int | None | Unset
        if isinstance(self.level, Unset):
            level = UNSET
        else:
            level = self.level

        max_bytes: int | None | Unset
        if isinstance(self.max_bytes, Unset):
            max_bytes = UNSET
        else:
            max_bytes = self.max_bytes

        over_budget = self.over_budget

        scale = self.scale


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "accuracy": accuracy,
            "alpha": alpha,
            "beta": beta,
            "bytes_brotli": bytes_brotli,
            "bytes_none": bytes_none,
            "ed_ms": ed_ms,
            "ee_ms": ee_ms,
            "fa_ms": fa_ms,
            "fr_ms": fr_ms,
            "pack_ms": pack_ms,
            "sa_ms": sa_ms,
            "vit_ms": vit_ms,
        })
        if bytes_p95 is not UNSET:
            field_dict["bytes_p95"] = bytes_p95
        if encoding is not UNSET:
            field_dict["encoding"] = encoding
        if level is not UNSET:
            field_dict["level"] = level
        if max_bytes is not UNSET:
            field_dict["max_bytes"] = max_bytes
        if over_budget is not UNSET:
            field_dict["over_budget"] = over_budget
        if scale is not UNSET:
            field_dict["scale"] = scale

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        accuracy = d.pop("accuracy")

        alpha = d.pop("alpha")

        beta = d.pop("beta")

        bytes_brotli = d.pop("bytes_brotli")

        bytes_none = d.pop("bytes_none")

        ed_ms = d.pop("ed_ms")

        ee_ms = d.pop("ee_ms")

        fa_ms = d.pop("fa_ms")

        fr_ms = d.pop("fr_ms")

        pack_ms = d.pop("pack_ms")

        sa_ms = d.pop("sa_ms")

        vit_ms = d.pop("vit_ms")

        def _parse_bytes_p95(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        bytes_p95 = _parse_bytes_p95(d.pop("bytes_p95", UNSET))


        _encoding = d.pop("encoding", UNSET)
        encoding: ProfileEntryEncoding | Unset
        if isinstance(_encoding,  Unset):
            encoding = UNSET
        else:
            encoding = ProfileEntryEncoding(_encoding)




        def _parse_level(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        level = _parse_level(d.pop("level", UNSET))


        def _parse_max_bytes(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_bytes = _parse_max_bytes(d.pop("max_bytes", UNSET))


        over_budget = d.pop("over_budget", UNSET)

        scale = d.pop("scale", UNSET)

        profile_entry = cls(
            accuracy=accuracy,
            alpha=alpha,
            beta=beta,
            bytes_brotli=bytes_brotli,
            bytes_none=bytes_none,
            ed_ms=ed_ms,
            ee_ms=ee_ms,
            fa_ms=fa_ms,
            fr_ms=fr_ms,
            pack_ms=pack_ms,
            sa_ms=sa_ms,
            vit_ms=vit_ms,
            bytes_p95=bytes_p95,
            encoding=encoding,
            level=level,
            max_bytes=max_bytes,
            over_budget=over_budget,
            scale=scale,
        )

        return profile_entry

