""" Contains all the data models used in inputs/outputs """

from .http_validation_error import HTTPValidationError
from .infer_response import InferResponse
from .infer_response_timings_ms import InferResponseTimingsMs
from .label import Label
from .live_response_live import LiveResponseLive
from .model_metadata import ModelMetadata
from .model_metadata_parameters import ModelMetadataParameters
from .ready_response_ready import ReadyResponseReady
from .server_load import ServerLoad
from .server_load_cost_ms import ServerLoadCostMs
from .server_load_decode_ms import ServerLoadDecodeMs
from .server_load_wait_ms import ServerLoadWaitMs
from .server_metadata import ServerMetadata
from .server_times import ServerTimes
from .server_times_fr_ms import ServerTimesFrMs
from .server_times_latent_ms import ServerTimesLatentMs
from .server_times_vit_ms import ServerTimesVitMs
from .tensor_metadata import TensorMetadata
from .validation_error import ValidationError
from .validation_error_context import ValidationErrorContext

__all__ = (
    "HTTPValidationError",
    "InferResponse",
    "InferResponseTimingsMs",
    "Label",
    "LiveResponseLive",
    "ModelMetadata",
    "ModelMetadataParameters",
    "ReadyResponseReady",
    "ServerLoad",
    "ServerLoadCostMs",
    "ServerLoadDecodeMs",
    "ServerLoadWaitMs",
    "ServerMetadata",
    "ServerTimes",
    "ServerTimesFrMs",
    "ServerTimesLatentMs",
    "ServerTimesVitMs",
    "TensorMetadata",
    "ValidationError",
    "ValidationErrorContext",
)
