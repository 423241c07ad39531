"""The ``Embedder``: a sentence-transformers model folder run offline by the configured engine, with e5's prompts."""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from .encoders import BATCH_SIZES, DEFAULT_ENGINE, ModelFolder, ModelNotFound, load_engine
from .onnx_export import ONNX_DIR, embeddings_path, export_onnx_in_subprocess, has_onnx, onnx_path

logger = logging.getLogger(__name__)

FINGERPRINT_SAMPLE = 1 << 20  # bytes hashed at each end of a weight file


def release_freed_memory() -> None:
    """Hand freed heap pages back to the system. glibc keeps them after each batch of a new shape, so a long
    indexing run would otherwise grow by megabytes per batch (flat with this call, see benchmarks/indexing_memory.py)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def model_fingerprint(model_path: Path) -> str:
    """A cheap, stable identity of a model folder's weights and tokenizer (file names, sizes, head and tail bytes);
    no model load. Its exported ONNX files are not part of it: ``engine_fingerprint`` adds the one an engine runs."""
    model_path = Path(model_path)
    if not (model_path / "modules.json").exists() and not (model_path / "config.json").exists():
        raise ModelNotFound(
            f"Aucun modèle sentence-transformers dans {model_path}. "
            "Installez le modèle par défaut avec « eclaireur model install » ou réglez ECLAIREUR_MODEL_PATH."
        )
    digest = hashlib.sha256()
    for file in sorted(p for p in model_path.rglob("*") if p.is_file() and p.name != "README.md" and not _generated(p, model_path)):
        _hash_file(digest, file, file.relative_to(model_path).as_posix())
    return digest.hexdigest()[:16]


def engine_fingerprint(model_path: Path, engine: str) -> str:
    """The identity of what encodes: the folder's for PyTorch (unchanged, so PyTorch indexes stay valid); for an
    ONNX engine, the folder's, the engine's name (hence the quantization) and the ONNX files it runs."""
    base = model_fingerprint(model_path)
    if engine == "torch":
        return base
    onnx_file = onnx_path(model_path, quantized=engine == "onnx-int8")
    if not (onnx_file.is_file() and embeddings_path(model_path).is_file()):
        raise ModelNotFound(f"Fichier ONNX absent : {onnx_file}. Lancez « eclaireur model install » pour l'écrire.")
    digest = hashlib.sha256(f"{base}|{engine}\n".encode())
    for file in (embeddings_path(model_path), onnx_file):
        _hash_file(digest, file, file.name)
    return digest.hexdigest()[:16]


def _generated(file: Path, model_path: Path) -> bool:
    top = file.relative_to(model_path).parts[0]
    return top == ONNX_DIR or top.startswith(".onnx-")


def _hash_file(digest, file: Path, name: str) -> None:
    size = file.stat().st_size
    digest.update(f"{name}:{size}\n".encode())
    with file.open("rb") as handle:
        digest.update(handle.read(FINGERPRINT_SAMPLE))
        if size > 2 * FINGERPRINT_SAMPLE:
            handle.seek(-FINGERPRINT_SAMPLE, os.SEEK_END)
            digest.update(handle.read())


class TextEncoder(Protocol):
    """What retrieval and answers need from a model: the ``Embedder`` itself, or a cached, batched wrapper."""

    def encode_query(self, text: str) -> np.ndarray: ...
    def encode_queries(self, texts: list[str]) -> np.ndarray: ...
    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


class Embedder:
    """Encodes queries and passages into L2-normalised float32 vectors with ``engine`` (torch, onnx, onnx-int8).

    An ONNX engine whose files are missing gets them exported first, in a child process, so this process
    never imports torch."""

    def __init__(self, model_path: Path, batch_size: int | None = None, threads: int | None = None,
                 engine: str = DEFAULT_ENGINE) -> None:
        self.model_path = Path(model_path)
        self.engine = engine
        folder = ModelFolder.read(self.model_path)
        if engine != "torch" and not has_onnx(self.model_path):
            export_onnx_in_subprocess(self.model_path)
        self.fingerprint = engine_fingerprint(self.model_path, engine)
        self.batch_size = batch_size or BATCH_SIZES[engine]
        self._engine = load_engine(folder, engine, threads or os.cpu_count() or 1)
        release_freed_memory()  # what loading parsed and dropped (the model file, the tokenizer's JSON)
        self.dimension = folder.dimension
        self.max_tokens = folder.max_seq_length
        self._query_prompt, self._passage_prompt = folder.prompt("query"), folder.prompt("passage")
        self.name = self.model_path.name
        logger.info("Modèle %s chargé, moteur %s (dimension %d, empreinte %s)", self.name, engine, self.dimension,
                    self.fingerprint)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode_queries([text])[0]

    def encode_passages(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        """Passage vectors; a small ``batch_size`` suits a few texts of mixed length (less padding)."""
        return self._encode(texts, self._passage_prompt, batch_size)

    def _encode(self, texts: list[str], prompt: str, batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._engine.encode([prompt + text for text in texts], batch_size or self.batch_size)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Token counts as the model sees them (special tokens included, no truncation)."""
        return self._engine.count_tokens(texts)
