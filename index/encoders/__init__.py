"""Encoder engines: one model folder run by PyTorch (sentence-transformers) or by ONNX Runtime (fp32 or int8 weights).

Every engine takes texts that already carry their prompt and returns L2-normalised float32 vectors; the
``Embedder`` above them adds prompts, counts tokens and names the engine in the model fingerprint.
"""

from __future__ import annotations

from typing import Literal, Protocol, get_args

import numpy as np

from .folder import ModelFolder, ModelNotFound

Engine = Literal["torch", "onnx", "onnx-int8"]
ENGINES: tuple[str, ...] = get_args(Engine)
DEFAULT_ENGINE: Engine = "onnx"
# Texts per forward pass. ONNX Runtime is fastest with small batches (less padding, cache-sized tensors), one per core
# at a time; int8 also quantizes each batch's activations on one scale, so a small batch keeps closer to fp32.
BATCH_SIZES: dict[str, int] = {"torch": 32, "onnx": 4, "onnx-int8": 4}

__all__ = ["BATCH_SIZES", "DEFAULT_ENGINE", "ENGINES", "Engine", "EncoderEngine", "ModelFolder", "ModelNotFound", "load_engine"]


class EncoderEngine(Protocol):
    def encode(self, texts: list[str], batch_size: int) -> np.ndarray: ...
    def count_tokens(self, texts: list[str]) -> list[int]: ...


def load_engine(folder: ModelFolder, engine: str, threads: int) -> EncoderEngine:
    """The forward pass of ``folder`` on ``engine``; ONNX engines never import torch."""
    if engine == "torch":
        from .torch_engine import TorchEngine

        return TorchEngine(folder, threads)
    if engine in ("onnx", "onnx-int8"):
        from .onnx_engine import OnnxEngine

        return OnnxEngine(folder, quantized=engine == "onnx-int8", threads=threads)
    raise ValueError(f"Moteur d'encodage inconnu « {engine} » : choisissez parmi {', '.join(ENGINES)} (ECLAIREUR_ENCODER).")
