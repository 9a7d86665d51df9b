from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.server_load_wait_ms import ServerLoadWaitMs





T = TypeVar("T", bound="ServerLoad")



@_attrs_define
class ServerLoad:
    """ A decoder's load as its scheduler predicts it (in every answer, ``GET /v1/load``, and in Redis).

        Attributes:
            busy (bool):
            queue_depth (int):
            wait_ms (ServerLoadWaitMs):
     """

    busy: bool
    queue_depth: int
    wait_ms: ServerLoadWaitMs





    def to_dict(self) -> dict[str, Any]:
        from ..models.server_load_wait_ms import ServerLoadWaitMs # noqa: PLC0415
        busy = self.busy

        queue_depth = self.queue_depth

        wait_ms = self.wait_ms.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "busy": busy,
            "queue_depth": queue_depth,
            "wait_ms": wait_ms,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.server_load_wait_ms import ServerLoadWaitMs # noqa: PLC0415
        d = dict(src_dict)
        busy = d.pop("busy")

        queue_depth = d.pop("queue_depth")

        wait_ms = ServerLoadWaitMs.from_dict(d.pop("wait_ms"))




        server_load = cls(
            busy=busy,
            queue_depth=queue_depth,
            wait_ms=wait_ms,
        )

        return server_load

