"""The Assistant: one object that owns the store, embedder and keyword index for every command."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Paths, SearchMode, Settings, resolve_paths
from .errors import EmptyStoreError, InputError

if TYPE_CHECKING:
    from .embeddings import Embedder
    from .index import IngestReport
    from .keyword import KeywordIndex
    from .retrieve import Retriever, SearchHit
    from .store import Store


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


class Assistant:
    """Question answering over an indexed collection of paper abstracts."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        store: Store | None = None,
        notify: Callable[[str], None] = _stderr,
    ) -> None:
        self.settings = settings or Settings()
        self.paths: Paths = resolve_paths(self.settings)
        self.notify = notify
        self._embedder = embedder
        self._store = store
        self._keyword: KeywordIndex | None = None

    @property
    def embedder(self) -> Embedder:
        """The embedding model named by the settings, created on first use."""
        if self._embedder is None:
            from .embeddings import make_embedder

            self._embedder = make_embedder(self.settings.embedder)
        return self._embedder

    def _spec(self) -> dict[str, Any]:
        from .embeddings import OnnxMiniLM

        if self._embedder is None and self.settings.embedder == "minilm-int8":
            name, dimension = OnnxMiniLM.name, OnnxMiniLM.dimension  # no model load needed
        else:
            name, dimension = self.embedder.name, self.embedder.dimension
        return {
            "embedder": name,
            "dimension": dimension,
            "chunk_size": self.settings.chunk_size,
            "chunk_overlap": self.settings.chunk_overlap,
        }

    @property
    def store(self) -> Store:
        """The Chroma collection, opened (and checked against the settings) on first use."""
        if self._store is None:
            self._store = self._open_store(reset=False)
        return self._store

    def _open_store(self, *, reset: bool) -> Store:
        from .store import Store

        self.paths.store_dir.mkdir(parents=True, exist_ok=True)
        return Store.open(
            path=str(self.paths.store_dir),
            url=self.settings.chroma_url,
            name=self.settings.collection,
            spec=self._spec(),
            reset=reset,
        )

    def ingest(
        self,
        paths: Sequence[str | Path] | None = None,
        *,
        prune: bool = False,
        rebuild: bool = False,
        progress: bool | None = None,
    ) -> IngestReport:
        """Read abstracts from files or directories (default: the bundled corpus) into the store."""
        from . import corpus
        from .index import ingest_corpus

        sources = [Path(p) for p in paths] if paths else [self.paths.data_dir]
        if not paths and not self.paths.data_dir.is_dir():
            raise InputError(f"no corpus directory at {self.paths.data_dir}: give files to ingest")
        report = corpus.read(sources)
        if rebuild:
            self._store = self._open_store(reset=True)
        result = ingest_corpus(
            report,
            self.store,
            self.embedder,
            chunk_size=self.settings.chunk_size,
            chunk_overlap=self.settings.chunk_overlap,
            batch_size=self.settings.embed_batch_size,
            keyword_path=self.paths.keyword_index,
            prune=prune,
            progress=progress,
        )
        self._keyword = None
        return result

    def _retriever(self) -> Retriever:
        from .index import ensure_keyword_index
        from .retrieve import Retriever

        if self.store.count() == 0:
            if not self.paths.data_dir.is_dir():
                raise EmptyStoreError(
                    f"the store at {self.store.location} is empty: run `rag ingest PATH` first"
                )
            self.notify(
                f"The store at {self.store.location} is empty: "
                f"ingesting the bundled corpus ({self.paths.data_dir}) first."
            )
            self.ingest()
        self._keyword = ensure_keyword_index(self.store, self.paths.keyword_index, self._keyword)
        return Retriever(
            self.store,
            self.embedder,
            self._keyword,
            candidates=self.settings.candidates,
            rrf_k=self.settings.rrf_k,
        )

    def search(self, query: str, *, k: int | None = None, mode: SearchMode | None = None) -> list[SearchHit]:
        """The papers most relevant to a query, best first, each with its best evidence."""
        if not query.strip():
            raise InputError("the question is empty")
        mode = mode or self.settings.mode
        if mode not in ("hybrid", "dense", "keyword"):
            raise InputError(f"unknown search mode {mode!r}: use hybrid, dense or keyword")
        return self._retriever().search(query, k=k or self.settings.k, mode=mode)

    def info(self) -> dict[str, Any]:
        """Where the store is, what it holds, and the settings in effect."""
        store = self.store
        return {
            "store": store.location,
            "collection": self.settings.collection,
            "papers": len(store.papers()),
            "chunks": store.count(),
            "embedder": store.spec["embedder"],
            "dimension": store.spec["dimension"],
            "schema_version": store.spec["schema_version"],
            "keyword_index": str(self.paths.keyword_index),
            "settings": self.settings.model_dump(mode="json"),
        }


_default: Assistant | None = None


def default_assistant() -> Assistant:
    """The process-wide Assistant for the default settings (kept warm between calls)."""
    global _default
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
) -> IngestReport:
    """Ingest files or directories (default: the bundled corpus) into the store."""
    assistant = Assistant(settings) if settings else default_assistant()
    return assistant.ingest(paths, prune=prune, rebuild=rebuild, progress=progress)


def search(
    query: str,
    *,
    k: int | None = None,
    mode: SearchMode | None = None,
    settings: Settings | None = None,
) -> list[SearchHit]:
    """The k papers most relevant to a query, best first."""
    assistant = Assistant(settings) if settings else default_assistant()
    return assistant.search(query, k=k, mode=mode)
