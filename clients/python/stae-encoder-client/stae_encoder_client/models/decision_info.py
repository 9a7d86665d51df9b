from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.decision_info_bandwidth_source import DecisionInfoBandwidthSource
from ..models.decision_info_mode import DecisionInfoMode
from ..types import UNSET, Unset






T = TypeVar("T", bound="DecisionInfo")



@_attrs_define
class DecisionInfo:
    """ 
        Attributes:
            accuracy_source (str):
            bandwidth_bps (float):
            bandwidth_source (DecisionInfoBandwidthSource):
            deadline_ms (float):
            mode (DecisionInfoMode):
            predicted_accuracy (float):
            predicted_ms (float):
            reason (str):
            latency_ms (float | Unset): the camera's measured fixed cost per transfer, planned on top Default: 0.0.
     """

    accuracy_source: str
    bandwidth_bps: float
    bandwidth_source: DecisionInfoBandwidthSource
    deadline_ms: float
    mode: DecisionInfoMode
    predicted_accuracy: float
    predicted_ms: float
    reason: str
    latency_ms: float | Unset = 0.0
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        accuracy_source = self.accuracy_source

        bandwidth_bps = self.bandwidth_bps

        bandwidth_source = self.bandwidth_source.value

        deadline_ms = self.deadline_ms

        mode = self.mode.value

        predicted_accuracy = self.predicted_accuracy

        predicted_ms = self.predicted_ms

        reason = self.reason

        latency_ms = self.latency_ms


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "accuracy_source": accuracy_source,
            "bandwidth_bps": bandwidth_bps,
            "bandwidth_source": bandwidth_source,
            "deadline_ms": deadline_ms,
            "mode": mode,
            "predicted_accuracy": predicted_accuracy,
            "predicted_ms": predicted_ms,
            "reason": reason,
        })
        if latency_ms is not UNSET:
            field_dict["latency_ms"] = latency_ms

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        accuracy_source = d.pop("accuracy_source")

        bandwidth_bps = d.pop("bandwidth_bps")

        bandwidth_source = DecisionInfoBandwidthSource(d.pop("bandwidth_source"))




        deadline_ms = d.pop("deadline_ms")

        mode = DecisionInfoMode(d.pop("mode"))




        predicted_accuracy = d.pop("predicted_accuracy")

        predicted_ms = d.pop("predicted_ms")

        reason = d.pop("reason")

        latency_ms = d.pop("latency_ms", UNSET)

        decision_info = cls(
            accuracy_source=accuracy_source,
            bandwidth_bps=bandwidth_bps,
            bandwidth_source=bandwidth_source,
            deadline_ms=deadline_ms,
            mode=mode,
            predicted_accuracy=predicted_accuracy,
            predicted_ms=predicted_ms,
            reason=reason,
            latency_ms=latency_ms,
        )


        decision_info.additional_properties = d
        return decision_info

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
