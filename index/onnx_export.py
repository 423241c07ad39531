"""Write a sentence-transformers folder's transformer as ONNX files: fp32, and int8 weights for a faster CPU.

``export_onnx(model_dir)`` puts three files in the model folder's ``onnx/``:
- ``word_embeddings.npy``, the token embedding table (250 000 × 384 floats for e5, 384 MB): the encoder reads
  the rows a batch needs from the file, so this table, four fifths of the weights, never sits in memory;
- ``model.onnx``, the rest of the transformer from the token vectors on (``torch.onnx.export``, opset 17, dynamic
  batch and sequence axes, inputs ``inputs_embeds`` and ``attention_mask``, output: the last hidden state), its
  attention, GELU and residual normalisations fused into ONNX Runtime's own kernels (``optimize_model``, same
  outputs, about 1.4 times faster on long passages);
- ``model_int8.onnx``, the same graph with int8 weights, one scale per output channel (``quantize_dynamic``).
Pooling and normalisation stay outside the graph, in the ONNX encoder.
Run as ``python -m index.onnx_export MODEL_DIR`` so a serving process can make them without importing torch.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np

from .folders import replaced_atomically

logger = logging.getLogger(__name__)

ONNX_DIR = "onnx"
FP32_FILE = "model.onnx"
INT8_FILE = "model_int8.onnx"
EMBEDDINGS_FILE = "word_embeddings.npy"
OPSET = 17


class OnnxExportError(RuntimeError):
    """The ONNX files could not be written; the message, in French, says why and what to do."""


def onnx_path(model_dir: Path, quantized: bool) -> Path:
    """Where the fp32 or the int8 ONNX file of ``model_dir`` lives."""
    return Path(model_dir) / ONNX_DIR / (INT8_FILE if quantized else FP32_FILE)


def embeddings_path(model_dir: Path) -> Path:
    """The token embedding table that the ONNX graphs take their input from."""
    return Path(model_dir) / ONNX_DIR / EMBEDDINGS_FILE


def has_onnx(model_dir: Path) -> bool:
    return all(path.is_file() for path in (embeddings_path(model_dir), onnx_path(model_dir, False), onnx_path(model_dir, True)))


def export_onnx(model_dir: Path, force: bool = False) -> Path:
    """Write the fp32 and int8 ONNX files of ``model_dir`` (atomically, in ``onnx/``); skip when both exist."""
    model_dir = Path(model_dir)
    target = model_dir / ONNX_DIR
    if has_onnx(model_dir) and not force:
        return target
    logger.info("Export ONNX de %s (fp32 puis int8)", model_dir)
    with replaced_atomically(target) as work:
        _export_fp32(model_dir, work)
        _quantize(work / FP32_FILE, work / INT8_FILE)
    logger.info("Fichiers ONNX écrits dans %s", target)
    return target


def export_onnx_in_subprocess(model_dir: Path) -> None:
    """``export_onnx`` in a child process: the caller (a server) never loads torch or the PyTorch model."""
    logger.info("Fichiers ONNX absents de %s : export au premier usage (une à deux minutes)", model_dir)
    done = subprocess.run([sys.executable, "-m", "index.onnx_export", str(model_dir)], capture_output=True, text=True)
    if done.returncode != 0 or not has_onnx(model_dir):
        raise OnnxExportError(
            f"Impossible d'écrire les fichiers ONNX du modèle dans {Path(model_dir) / ONNX_DIR} "
            f"({(done.stderr.strip().splitlines() or ['erreur inconnue'])[-1]}). Lancez « eclaireur model install » "
            "avec un accès en écriture au dossier du modèle, ou réglez ECLAIREUR_ENCODER=torch.")


def _quantize(source: Path, destination: Path) -> None:
    """int8 weights, activations quantized on the fly (``quantize_dynamic``); its per-tensor INFO log is muted."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.WARNING))
    try:
        # One scale per output channel: cosine with fp32 0.995 on corpus-real passages, against 0.984 with one per
        # tensor, at the same speed (benchmarks/README.md).
        quantize_dynamic(source, destination, weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": TensorProto.FLOAT})  # fused kernels defeat shape inference
    finally:
        root.setLevel(level)


def _export_fp32(model_dir: Path, work: Path) -> None:
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    # The plain ("eager") attention exports as the pattern that ONNX Runtime's optimizer fuses.
    transformer = SentenceTransformer(str(model_dir), local_files_only=True, device="cpu",
                                      model_kwargs={"attn_implementation": "eager"})[0].auto_model.eval()
    table = transformer.get_input_embeddings().weight.detach().numpy().astype("float32")
    np.save(work / EMBEDDINGS_FILE, table)

    class LastHiddenState(torch.nn.Module):
        """From the token vectors on: position and type embeddings, normalisation, the layers."""

        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, inputs_embeds, attention_mask):
            return self.transformer(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state

    sample = (torch.from_numpy(table[:16].reshape(2, 8, -1).copy()), torch.ones(2, 8, dtype=torch.long))
    axes = {0: "batch", 1: "sequence"}
    # The tracer warns about Python branches on shapes; for this graph they are constant (the tests compare
    # padded batches of mixed lengths with PyTorch), so the notices are noise for whoever runs the install.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(LastHiddenState(), sample, str(work / FP32_FILE), dynamo=False, opset_version=OPSET,
                          input_names=["inputs_embeds", "attention_mask"], output_names=["last_hidden_state"],
                          dynamic_axes={"inputs_embeds": axes, "attention_mask": axes, "last_hidden_state": axes})
    _fuse(work / FP32_FILE, transformer.config.num_attention_heads, transformer.config.hidden_size)


def _fuse(path: Path, heads: int, hidden_size: int) -> None:
    """Rewrite the graph with ONNX Runtime's fused transformer kernels (attention, bias + GELU, skip + layer norm)."""
    from onnxruntime.transformers.optimizer import optimize_model

    optimize_model(str(path), model_type="bert", num_heads=heads, hidden_size=hidden_size).save_model_to_file(str(path))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    export_onnx(Path(sys.argv[1]))
