"""The default embedder runs the shipped model as the lean model built from it: the same vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import bundled_entries

from rag.embeddings import ModelFileError, OnnxMiniLM, shipped_model
from rag.library.ingest import embedding_text
from rag.model_files import lean_model

# of very different lengths, so that runs of several texts pad the short ones
TEXTS = [embedding_text(t, a) for t, a in bundled_entries(6)] + [
    "gpt",
    "bees hum before swarming",
    "x " * 300,
]


class AsShipped(OnnxMiniLM):
    """The shipped file exactly as onnxruntime runs it by default."""

    disabled_optimizers = ()

    def __init__(self) -> None:
        super().__init__(model_path=shipped_model())


def test_the_lean_model_is_built_once_and_gives_the_shipped_models_vectors(tmp_path: Path) -> None:
    notes: list[str] = []
    lean = OnnxMiniLM(model_dir=tmp_path, notify=notes.append)
    vectors = lean.embed(TEXTS)
    (built,) = tmp_path.iterdir()  # no work folder left behind
    assert len(notes) == 1 and str(built) in notes[0]
    guards = [n for n in onnx.load(str(built)).graph.node if n.op_type == "IsNaN"]
    assert guards == [] and any(n.op_type == "IsNaN" for n in onnx.load(str(shipped_model())).graph.node)
    stamp = built.stat().st_mtime_ns
    again = OnnxMiniLM(model_dir=tmp_path, notify=notes.append).embed(TEXTS[:2])
    assert len(notes) == 1 and built.stat().st_mtime_ns == stamp  # reused, not built again
    shipped = AsShipped().embed(TEXTS)
    assert np.abs(vectors - shipped).max() < 1e-5
    assert np.array_equal(again, vectors[:2])
    assert np.isfinite(vectors).all() and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_without_a_writable_model_folder_the_shipped_model_runs_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    notes: list[str] = []
    embedder = OnnxMiniLM(model_dir=tmp_path / "a-file" / "models", notify=notes.append)
    vectors = embedder.embed(TEXTS[:3])
    assert notes == [  # no "preparing" note for a folder that cannot be made
        f"the embedding model runs as shipped, a little slower: cannot write an embedding model to "
        f"{tmp_path / 'a-file' / 'models'}: Not a directory "
        "(set RAG_MODEL_DIR to a folder that can be written)"
    ]
    assert np.abs(vectors - AsShipped().embed(TEXTS[:3])).max() < 1e-5


def test_a_damaged_lean_model_is_built_again(tmp_path: Path, onnx_embedder: OnnxMiniLM) -> None:
    built = lean_model(tmp_path)
    size = built.stat().st_size
    built.write_bytes(b"not a model")
    vectors = OnnxMiniLM(model_dir=tmp_path).embed(TEXTS[:2])
    assert built.stat().st_size == size
    assert np.array_equal(vectors, onnx_embedder.embed(TEXTS[:2]))


def test_a_damaged_shipped_model_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    damaged = tmp_path / "model.onnx"
    damaged.write_bytes(b"not a model")
    monkeypatch.setattr("rag.embeddings.shipped_model", lambda: damaged)
    notes: list[str] = []
    with pytest.raises(ModelFileError, match=rf"^cannot load the embedding model {damaged}: \S"):
        OnnxMiniLM(model_dir=tmp_path / "models", notify=notes.append).embed(["x"])
    assert notes[-1].startswith("the embedding model runs as shipped, a little slower: Error parsing")
    assert list((tmp_path / "models").iterdir()) == []  # no half-built file left
