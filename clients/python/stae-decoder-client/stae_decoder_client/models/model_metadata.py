from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.model_metadata_input import ModelMetadataInput





T = TypeVar("T", bound="ModelMetadata")



@_attrs_define
class ModelMetadata:
    """ 
        Attributes:
            alphas (list[int]):
            betas (list[float]):
            device (str):
            input_ (ModelMetadataInput):
            labels (list[str]):
            max_batch (int):
            name (str):
            trained (bool):
            wire_version (int):
     """

    alphas: list[int]
    betas: list[float]
    device: str
    input_: ModelMetadataInput
    labels: list[str]
    max_batch: int
    name: str
    trained: bool
    wire_version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.model_metadata_input import ModelMetadataInput # noqa: PLC0415
        alphas = self.alphas



        betas = self.betas



        device = self.device

        input_ = self.input_.to_dict()

        labels = self.labels



        max_batch = self.max_batch

        name = self.name

        trained = self.trained

        wire_version = self.wire_version


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "alphas": alphas,
            "betas": betas,
            "device": device,
            "input": input_,
            "labels": labels,
            "max_batch": max_batch,
            "name": name,
            "trained": trained,
            "wire_version": wire_version,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.model_metadata_input import ModelMetadataInput # noqa: PLC0415
        d = dict(src_dict)
        alphas = cast(list[int], d.pop("alphas"))


        betas = cast(list[float], d.pop("betas"))


        device = d.pop("device")

        input_ = ModelMetadataInput.from_dict(d.pop("input"))




        labels = cast(list[str], d.pop("labels"))


        max_batch = d.pop("max_batch")

        name = d.pop("name")

        trained = d.pop("trained")

        wire_version = d.pop("wire_version")

        model_metadata = cls(
            alphas=alphas,
            betas=betas,
            device=device,
            input_=input_,
            labels=labels,
            max_batch=max_batch,
            name=name,
            trained=trained,
            wire_version=wire_version,
        )


        model_metadata.additional_properties = d
        return model_metadata

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
