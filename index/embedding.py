"""The ``Embedder``: a sentence-transformers model loaded offline, with e5's query/passage prompts."""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
from pathlib import Path
from typing import Protocol

import numpy as np

logger = logging.getLogger(__name__)

FINGERPRINT_SAMPLE = 1 << 20  # bytes hashed at each end of a weight file


def release_freed_memory() -> None:
    """Hand freed heap pages back to the system. glibc keeps them after each batch of a new shape, so a long
    indexing run would otherwise grow by megabytes per batch (flat with this call, see benchmarks/indexing_memory.py)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


class ModelNotFound(RuntimeError):
    """The configured model folder does not exist or is not a sentence-transformers folder."""


def model_fingerprint(model_path: Path) -> str:
    """A cheap, stable identity of a model folder (file names, sizes, head and tail bytes); no model load."""
    model_path = Path(model_path)
    if not (model_path / "modules.json").exists() and not (model_path / "config.json").exists():
        raise ModelNotFound(
            f"Aucun modèle sentence-transformers dans {model_path}. "
            "Installez le modèle par défaut avec « eclaireur model install » ou réglez ECLAIREUR_MODEL_PATH."
        )
    digest = hashlib.sha256()
    for file in sorted(p for p in model_path.rglob("*") if p.is_file() and p.name != "README.md"):
        size = file.stat().st_size
        digest.update(f"{file.relative_to(model_path).as_posix()}:{size}\n".encode())
        with file.open("rb") as handle:
            digest.update(handle.read(FINGERPRINT_SAMPLE))
            if size > 2 * FINGERPRINT_SAMPLE:
                handle.seek(-FINGERPRINT_SAMPLE, os.SEEK_END)
                digest.update(handle.read())
    return digest.hexdigest()[:16]


class TextEncoder(Protocol):
    """What retrieval and answers need from a model: the ``Embedder`` itself, or a cached, batched wrapper."""

    def encode_query(self, text: str) -> np.ndarray: ...
    def encode_queries(self, texts: list[str]) -> np.ndarray: ...
    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


class Embedder:
    """Encodes queries and passages into L2-normalised float32 vectors."""

    def __init__(self, model_path: Path, batch_size: int = 32, threads: int | None = None) -> None:
        self.model_path = Path(model_path)
        self.fingerprint = model_fingerprint(self.model_path)
        self.batch_size = batch_size
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        torch.set_num_threads(threads or os.cpu_count() or 1)
        hf_logging.set_verbosity_error()  # the converted model has no pooler head; that notice is noise
        self.model = SentenceTransformer(str(self.model_path), local_files_only=True, device="cpu")
        self.dimension = self.model.get_embedding_dimension()
        self.max_tokens = int(self.model.max_seq_length)
        prompts = self.model.prompts or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = "passage" if "passage" in prompts else ("document" if "document" in prompts else None)
        self._tokenizer = self.model.tokenizer
        self.name = self.model_path.name
        logger.info("Modèle %s chargé (dimension %d, empreinte %s)", self.name, self.dimension, self.fingerprint)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode_queries([text])[0]

    def encode_passages(self, texts: list[str], show_progress: bool = False, batch_size: int | None = None) -> np.ndarray:
        """Passage vectors; a small ``batch_size`` suits a few texts of mixed length (less padding)."""
        return self._encode(texts, self._passage_prompt, show_progress, batch_size)

    def _encode(self, texts: list[str], prompt_name: str | None, show_progress: bool = False,
                batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts, prompt_name=prompt_name, batch_size=batch_size or self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Token counts as the model sees them (special tokens included, no truncation)."""
        encoded = self._tokenizer(texts, add_special_tokens=True, truncation=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]
