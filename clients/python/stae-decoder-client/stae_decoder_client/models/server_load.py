from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.server_load_cost_ms import ServerLoadCostMs
  from ..models.server_load_decode_ms import ServerLoadDecodeMs
  from ..models.server_load_wait_ms import ServerLoadWaitMs





T = TypeVar("T", bound="ServerLoad")



@_attrs_define
class ServerLoad:
    """ A decoder's load as its scheduler predicts it (in every answer, ``GET /v1/load``, and in Redis).

        Attributes:
            busy (bool):
            queue_depth (int):
            wait_ms (ServerLoadWaitMs):
            budget_ms (float | None | Unset):
            cost_ms (ServerLoadCostMs | Unset):
            decode_ms (ServerLoadDecodeMs | Unset):
     """

    busy: bool
    queue_depth: int
    wait_ms: ServerLoadWaitMs
    budget_ms: float | None | Unset = UNSET
    cost_ms: ServerLoadCostMs | Unset = UNSET
    decode_ms: ServerLoadDecodeMs | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.server_load_cost_ms import ServerLoadCostMs # noqa: PLC0415
        from ..models.server_load_decode_ms import ServerLoadDecodeMs # noqa: PLC0415
        from ..models.server_load_wait_ms import ServerLoadWaitMs # noqa: PLC0415
        busy = self.busy

        queue_depth = self.queue_depth

        wait_ms = self.wait_ms.to_dict()

        budget_ms: float | None | Unset
        if isinstance(self.budget_ms, Unset):
            budget_ms = UNSET
        else:
            budget_ms = self.budget_ms

        cost_ms: dict[str, Any] | Unset = UNSET
        if not isinstance(self.cost_ms, Unset):
            cost_ms = self.cost_ms.to_dict()

        decode_ms: dict[str, Any] | Unset = UNSET
        if not isinstance(self.decode_ms, Unset):
            decode_ms = self.decode_ms.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "busy": busy,
            "queue_depth": queue_depth,
            "wait_ms": wait_ms,
        })
        if budget_ms is not UNSET:
            field_dict["budget_ms"] = budget_ms
        if cost_ms is not UNSET:
            field_dict["cost_ms"] = cost_ms
        if decode_ms is not UNSET:
            field_dict["decode_ms"] = decode_ms

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.server_load_cost_ms import ServerLoadCostMs # noqa: PLC0415
        from ..models.server_load_decode_ms import ServerLoadDecodeMs # noqa: PLC0415
        from ..models.server_load_wait_ms import ServerLoadWaitMs # noqa: PLC0415
        d = dict(src_dict)
        busy = d.pop("busy")

        queue_depth = d.pop("queue_depth")

        wait_ms = ServerLoadWaitMs.from_dict(d.pop("wait_ms"))




        def _parse_budget_ms(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        budget_ms = _parse_budget_ms(d.pop("budget_ms", UNSET))


        _cost_ms = d.pop("cost_ms", UNSET)
        cost_ms: ServerLoadCostMs | Unset
        if isinstance(_cost_ms,  Unset):
            cost_ms = UNSET
        else:
            cost_ms = ServerLoadCostMs.from_dict(_cost_ms)




        _decode_ms = d.pop("decode_ms", UNSET)
        decode_ms: ServerLoadDecodeMs | Unset
        if isinstance(_decode_ms,  Unset):
            decode_ms = UNSET
        else:
            decode_ms = ServerLoadDecodeMs.from_dict(_decode_ms)




        server_load = cls(
            busy=busy,
            queue_depth=queue_depth,
            wait_ms=wait_ms,
            budget_ms=budget_ms,
            cost_ms=cost_ms,
            decode_ms=decode_ms,
        )

        return server_load

