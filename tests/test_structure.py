"""The package's shape: who may import whom (dependencies point down), and which module talks to Chroma."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "rag"
# What each layer may import from the package; anything else would call back up.
LOWER = {
    "library": {"config", "errors", "answer", "embeddings", "library", "untrusted"},
    "query": {"citations", "errors", "library", "properties", "scope", "topic", "untrusted"},
    "evidence": {
        "answer",
        "citations",
        "config",
        "decide",
        "embeddings",
        "errors",
        "library",
        "query",
        "retrieve",
        "topic",
        "calibration",
    },
    "answerer": {
        "answer",
        "aspects",
        "citations",
        "config",
        "decide",
        "embeddings",
        "events",
        "evidence",
        "expansion",
        "llm",
        "mentioned",
        "query",
        "record_answer",
        "unstated",
        "verify",
        "writers",
        "calibration",
    },
}


def _imports(path: Path) -> set[str]:
    """The rag modules a file imports (first component below rag), at any depth of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    package = path.parent.relative_to(PACKAGE).parts  # ("library", "formats") for a reader
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = (node.module or "").split(".")[0]
            anchor = package[: len(package) - (node.level - 1)]  # the package the dots lead to
            if anchor:
                found.add(anchor[0])
            elif base:
                found.add(base)
            else:  # from . import x
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rag."):
            found.add(node.module.split(".")[1])  # type: ignore[union-attr]
    return found


@pytest.mark.parametrize("layer", sorted(LOWER))
def test_dependencies_point_down(layer: str) -> None:
    files = (
        sorted((PACKAGE / layer).rglob("*.py")) if (PACKAGE / layer).is_dir() else [PACKAGE / f"{layer}.py"]
    )
    for path in files:
        above = _imports(path) - LOWER[layer]
        assert not above, f"{path.relative_to(PACKAGE.parent)} imports {sorted(above)}"


def test_only_the_store_module_imports_chromadb() -> None:
    importers = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(name.split(".")[0] == "chromadb" for name in names):
                importers.append(str(path.relative_to(PACKAGE)))
    assert sorted(set(importers)) == ["library/store.py"]


def test_the_facade_stays_thin() -> None:
    tree = ast.parse((PACKAGE / "api.py").read_text(encoding="utf-8"))
    assistant = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Assistant")
    for method in assistant.body:  # __init__ wires the parts: that is its work
        if isinstance(method, ast.FunctionDef) and method.name != "__init__":
            body = [n for n in method.body if not isinstance(n, ast.Expr | ast.ImportFrom)]
            assert len(body) <= 6, f"Assistant.{method.name} does work of its own: move it where it belongs"
    lines = (assistant.end_lineno or 0) - assistant.lineno + 1
    assert lines <= 150, f"Assistant is {lines} lines: a facade that wires the parts is at most 150 (#19)"


# Every setting, each read from RAG_<NAME> (and OPENAI_* for the key and URL): those of the first
# release, then the later ones.
SETTINGS = (
    "store_dir chroma_url collection data_dir embedder embed_batch_size chunk_size chunk_overlap k mode "
    "candidates rrf_k llm openai_api_key openai_base_url openai_model llm_timeout llm_max_retries "
    "local_model model_dir local_threads local_base_url local_server_model local_context evidence_tokens "
    "evidence_margin max_answer_tokens temperature log log_path max_question_chars max_abstract_chars "
    "refusal_threshold support_threshold prompts_dir "
    "llm_answer_timeout embed_base_url embed_api_key embed_timeout embed_max_retries"
).split()


def test_settings_are_grouped_and_keep_every_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.config import AnswerSettings, ModelSettings, RetrievalSettings, Settings, StoreSettings

    groups = (StoreSettings, RetrievalSettings, AnswerSettings, ModelSettings)
    assert sorted(Settings.model_fields) == sorted(SETTINGS)
    assert sorted(name for group in groups for name in group.model_fields) == sorted(SETTINGS)
    monkeypatch.setenv("RAG_K", "7")
    monkeypatch.setenv("RAG_LOCAL_CONTEXT", "1024")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("RAG_STORE_DIR", "elsewhere")
    settings = Settings()
    assert settings.k == 7 and settings.local_context == 1024 and str(settings.store_dir) == "elsewhere"
    assert settings.openai_api_key is not None and settings.openai_api_key.get_secret_value() == "sk-env"
    assert all(isinstance(settings, group) for group in groups)  # each part takes the group it needs
