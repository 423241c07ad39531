"""What a sentence-transformers model folder declares, read from its JSON files without loading any engine."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


class ModelNotFound(RuntimeError):
    """The configured model folder does not exist or is not a sentence-transformers folder."""


@dataclass(frozen=True)
class ModelFolder:
    """Prompts, sequence limit, pooling and tokenizer of a folder, as sentence-transformers would use them."""

    path: Path
    prompts: dict[str, str]
    max_seq_length: int
    dimension: int
    pad_token_id: int
    lowercase: bool
    mean_pooling: bool  # mean of the token vectors, then L2 normalisation: what the ONNX encoder computes
    tokenizer_file: Path

    @classmethod
    def read(cls, path: Path) -> ModelFolder:
        path = Path(path)
        if not (path / "modules.json").is_file():
            raise ModelNotFound(
                f"Aucun modèle sentence-transformers dans {path}. "
                "Installez le modèle par défaut avec « eclaireur model install » ou réglez ECLAIREUR_MODEL_PATH."
            )
        modules = {module["type"].rsplit(".", 1)[-1]: path / module["path"] for module in _json(path / "modules.json")}
        transformer, pooling = modules.get("Transformer", path), _json(modules["Pooling"] / "config.json")
        sentence_bert = _json(transformer / "sentence_bert_config.json")
        config = _json(transformer / "config.json")
        settings = _json(path / "config_sentence_transformers.json") if (path / "config_sentence_transformers.json").is_file() else {}
        return cls(path=path, prompts=settings.get("prompts") or {},
                   max_seq_length=int(sentence_bert.get("max_seq_length") or config["max_position_embeddings"]),
                   dimension=int(pooling.get("word_embedding_dimension") or pooling["embedding_dimension"]),
                   pad_token_id=int(config.get("pad_token_id") or 0),
                   lowercase=bool(sentence_bert.get("do_lower_case", False)),
                   mean_pooling=(bool(pooling.get("pooling_mode_mean_tokens")) or pooling.get("pooling_mode") == "mean")
                   and "Normalize" in modules,
                   tokenizer_file=transformer / "tokenizer.json")

    def prompt(self, kind: str) -> str:
        """The text put before a query or a passage (e5: ``query: `` / ``passage: ``); empty when none is declared."""
        names = ("query",) if kind == "query" else ("passage", "document")
        return next((self.prompts[name] for name in names if name in self.prompts), "")

    def tokenizer(self):
        """The folder's own fast tokenizer (``tokenizers``, no torch), no truncation. One instance holds the whole
        vocabulary (about 280 MB for e5's 250 000 pieces): load it once per process."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.tokenizer_file))
        tokenizer.no_padding()
        tokenizer.no_truncation()
        return tokenizer


def _json(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
