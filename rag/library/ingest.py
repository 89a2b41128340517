"""Chunking and idempotent upsert of papers; the keyword index that sits beside the store."""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..answer import PaperRef
from ..embeddings import Embedder, OnnxMiniLM
from . import filters
from .corpus import CorpusReport, FileReport, Paper
from .keyword import KeywordIndex
from .names import NameCollector
from .provenance import Provenance
from .store import LIST_SEPARATOR, Chunk, Metadata, Store, split_list, whole

# English WordPiece averages four characters a token; three errs on the side of more chunks.
CHARS_PER_TOKEN = 3
LIST_FIELDS = ("categories", "keywords", "tags")  # stored only when not empty


@dataclass
class IngestReport:
    """What an ingest read, embedded, updated, removed and skipped."""

    store: str
    files: list[FileReport]
    entries: int = 0
    papers: int = 0
    embedded: int = 0
    new: int = 0  # embedded papers the store did not hold
    changed: int = 0  # embedded papers whose text changed
    chunks_embedded: int = 0
    metadata_updated: int = 0
    unchanged: int = 0
    removed: int = 0
    removed_ids: list[str] = field(default_factory=list)  # the papers --prune removed
    store_papers: int = 0  # what the store holds afterwards
    store_chunks: int = 0
    replaced: list[str] = field(default_factory=list)  # stored papers whose text another replaced
    adopted: list[str] = field(default_factory=list)  # "doi:x -> arxiv:y": read under a stored id
    titles: dict[str, str] = field(default_factory=dict)  # of the papers replaced and removed, as stored
    prune_refused: str | None = None
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.prune_refused is None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "store": self.store,
            "files": [
                {
                    "path": f.path,
                    "format": f.format,
                    "entries": f.entries,
                    "new": f.new,
                    "merged": f.merged,
                    "replaced": f.replaced,
                    "filtered": f.filtered,
                    "no_abstract": f.no_abstract,
                    "merges": f.merges,
                    "problems": [str(p) for p in f.problems],
                    "notes": [str(n) for n in f.notes],
                }
                for f in self.files
            ],
            "entries": self.entries,
            "papers": self.papers,
            "embedded": self.embedded,
            "new": self.new,
            "changed": self.changed,
            "chunks_embedded": self.chunks_embedded,
            "metadata_updated": self.metadata_updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "removed_ids": self.removed_ids,
            "holds": {"papers": self.store_papers, "chunks": self.store_chunks},
            "replaced": self.replaced,
            "adopted": self.adopted,
            "titles": self.titles,
            "prune_refused": self.prune_refused,
            "problems": self.problems,
            "notes": self.notes,
            "seconds": round(self.seconds, 3),
        }


def _hash(value: object) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def text_hash(paper: Paper) -> str:
    """Hash of what is embedded: a change re-embeds the paper."""
    return _hash([paper.title, paper.abstract])


def paper_metadata(paper: Paper) -> Metadata:
    """The paper's metadata as flat values Chroma can filter on, with the derived filter keys
    (filters.py; not part of meta_hash, as they follow from the rest)."""
    meta: Metadata = {
        "paper_id": paper.paper_id,
        "title": paper.title,
        "sources": LIST_SEPARATOR.join(paper.sources),
        "authors": LIST_SEPARATOR.join(paper.authors),
        "links": LIST_SEPARATOR.join(paper.links),
    }
    if paper.paths:
        meta["paths"] = LIST_SEPARATOR.join(paper.paths)
    for name in LIST_FIELDS:
        if getattr(paper, name):
            meta[name] = LIST_SEPARATOR.join(getattr(paper, name))
    for name in ("url", "venue", "doi", "arxiv_id"):
        if getattr(paper, name):
            meta[name] = getattr(paper, name)
    if paper.year is not None:
        meta["year"] = paper.year
    if paper.date:
        meta["date"] = paper.date
    meta["text_hash"] = text_hash(paper)
    meta["meta_hash"] = _hash(sorted(meta.items()))
    meta.update(filters.fields(paper_ref(meta)))
    return meta


def embedding_text(title: str, text: str) -> str:
    """What is embedded and keyword-indexed for a chunk: the paper's title, then the chunk."""
    return f"{title}. {text}" if title else text


