"""Cited question answering over research-paper abstracts.

The public API: `ask`, `ingest`, `search`, `Assistant`, `Answer`, `Citation`, `Settings`.
Names load on first use so that `rag --help` starts without importing chromadb, onnxruntime or llama-index.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .answer import Answer, Citation
    from .api import Assistant, ask, ingest, search
    from .config import Settings
    from .errors import RagError
    from .events import AnswerStream
    from .library.corpus import Paper
    from .library.ingest import IngestReport
    from .retrieve import SearchHit

__all__ = [
    "Answer",
    "AnswerStream",
    "Assistant",
    "Citation",
    "IngestReport",
    "Paper",
    "RagError",
    "SearchHit",
    "Settings",
    "ask",
    "ingest",
    "search",
]

_HOMES = {
    "Answer": "answer",
    "Citation": "answer",
    "AnswerStream": "events",
    "Assistant": "api",
    "ask": "api",
    "ingest": "api",
    "search": "api",
    "Settings": "config",
    "Paper": "library.corpus",
    "RagError": "errors",
    "IngestReport": "library.ingest",
    "SearchHit": "retrieve",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
