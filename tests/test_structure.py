"""The package's shape: who may import whom (dependencies point down), and which module talks to Chroma."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "rag"
# What each layer may import from the package; anything else would call back up.
LOWER = {
    "library": {"config", "errors", "answer", "embeddings", "library"},
    "query": {"citations", "errors", "library", "topic"},
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
        "citations",
        "config",
        "decide",
        "embeddings",
        "events",
        "evidence",
        "llm",
        "verify",
        "writers",
        "calibration",
    },
}


def _imports(path: Path) -> set[str]:
    """The rag modules a file imports (first component below rag), at any depth of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    inside_library = path.parent.name == "library"
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = (node.module or "").split(".")[0]
            if node.level == 1 and inside_library:
                found.add("library")
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
        sorted((PACKAGE / layer).glob("*.py")) if (PACKAGE / layer).is_dir() else [PACKAGE / f"{layer}.py"]
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
