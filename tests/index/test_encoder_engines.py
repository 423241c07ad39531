"""Encoder engines: ONNX Runtime embeds like PyTorch, names itself in the fingerprint, and is made by `model install`."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys

import numpy as np
import pytest
from e5_texts import PASSAGES, QUERIES
from support import PROJECT_ROOT

from index.builder import IndexConfig, build_index, is_up_to_date
from index.embedding import Embedder, engine_fingerprint, model_fingerprint
from index.encoders.token_table import TokenTable
from index.model_install import install_model
from index.onnx_export import embeddings_path, export_onnx, has_onnx, onnx_path
from index.snapshot import IndexSnapshot, ModelMismatchError
from index.sources import PassagesFile

# One word to beyond the model's 512 tokens (cut as sentence-transformers cuts), in one call.
MIXED_LENGTHS = ["OPSI", *PASSAGES[:3], " ".join(PASSAGES), " ".join(PASSAGES * 3)]


@pytest.fixture(scope="module")
def torch_embedder(model_path):
    return Embedder(model_path, engine="torch")


@pytest.fixture(scope="module")
def onnx_embedder(model_path):
    return Embedder(model_path, engine="onnx")


@pytest.fixture(scope="module")
def int8_embedder(model_path):
    return Embedder(model_path, engine="onnx-int8")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, model_path):
    """A seeded two-layer BERT in the real folder layout, with the real tokenizer and prompts: exports in seconds."""
    import torch
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny") / "tiny-e5"
    shutil.copytree(model_path, folder, ignore=shutil.ignore_patterns("model.safetensors", "config.json", "onnx", "README.md"))
    config = json.loads((model_path / "config.json").read_text()) | {
        "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}
    torch.manual_seed(0)
    BertModel(BertConfig(**config), add_pooling_layer=False).save_pretrained(folder)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 32, "pooling_mode_mean_tokens": True}))
    return folder


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


def test_onnx_fp32_embeds_queries_and_passages_like_pytorch(torch_embedder, onnx_embedder):
    assert cosines(onnx_embedder.encode_queries(QUERIES), torch_embedder.encode_queries(QUERIES)).min() >= 0.9999
    assert cosines(onnx_embedder.encode_passages(PASSAGES), torch_embedder.encode_passages(PASSAGES)).min() >= 0.9999
    assert cosines(onnx_embedder.encode_passages(MIXED_LENGTHS), torch_embedder.encode_passages(MIXED_LENGTHS)).min() >= 0.9999


def test_onnx_int8_stays_close_to_pytorch(torch_embedder, int8_embedder):
    assert cosines(int8_embedder.encode_queries(QUERIES), torch_embedder.encode_queries(QUERIES)).min() >= 0.98
    assert cosines(int8_embedder.encode_passages(PASSAGES), torch_embedder.encode_passages(PASSAGES)).min() >= 0.98


def test_length_sorted_batches_give_each_text_its_own_vector(onnx_embedder):
    together = onnx_embedder.encode_passages(MIXED_LENGTHS, batch_size=2)
    alone = np.vstack([onnx_embedder.encode_passages([text]) for text in MIXED_LENGTHS])
    assert cosines(together, alone).min() >= 0.9999
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_every_engine_reads_the_folder_alike(torch_embedder, onnx_embedder, int8_embedder):
    texts = [f"passage: {p}" for p in PASSAGES]
    for embedder in (onnx_embedder, int8_embedder):
        assert (embedder.dimension, embedder.max_tokens, embedder.name) == (384, 512, torch_embedder.name)
        assert embedder.count_tokens(texts) == torch_embedder.count_tokens(texts)


def test_the_fingerprint_names_the_engine_and_keeps_pytorch_indexes_valid(model_path, torch_embedder, onnx_embedder,
                                                                          int8_embedder):
    assert torch_embedder.fingerprint == model_fingerprint(model_path)
    assert len({torch_embedder.fingerprint, onnx_embedder.fingerprint, int8_embedder.fingerprint}) == 3
    assert onnx_embedder.fingerprint == engine_fingerprint(model_path, "onnx")


def test_an_index_built_by_one_engine_is_refused_by_another_in_french(tmp_path, model_path, torch_embedder, onnx_embedder):
    passages = tmp_path / "passages.jsonl"
    passages.write_text("\n".join(json.dumps({"id": f"p{i}", "title": f"Passage {i}", "text": text}, ensure_ascii=False)
                                  for i, text in enumerate(PASSAGES)), encoding="utf-8")
    index_dir = tmp_path / "index"
    build_index(PassagesFile(passages), index_dir, IndexConfig(model_path=model_path, engine="torch"), embedder=torch_embedder)

    assert is_up_to_date(PassagesFile(passages), index_dir, IndexConfig(model_path=model_path, engine="torch"))
    assert not is_up_to_date(PassagesFile(passages), index_dir, IndexConfig(model_path=model_path, engine="onnx"))
    with pytest.raises(ModelMismatchError, match=r"moteur « torch ».*moteur « onnx ».*reconstruire l'index"):
        IndexSnapshot.open(index_dir, onnx_embedder.fingerprint, model_engine=onnx_embedder.engine)


def test_serving_with_onnx_never_imports_torch(model_path):
    script = ("import sys; from assistant.api.app import create_app; from index.embedding import Embedder; "
              f"Embedder({str(model_path)!r}, engine='onnx-int8').encode_query('télétravail'); "
              "print(sorted({'torch', 'transformers', 'sentence_transformers'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    assert done.stdout.strip() == "[]"


def test_model_install_writes_the_onnx_files(model_path):
    install_model(model_path)
    assert has_onnx(model_path)
    assert onnx_path(model_path, quantized=True).stat().st_size < onnx_path(model_path, quantized=False).stat().st_size / 3


@pytest.mark.slow
def test_model_install_adds_onnx_files_to_an_installed_folder_with_dynamic_batch_and_length(tiny_model, tmp_path):
    folder = shutil.copytree(tiny_model, tmp_path / "installed")
    install_model(folder)
    assert has_onnx(folder)
    onnx, torch = Embedder(folder, engine="onnx"), Embedder(folder, engine="torch")
    assert onnx.dimension == 32
    assert cosines(onnx.encode_passages(MIXED_LENGTHS, batch_size=3), torch.encode_passages(MIXED_LENGTHS)).min() >= 0.9999


@pytest.mark.slow
def test_a_folder_without_onnx_files_gets_them_on_first_use(tiny_model, tmp_path, caplog):
    folder = shutil.copytree(tiny_model, tmp_path / "bare", ignore=shutil.ignore_patterns("onnx"))
    with caplog.at_level(logging.INFO, logger="index.onnx_export"):
        embedder = Embedder(folder, engine="onnx-int8")
    assert has_onnx(folder)
    assert "export au premier usage" in caplog.text
    assert embedder.encode_query("laboratoire").shape == (32,)


def test_export_is_skipped_when_the_files_exist(model_path):
    before = onnx_path(model_path, quantized=False).stat().st_mtime_ns
    export_onnx(model_path)
    assert onnx_path(model_path, quantized=False).stat().st_mtime_ns == before


def test_health_names_the_engine(default_service):
    assert default_service.health().encoder == default_service.embedder.engine


def test_the_token_table_is_read_row_by_row_from_disk_as_the_model_holds_it(tmp_path):
    table = np.random.default_rng(7).standard_normal((50, 4)).astype(np.float32)
    np.save(tmp_path / "table.npy", table)
    ids = np.array([[3, 49, 3], [0, 1, 2]])

    assert np.array_equal(TokenTable(tmp_path / "table.npy").vectors(ids), table[ids])
    full_cache = TokenTable(tmp_path / "table.npy", cached_rows=2)
    assert np.array_equal(full_cache.vectors(ids), table[ids])
    assert np.array_equal(full_cache.vectors(ids[::-1]), table[ids[::-1]])
    with pytest.raises(IndexError, match="hors de la table"):
        TokenTable(tmp_path / "table.npy").vectors(np.array([[50]]))


def test_the_onnx_graphs_start_from_token_vectors_taken_from_the_exported_table(model_path):
    import onnxruntime as ort
    from safetensors import safe_open

    rows = np.array([0, 1, 250, 70_000])
    weights = safe_open(str(model_path / "model.safetensors"), "np").get_tensor("embeddings.word_embeddings.weight")
    assert np.array_equal(TokenTable(embeddings_path(model_path)).vectors(rows), weights[rows])
    for quantized in (False, True):
        names = [graph_input.name for graph_input in ort.InferenceSession(str(onnx_path(model_path, quantized))).get_inputs()]
        assert names == ["inputs_embeds", "attention_mask"]
