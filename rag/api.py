"""The Assistant: one object that owns the store, embedder and keyword index for every command."""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Paths, SearchMode, Settings, printable_settings, resolve_paths, shipped_prompts_dir
from .errors import DamagedStoreError, EmptyStoreError, InputError, StoreError

if TYPE_CHECKING:
    from .answer import Answer
    from .corpus import CorpusReport
    from .embeddings import CachedEmbedder, Embedder
    from .index import IngestReport
    from .keyword import KeywordIndex
    from .llm import LLM
    from .lock import WriteLock
    from .pipeline import Evidence, Writer
    from .prompts import Prompts
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
        llms: dict[str, LLM] | None = None,
        notify: Callable[[str], None] = _stderr,
    ) -> None:
        self.settings = settings or Settings()
        self.paths: Paths = resolve_paths(self.settings)
        self.notify = notify
        self._embedder = embedder
        self._store = store
        self._keyword: KeywordIndex | None = None
        self._llms: dict[str, LLM] = dict(llms or {})
        self._prompts: Prompts | None = None
        self._new_store = False  # whether this assistant created the store (on its first use)
        self.wrote = False  # whether this assistant has written to the store (ingest)
        self._cached_embedder: CachedEmbedder | None = None

    @property
    def embedder(self) -> Embedder:
        """The embedding model named by the settings, created on first use."""
        if self._embedder is None:
            from .embeddings import make_embedder

            self._embedder = make_embedder(self.settings.embedder)
        return self._embedder

    @property
    def _answering_embedder(self) -> Embedder:
        """The embedder for questions and evidence sentences, remembering what it embedded
        (ingest uses `embedder` itself: chunks are embedded once anyway)."""
        if self._cached_embedder is None:
            from .embeddings import CachedEmbedder

            self._cached_embedder = CachedEmbedder(self.embedder)
        return self._cached_embedder

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

    def require_store(self) -> None:
        """Raise StoreError, creating nothing, when the configured embedded store does not exist."""
        if self.settings.chroma_url or (self.paths.store_dir / "chroma.sqlite3").is_file():
            return
        raise StoreError(
            f"no store at {self.paths.store_dir}: create it with `rag ingest` (the bundled corpus) "
            "or `rag ingest PATH`"
        )

    @property
    def store(self) -> Store:
        """The Chroma collection, opened (and checked against the settings) on first use."""
        if self._store is None:
            self._store = self._open_store()
        return self._store

    def _embedded(self) -> bool:
        return not self.settings.chroma_url

    def _open_store(self) -> Store:
        from .store import Store

        store_dir = self.paths.store_dir
        if self._embedded():
            from . import probe

            if not (store_dir / "chroma.sqlite3").is_file():
                self._new_store = True  # this process creates it: the bundled corpus may fill it
            probe.check(store_dir, self.settings.collection)
        store_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return Store.open(
            path=str(store_dir),
            url=self.settings.chroma_url,
            name=self.settings.collection,
            spec=self._spec(),
        )

    def ingest(
        self,
        paths: Sequence[str | Path] | None = None,
        *,
        prune: bool = False,
        rebuild: bool = False,
        progress: bool | None = None,
    ) -> IngestReport:
        """Read abstracts from files or directories (default: the bundled corpus) into the store.

        One writer at a time (StoreBusyError otherwise). A rebuild fills a new collection beside
        the old one and swaps it in at the end, so the old papers stay searchable until then and
        a killed rebuild loses nothing; a damaged store is moved aside first.
        """
        from . import corpus
        from .lock import WriteLock

        self.wrote = True
        sources = [Path(p) for p in paths] if paths else [self.paths.data_dir]
        if not paths and not self.paths.data_dir.is_dir():
            raise InputError(f"no corpus directory at {self.paths.data_dir}: give files to ingest")
        with WriteLock(self.paths.store_dir) as lock:  # a second writer is refused before any work
            # bad input fails here, before the store is touched
            report = corpus.read(sources, max_abstract_chars=self.settings.max_abstract_chars)
            if rebuild and (not report.papers or any(not f.entries and f.problems for f in report.files)):
                raise InputError(
                    "not rebuilding: "
                    + ("the sources hold no papers" if not report.papers else "some files could not be read")
                    + f"; the store at {self.paths.store_dir} is unchanged"
                    + ("" if not report.problems else f" ({report.problems[0]})")
                )
            if rebuild:
                lock = self._set_aside_if_damaged(lock)
                try:
                    return self._rebuild(report, progress)
                finally:
                    lock.release()
            return self._ingest(report, prune=prune, progress=progress)

    def _ingest(self, report: CorpusReport, *, prune: bool, progress: bool | None) -> IngestReport:
        from .index import ingest_corpus

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
        self._after_write()
        return result

    def _rebuild(self, report: CorpusReport, progress: bool | None) -> IngestReport:
        from .index import build_keyword_index, ingest_corpus
        from .store import Store

        self.paths.store_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        staging = Store.staging(
            path=str(self.paths.store_dir),
            url=self.settings.chroma_url,
            name=self.settings.collection,
            spec=self._spec(),
        )
        result = ingest_corpus(
            report,
            staging,
            self.embedder,
            chunk_size=self.settings.chunk_size,
            chunk_overlap=self.settings.chunk_overlap,
            batch_size=self.settings.embed_batch_size,
            keyword_path=None,  # built for the swapped-in collection below
            progress=progress,
        )
        staging.swap_in()
        self._store = staging
        self._keyword = build_keyword_index(staging, self.paths.keyword_index, staging.revision)
        self._after_write()
        return result

    def _set_aside_if_damaged(self, lock: WriteLock) -> WriteLock:
        """Move a damaged embedded store to `<store>.damaged-<time>`; the lock moves to the new one."""
        import shutil
        import time

        from . import probe
        from .lock import WriteLock

        store_dir = self.paths.store_dir
        if not self._embedded() or not (store_dir / "chroma.sqlite3").is_file():
            return lock
        try:
            probe.check(store_dir, self.settings.collection, force=True)
            return lock
        except DamagedStoreError as exc:
            damage = str(exc)
        aside = store_dir.with_name(f"{store_dir.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        store_dir.rename(aside)
        new_lock = WriteLock(store_dir, lock.command)
        new_lock.acquire()
        lock.release()
        if (aside / "chat_history").is_file():
            shutil.copy2(aside / "chat_history", store_dir / "chat_history")
        self._store = None
        self._keyword = None
        self.notify(f"{damage.split(';')[0]}; moved it to {aside} and rebuilding.")
        return new_lock

    def _after_write(self) -> None:
        """Owner-only permissions on the embedded store, and its files remembered as sound."""
        if not self._embedded():
            return
        from . import probe
        from .store import restrict_permissions

        restrict_permissions(self.paths.store_dir)
        probe.remember_good(self.paths.store_dir)

    def open(self) -> None:
        """Open the store and its keyword index now rather than at the first question.

        A new default store is filled with the bundled corpus here, its progress shown, so that
        a terminal's spinner only covers the answering itself.
        """
        self._retriever()

    def _retriever(self) -> Retriever:
        from .index import ensure_keyword_index
        from .retrieve import Retriever

        # A warm assistant whose keyword index has chunks knows the store is not empty.
        if (self._keyword is None or not self._keyword.chunk_ids) and self.store.count() == 0:
            self._fill_new_store()
        self._keyword = ensure_keyword_index(self.store, self.paths.keyword_index, self._keyword)
        return Retriever(
            self.store,
            self._answering_embedder,
            self._keyword,
            candidates=self.settings.candidates,
            rrf_k=self.settings.rrf_k,
        )

    def _fill_new_store(self) -> None:
        """An empty store: the bundled corpus fills it only if this assistant just created it.

        A store that exists and is empty may have held a user's papers (or be mid-rebuild), so it
        is never filled with the demo corpus: the user is told how to fill it.
        """
        from .lock import writer

        busy = writer(self.paths.store_dir)
        if busy:
            raise EmptyStoreError(
                f"the store at {self.store.location} is empty while {busy} writes to it; "
                "try again when it has finished"
            )
        if not self._new_store or not self.paths.data_dir.is_dir():
            raise EmptyStoreError(
                f"the store at {self.store.location} holds no papers: add yours with `rag ingest PATH` "
                "(or the bundled corpus with `rag ingest`)"
            )
        self.notify(
            f"The store at {self.store.location} is new and empty: "
            f"ingesting the bundled corpus ({self.paths.data_dir}) first."
        )
        self.ingest()

    def _question(self, question: str) -> str:
        """The question stripped, and cut (saying so) if longer than max_question_chars."""
        question = question.strip()
        if not question:
            raise InputError("the question is empty")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            self.notify(
                f"The question ({len(question):,} characters) was cut to its first {limit:,} "
                "(RAG_MAX_QUESTION_CHARS)."
            )
            question = question[:limit]
        return question

    def search(self, query: str, *, k: int | None = None, mode: SearchMode | None = None) -> list[SearchHit]:
        """The papers most relevant to a query, best first, each with its best evidence."""
        query = self._question(query)
        mode = mode or self.settings.mode
        if mode not in ("hybrid", "dense", "keyword"):
            raise InputError(f"unknown search mode {mode!r}: use hybrid, dense or keyword")
        return self._retriever().search(query, k=self._k(k), mode=mode)

    def _k(self, k: int | None) -> int:
        """k, capped at what the store holds (a huge -k is not an error, nor an overflow)."""
        k = k or self.settings.k
        if k <= self.settings.candidates:
            return k  # retrieval already asks for this many chunks; no count needed on the hot path
        held = self.store.count()
        if held and k > held:
            self.notify(f"k={k} is more than the store holds ({held} chunks); using {held}.")
            return held
        return k

    @property
    def prompts(self) -> Prompts:
        """The prompt templates, loaded and checked on first use."""
        if self._prompts is None:
            from .prompts import load_prompts

            self._prompts = load_prompts(self.paths.prompts_dir, shipped=shipped_prompts_dir())
        return self._prompts

    def llm(self, name: str) -> LLM:
        """The backend of that name, created once and kept (a local model stays loaded)."""
        if name not in self._llms:
            from . import backends

            self._llms[name] = backends.build(name, self.settings)
        return self._llms[name]

    def use_model(self, model: str) -> str:
        """Answer with a GGUF file or an OpenAI model from now on; returns the backend it needs."""
        from .backends import model_settings

        changes = model_settings(model, self.settings)
        backend = changes.pop("llm")
        self.settings = self.settings.model_copy(update=changes)
        self._close_llm(backend)
        return str(backend)

    def models(self) -> dict[str, Any]:
        """The models usable here, and the chain `auto` would try."""
        from .backends import available_models, chain

        return {"models": available_models(self.settings), "auto": chain(self.settings, "auto")}

    def _close_llm(self, name: str) -> None:
        llm = self._llms.pop(name, None)
        close = getattr(llm, "close", None)
        if close:
            close()

    def close(self) -> None:
        """Stop what this assistant started (the local model's process)."""
        for name in list(self._llms):
            self._close_llm(name)

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stream(
        self, question: str, *, k: int | None = None, llm: str | None = None, mode: SearchMode | None = None
    ) -> AnswerStream:
        """Answer a question; iterate for the text as it is written, then read `.answer`."""
        question = self._question(question)
        return AnswerStream(
            self._compose(question, self._k(k), llm, mode or self.settings.mode), on_answer=self._log
        )

    def as_retriever(self, k: int | None = None, mode: SearchMode | None = None) -> Any:
        """A llama-index BaseRetriever over this store: one node per paper (id = paper_id, text =
        its evidence, metadata: title, url, authors, year, sources), scored by the fused score."""
        from .llamaindex import PaperRetriever

        return PaperRetriever(self, k=k, mode=mode)

    def as_query_engine(self, llm: str | None = None, k: int | None = None) -> Any:
        """A llama-index BaseQueryEngine whose query() gives a Response with the cited answer, the
        cited papers as source_nodes (in citation order) and the full Answer in its metadata."""
        from .llamaindex import CitedQueryEngine

        return CitedQueryEngine(self, llm=llm, k=k)

    def _log(self, answer: Answer) -> None:
        """Record an answer in the answer log (unless RAG_LOG=0); never fails the answer."""
        if not self.settings.log:
            return
        from .log import AnswerLog
        from .prompting import search_query

        AnswerLog(self.paths.log).record(
            answer, searched=search_query(answer.question), settings=printable_settings(self.settings)
        )

    def logs(self, *, limit: int = 10, query: str | None = None) -> list[dict[str, Any]]:
        """The latest logged answers, newest first; with a query, those whose words match."""
        from .log import AnswerLog

        return AnswerLog(self.paths.log).entries(limit=limit, query=query)

    def log_entry(self, entry_id: int) -> dict[str, Any]:
        """One logged answer by id (InputError if there is none)."""
        from .log import AnswerLog

        entry = AnswerLog(self.paths.log).get(entry_id)
        if entry is None:
            raise InputError(f"no answer {entry_id} in the log {self.paths.log}")
        return entry

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        llm: str | None = None,
        mode: SearchMode | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer a question with cited papers (or a refusal); on_token sees the text as it streams."""
        stream = self.stream(question, k=k, llm=llm, mode=mode)
        for token in stream:
            if on_token:
                on_token(token)
        assert stream.answer is not None
        return stream.answer

    def _writer(self, name: str) -> Writer:
        from .llm import EXTRACTIVE
        from .pipeline import ExtractiveWriter, LLMWriter

        if name == EXTRACTIVE:
            return ExtractiveWriter(self._answering_embedder)
        return LLMWriter(self.llm(name), self.prompts, self._answering_embedder, self.settings)

    def gather(self, question: str, *, k: int | None = None, mode: SearchMode | None = None) -> Evidence:
        """The evidence for a question (sources, their texts and vectors, decision signals), unanswered."""
        from .pipeline import retrieve

        return retrieve(
            self._question(question),
            retriever=self._retriever(),
            store=self.store,
            embedder=self._answering_embedder,
            k=self._k(k),
            mode=mode or self.settings.mode,
        )

    def _compose(
        self, question: str, k: int, llm: str | None, mode: SearchMode
    ) -> Generator[str, None, Answer]:
        from . import backends
        from .pipeline import Pipeline

        backends.check_choice(self.settings, llm)
        pipeline = Pipeline(
            settings=self.settings,
            retriever=self._retriever,
            store=self.store,
            embedder=self._answering_embedder,
            writers=self._writer,
        )
        return pipeline.run(question, k=k, mode=mode, chain=backends.chain(self.settings, llm))

    def paper(self, paper_id: str) -> dict[str, Any]:
        """A stored paper's metadata and full abstract (rebuilt from its chunks)."""
        from .index import merge_chunks, paper_fields

        chunks = self.store.chunks_of([paper_id]).get(paper_id)
        if not chunks:
            raise InputError(f"no paper {paper_id!r} in the store")
        return {**paper_fields(chunks[0][0].metadata), "abstract": merge_chunks([c.text for c, _ in chunks])}

    def condense(
        self, question: str, history: list[tuple[str, str]], *, llm: str | None = None
    ) -> str | None:
        """A follow-up rewritten by the LLM as a standalone question; None when no LLM gives one."""
        from . import backends
        from .llm import EXTRACTIVE, LLMUnavailable

        lines = []
        for asked, answered in history:
            lines += [f"User: {asked}", f"Assistant: {answered[:400]}"]
        prompt = self.prompts.condense.format(history="\n".join(lines), question=question)
        for name in backends.chain(self.settings, llm):
            if name == EXTRACTIVE:
                return None
            try:
                reply = "".join(
                    self.llm(name).stream(
                        [{"role": "user", "content": prompt}], max_tokens=64, temperature=0.0
                    )
                )
            except LLMUnavailable:
                continue
            first = reply.strip().splitlines()[0].strip().strip('"') if reply.strip() else ""
            # A small model often answers instead of rewriting; only a question counts.
            return first if first.endswith("?") and 3 <= len(first) <= 300 else None
        return None

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
            "settings": printable_settings(self.settings),
        }


class AnswerStream:
    """The text of an answer as it is generated; `.answer` is the full Answer once iterated."""

    def __init__(
        self, generator: Generator[str, None, Answer], on_answer: Callable[[Answer], None] | None = None
    ) -> None:
        self._generator = generator
        self._on_answer = on_answer
        self.answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        self.answer = yield from self._generator
        if self._on_answer is not None:
            self._on_answer(self.answer)


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


def ask(
    question: str,
    *,
    k: int | None = None,
    llm: str | None = None,
    mode: SearchMode | None = None,
    settings: Settings | None = None,
) -> Answer:
    """Answer a question from the indexed papers, every claim cited, or refuse."""
    assistant = Assistant(settings) if settings else default_assistant()
    return assistant.ask(question, k=k, llm=llm, mode=mode)
