"""ONNX Runtime engine: the folder's own tokenizer, its token table read from disk, the exported transformer, mean
pooling and L2 normalisation.

No torch and no transformers are imported: a serving process stays lean (see benchmarks/encoder.py).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..onnx_export import embeddings_path, onnx_path
from .folder import ModelFolder, ModelNotFound
from .token_table import TokenTable


class OnnxEngine:
    """Encodes in length-sorted batches, each padded only to its longest text."""

    def __init__(self, folder: ModelFolder, quantized: bool, threads: int) -> None:
        import onnxruntime as ort

        if not folder.mean_pooling:
            raise ModelNotFound(f"Le modèle de {folder.path} n'utilise pas la moyenne normalisée des jetons : "
                                "seul le moteur ECLAIREUR_ENCODER=torch sait l'encoder.")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning (a server shares its cores), and no memory arena: batches of ever new
        # shapes would grow it for good (+220 MB after 40 /ask-like batches, against +7 MB without).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Work split into smaller blocks handed out as threads free up: a lone query's small kernels no longer wait on
        # the slower thread (fp32 query 6 % faster, same vectors, passages as fast; benchmarks/README.md).
        options.add_session_config_entry("session.dynamic_block_base", "4")
        options.enable_cpu_mem_arena = False
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(onnx_path(folder.path, quantized)), options,
                                             providers=["CPUExecutionProvider"])
        self._table = TokenTable(embeddings_path(folder.path))
        self._tokenizer = folder.tokenizer()
        self._max_tokens = folder.max_seq_length
        self._lowercase = folder.lowercase
        self._pad_id = folder.pad_token_id
        self._dimension = folder.dimension
        self._threads = threads

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(encoding.ids) for encoding in self._tokenizer.encode_batch(texts, add_special_tokens=True)]

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Normalised vectors of texts that already carry their prompt."""
        encodings = self._tokenizer.encode_batch([t.lower() for t in texts] if self._lowercase else texts)
        ids = [self._truncated(encoding.ids) for encoding in encodings]
        order = np.argsort([len(row) for row in ids], kind="stable")
        batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
        vectors = np.empty((len(texts), self._dimension), dtype=np.float32)

        def run(rows: np.ndarray) -> None:
            vectors[rows] = self._run([ids[i] for i in rows])

        if len(batches) == 1 or self._threads == 1:
            for rows in batches:
                run(rows)
        else:  # one batch per core at a time: more chunks/s than one batch over all cores (small kernels scale poorly)
            with ThreadPoolExecutor(self._threads) as pool:
                list(pool.map(run, batches))
        return vectors

    def _truncated(self, ids: list[int]) -> list[int]:
        """Cut to the model's limit as sentence-transformers does: the text shortened, its closing token kept."""
        return ids if len(ids) <= self._max_tokens else ids[: self._max_tokens - 1] + ids[-1:]

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        width = max(len(row) for row in batch)
        input_ids = np.full((len(batch), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for i, row in enumerate(batch):
            input_ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        (hidden,) = self._session.run(None, {"inputs_embeds": self._table.vectors(input_ids), "attention_mask": mask})
        return mean_pool_normalise(hidden, mask)


def mean_pool_normalise(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the unmasked token vectors, then L2 normalisation (sentence-transformers' Pooling + Normalize)."""
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(np.float32)
