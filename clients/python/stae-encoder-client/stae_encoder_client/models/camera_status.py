from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.last_answer import LastAnswer





T = TypeVar("T", bound="CameraStatus")



@_attrs_define
class CameraStatus:
    """ 
        Attributes:
            bandwidth_bps (float | None):
            camera_id (str):
            last (LastAnswer | None):
            latency_ms (float):
            samples (int):
            updated_at (float | None):
     """

    bandwidth_bps: float | None
    camera_id: str
    last: LastAnswer | None
    latency_ms: float
    samples: int
    updated_at: float | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.last_answer import LastAnswer # noqa: PLC0415
        bandwidth_bps: float | None
        bandwidth_bps = self.bandwidth_bps

        camera_id = self.camera_id

        last: dict[str, Any] | None
        if isinstance(self.last, LastAnswer):
            last = self.last.to_dict()
        else:
            last = self.last

        latency_ms = self.latency_ms

        samples = self.samples

        updated_at: float | None
        updated_at = self.updated_at


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "bandwidth_bps": bandwidth_bps,
            "camera_id": camera_id,
            "last": last,
            "latency_ms": latency_ms,
            "samples": samples,
            "updated_at": updated_at,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.last_answer import LastAnswer # noqa: PLC0415
        d = dict(src_dict)
        def _parse_bandwidth_bps(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        bandwidth_bps = _parse_bandwidth_bps(d.pop("bandwidth_bps"))


        camera_id = d.pop("camera_id")

        def _parse_last(data: object) -> LastAnswer | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                last_type_0 = LastAnswer.from_dict(data)



                return last_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(LastAnswer | None, data)

        last = _parse_last(d.pop("last"))


        latency_ms = d.pop("latency_ms")

        samples = d.pop("samples")

        def _parse_updated_at(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        updated_at = _parse_updated_at(d.pop("updated_at"))


        camera_status = cls(
            bandwidth_bps=bandwidth_bps,
            camera_id=camera_id,
            last=last,
            latency_ms=latency_ms,
            samples=samples,
            updated_at=updated_at,
        )


        camera_status.additional_properties = d
        return camera_status

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
