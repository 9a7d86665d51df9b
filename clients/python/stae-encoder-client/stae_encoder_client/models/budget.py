from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.budget_encoding import BudgetEncoding
from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="Budget")



@_attrs_define
class Budget:
    """ 
        Attributes:
            alpha (int):
            beta (float):
            entropy (str):
            fixed (bool):
            frame_indices (list[int]):
            crf (int | None | Unset):
            encoding (BudgetEncoding | Unset):  Default: BudgetEncoding.LOSSLESS.
            level (int | None | Unset):
            max_bytes (int | None | Unset):
            scale (int | Unset):  Default: 1.
     """

    alpha: int
    beta: float
    entropy: str
    fixed: bool
    frame_indices: list[int]
    crf: int | None | Unset = UNSET
    encoding: BudgetEncoding | Unset = BudgetEncoding.LOSSLESS
    level: int | None | Unset = UNSET
    max_bytes: int | None | Unset = UNSET
    scale: int | Unset = 1
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        alpha = self.alpha

        beta = self.beta

        entropy = self.entropy

        fixed = self.fixed

        frame_indices = self.frame_indices



        crf: int | None | Unset
        if isinstance(self.crf, Unset):
            crf = UNSET
        else:
            crf = self.crf

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

        scale = self.scale


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "alpha": alpha,
            "beta": beta,
            "entropy": entropy,
            "fixed": fixed,
            "frame_indices": frame_indices,
        })
        if crf is not UNSET:
            field_dict["crf"] = crf
        if encoding is not UNSET:
            field_dict["encoding"] = encoding
        if level is not UNSET:
            field_dict["level"] = level
        if max_bytes is not UNSET:
            field_dict["max_bytes"] = max_bytes
        if scale is not UNSET:
            field_dict["scale"] = scale

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        alpha = d.pop("alpha")

        beta = d.pop("beta")

        entropy = d.pop("entropy")

        fixed = d.pop("fixed")

        frame_indices = cast(list[int], d.pop("frame_indices"))


        def _parse_crf(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        crf = _parse_crf(d.pop("crf", UNSET))


        _encoding = d.pop("encoding", UNSET)
        encoding: BudgetEncoding | Unset
        if isinstance(_encoding,  Unset):
            encoding = UNSET
        else:
            encoding = BudgetEncoding(_encoding)




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


        scale = d.pop("scale", UNSET)

        budget = cls(
            alpha=alpha,
            beta=beta,
            entropy=entropy,
            fixed=fixed,
            frame_indices=frame_indices,
            crf=crf,
            encoding=encoding,
            level=level,
            max_bytes=max_bytes,
            scale=scale,
        )


        budget.additional_properties = d
        return budget

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
