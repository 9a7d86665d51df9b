"""The camera side: FA and SA on ONNX Runtime or PyTorch, coding and packing. Imports no torch."""

from stae.camera.attention import Attention, OnnxAttention, load_attention
from stae.camera.encoder import EncodeResult, SemanticEncoder

__all__ = ["Attention", "EncodeResult", "OnnxAttention", "SemanticEncoder", "load_attention"]
