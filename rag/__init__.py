"""Cited question answering over research-paper abstracts.

The public API: `ask`, `ingest`, `search`, `Assistant` (with `gather` and `answer`), the records
(`Answer`, `Citation`, `Source`, `PaperRef`, `SearchHit`, `Evidence`, `Query`), `Filter` (which papers a
search may return: `filters=` on ask, search, gather and stream), the events an answer
streams (`Token`, `Notice`, `Replaced`, `Done`) and `Settings`. Names load on first use so that
`rag --help` starts without importing chromadb, onnxruntime or llama-index.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .answer import Answer, Citation, PaperRef, Source
    from .api import Assistant
    from .config import Settings
    from .errors import NoMatchError, RagError
    from .events import AnswerStream, Done, Notice, Replaced, Token
    from .evidence import Evidence
    from .library.corpus import Paper
    from .library.filters import Filter
    from .library.ingest import IngestReport
    from .query import Query
    from .retrieve import SearchHit
    from .shortcuts import ask, ingest, search

_HOMES = {
    "Answer": "answer",
    "Citation": "answer",
    "PaperRef": "answer",
    "Source": "answer",
    "Assistant": "api",
    "Settings": "config",
    "RagError": "errors",
    "NoMatchError": "errors",
    "Filter": "library.filters",
    "AnswerStream": "events",
    "Done": "events",
    "Notice": "events",
    "Replaced": "events",
    "Token": "events",
    "Evidence": "evidence",
    "Paper": "library.corpus",
    "IngestReport": "library.ingest",
    "Query": "query",
    "SearchHit": "retrieve",
    "ask": "shortcuts",
    "ingest": "shortcuts",
    "search": "shortcuts",
}
__all__ = [
    "Answer",
    "AnswerStream",
    "Assistant",
    "Citation",
    "Done",
    "Evidence",
    "Filter",
    "IngestReport",
    "NoMatchError",
    "Notice",
    "Paper",
    "PaperRef",
    "Query",
    "RagError",
    "Replaced",
    "SearchHit",
    "Settings",
    "Source",
    "Token",
    "ask",
    "ingest",
    "search",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
