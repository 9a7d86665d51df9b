from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="PayloadInfo")



@_attrs_define
class PayloadInfo:
    """ 
        Attributes:
            bytes_ (int):
            eq1_bytes (int):
            ratio_vs_float32 (float):
            ratio_vs_uint8 (float):
     """

    bytes_: int
    eq1_bytes: int
    ratio_vs_float32: float
    ratio_vs_uint8: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        bytes_ = self.bytes_

        eq1_bytes = self.eq1_bytes

        ratio_vs_float32 = self.ratio_vs_float32

        ratio_vs_uint8 = self.ratio_vs_uint8


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "bytes": bytes_,
            "eq1_bytes": eq1_bytes,
            "ratio_vs_float32": ratio_vs_float32,
            "ratio_vs_uint8": ratio_vs_uint8,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        bytes_ = d.pop("bytes")

        eq1_bytes = d.pop("eq1_bytes")

        ratio_vs_float32 = d.pop("ratio_vs_float32")

        ratio_vs_uint8 = d.pop("ratio_vs_uint8")

        payload_info = cls(
            bytes_=bytes_,
            eq1_bytes=eq1_bytes,
            ratio_vs_float32=ratio_vs_float32,
            ratio_vs_uint8=ratio_vs_uint8,
        )


        payload_info.additional_properties = d
        return payload_info

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
