""" Contains all the data models used in inputs/outputs """

from .budget import Budget
from .budget_encoding import BudgetEncoding
from .camera_state import CameraState
from .controller_state import ControllerState
from .decision_info import DecisionInfo
from .decision_info_bandwidth_source import DecisionInfoBandwidthSource
from .decision_info_mode import DecisionInfoMode
from .http_validation_error import HTTPValidationError
from .label import Label
from .live_response_live import LiveResponseLive
from .payload_info import PayloadInfo
from .profile import Profile
from .profile_entry import ProfileEntry
from .profile_entry_encoding import ProfileEntryEncoding
from .ready_response_ready import ReadyResponseReady
from .recognize_files_body import RecognizeFilesBody
from .recognize_response import RecognizeResponse
from .recognize_response_timings_ms import RecognizeResponseTimingsMs
from .validation_error import ValidationError
from .validation_error_context import ValidationErrorContext

__all__ = (
    "Budget",
    "BudgetEncoding",
    "CameraState",
    "ControllerState",
    "DecisionInfo",
    "DecisionInfoBandwidthSource",
    "DecisionInfoMode",
    "HTTPValidationError",
    "Label",
    "LiveResponseLive",
    "PayloadInfo",
    "Profile",
    "ProfileEntry",
    "ProfileEntryEncoding",
    "ReadyResponseReady",
    "RecognizeFilesBody",
    "RecognizeResponse",
    "RecognizeResponseTimingsMs",
    "ValidationError",
    "ValidationErrorContext",
)
