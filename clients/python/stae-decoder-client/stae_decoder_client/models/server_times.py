from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.server_times_fr_ms import ServerTimesFrMs
  from ..models.server_times_latent_ms import ServerTimesLatentMs
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
            latent_ms (ServerTimesLatentMs | Unset):
     """

    brotli_decode_ms_per_mb: float
    device: str
    fr_ms: ServerTimesFrMs
    vit_ms: ServerTimesVitMs
    latent_ms: ServerTimesLatentMs | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.server_times_fr_ms import ServerTimesFrMs # noqa: PLC0415
        from ..models.server_times_latent_ms import ServerTimesLatentMs # noqa: PLC0415
        from ..models.server_times_vit_ms import ServerTimesVitMs # noqa: PLC0415
        brotli_decode_ms_per_mb = self.brotli_decode_ms_per_mb

        device = self.device

        fr_ms = self.fr_ms.to_dict()

        vit_ms = self.vit_ms.to_dict()

        latent_ms: dict[str, Any] | Unset = UNSET
        if not isinstance(self.latent_ms, Unset):
            latent_ms = self.latent_ms.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "brotli_decode_ms_per_mb": brotli_decode_ms_per_mb,
            "device": device,
            "fr_ms": fr_ms,
            "vit_ms": vit_ms,
        })
        if latent_ms is not UNSET:
            field_dict["latent_ms"] = latent_ms

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.server_times_fr_ms import ServerTimesFrMs # noqa: PLC0415
        from ..models.server_times_latent_ms import ServerTimesLatentMs # noqa: PLC0415
        from ..models.server_times_vit_ms import ServerTimesVitMs # noqa: PLC0415
        d = dict(src_dict)
        brotli_decode_ms_per_mb = d.pop("brotli_decode_ms_per_mb")

        device = d.pop("device")

        fr_ms = ServerTimesFrMs.from_dict(d.pop("fr_ms"))




        vit_ms = ServerTimesVitMs.from_dict(d.pop("vit_ms"))




        _latent_ms = d.pop("latent_ms", UNSET)
        latent_ms: ServerTimesLatentMs | Unset
        if isinstance(_latent_ms,  Unset):
            latent_ms = UNSET
        else:
            latent_ms = ServerTimesLatentMs.from_dict(_latent_ms)




        server_times = cls(
            brotli_decode_ms_per_mb=brotli_decode_ms_per_mb,
            device=device,
            fr_ms=fr_ms,
            vit_ms=vit_ms,
            latent_ms=latent_ms,
        )

        return server_times

