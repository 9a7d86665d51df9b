from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.camera_status import CameraStatus
  from ..models.deadline_bucket import DeadlineBucket
  from ..models.decoder_status import DecoderStatus





T = TypeVar("T", bound="Status")



@_attrs_define
class Status:
    """ 
        Attributes:
            bucket_s (float):
            cameras (list[CameraStatus]):
            deadlines (list[DeadlineBucket]):
            decoder (DecoderStatus):
            generated_at (float):
            payload_bytes (list[list[float | int]]):
            profile_model (None | str):
            redis_up (bool):
            window_s (float):
     """

    bucket_s: float
    cameras: list[CameraStatus]
    deadlines: list[DeadlineBucket]
    decoder: DecoderStatus
    generated_at: float
    payload_bytes: list[list[float | int]]
    profile_model: None | str
    redis_up: bool
    window_s: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.camera_status import CameraStatus # noqa: PLC0415
        from ..models.deadline_bucket import DeadlineBucket # noqa: PLC0415
        from ..models.decoder_status import DecoderStatus # noqa: PLC0415
        bucket_s = self.bucket_s

        cameras = []
        for cameras_item_data in self.cameras:
            cameras_item = cameras_item_data.to_dict()
            cameras.append(cameras_item)



        deadlines = []
        for deadlines_item_data in self.deadlines:
            deadlines_item = deadlines_item_data.to_dict()
            deadlines.append(deadlines_item)



        decoder = self.decoder.to_dict()

        generated_at = self.generated_at

        payload_bytes = []
        for payload_bytes_item_data in self.payload_bytes:
            payload_bytes_item = []
            for payload_bytes_item_item_data in payload_bytes_item_data:
                payload_bytes_item_item: float | int
                payload_bytes_item_item = payload_bytes_item_item_data
                payload_bytes_item.append(payload_bytes_item_item)


            payload_bytes.append(payload_bytes_item)



        profile_model: None | str
        profile_model = self.profile_model

        redis_up = self.redis_up

        window_s = self.window_s


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "bucket_s": bucket_s,
            "cameras": cameras,
            "deadlines": deadlines,
            "decoder": decoder,
            "generated_at": generated_at,
            "payload_bytes": payload_bytes,
            "profile_model": profile_model,
            "redis_up": redis_up,
            "window_s": window_s,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.camera_status import CameraStatus # noqa: PLC0415
        from ..models.deadline_bucket import DeadlineBucket # noqa: PLC0415
        from ..models.decoder_status import DecoderStatus # noqa: PLC0415
        d = dict(src_dict)
        bucket_s = d.pop("bucket_s")

        cameras = []
        _cameras = d.pop("cameras")
        for cameras_item_data in (_cameras):
            cameras_item = CameraStatus.from_dict(cameras_item_data)



            cameras.append(cameras_item)


        deadlines = []
        _deadlines = d.pop("deadlines")
        for deadlines_item_data in (_deadlines):
            deadlines_item = DeadlineBucket.from_dict(deadlines_item_data)



            deadlines.append(deadlines_item)


        decoder = DecoderStatus.from_dict(d.pop("decoder"))




        generated_at = d.pop("generated_at")

        payload_bytes = []
        _payload_bytes = d.pop("payload_bytes")
        for payload_bytes_item_data in (_payload_bytes):
            payload_bytes_item = []
            _payload_bytes_item = payload_bytes_item_data
            for payload_bytes_item_item_data in (_payload_bytes_item):
                def _parse_payload_bytes_item_item(data: object) -> float | int:
                    return cast(float | int, data)

                payload_bytes_item_item = _parse_payload_bytes_item_item(payload_bytes_item_item_data)

                payload_bytes_item.append(payload_bytes_item_item)

            payload_bytes.append(payload_bytes_item)


        def _parse_profile_model(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        profile_model = _parse_profile_model(d.pop("profile_model"))


        redis_up = d.pop("redis_up")

        window_s = d.pop("window_s")

        status = cls(
            bucket_s=bucket_s,
            cameras=cameras,
            deadlines=deadlines,
            decoder=decoder,
            generated_at=generated_at,
            payload_bytes=payload_bytes,
            profile_model=profile_model,
            redis_up=redis_up,
            window_s=window_s,
        )


        status.additional_properties = d
        return status

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
