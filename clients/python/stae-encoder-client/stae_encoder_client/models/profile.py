from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.profile_entry import ProfileEntry





T = TypeVar("T", bound="Profile")



@_attrs_define
class Profile:
    """ 
        Attributes:
            accuracy_source (str):
            entries (list[ProfileEntry]):
            model (str):
            camera_device (str | Unset):  Default: 'unknown'.
            server_device (str | Unset):  Default: 'unknown'.
     """

    accuracy_source: str
    entries: list[ProfileEntry]
    model: str
    camera_device: str | Unset = 'unknown'
    server_device: str | Unset = 'unknown'





    def to_dict(self) -> dict[str, Any]:
        from ..models.profile_entry import ProfileEntry # noqa: PLC0415
        accuracy_source = self.accuracy_source

        entries = []
        for entries_item_data in self.entries:
            entries_item = entries_item_data.to_dict()
            entries.append(entries_item)



        model = self.model

        camera_device = self.camera_device

        server_device = self.server_device


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "accuracy_source": accuracy_source,
            "entries": entries,
            "model": model,
        })
        if camera_device is not UNSET:
            field_dict["camera_device"] = camera_device
        if server_device is not UNSET:
            field_dict["server_device"] = server_device

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.profile_entry import ProfileEntry # noqa: PLC0415
        d = dict(src_dict)
        accuracy_source = d.pop("accuracy_source")

        entries = []
        _entries = d.pop("entries")
        for entries_item_data in (_entries):
            entries_item = ProfileEntry.from_dict(entries_item_data)



            entries.append(entries_item)


        model = d.pop("model")

        camera_device = d.pop("camera_device", UNSET)

        server_device = d.pop("server_device", UNSET)

        profile = cls(
            accuracy_source=accuracy_source,
            entries=entries,
            model=model,
            camera_device=camera_device,
            server_device=server_device,
        )

        return profile

