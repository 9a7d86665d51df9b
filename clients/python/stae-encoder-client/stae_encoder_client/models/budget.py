from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

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
     """

    alpha: int
    beta: float
    entropy: str
    fixed: bool
    frame_indices: list[int]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        alpha = self.alpha

        beta = self.beta

        entropy = self.entropy

        fixed = self.fixed

        frame_indices = self.frame_indices




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "alpha": alpha,
            "beta": beta,
            "entropy": entropy,
            "fixed": fixed,
            "frame_indices": frame_indices,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        alpha = d.pop("alpha")

        beta = d.pop("beta")

        entropy = d.pop("entropy")

        fixed = d.pop("fixed")

        frame_indices = cast(list[int], d.pop("frame_indices"))


        budget = cls(
            alpha=alpha,
            beta=beta,
            entropy=entropy,
            fixed=fixed,
            frame_indices=frame_indices,
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
