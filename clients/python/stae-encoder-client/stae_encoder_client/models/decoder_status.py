from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.decoder_status_load_type_0 import DecoderStatusLoadType0





T = TypeVar("T", bound="DecoderStatus")



@_attrs_define
class DecoderStatus:
    """ 
        Attributes:
            load (DecoderStatusLoadType0 | None):
            load_at (float | None):
            ready (bool):
     """

    load: DecoderStatusLoadType0 | None
    load_at: float | None
    ready: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.decoder_status_load_type_0 import DecoderStatusLoadType0 # noqa: PLC0415
        load: dict[str, Any] | None
        if isinstance(self.load, DecoderStatusLoadType0):
            load = self.load.to_dict()
        else:
            load = self.load

        load_at: float | None
        load_at = self.load_at

        ready = self.ready


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "load": load,
            "load_at": load_at,
            "ready": ready,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.decoder_status_load_type_0 import DecoderStatusLoadType0 # noqa: PLC0415
        d = dict(src_dict)
        def _parse_load(data: object) -> DecoderStatusLoadType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                load_type_0 = DecoderStatusLoadType0.from_dict(data)



                return load_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DecoderStatusLoadType0 | None, data)

        load = _parse_load(d.pop("load"))


        def _parse_load_at(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        load_at = _parse_load_at(d.pop("load_at"))


        ready = d.pop("ready")

        decoder_status = cls(
            load=load,
            load_at=load_at,
            ready=ready,
        )


        decoder_status.additional_properties = d
        return decoder_status

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
