"""PyTorch engine: the folder loaded by sentence-transformers, as before ONNX Runtime existed here."""

from __future__ import annotations

import numpy as np

from .folder import ModelFolder


class TorchEngine:
    """Runs the whole sentence-transformers pipeline (tokenizer, transformer, pooling, normalisation)."""

    def __init__(self, folder: ModelFolder, threads: int) -> None:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        torch.set_num_threads(threads)
        hf_logging.set_verbosity_error()  # the converted model has no pooler head; that notice is noise
        self.model = SentenceTransformer(str(folder.path), local_files_only=True, device="cpu")

    def count_tokens(self, texts: list[str]) -> list[int]:
        encoded = self.model.tokenizer(texts, add_special_tokens=True, truncation=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Normalised vectors of texts that already carry their prompt (sentence-transformers sorts by length)."""
        return self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False)
