from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast






T = TypeVar("T", bound="LastAnswer")



@_attrs_define
class LastAnswer:
    """ 
        Attributes:
            alpha (int):
            at (float):
            beta (float):
            deadline_met (bool):
            deadline_ms (float):
            encoding (str):
            level (int | None):
            mode (str):
            payload_bytes (int):
            predicted_accuracy (float):
            total_ms (float):
     """

    alpha: int
    at: float
    beta: float
    deadline_met: bool
    deadline_ms: float
    encoding: str
    level: int | None
    mode: str
    payload_bytes: int
    predicted_accuracy: float
    total_ms: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        alpha = self.alpha

        at = self.at

        beta = self.beta

        deadline_met = self.deadline_met

        deadline_ms = self.deadline_ms

        encoding = self.encoding

        level: int | None
        level = self.level

        mode = self.mode

        payload_bytes = self.payload_bytes

        predicted_accuracy = self.predicted_accuracy

        total_ms = self.total_ms


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "alpha": alpha,
            "at": at,
            "beta": beta,
            "deadline_met": deadline_met,
            "deadline_ms": deadline_ms,
            "encoding": encoding,
            "level": level,
            "mode": mode,
            "payload_bytes": payload_bytes,
            "predicted_accuracy": predicted_accuracy,
            "total_ms": total_ms,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        alpha = d.pop("alpha")

        at = d.pop("at")

        beta = d.pop("beta")

        deadline_met = d.pop("deadline_met")

        deadline_ms = d.pop("deadline_ms")

        encoding = d.pop("encoding")

        def _parse_level(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        level = _parse_level(d.pop("level"))


        mode = d.pop("mode")

        payload_bytes = d.pop("payload_bytes")

        predicted_accuracy = d.pop("predicted_accuracy")

        total_ms = d.pop("total_ms")

        last_answer = cls(
            alpha=alpha,
            at=at,
            beta=beta,
            deadline_met=deadline_met,
            deadline_ms=deadline_ms,
            encoding=encoding,
            level=level,
            mode=mode,
            payload_bytes=payload_bytes,
            predicted_accuracy=predicted_accuracy,
            total_ms=total_ms,
        )


        last_answer.additional_properties = d
        return last_answer

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
