from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.server_times_fr_ms import ServerTimesFrMs
  from ..models.server_times_vit_ms import ServerTimesVitMs





T = TypeVar("T", bound="ServerTimes")



@_attrs_define
class ServerTimes:
    """ What the decoder measures about itself at warm-up (``GET /v1/profile``).

        Attributes:
            brotli_decode_ms_per_mb (float):
            device (str):
            fr_ms (ServerTimesFrMs):
            vit_ms (ServerTimesVitMs):
     """

    brotli_decode_ms_per_mb: float
    device: str
    fr_ms: ServerTimesFrMs
    vit_ms: ServerTimesVitMs





    def to_dict(self) -> dict[str, Any]:
        from ..models.server_times_fr_ms import ServerTimesFrMs # noqa: PLC0415
        from ..models.server_times_vit_ms import ServerTimesVitMs # noqa: PLC0415
        brotli_decode_ms_per_mb = self.brotli_decode_ms_per_mb

        device = self.device

        fr_ms = self.fr_ms.to_dict()

        vit_ms = self.vit_ms.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "brotli_decode_ms_per_mb": brotli_decode_ms_per_mb,
            "device": device,
            "fr_ms": fr_ms,
            "vit_ms": vit_ms,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.server_times_fr_ms import ServerTimesFrMs # noqa: PLC0415
        from ..models.server_times_vit_ms import ServerTimesVitMs # noqa: PLC0415
        d = dict(src_dict)
        brotli_decode_ms_per_mb = d.pop("brotli_decode_ms_per_mb")

        device = d.pop("device")

        fr_ms = ServerTimesFrMs.from_dict(d.pop("fr_ms"))




        vit_ms = ServerTimesVitMs.from_dict(d.pop("vit_ms"))




        server_times = cls(
            brotli_decode_ms_per_mb=brotli_decode_ms_per_mb,
            device=device,
            fr_ms=fr_ms,
            vit_ms=vit_ms,
        )

        return server_times

