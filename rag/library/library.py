"""A store of papers on disk (or on a Chroma server) as one object: opened and probed on first use,
filled with the bundled corpus when new, ingested into by one writer at a time, rebuilt beside
itself, and set aside when damaged."""

from __future__ import annotations

import contextlib
import datetime
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from ..config import Paths, StoreSettings
from ..errors import (
    DamagedStoreError,
    EmbedderError,
    EmptyStoreError,
    InputError,
    StoreError,
    StoreMismatchError,
)
from .filters import FIELDS_VERSION
from .layout import Layout

if TYPE_CHECKING:
    from ..answer import PaperRef
    from ..embeddings import Embedder
    from .corpus import CorpusReport
    from .filters import Filter, Scope
    from .ingest import IngestReport
    from .keyword import KeywordIndex
    from .lock import WriteLock
    from .space import WriteGuard
    from .store import Store


class IngestOptions(TypedDict, total=False):
    """How files are ingested, as `Library.ingest` and `Assistant.ingest` take them."""

    prune: bool  # remove the papers of those files' sources that left them
    rebuild: bool  # build a new store beside the old one and swap it in
    progress: bool | None  # a progress bar (default: when stderr is a terminal)
    category: str | Sequence[str] | None  # "cs.CL,cs.LG" or a list; "cs" is every cs.*
    since: str | datetime.date | None  # "2023-01-01": records of that date or later


@contextlib.contextmanager
def _embedding_failure(outcome: str) -> Iterator[None]:
    """An embedding server that gave up mid-ingest: its error says what became of the store."""
    try:
        yield
    except EmbedderError as exc:
        raise EmbedderError(f"{exc}; {outcome}") from None


