from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="CameraState")



@_attrs_define
class CameraState:
    """ 
        Attributes:
            bandwidth_bps (float | None):
            camera_id (str):
            last_sample_bps (float | None):
            samples (int):
            updated_at (float | None):
            latency_ms (float | Unset): median of the last latency samples (transfers of small payloads) Default: 0.0.
     """

    bandwidth_bps: float | None
    camera_id: str
    last_sample_bps: float | None
    samples: int
    updated_at: float | None
    latency_ms: float | Unset = 0.0
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        bandwidth_bps: float | None
        bandwidth_bps = self.bandwidth_bps

        camera_id = self.camera_id

        last_sample_bps: float | None
        last_sample_bps = self.last_sample_bps

        samples = self.samples

        updated_at: float | None
        updated_at = self.updated_at

        latency_ms = self.latency_ms


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "bandwidth_bps": bandwidth_bps,
            "camera_id": camera_id,
            "last_sample_bps": last_sample_bps,
            "samples": samples,
            "updated_at": updated_at,
        })
        if latency_ms is not UNSET:
            field_dict["latency_ms"] = latency_ms

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        def _parse_bandwidth_bps(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        bandwidth_bps = _parse_bandwidth_bps(d.pop("bandwidth_bps"))


        camera_id = d.pop("camera_id")

        def _parse_last_sample_bps(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        last_sample_bps = _parse_last_sample_bps(d.pop("last_sample_bps"))


        samples = d.pop("samples")

        def _parse_updated_at(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        updated_at = _parse_updated_at(d.pop("updated_at"))


        latency_ms = d.pop("latency_ms", UNSET)

        camera_state = cls(
            bandwidth_bps=bandwidth_bps,
            camera_id=camera_id,
            last_sample_bps=last_sample_bps,
            samples=samples,
            updated_at=updated_at,
            latency_ms=latency_ms,
        )


        camera_state.additional_properties = d
        return camera_state

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
