from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.infer_response_timings_ms import InferResponseTimingsMs
  from ..models.label import Label
  from ..models.server_load import ServerLoad





T = TypeVar("T", bound="InferResponse")



@_attrs_define
class InferResponse:
    """ 
        Attributes:
            batch_size (int):
            beta (float):
            frame_indices (list[int]):
            model (str):
            request_id (str):
            timings_ms (InferResponseTimingsMs):
            top (list[Label]):
            trained (bool):
            delivery_bps (float | None | Unset):
            load (None | ServerLoad | Unset):
     """

    batch_size: int
    beta: float
    frame_indices: list[int]
    model: str
    request_id: str
    timings_ms: InferResponseTimingsMs
    top: list[Label]
    trained: bool
    delivery_bps: float | None | Unset = UNSET
    load: None | ServerLoad | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.infer_response_timings_ms import InferResponseTimingsMs # noqa: PLC0415
        from ..models.label import Label # noqa: PLC0415
        from ..models.server_load import ServerLoad # noqa: PLC0415
        batch_size = self.batch_size

        beta = self.beta

        frame_indices = self.frame_indices



        model = self.model

        request_id = self.request_id

        timings_ms = self.timings_ms.to_dict()

        top = []
        for top_item_data in self.top:
            top_item = top_item_data.to_dict()
            top.append(top_item)



        trained = self.trained

        delivery_bps: float | None | Unset
        if isinstance(self.delivery_bps, Unset):
            delivery_bps = UNSET
        else:
            delivery_bps = self.delivery_bps

        load: dict[str, Any] | None | Unset
        if isinstance(self.load, Unset):
            load = UNSET
        elif isinstance(self.load, ServerLoad):
            load = self.load.to_dict()
        else:
            load = self.load


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "batch_size": batch_size,
            "beta": beta,
            "frame_indices": frame_indices,
            "model": model,
            "request_id": request_id,
            "timings_ms": timings_ms,
            "top": top,
            "trained": trained,
        })
        if delivery_bps is not UNSET:
            field_dict["delivery_bps"] = delivery_bps
        if load is not UNSET:
            field_dict["load"] = load

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.infer_response_timings_ms import InferResponseTimingsMs # noqa: PLC0415
        from ..models.label import Label # noqa: PLC0415
        from ..models.server_load import ServerLoad # noqa: PLC0415
        d = dict(src_dict)
        batch_size = d.pop("batch_size")

        beta = d.pop("beta")

        frame_indices = cast(list[int], d.pop("frame_indices"))


        model = d.pop("model")

        request_id = d.pop("request_id")

        timings_ms = InferResponseTimingsMs.from_dict(d.pop("timings_ms"))




        top = []
        _top = d.pop("top")
        for top_item_data in (_top):
            top_item = Label.from_dict(top_item_data)



            top.append(top_item)


        trained = d.pop("trained")

        def _parse_delivery_bps(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        delivery_bps = _parse_delivery_bps(d.pop("delivery_bps", UNSET))


        def _parse_load(data: object) -> None | ServerLoad | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                load_type_0 = ServerLoad.from_dict(data)



                return load_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ServerLoad | Unset, data)

        load = _parse_load(d.pop("load", UNSET))


        infer_response = cls(
            batch_size=batch_size,
            beta=beta,
            frame_indices=frame_indices,
            model=model,
            request_id=request_id,
            timings_ms=timings_ms,
            top=top,
            trained=trained,
            delivery_bps=delivery_bps,
            load=load,
        )


        infer_response.additional_properties = d
        return infer_response

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
