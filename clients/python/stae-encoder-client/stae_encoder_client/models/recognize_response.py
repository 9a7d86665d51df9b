from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.budget import Budget
  from ..models.decision_info import DecisionInfo
  from ..models.label import Label
  from ..models.payload_info import PayloadInfo
  from ..models.recognize_response_timings_ms import RecognizeResponseTimingsMs





T = TypeVar("T", bound="RecognizeResponse")



@_attrs_define
class RecognizeResponse:
    """ 
        Attributes:
            budget (Budget):
            camera_id (str):
            deadline_met (bool):
            decision (DecisionInfo):
            model (str):
            payload (PayloadInfo):
            request_id (str):
            timings_ms (RecognizeResponseTimingsMs):
            top (list[Label]):
            total_ms (float):
            trained (bool):
     """

    budget: Budget
    camera_id: str
    deadline_met: bool
    decision: DecisionInfo
    model: str
    payload: PayloadInfo
    request_id: str
    timings_ms: RecognizeResponseTimingsMs
    top: list[Label]
    total_ms: float
    trained: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.budget import Budget # noqa: PLC0415
        from ..models.decision_info import DecisionInfo # noqa: PLC0415
        from ..models.label import Label # noqa: PLC0415
        from ..models.payload_info import PayloadInfo # noqa: PLC0415
        from ..models.recognize_response_timings_ms import RecognizeResponseTimingsMs # noqa: PLC0415
        budget = self.budget.to_dict()

        camera_id = self.camera_id

        deadline_met = self.deadline_met

        decision = self.decision.to_dict()

        model = self.model

        payload = self.payload.to_dict()

        request_id = self.request_id

        timings_ms = self.timings_ms.to_dict()

        top = []
        for top_item_data in self.top:
            top_item = top_item_data.to_dict()
            top.append(top_item)



        total_ms = self.total_ms

        trained = self.trained


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "budget": budget,
            "camera_id": camera_id,
            "deadline_met": deadline_met,
            "decision": decision,
            "model": model,
            "payload": payload,
            "request_id": request_id,
            "timings_ms": timings_ms,
            "top": top,
            "total_ms": total_ms,
            "trained": trained,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.budget import Budget # noqa: PLC0415
        from ..models.decision_info import DecisionInfo # noqa: PLC0415
        from ..models.label import Label # noqa: PLC0415
        from ..models.payload_info import PayloadInfo # noqa: PLC0415
        from ..models.recognize_response_timings_ms import RecognizeResponseTimingsMs # noqa: PLC0415
        d = dict(src_dict)
        budget = Budget.from_dict(d.pop("budget"))




        camera_id = d.pop("camera_id")

        deadline_met = d.pop("deadline_met")

        decision = DecisionInfo.from_dict(d.pop("decision"))




        model = d.pop("model")

        payload = PayloadInfo.from_dict(d.pop("payload"))




        request_id = d.pop("request_id")

        timings_ms = RecognizeResponseTimingsMs.from_dict(d.pop("timings_ms"))




        top = []
        _top = d.pop("top")
        for top_item_data in (_top):
            top_item = Label.from_dict(top_item_data)



            top.append(top_item)


        total_ms = d.pop("total_ms")

        trained = d.pop("trained")

        recognize_response = cls(
            budget=budget,
            camera_id=camera_id,
            deadline_met=deadline_met,
            decision=decision,
            model=model,
            payload=payload,
            request_id=request_id,
            timings_ms=timings_ms,
            top=top,
            total_ms=total_ms,
            trained=trained,
        )


        recognize_response.additional_properties = d
        return recognize_response

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
