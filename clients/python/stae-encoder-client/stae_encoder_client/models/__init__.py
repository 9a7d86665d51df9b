""" Contains all the data models used in inputs/outputs """

from .budget import Budget
from .budget_encoding import BudgetEncoding
from .camera_state import CameraState
from .camera_status import CameraStatus
from .controller_state import ControllerState
from .deadline_bucket import DeadlineBucket
from .decision_info import DecisionInfo
from .decision_info_bandwidth_source import DecisionInfoBandwidthSource
from .decision_info_mode import DecisionInfoMode
from .decoder_status import DecoderStatus
from .decoder_status_load_type_0 import DecoderStatusLoadType0
from .http_validation_error import HTTPValidationError
from .label import Label
from .last_answer import LastAnswer
from .live_response_live import LiveResponseLive
from .payload_info import PayloadInfo
from .profile import Profile
from .profile_entry import ProfileEntry
from .profile_entry_encoding import ProfileEntryEncoding
from .ready_response_ready import ReadyResponseReady
from .recognize_files_body import RecognizeFilesBody
from .recognize_response import RecognizeResponse
from .recognize_response_timings_ms import RecognizeResponseTimingsMs
from .status import Status
from .validation_error import ValidationError
from .validation_error_context import ValidationErrorContext

__all__ = (
    "Budget",
    "BudgetEncoding",
    "CameraState",
    "CameraStatus",
    "ControllerState",
    "DeadlineBucket",
    "DecisionInfo",
    "DecisionInfoBandwidthSource",
    "DecisionInfoMode",
    "DecoderStatus",
    "DecoderStatusLoadType0",
    "HTTPValidationError",
    "Label",
    "LastAnswer",
    "LiveResponseLive",
    "PayloadInfo",
    "Profile",
    "ProfileEntry",
    "ProfileEntryEncoding",
    "ReadyResponseReady",
    "RecognizeFilesBody",
    "RecognizeResponse",
    "RecognizeResponseTimingsMs",
    "Status",
    "ValidationError",
    "ValidationErrorContext",
)
