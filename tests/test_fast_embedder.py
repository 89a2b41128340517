"""RAG_EMBEDDER=minilm-int8-fast: the shipped model rewritten with integer matrix products."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import bundled_entries, write_dump
from test_cli import run

from rag.embeddings import FastMiniLM, ModelFileError, OnnxMiniLM
from rag.errors import ConfigError, RagError
from rag.library.ingest import embedding_text
from rag.model_files import fast_model

TEXTS = [embedding_text(t, a) for t, a in bundled_entries(8)] + ["gpt", "bees hum before swarming"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model folder holding the fast embedder's model, built once for the module."""
    folder = tmp_path_factory.mktemp("fast-models")
    fast_model(folder)
    return folder


def test_the_fast_model_is_built_once_and_its_vectors_are_the_shipped_models_nearly(
    model_dir: Path, onnx_embedder: OnnxMiniLM
) -> None:
    (built,) = model_dir.glob("*.onnx")
    assert not [n for n in onnx.load(str(built)).graph.node if n.op_type == "IsNaN"]  # no NaN guards
    stamp = built.stat().st_mtime_ns
    notes: list[str] = []
    fast = FastMiniLM(model_dir, notify=notes.append)
    vectors = fast.embed(TEXTS)
    assert notes == [] and built.stat().st_mtime_ns == stamp  # reused, not built again
    assert [p.name for p in model_dir.iterdir()] == [built.name]  # no work folder left behind
    shipped = onnx_embedder.embed(TEXTS)
    assert fast.name != onnx_embedder.name  # other vectors: a store records which it holds
    cosine = (vectors * shipped).sum(axis=1)
    assert cosine.min() > 0.97 and np.median(cosine) > 0.99, cosine
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_texts_fast_vector_does_not_depend_on_the_texts_beside_it(model_dir: Path) -> None:
    """A dynamically quantized run scales its activations by the whole run's range: each text runs
    alone, so a question embedded alone meets its chunk's vector as ingest made it."""
    fast = FastMiniLM(model_dir)
    together = fast.embed(TEXTS)
    alone = np.stack([fast.embed([text])[0] for text in TEXTS])
    assert np.abs(together - alone).max() == 0.0


def test_a_store_made_with_the_fast_embedder_is_read_with_it_unless_another_is_chosen(
    model_dir: Path, tmp_path: Path
) -> None:
    corpus = write_dump(tmp_path / "dump.txt", bundled_entries(8))
    extra = write_dump(tmp_path / "extra.txt", bundled_entries(4, file_index=1))
    store = tmp_path / "store"
    folder = {"RAG_MODEL_DIR": str(model_dir)}
    fast = {**folder, "RAG_EMBEDDER": "minilm-int8-fast"}
    assert run("ingest", str(corpus), "--store", str(store), env=fast).returncode == 0
    # no embedder chosen: the store's own is used, to search and to add papers
    found = run("search", "player re-identification with CLIP", "-k", "1", "--store", str(store), env=folder)
    assert found.returncode == 0 and found.stdout.startswith("1. CLIP-ReIdent"), found.stdout + found.stderr
    assert run("ingest", str(extra), "--store", str(store), env=folder).returncode == 0
    info = json.loads(run("info", "--json", "--store", str(store), env=folder).stdout)
    assert info["embedder"] == "all-MiniLM-L6-v2-int8-dynamic-onnx" and info["papers"] == 12
    # another embedder chosen: refused in one line that says what to do
    other = run(
        "search", "player re-identification", "--store", str(store), env={"RAG_EMBEDDER": "minilm-int8"}
    )
    assert other.returncode != 0 and other.stderr.count("\n") == 1
    assert "embedder='all-MiniLM-L6-v2-int8-dynamic-onnx' (now 'all-MiniLM-L6-v2-int8-onnx')" in other.stderr
    assert "read it with the settings it was built with (RAG_EMBEDDER" in other.stderr


def test_without_onnx_or_a_writable_model_folder_the_error_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(RagError, match=r"cannot write an embedding model to .*a-file/models"):
        fast_model(tmp_path / "a-file" / "models")
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx raises ImportError
    with pytest.raises(ConfigError, match=r"needs the onnx package: pip install 'onnx>=1\.16'"):
        fast_model(tmp_path / "models")
    assert not (tmp_path / "models").exists()


def test_a_damaged_model_file_is_built_again_or_named_in_one_line(model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    (built,) = model_dir.glob("*.onnx")
    (folder / built.name).write_bytes(b"not a model")
    vector = FastMiniLM(folder).embed(["bees hum before swarming"])[0]
    assert (folder / built.name).stat().st_size == built.stat().st_size
    assert np.array_equal(vector, FastMiniLM(model_dir).embed(["bees hum before swarming"])[0])
    with pytest.raises(ModelFileError, match=r"^cannot load the embedding model .*not-a-model\.onnx: \S"):
        (tmp_path / "not-a-model.onnx").write_bytes(b"not a model")
        OnnxMiniLM(model_path=tmp_path / "not-a-model.onnx").embed(["x"])
