from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.camera_state import CameraState





T = TypeVar("T", bound="ControllerState")



@_attrs_define
class ControllerState:
    """ 
        Attributes:
            accuracy_source (None | str):
            cameras (list[CameraState]):
            local_computing (bool):
            prior_bandwidth_bps (float):
            profile_model (None | str):
            redis_error (None | str):
            redis_up (bool):
            store (str):
     """

    accuracy_source: None | str
    cameras: list[CameraState]
    local_computing: bool
    prior_bandwidth_bps: float
    profile_model: None | str
    redis_error: None | str
    redis_up: bool
    store: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.camera_state import CameraState # noqa: PLC0415
        accuracy_source: None | str
        accuracy_source = self.accuracy_source

        cameras = []
        for cameras_item_data in self.cameras:
            cameras_item = cameras_item_data.to_dict()
            cameras.append(cameras_item)



        local_computing = self.local_computing

        prior_bandwidth_bps = self.prior_bandwidth_bps

        profile_model: None | str
        profile_model = self.profile_model

        redis_error: None | str
        redis_error = self.redis_error

        redis_up = self.redis_up

        store = self.store


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "accuracy_source": accuracy_source,
            "cameras": cameras,
            "local_computing": local_computing,
            "prior_bandwidth_bps": prior_bandwidth_bps,
            "profile_model": profile_model,
            "redis_error": redis_error,
            "redis_up": redis_up,
            "store": store,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.camera_state import CameraState # noqa: PLC0415
        d = dict(src_dict)
        def _parse_accuracy_source(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        accuracy_source = _parse_accuracy_source(d.pop("accuracy_source"))


        cameras = []
        _cameras = d.pop("cameras")
        for cameras_item_data in (_cameras):
            cameras_item = CameraState.from_dict(cameras_item_data)



            cameras.append(cameras_item)


        local_computing = d.pop("local_computing")

        prior_bandwidth_bps = d.pop("prior_bandwidth_bps")

        def _parse_profile_model(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        profile_model = _parse_profile_model(d.pop("profile_model"))


        def _parse_redis_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        redis_error = _parse_redis_error(d.pop("redis_error"))


        redis_up = d.pop("redis_up")

        store = d.pop("store")

        controller_state = cls(
            accuracy_source=accuracy_source,
            cameras=cameras,
            local_computing=local_computing,
            prior_bandwidth_bps=prior_bandwidth_bps,
            profile_model=profile_model,
            redis_error=redis_error,
            redis_up=redis_up,
            store=store,
        )


        controller_state.additional_properties = d
        return controller_state

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
