from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







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
        )

        return profile_entry