class Library:
    """The papers of one store, their chunks and vectors, and the keyword index beside them."""

    def __init__(
        self,
        settings: StoreSettings,
        paths: Paths,
        *,
        embedder: Embedder | None = None,
        store: Store | None = None,
        notify: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self.paths = paths
        self.layout = Layout(paths.store_dir, paths.keyword_index, settings.chroma_url or None)
        self.notify = notify
        self._embedder = embedder
        self._store = store
        self._keyword: KeywordIndex | None = None
        self._new_store = False  # whether this library created the store (on its first use)
        self._read = self.layout  # where the store is read: a copy when it cannot be written
        self.wrote = False  # whether it has written to the store (ingest)
        self._staging: Store | None = None  # a rebuild's new collection until it is swapped in
        self._scope: tuple[tuple[Filter, str], Scope] | None = None  # the last filter resolved

    @property
    def embedder(self) -> Embedder:
        """The embedding model named by the settings, created on first use."""
        if self._embedder is None:
            from ..embeddings import make_embedder

            self._embedder = make_embedder(self.settings, model_dir=self.paths.model_dir, notify=self.notify)
        return self._embedder

    def spec(self) -> dict[str, Any]:
        """What the store must have been built with: embedder, dimension, chunking."""
        from ..embeddings import OnnxMiniLM

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

    def require(self) -> None:
        """Raise StoreError, creating nothing, when the configured embedded store does not exist."""
        self.layout.check_path()
        if not self.layout.exists():
            raise StoreError(
                f"no store at {self.layout.root}: create it with `rag ingest` (the bundled corpus) "
                "or `rag ingest PATH`"
            )

    @property
    def store(self) -> Store:
        """The Chroma collection, probed and checked against the settings on first use."""
        if self._store is None:
            from . import probe, readonly

            self._read = self.layout
            if self.layout.embedded:
                self.layout.check_path()
                self._new_store = not self.layout.exists()  # the bundled corpus may fill it
                if not self._new_store and not readonly.writable(self.layout):
                    self._read = readonly.reading_copy(self.layout, self.paths.read_only_copies, self.notify)
                probe.check(self._read.root, self.settings.collection)
            self._read.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            there = set(self._read.root.iterdir()) if self._new_store else set()
            try:
                self._store = self._open_store()
            except StoreMismatchError as exc:
                if not self._adopt_embedder(exc.differing):
                    raise
                self._store = self._open_store()
            except StoreError:
                if self._new_store:  # a full disk: what Chroma began would read as a damaged store
                    _remove_new(self._read.root, there)
                raise
        return self._store

    def _open_store(self) -> Store:
        from .store import Store

        return Store.open(
            path=str(self._read.root),
            url=self.settings.chroma_url,
            name=self.settings.collection,
            spec=self.spec(),
            location=str(self.layout.root),
            filter_fields=FIELDS_VERSION,
        )

    def _adopt_embedder(self, differing: dict[str, object]) -> bool:
        """Read a store with the local embedder it was built with when only that differs and no
        embedder was chosen (RAG_EMBEDDER unset, none passed in) nor made yet (no vector of the
        other kind exists): a store made with minilm-int8-fast is read with it."""
        if set(differing) != {"embedder"} or self._embedder is not None:
            return False
        if "embedder" in self.settings.model_fields_set:
            return False
        from ..embeddings import local_embedder

        adopted = local_embedder(str(differing["embedder"]), self.paths.model_dir, notify=self.notify)
        self._embedder = adopted
        return adopted is not None

    def reopen(self) -> None:
        """Let go of the open store and keyword index: the next use opens them as they are now
        (another process wrote to the store, and an open Chroma client keeps its old vector index)."""
        if self._store is not None:
            self._store.close()
        self._store = None
        self._keyword = None
        self._scope = None

    def keyword_index(self) -> KeywordIndex:
        """The keyword index for the store's contents; a new default store is filled first."""
        from .ingest import ensure_keyword_index

        # A warm library whose keyword index has chunks knows the store is not empty.
        if (self._keyword is None or not self._keyword.chunk_ids) and self.store.count() == 0:
            self._fill_new_store()
        store = self.store
        self._keyword = ensure_keyword_index(store, self._read.keyword_index, self._keyword)
        return self._keyword

    def _fill_new_store(self) -> None:
        """An empty store: the bundled corpus fills it only if this library just created it.

        A store that exists and is empty may have held a user's papers (or be mid-rebuild), so it
        is never filled with the demo corpus: the user is told how to fill it.
        """
        from .lock import writer

        busy = writer(self.layout.root)
        if busy:
            self._store = None  # a rebuild may have swapped its collection in since we opened ours
            if self.store.count():
                return
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

    def ingest(
        self,
        paths: Sequence[str | Path] | None = None,
        *,
        prune: bool = False,
        rebuild: bool = False,
        progress: bool | None = None,
        category: str | Sequence[str] | None = None,
        since: str | datetime.date | None = None,
    ) -> IngestReport:
        """Read abstracts from files or directories (default: the bundled corpus) into the store.

        category ("cs.CL,cs.LG" or a list; "cs" is every cs.*) and since ("2023-01-01") keep only
        the records of those categories and dates, chosen while reading (records that carry no
        categories, or no date, are kept).

        One writer at a time (StoreBusyError otherwise). A rebuild fills a new collection beside
        the old one and swaps it in at the end, so the old papers stay searchable until then and
        a killed rebuild loses nothing; a damaged store is moved aside first.
        """
        from . import corpus
        from .lock import WriteLock
        from .selection import Selection

        selection = Selection.of(category, since)  # a bad --since fails before anything is touched
        self.wrote = True
        self.layout.check_path()
        sources = [Path(p) for p in paths] if paths else [self.paths.data_dir]
        if not paths and not self.paths.data_dir.is_dir():
            raise InputError(f"no corpus directory at {self.paths.data_dir}: give files to ingest")
        with WriteLock(self.layout.root) as lock:  # a second writer is refused before any work
            # bad input fails here, before the store is touched
            report = corpus.read(
                sources, max_abstract_chars=self.settings.max_abstract_chars, selection=selection
            )
            if rebuild and (not report.papers or any(not f.entries and f.problems for f in report.files)):
                raise InputError(
                    "not rebuilding: "
                    + ("the sources hold no papers" if not report.papers else "some files could not be read")
                    + f"; the store at {self.layout.root} is unchanged"
                    + ("" if not report.problems else f" ({report.problems[0]})")
                )
            if rebuild:
                lock = self._set_aside_if_damaged(lock)
                try:
                    return self._rebuild(report, progress)
                finally:
                    lock.release()
            return self._update(report, prune=prune, progress=progress)

    @contextlib.contextmanager
    def _guarded(self) -> Iterator[WriteGuard | None]:
        """A write to an embedded store, checked for disk space first and undone if the disk fills
        up (DiskFullError); None for a server's store, whose disk is not ours to watch."""
        if not self.layout.embedded:
            yield None
            return
        from .space import WriteGuard

        guard = WriteGuard(self.layout.root, keep={self.paths.chat_history.name}, notify=self.notify)
        try:
            yield guard
        except BaseException as exc:  # Chroma's Rust core panics with a BaseException
            if isinstance(exc, KeyboardInterrupt | SystemExit) or not guard.full(exc):
                raise
            for store in {id(s): s for s in (self._store, self._staging) if s}.values():
                store.close()  # Chroma lets go of the files before they are put back
            self._store = self._staging = self._keyword = None
            raise guard.restore() from None
        finally:
            guard.done()

    def _update(self, report: CorpusReport, *, prune: bool, progress: bool | None) -> IngestReport:
        from .ingest import ingest_corpus

        with (
            self._guarded() as guard,
            _embedding_failure("the papers embedded before it are stored: run the ingest again to finish"),
        ):
            result = ingest_corpus(
                report,
                self.store,
                self.embedder,
                chunk_size=self.settings.chunk_size,
                chunk_overlap=self.settings.chunk_overlap,
                batch_size=self.settings.embed_batch_size,
                keyword_path=self.layout.keyword_index,
                prune=prune,
                progress=progress,
                before_write=guard.before_write if guard else None,
            )
            self._keyword = None
            self._after_write()
        # the lock is ours, so no rebuild runs on this embedded store (a server's is anyone's to rebuild)
        if self.layout.embedded and (left := self.store.drop_unfinished_rebuild()) is not None:
            result.notes.append(f"removed what a killed --rebuild left half built ({left} chunks)")
        return result

    def _rebuild(self, report: CorpusReport, progress: bool | None) -> IngestReport:
        from .ingest import Chunker, build_keyword_index, ingest_corpus
        from .store import Store

        self.layout.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self._guarded() as guard:
            if guard:  # everything is embedded again, beside the old collection
                chunker = Chunker(self.embedder, self.settings.chunk_size, self.settings.chunk_overlap)
                guard.before_write(sum(chunker.estimate(paper) for paper in report.papers))
            self._staging = staging = Store.staging(
                path=str(self.layout.root),
                url=self.settings.chroma_url,
                name=self.settings.collection,
                spec=self.spec(),
                filter_fields=FIELDS_VERSION,
            )
            # the keyword index is built for the swapped-in collection below
            with _embedding_failure(f"the store at {self.layout.root} is unchanged"):
                result = ingest_corpus(
                    report,
                    staging,
                    self.embedder,
                    chunk_size=self.settings.chunk_size,
                    chunk_overlap=self.settings.chunk_overlap,
                    batch_size=self.settings.embed_batch_size,
                    keyword_path=None,
                    progress=progress,
                )
            staging.swap_in()
            self._store, self._staging = staging, None
            self._keyword = build_keyword_index(staging, self.layout.keyword_index, staging.revision)
            self._after_write()
        return result

    def _set_aside_if_damaged(self, lock: WriteLock) -> WriteLock:
        """Move a damaged embedded store to `<store>.damaged-<time>`; the lock moves to the new one."""
        from . import probe
        from .lock import WriteLock

        root = self.layout.root
        if not self.layout.embedded or not self.layout.exists():
            return lock
        try:
            probe.check(root, self.settings.collection, force=True)
            return lock
        except DamagedStoreError as exc:
            damage = str(exc)
        aside = root.with_name(f"{root.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        root.rename(aside)
        new_lock = WriteLock(root, lock.command)
        new_lock.acquire()
        lock.release()
        history = self.paths.chat_history.name  # the chat's history stays with the store
        if (aside / history).is_file():
            shutil.copy2(aside / history, root / history)
        self._store = None
        self._keyword = None
        self.notify(f"{damage.split(';')[0]}; moved it to {aside} and rebuilding.")
        return new_lock

    def _after_write(self) -> None:
        """Owner-only permissions on the embedded store, and its files remembered as sound."""
        if not self.layout.embedded:
            return
        from . import probe
        from .store import restrict_permissions

        restrict_permissions(self._read.root)
        probe.remember_good(self._read.root)

    def scope(self, filters: Filter) -> Scope:
        """A filter resolved against the store as it is now: its where and the chunks it lets
        through (kept until the store changes). A store made before the filter keys gets them first."""
        from .filters import Scope

        where = filters.where()
        if where is None:
            raise ValueError("an empty filter has no scope")
        self._add_filter_fields()
        key = (filters, self.store.revision)
        if self._scope is None or self._scope[0] != key:
            ids = frozenset(self.store.ids(where))
            papers = len({chunk_id.rsplit("#", 1)[0] for chunk_id in ids})
            self._scope = (key, Scope(filters, where, ids, papers))
        return self._scope[1]

    def _add_filter_fields(self) -> None:
        """Give every chunk of a store made before the filter keys those keys (once, metadata only,
        as its writer: StoreBusyError while another process writes)."""
        if self.store.filter_fields >= FIELDS_VERSION:
            return
        from .ingest import add_filter_fields
        from .lock import WriteLock

        with WriteLock(self._read.root):  # of a read-only store, its private copy (readonly.py)
            if self.store.filter_fields >= FIELDS_VERSION:  # another process did it meanwhile
                return
            made = "before filters" if self.store.filter_fields == 0 else "with older filter fields"
            self.notify(
                f"The store at {self.store.location} was made {made}: adding their fields "
                "to its papers (once; nothing is embedded again)."
            )
            self.wrote = True
            add_filter_fields(self.store)
            self._after_write()

    def cap(self, k: int, candidates: int) -> int:
        """k papers, capped at what the store holds (a huge -k is not an error, nor an overflow)."""
        if k <= candidates:
            return k  # retrieval already asks for this many chunks; no count needed on the hot path
        held = self.store.count()
        if held and k > held:
            papers = len(self.store.papers())  # k counts papers; the chunk count bounds them cheaply
            self.notify(f"k={k} is more than the store holds ({papers} papers); using {papers}.")
            return papers
        return k

    def paper(self, paper_id: str) -> tuple[PaperRef, str]:
        """A stored paper and its full abstract (rebuilt from its chunks)."""
        from .ingest import paper_ref
        from .store import merge_chunks

        if not isinstance(paper_id, str):
            raise InputError(f"a paper id is text, not {type(paper_id).__name__}")
        chunks = self.store.chunks_of([paper_id]).get(paper_id)
        if not chunks:
            raise InputError(f"no paper {paper_id!r} in the store")
        return paper_ref(chunks[0][0].metadata), merge_chunks([c.text for c, _ in chunks])

    def unrecorded(self, filters: Filter) -> dict[str, str]:
        """The fields a filter tests that no paper in the store records, each with how to say it
        ("year": "a year", "authors": "authors")."""
        from .ingest import paper_ref

        papers = [paper_ref(meta) for meta in self.store.papers().values()]
        recorded = metadata_summary(papers)["with"]
        dated = recorded["date"]  # a date without its year ("Mar 11"): no year to filter on
        said = {
            "year": f"a year ({dated} record a day without a year)" if dated else "a year or date",
            "authors": "authors",
            "categories": "categories",
            "venue": "a venue",
            "tags": "tags",
        }
        return {field: said[field] for field in filters.fields() if not recorded[field]}

    def info(self) -> dict[str, Any]:
        """Where the store is and what it holds: counts, and what its papers' metadata covers."""
        from .ingest import paper_ref

        store = self.store
        papers = [paper_ref(meta) for meta in store.papers().values()]
        return {
            "store": store.location,
            "collection": self.settings.collection,
            "papers": len(papers),
            "chunks": store.count(),
            "embedder": store.spec["embedder"],
            "dimension": store.spec["dimension"],
            "schema_version": store.spec["schema_version"],
            "keyword_index": str(self._read.keyword_index),
            "metadata": metadata_summary(papers),
            "filter_fields": store.filter_fields >= FIELDS_VERSION,
        }


def _remove_new(root: Path, there: set[Path]) -> None:
    """Remove what appeared in a directory besides the entries that were there."""
    for entry in set(root.iterdir()) - there:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


TOP = 10  # the most frequent categories, venues and tags `rag info` names


def metadata_summary(papers: Sequence[PaperRef]) -> dict[str, Any]:
    """What the papers' metadata covers: how many have each field, papers by year, the most
    frequent categories, venues and tags."""
    from collections import Counter

    def top(counter: Counter[str]) -> dict[str, int]:
        return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:TOP])

    def tags(paper: PaperRef) -> list[str]:  # what --tag matches: tags, and keywords (Zotero's tags)
        return list(dict.fromkeys([*paper.tags, *paper.keywords]))

    years = Counter(p.year for p in papers if p.year)
    with_field = {
        name: sum(1 for p in papers if getattr(p, name))
        for name in ("authors", "year", "date", "venue", "doi", "arxiv_id", "url", "categories")
    }
    return {
        "with": {**with_field, "tags": sum(1 for p in papers if tags(p))},
        "years": {str(year): years[year] for year in sorted(years)},
        "categories": top(Counter(c for p in papers for c in p.categories)),
        "venues": top(Counter(p.venue for p in papers if p.venue)),
        "tags": top(Counter(t for p in papers for t in tags(p))),
    }