class Chunker:
    """Splits abstracts into sentence-aligned chunks measured in the embedder's tokens."""

    def __init__(self, embedder: Embedder, chunk_size: int, chunk_overlap: int) -> None:
        self._embedder = embedder
        self._size = chunk_size
        self._overlap = chunk_overlap
        self._splitters: dict[int, Any] = {}

    def _splitter(self, title: str) -> Any:
        # Title, chunk and the two special tokens must fit the embedder, or the chunk's end
        # would be cut from its vector: a long title shortens that paper's chunks.
        room = self._embedder.max_tokens - 2 - len(self._embedder.count_tokens(embedding_text(title, "")))
        size = max(32, min(self._size, room))
        if size not in self._splitters:
            from llama_index.core.node_parser import SentenceSplitter

            self._splitters[size] = SentenceSplitter(
                chunk_size=size,
                chunk_overlap=min(self._overlap, size // 2),
                tokenizer=self._embedder.count_tokens,
            )
        return self._splitters[size]

    def estimate(self, paper: Paper) -> int:
        """About how many chunks a paper makes, at most, without splitting it (for the disk check)."""
        tokens = len(paper.abstract) / CHARS_PER_TOKEN
        return max(1, math.ceil((tokens - self._overlap) / max(1, self._size - self._overlap)))

    def chunks(self, paper: Paper) -> list[Chunk]:
        """The paper's chunks with deterministic ids and its metadata on each."""
        splitter = self._splitter(paper.title)
        texts = [t for t in splitter.split_text(paper.abstract) if t.strip()] or [paper.abstract]
        base = paper_metadata(paper)
        return [
            Chunk(f"{paper.paper_id}#{i}", text, {**base, "chunk": i, "chunks": len(texts)})
            for i, text in enumerate(texts)
        ]


def picked(papers: Iterable[Paper], indexes: list[int]) -> Iterator[Paper]:
    """The papers at these indexes (ascending), read in one pass."""
    wanted = iter(indexes)
    following = next(wanted, None)
    for index, paper in enumerate(papers):
        if index == following:
            yield paper
            following = next(wanted, None)
            if following is None:
                return


def _batches(
    papers: Iterable[Paper], chunker: Chunker, size: int
) -> Iterator[tuple[list[Paper], list[Chunk]]]:
    batch_papers: list[Paper] = []
    batch_chunks: list[Chunk] = []
    for paper in papers:
        batch_papers.append(paper)
        batch_chunks.extend(chunker.chunks(paper))
        if len(batch_chunks) >= size:
            yield batch_papers, batch_chunks
            batch_papers, batch_chunks = [], []
    if batch_papers:
        yield batch_papers, batch_chunks


def _write(
    store: Store, papers: list[Paper], chunks: list[Chunk], vectors: Any, stored: dict[str, Metadata]
) -> None:
    """Store a batch of whole papers with their vectors."""
    store.upsert(chunks, vectors)
    # A changed paper's old chunks are replaced in place (same ids), so a failure before this
    # point leaves its old version; chunks beyond its new count go now.
    new_ids = {c.chunk_id for c in chunks}
    leftovers = [
        f"{p.paper_id}#{i}"
        for p in papers
        if p.paper_id in stored
        for i in range(whole(stored[p.paper_id].get("chunks")))
        if f"{p.paper_id}#{i}" not in new_ids
    ]
    if leftovers:
        store.delete_chunks(leftovers)


def _embed_and_write(
    batches: Iterator[tuple[list[Paper], list[Chunk]]],
    embedder: Embedder,
    store: Store,
    stored: dict[str, Metadata],
    report: IngestReport,
    bar: Any,
) -> None:
    """Embed the batches, the next one chunked and the last one written meanwhile, in threads
    (onnxruntime, the tokenizer and Chroma release the GIL). The local model embeds two batches
    at once, so that its threads never wait between them; a server gets one request at a time,
    in order. Batches are written whole and in order; those embedded before a failure are
    written before it is raised, none after it."""
    at_once = 2 if isinstance(embedder, OnnxMiniLM) else 1
    embedding: deque[tuple[list[Paper], list[Chunk], Future[Any]]] = deque()
    writes: deque[tuple[list[Paper], list[Chunk], Future[None]]] = deque()

    def finish_writes() -> None:
        while writes:
            papers, chunks, written = writes.popleft()
            written.result()
            report.embedded += len(papers)
            report.new += sum(p.paper_id not in stored for p in papers)
            report.changed += sum(p.paper_id in stored for p in papers)
            report.chunks_embedded += len(chunks)
            bar.update(len(papers))

    with (
        ThreadPoolExecutor(1, thread_name_prefix="chunk") as chunker,
        ThreadPoolExecutor(at_once, thread_name_prefix="embed-call") as embedder_calls,
        ThreadPoolExecutor(1, thread_name_prefix="write") as writer,
    ):
        load = getattr(embedder, "load", None)
        if load is not None:  # onnxruntime loads the model without the GIL while the first batch is
            embedder_calls.submit(load)  # chunked (a failure here is raised again by the first embed)
        upcoming = chunker.submit(next, batches, None)

        def start_embedding() -> None:
            nonlocal upcoming
            batch = upcoming.result()
            if batch is not None:
                upcoming = chunker.submit(next, batches, None)
                texts = [embedding_text(str(c.metadata["title"]), c.text) for c in batch[1]]
                embedding.append((*batch, embedder_calls.submit(embedder.embed, texts)))

        try:
            for _ in range(at_once):
                start_embedding()
            while embedding:
                papers, chunks, vectors = embedding.popleft()
                vectors.result()
                start_embedding()
                finish_writes()
                writes.append(
                    (papers, chunks, writer.submit(_write, store, papers, chunks, vectors.result(), stored))
                )
        finally:
            finish_writes()


def _progress(total: int, enabled: bool | None) -> Any:
    from tqdm import tqdm

    show = sys.stderr.isatty() if enabled is None else enabled
    return tqdm(total=total, unit="paper", desc="embedding", file=sys.stderr, disable=not show)


def _left_behind(stale: list[str], stored: dict[str, Metadata], provenance: Provenance) -> list[str]:
    """A note of the stored papers whose files were all read and hold them no more (an entry deleted,
    or edited into another paper: a DOI added, a title corrected), which --prune would remove."""
    left = [pid for pid in stale if provenance.all_read_whole(stored[pid])]
    if not left:
        return []
    files = ", ".join(sorted({name for pid in left for name in split_list(stored[pid].get("sources"))}))
    papers = f"{len(left)} stored paper{'s are' if len(left) != 1 else ' is'}"
    return [f"{papers} no longer in {files} (deleted, or edited into another): --prune removes them"]


def _of_files_read(
    stale: list[str], stored: dict[str, Metadata], provenance: Provenance
) -> tuple[list[str], list[str]]:
    """For a prune: the stale papers of the files read only (or of the directories read, their
    deleted files' papers too), and a note of the papers of other files it keeps (another
    directory's refs.bib is not the refs.bib read)."""
    mine = [pid for pid in stale if provenance.all_read(stored[pid])]
    others = [pid for pid in stale if pid not in mine]
    if not others:
        return mine, []
    files = sorted({provenance.shown(f) for pid in others for f in provenance.unread_files(stored[pid])})
    named = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    count = f"{len(others)} stored paper{'s' if len(others) != 1 else ''}"
    gone = " (a file gone: its directory)" if "(gone)" in named else ""
    advice = f"name them, or their directory{gone}, to prune them"
    notes = [f"--prune kept {count} of files not given ({named}): {advice}"]
    if provenance.directory and any(provenance.legacy(stored[pid]) for pid in others):  # by names only
        notes.append(
            "papers stored before rag recorded their files' paths are known by their files' names: "
            "a file gone from a directory keeps its papers until `rag ingest --rebuild` with your sources"
        )
    return mine, notes


def _prunable(
    stale: list[str], stored: dict[str, Metadata], corpus: CorpusReport, provenance: Provenance
) -> tuple[list[str], str | None]:
    """The stale papers a prune may remove, and why it keeps the others: none when the sources or a
    file yielded nothing (a mistyped path, an unreadable file) or subdirectories were not read (their
    papers would go); a paper of a file read with errors may be one of the entries those errors
    skipped (a bad byte skips the rest of a file)."""
    if stale and (not corpus.entries or any(not f.entries and f.problems for f in corpus.files)):
        empty = sorted({Path(f.path).name for f in corpus.files if not f.entries})
        which = f"{', '.join(empty)} gave no entry" if empty else "the sources gave no entry"
        return (
            [],
            f"not pruning: {which} (unreadable or empty), and their papers would be lost; fix and run again",
        )
    if stale and corpus.directories:
        return [], "not pruning: subdirectories were not read, and their papers would be lost; name them too"
    # a file read with errors, or there but not read (a review: "refs.2024" holds a .bib, unread)
    damaged = {pid: provenance.damaged(stored[pid]) for pid in stale}
    kept = {pid for pid in stale if damaged[pid]}
    if not kept:
        return stale, None
    sources = {name for pid in kept for name in damaged[pid]}
    why = (
        "not read (no format rag reads by its name): rename it and run again"
        if sources <= corpus.unread_names
        else "read with errors: fix the errors and run again"
    )
    note = (
        f"not pruning {len(kept)} paper{'s' if len(kept) != 1 else ''} of {', '.join(sorted(sources))}, {why}"
    )
    return [pid for pid in stale if pid not in kept], note


def ingest_corpus(
    corpus: CorpusReport,
    store: Store,
    embedder: Embedder,
    *,
    chunk_size: int,
    chunk_overlap: int,
    batch_size: int,
    keyword_path: Path | None,
    prune: bool = False,
    progress: bool | None = None,
    before_write: Callable[[int], None] | None = None,
) -> IngestReport:
    """Bring the store in line with the corpus: embed new and changed papers only; then rebuild
    the keyword index at keyword_path (None: the caller builds it). before_write is told how many
    chunks will be embedded before the first write (and may refuse it by raising)."""
    started = time.perf_counter()
    report = IngestReport(
        store=store.location, files=corpus.files, entries=corpus.entries, papers=len(corpus.papers)
    )
    report.problems = [str(p) for p in corpus.problems]
    report.notes = [str(n) for n in corpus.notes]
    stored = store.papers()
    report.adopted = adopt_stored_ids(corpus, stored)
    chunker = Chunker(embedder, chunk_size, chunk_overlap)
    to_embed: list[int] = []  # indexes into corpus.papers, which stay on disk until embedded
    chunks_expected = 0  # about how many chunks they make (for the disk check)
    to_update: list[Paper] = []
    provenance = Provenance(corpus, (p for meta in stored.values() for p in split_list(meta.get("paths"))))
    for index, paper in enumerate(corpus.papers):
        previous = stored.get(paper.paper_id)
        if previous is not None and (kept := provenance.with_unread_sources(paper, previous)):
            corpus.papers.save(index + 1, kept)
            paper = kept
        if previous is None or previous.get("text_hash") != text_hash(paper):
            to_embed.append(index)
            chunks_expected += chunker.estimate(paper)
            if previous is not None:
                report.replaced.append(paper.paper_id)
                report.titles[paper.paper_id] = str(previous.get("title") or "")
        elif previous.get("meta_hash") != paper_metadata(paper)["meta_hash"]:
            to_update.append(paper)
        else:
            report.unchanged += 1
    stale = [pid for pid in stored if not corpus.papers.has_id(pid)]
    if not prune:
        report.notes += _left_behind(stale, stored, provenance)
    stale, report.prune_refused = _prunable(stale if prune else [], stored, corpus, provenance)
    stale, others = _of_files_read(stale, stored, provenance)
    report.notes += others

    if not (to_embed or to_update or stale):
        report.seconds = time.perf_counter() - started
        if keyword_path is not None:
            ensure_keyword_index(store, keyword_path)
        report.store_papers, report.store_chunks = len(stored), store.count()
        return report

    if before_write is not None:
        before_write(chunks_expected)
    store.bump_revision()  # the keyword index is stale from the first write on
    if to_update:
        existing = store.get(
            [f"{p.paper_id}#{i}" for p in to_update for i in range(whole(stored[p.paper_id]["chunks"]))]
        )
        updates = []
        for paper in to_update:
            meta = paper_metadata(paper)
            for chunk_id, chunk in existing.items():
                if chunk.paper_id == paper.paper_id:
                    updates.append(
                        Chunk(
                            chunk_id,
                            chunk.text,
                            {**meta, "chunk": chunk.metadata["chunk"], "chunks": chunk.metadata["chunks"]},
                        )
                    )
        store.update_metadata(updates)
        report.metadata_updated = len(to_update)
    if stale:
        store.delete_papers(stale)
        report.removed, report.removed_ids = len(stale), stale
        report.titles.update({pid: str(stored[pid].get("title") or "") for pid in stale})
    if to_embed:
        with _progress(len(to_embed), progress) as bar:
            batches = _batches(picked(corpus.papers, to_embed), chunker, batch_size)
            _embed_and_write(batches, embedder, store, stored, report, bar)
    revision = store.bump_revision()
    if keyword_path is not None:
        build_keyword_index(store, keyword_path, revision)
    report.store_papers = len(stored) + report.new - report.removed
    report.store_chunks = store.count()
    report.seconds = time.perf_counter() - started
    return report


def adopt_stored_ids(corpus: CorpusReport, stored: dict[str, Metadata]) -> list[str]:
    """Papers read under a new id that a stored paper has by DOI or arXiv id take the stored id
    (a .bib entry stored as doi:X, then the arXiv snapshot's record of it): one paper, not two.
    Ids a file gave (JSONL `id`) are kept as given; each stored paper is taken once."""
    by_key: dict[str, str] = {}
    for stored_id, stored_meta in stored.items():
        for name in ("doi", "arxiv_id"):
            if stored_meta.get(name):
                by_key.setdefault(f"{name}:{stored_meta[name]}", stored_id)
    if not by_key:
        return []
    taken: set[str] = set()  # stored ids adopted so far
    adopted = []
    for index, paper in enumerate(corpus.papers):
        if paper.paper_id in stored or corpus.papers.given(paper.paper_id):
            continue
        for key in (
            f"doi:{paper.doi}" if paper.doi else "",
            f"arxiv_id:{paper.arxiv_id}" if paper.arxiv_id else "",
        ):
            pid = by_key.get(key, "")
            if not pid or pid in taken or corpus.papers.has_id(pid) or _contradicts(stored[pid], paper):
                continue
            adopted.append(f"{paper.paper_id} -> {pid}")
            taken.add(pid)
            corpus.papers.rename(index, pid)
            break
    return adopted


def _contradicts(meta: Metadata, paper: Paper) -> bool:
    """Whether a stored paper has another DOI or arXiv id than this one."""
    return any(
        meta.get(name) and getattr(paper, name) and meta.get(name) != getattr(paper, name)
        for name in ("doi", "arxiv_id")
    )


def build_keyword_index(store: Store, path: Path, revision: str) -> KeywordIndex:
    """Rebuild the keyword index (with the papers' names) from the collection's documents (page by
    page) and save it."""
    ids: list[str] = []
    names = NameCollector()

    def texts() -> Iterator[str]:
        for chunk in store.all_chunks():
            ids.append(chunk.chunk_id)
            title = str(chunk.metadata.get("title", ""))
            names.add(chunk.chunk_id.rsplit("#", 1)[0], title, chunk.text)
            yield embedding_text(title, chunk.text)

    index = KeywordIndex.build(ids, texts(), revision=revision)
    index.names = names.index()
    index.save(path)
    return index


def ensure_keyword_index(store: Store, path: Path, cached: KeywordIndex | None = None) -> KeywordIndex:
    """The keyword index for the collection's current revision, rebuilt if stale."""
    revision = store.revision
    if cached is not None and cached.revision == revision:
        return cached
    index = KeywordIndex.load(path)
    if index is not None and index.revision == revision:
        return index
    return build_keyword_index(store, path, revision)


def add_filter_fields(store: Store, *, page: int = 1000) -> int:
    """Write the filter keys onto every chunk of a store made before them, from the metadata it
    already holds (nothing is re-embedded), then record their version; the number of chunks."""
    updates = [
        Chunk(chunk.chunk_id, "", filters.fields(paper_ref(chunk.metadata))) for chunk in store.all_metadata()
    ]
    for start in range(0, len(updates), page):
        store.update_metadata(updates[start : start + page])
    store.mark_filter_fields(filters.FIELDS_VERSION)
    return len(updates)


def paper_ref(metadata: Metadata) -> PaperRef:
    """The paper a stored chunk belongs to, with its list fields restored."""
    year = metadata.get("year")
    date = metadata.get("date")
    url = metadata.get("url")
    return PaperRef(
        paper_id=str(metadata.get("paper_id", "")),
        title=str(metadata.get("title", "")),
        url=str(url) if url else None,
        authors=split_list(metadata.get("authors")),
        year=int(year) if isinstance(year, int) else None,
        date=str(date) if date else None,
        links=split_list(metadata.get("links")),
        files=split_list(metadata.get("sources")),
        venue=_text(metadata.get("venue")),
        doi=_text(metadata.get("doi")),
        arxiv_id=_text(metadata.get("arxiv_id")),
        categories=split_list(metadata.get("categories")),
        keywords=split_list(metadata.get("keywords")),
        tags=split_list(metadata.get("tags")),
    )


def _text(value: object) -> str | None:
    return str(value) if value else None
