"""The public API: `Assistant`, a thin facade that wires the library, the backends and the answerer."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import backends
from .config import Paths, SearchMode, Settings, printable_settings, resolve_paths, shipped_prompts_dir
from .library.library import Library
from .untrusted import printable

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .answer import Answer
    from .embeddings import Embedder
    from .events import AnswerStream
    from .evidence import Evidence, Gatherer, SearchOptions
    from .library.ingest import IngestReport
    from .library.library import IngestOptions
    from .library.store import Store
    from .llm import LLM
    from .log import AnswerLog
    from .prompts import Prompts
    from .query import Query
    from .retrieve import SearchHit


def _stderr(message: str) -> None:
    print(printable(message), file=sys.stderr)


def _checked(settings: Settings | None) -> Settings:
    """The settings given (a TypeError naming the type given when they are no Settings), or the default."""
    if settings is not None and not isinstance(settings, Settings):
        raise TypeError(
            f"settings: a rag.config.Settings, not {type(settings).__name__} (Settings(**values))"
        )
    return settings or Settings()


class Assistant:
    """Question answering over an indexed collection of paper abstracts."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        store: Store | None = None,
        llms: dict[str, LLM] | None = None,
        notify: Callable[[str], None] = _stderr,
    ) -> None:
        self._settings = _checked(settings)
        self.paths: Paths = resolve_paths(self._settings)
        self.notify = notify
        # notify is looked up at each call: a caller may replace it later
        self.library = Library(
            self._settings, self.paths, embedder=embedder, store=store, notify=lambda m: self.notify(m)
        )
        self.pool = backends.Pool(llms)

    @property
    def settings(self) -> Settings:
        """The settings in effect; replacing them reaches every part (paths stay as resolved)."""
        return self._settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        self._settings = self.library.settings = settings
        if "gatherer" in self.__dict__:  # built already (cached_property)
            self.gatherer.settings = settings

    @cached_property
    def gatherer(self) -> Gatherer:
        """Question parsing, search and evidence gathering over the library."""
        from .evidence import Gatherer

        return Gatherer(self.library, self.settings)

    @cached_property
    def prompts(self) -> Prompts:
        """The prompt templates, loaded and checked on first use."""
        from .prompts import load_prompts

        return load_prompts(self.paths.prompts_dir, shipped=shipped_prompts_dir())

    def ingest(
        self, paths: Sequence[str | Path] | None = None, **options: Unpack[IngestOptions]
    ) -> IngestReport:
        """Read abstracts from files or directories (default: the bundled corpus) into the store."""
        return self.library.ingest(paths, **options)

    def open(self) -> None:
        """Open the store and its keyword index now (a new default store is filled here)."""
        self.library.keyword_index()

    def search(self, query: str, **options: Unpack[SearchOptions]) -> list[SearchHit]:
        """The papers most relevant to a query, best first, of those the filters pass (none: NoMatchError)."""
        return self.gatherer.search(query, **options)

    def gather(
        self, question: str | Query, *, pinned: Sequence[str] = (), **options: Unpack[SearchOptions]
    ) -> Evidence:
        """The evidence for a question, unanswered: what `answer` answers from (`pinned` ids first)."""
        return self.gatherer.gather(question, pinned=pinned, **options)

    def llm(self, name: str) -> LLM:
        """The backend of that name, built once and kept (a local model stays loaded)."""
        return self.pool.get(name, self.settings)

    def chain(self, llm: str | None = None) -> list[str]:
        """The backends an answer tries, in order (an explicit choice that cannot work: ConfigError)."""
        return backends.checked_chain(self.settings, llm)

    def answer(self, evidence: Evidence, *, llm: str | None = None) -> AnswerStream:
        """Answer from evidence already gathered; iterate for the events, then read `.answer`."""
        return self._answer(lambda: evidence, self.chain(llm))

    def stream(
        self, question: str, *, llm: str | None = None, **options: Unpack[SearchOptions]
    ) -> AnswerStream:
        """Answer a question: iterate for its events (Token, Notice, Replaced, Done), then read `.answer`."""
        query, k, mode = self.gatherer.prepared(question, **options)
        chain = self.chain(llm)  # the question is checked first, then the choice, then the store
        return self._answer(self.gatherer.later(query, k=k, mode=mode), chain)

    def _answer(self, evidence: Callable[[], Evidence], chain: list[str]) -> AnswerStream:
        from .answerer import Answerer
        from .writers import Writers

        writers = Writers(self.settings, self.pool, lambda: self.prompts, self.gatherer.embedder)
        answerer = Answerer(self.settings, writers, self.gatherer.embedder)
        return answerer.stream(
            evidence, chain, lambda done: self.log.record_done(done, self.settings, self.paths.store_dir)
        )

    def ask(
        self,
        question: str,
        *,
        llm: str | None = None,
        on_token: Callable[[str], None] | None = None,
        **options: Unpack[SearchOptions],
    ) -> Answer:
        """A cited answer (or a refusal) from the papers the filters let through; on_token sees its text."""
        return self.stream(question, llm=llm, **options).finish(on_token)

    @property
    def log(self) -> AnswerLog:
        """The answer log (`rag logs`); every answer is recorded unless RAG_LOG=0."""
        from .log import AnswerLog

        return AnswerLog(self.paths.log)

    def use_model(self, model: str) -> str:
        """Answer with a GGUF file or an OpenAI model from now on; returns the backend it needs."""
        self.settings, backend = backends.with_model(self.settings, model)
        self.pool.drop(backend)  # built with the old settings
        return backend

    def paper(self, paper_id: str) -> dict[str, Any]:
        """A stored paper's metadata and full abstract (rebuilt from its chunks)."""
        paper, abstract = self.library.paper(paper_id)
        return {**paper.to_dict(), "abstract": abstract}

    def info(self) -> dict[str, Any]:
        """Where the store is, what it holds, and the settings in effect."""
        return {**self.library.info(), "settings": printable_settings(self.settings)}

    def as_retriever(self, k: int | None = None, mode: SearchMode | None = None, filters: Any = None) -> Any:
        """A llama-index retriever, a node per paper; filters: MetadataFilters or `Filters` (llamaindex)."""
        from .llamaindex import PaperRetriever

        return PaperRetriever(self, k=k, mode=mode, filters=filters)

    def as_query_engine(self, llm: str | None = None, k: int | None = None) -> Any:
        """A llama-index query engine whose responses carry the cited answer (llamaindex.py)."""
        from .llamaindex import CitedQueryEngine

        return CitedQueryEngine(self, llm=llm, k=k)

    def close(self) -> None:
        """Stop what this assistant started (the local model's process)."""
        self.pool.close()

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
