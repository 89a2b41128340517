"""The module-level `ask`, `search` and `ingest`, over a process-wide assistant kept warm."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .api import Assistant
from .config import SearchMode, Settings

if TYPE_CHECKING:
    from .answer import Answer
    from .library.ingest import IngestReport
    from .retrieve import SearchHit

_default: Assistant | None = None


def _assistant(settings: Settings | None) -> Assistant:
    """An assistant for these settings, or the process-wide one for the defaults (kept warm)."""
    global _default
    if settings is not None:
        return Assistant(settings)
    if _default is None:
        _default = Assistant()
    return _default


def ingest(
    paths: Sequence[str | Path] | None = None,
    *,
    prune: bool = False,
    rebuild: bool = False,
    settings: Settings | None = None,
    progress: bool | None = None,
    category: str | Sequence[str] | None = None,
    since: str | datetime.date | None = None,
) -> IngestReport:
    """Ingest files or directories (default: the bundled corpus) into the store."""
    return _assistant(settings).ingest(
        paths, prune=prune, rebuild=rebuild, progress=progress, category=category, since=since
    )


def search(
    query: str, *, k: int | None = None, mode: SearchMode | None = None, settings: Settings | None = None
) -> list[SearchHit]:
    """The k papers most relevant to a query, best first."""
    return _assistant(settings).search(query, k=k, mode=mode)


def ask(
    question: str,
    *,
    k: int | None = None,
    llm: str | None = None,
    mode: SearchMode | None = None,
    settings: Settings | None = None,
) -> Answer:
    """Answer a question from the indexed papers, every claim cited, or refuse."""
    return _assistant(settings).ask(question, k=k, llm=llm, mode=mode)
