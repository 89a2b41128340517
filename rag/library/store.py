"""The Chroma store: the only module that imports chromadb. Embedded or HTTP, same code path."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from ..config import mask_url
from ..errors import DamagedStoreError, StoreError, StoreMismatchError
from .layout import DATABASE

SCHEMA_VERSION = 1
_PAGE = 1000
# How widely the vector index searches. Chroma's default (100) missed some of the 60 nearest
# chunks on the bundled corpus, different ones in different processes, so an answer could change
# from one run to the next; 400 found the exact 60 in every process, for about 3 ms more a query
# at 100,000 papers.
SEARCH_EF = 400
STAGING_SUFFIX = ".rebuild"  # a rebuild fills "<name>.rebuild", then swaps it in under "<name>"
_SWAP_WAIT = 10.0  # seconds a reader waits for a swap (old collection gone, new one not yet renamed)
# Collection metadata that must match the current settings for a store to be usable.
SPEC_KEYS = ("schema_version", "embedder", "dimension", "chunk_size", "chunk_overlap")

# Flat values Chroma can filter on; lists only for the derived filter keys (filters.py), None only
# on the way in (an upsert or update removes that key).
Metadata = dict[str, str | int | float | bool | list[str] | None]
FILTER_FIELDS = "filter_fields"  # collection metadata: the version of the filter keys every chunk has


LIST_SEPARATOR = " | "  # a list of texts as one metadata value


def split_list(value: object) -> list[str]:
    """Undo the flattening of a list-valued metadata field."""
    return [v for v in str(value or "").split(LIST_SEPARATOR) if v]


def whole(value: object) -> int:
    """A stored count or position as an int (0 when absent)."""
    return int(value) if isinstance(value, int | float | str) else 0


@dataclass
class Chunk:
    """One stored chunk: its id, text, flat metadata, and similarity to a query if queried."""

    chunk_id: str
    text: str
    metadata: Metadata
    similarity: float | None = None

    @property
    def paper_id(self) -> str:
        return str(self.metadata["paper_id"])


def merge_chunks(texts: list[str]) -> str:
    """Rebuild a paper's text from its overlapping chunks (in order)."""
    merged = texts[0] if texts else ""
    for text in texts[1:]:
        overlap = next((n for n in range(min(len(merged), len(text)), 0, -1) if merged.endswith(text[:n])), 0)
        merged += ("" if overlap else " ") + text[overlap:]
    return merged


def connect(url: str | None, path: str) -> Any:
    """A Chroma client for a server URL, or for the embedded store at a path."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url if "://" in url else f"http://{url}")
        if not parsed.hostname:
            raise StoreError(f"RAG_CHROMA_URL {mask_url(url)!r} is not a URL like http://127.0.0.1:8000")
        try:
            return chromadb.HttpClient(
                host=parsed.hostname,
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises plain ValueError/ConnectionError here
            raise StoreError(f"cannot reach the Chroma server at {mask_url(url)}: {exc}") from exc
    with _stderr_held() as held:
        try:
            return chromadb.PersistentClient(path=path, settings=chroma_settings)
        except BaseException as exc:  # Chroma's Rust core panics on a damaged database
            if not _chroma_failure(exc):
                raise
            held.drop()  # the panic's own report and backtrace: the error below says it in one line
            _damage(exc, path)
            raise StoreError(f"cannot open the Chroma store in {path}: {exc}") from exc


class _Held:
    def __init__(self) -> None:
        self.keep = True

    def drop(self) -> None:
        self.keep = False


@contextlib.contextmanager
def _stderr_held() -> Iterator[_Held]:
    """Hold what native code writes to stderr (fd 2) meanwhile; pass it on unless dropped."""
    import sys
    import tempfile

    held = _Held()
    try:
        saved = os.dup(2)
    except OSError:
        yield held
        return
    with tempfile.TemporaryFile() as capture:
        sys.stderr.flush()
        os.dup2(capture.fileno(), 2)
        try:
            yield held
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            if held.keep:
                capture.seek(0)
                text = capture.read()
                if text:
                    sys.stderr.buffer.write(text)
                    sys.stderr.flush()


def restrict_permissions(store_dir: Path) -> None:
    """Owner-only access to the store: directories 0700, files 0600 (abstracts may be private)."""
    with contextlib.suppress(OSError):
        store_dir.chmod(0o700)
        for path in store_dir.rglob("*"):
            with contextlib.suppress(OSError):
                path.chmod(0o700 if path.is_dir() else 0o600)


_DAMAGE = ("database disk image is malformed", "file is not a database", "no such table", "disk i/o error")


def _chroma_failure(exc: BaseException) -> bool:
    """An error from Chroma: an Exception, or the panic of its Rust core (a BaseException)."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _damage(exc: BaseException, location: str) -> None:
    """Raise DamagedStoreError if an exception from Chroma says its files are damaged."""
    text = str(exc).casefold()
    sign = next((sign for sign in _DAMAGE if sign in text), None)
    if sign:
        raise DamagedStoreError.at(Path(location), f"{DATABASE}: {sign}") from None


def _is_not_found(exc: BaseException) -> bool:
    return type(exc).__name__ == "NotFoundError"


# What Chroma says of a collection a rebuild's swap is dropping while a reader uses it.
_MID_DROP = ("missing metadata segment", "getting collection with segments")


def _being_replaced(exc: BaseException) -> bool:
    """Whether an error says our collection is gone or being dropped (a rebuild's swap)."""
    return _is_not_found(exc) or any(sign in str(exc).casefold() for sign in _MID_DROP)


class Store:
    """A Chroma collection of chunks, with the settings it was built with in its metadata."""

    def __init__(
        self, client: Any, name: str, spec: dict[str, Any], location: str, *, filter_fields: int = 0
    ) -> None:
        self._client = client
        self._name = name
        self.spec = {"schema_version": SCHEMA_VERSION, **spec}
        self.location = location
        self._new_filter_fields = filter_fields  # recorded on a collection created here
        self._collection = self._open_collection()

    @classmethod
    def open(
        cls,
        *,
        path: str,
        url: str | None,
        name: str,
        spec: dict[str, Any],
        location: str | None = None,
        filter_fields: int = 0,
    ) -> Store:
        """Open (creating if needed, with that version of the filter keys) the collection at a path
        or server URL; location: the store's name in messages, when path is a copy of it."""
        return cls(
            connect(url, path), name, spec, mask_url(url) or location or path, filter_fields=filter_fields
        )

    @classmethod
    def staging(
        cls, *, path: str, url: str | None, name: str, spec: dict[str, Any], filter_fields: int = 0
    ) -> Store:
        """A new, empty collection beside `name` for a rebuild; `swap_in` replaces `name` with it.

        The collection under `name` is not touched (nor checked against the settings): it stays
        searchable until the swap. A staging collection left by a killed rebuild is discarded.
        """
        store = cls.__new__(cls)
        store._client = connect(url, path)
        store._name = name + STAGING_SUFFIX
        store.spec = {"schema_version": SCHEMA_VERSION, **spec}
        store.location = mask_url(url) or path
        store._new_filter_fields = filter_fields
        store._drop()
        store._collection = store._open_collection()
        return store

    def swap_in(self) -> None:
        """Make this staging collection the store: mark it complete, drop the old one, rename."""
        final = self._name.removesuffix(STAGING_SUFFIX)
        self._collection.modify(metadata={**(self._collection.metadata or {}), "complete": True})
        with contextlib.suppress(Exception):  # no old collection
            self._client.delete_collection(final)
        try:
            self._collection.modify(name=final)
        except Exception:
            # a reader that found the old collection gone may have finished the swap itself
            if self._client.get_collection(final).id != self._collection.id:
                raise
        self._name = final

    def _get_collection(self) -> Any:
        """The collection under our name; a complete rebuild interrupted before its rename is finished."""
        try:
            return self._client.get_collection(self._name)
        except Exception as exc:
            if not _is_not_found(exc):
                raise
        staged = self._client.get_collection(self._name + STAGING_SUFFIX)  # NotFoundError if none
        if not (staged.metadata or {}).get("complete"):
            raise LookupError(self._name)
        staged.modify(name=self._name)
        return staged

    def _open_collection(self) -> Any:
        try:
            try:
                collection = self._get_collection()
            except Exception:
                collection = self._client.get_or_create_collection(
                    self._name,
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine", "ef_search": SEARCH_EF}},
                    metadata={
                        **self.spec,
                        "revision": uuid.uuid4().hex,
                        FILTER_FIELDS: self._new_filter_fields,
                    },
                )
        except BaseException as exc:
            if not _chroma_failure(exc):
                raise
            _damage(exc, self.location)
            raise StoreError(f"cannot open collection {self._name!r} at {self.location}: {exc}") from exc
        self._check_spec(collection)
        return collection

    def _check_spec(self, collection: Any) -> None:
        stored = collection.metadata or {}
        differing = {key: stored.get(key) for key in SPEC_KEYS if stored.get(key) != self.spec[key]}
        differences = [f"{key}={value!r} (now {self.spec[key]!r})" for key, value in differing.items()]
        if differences:
            raise StoreMismatchError(
                f"the store at {self.location} was built with other settings: "
                f"{', '.join(differences)}; read it with the settings it was built with (RAG_EMBEDDER, "
                "RAG_CHUNK_SIZE, RAG_CHUNK_OVERLAP), rebuild it with `rag ingest --rebuild` "
                "or point RAG_STORE_DIR at another directory",
                differing,
            )

    def _run(self, operation: Any) -> Any:
        """Run an operation on the collection; if a rebuild swapped it meanwhile, on the new one."""
        deadline = time.monotonic() + _SWAP_WAIT
        while True:
            try:
                return operation(self._collection)
            except BaseException as exc:
                if not _chroma_failure(exc):
                    raise
                _damage(exc, self.location)
                if not _being_replaced(exc):
                    raise
                if time.monotonic() > deadline:
                    raise self._gone(exc) from None
            # Our collection was replaced or is being dropped (a rebuild's swap): wait for the new one.
            while True:
                try:
                    collection = self._get_collection()
                    break
                except Exception as exc:
                    if time.monotonic() > deadline:
                        raise self._gone(exc) from None
                    time.sleep(0.2)
            if collection.id == self._collection.id:
                time.sleep(0.2)  # still ours, being dropped: the swap has not renamed the new one yet
            self._check_spec(collection)
            self._collection = collection

    def _gone(self, exc: BaseException) -> StoreError:
        detail = next(iter(str(exc).strip().splitlines()), type(exc).__name__)
        return StoreError(
            f"the collection {self._name!r} at {self.location} disappeared while in use ({detail}); "
            "run the command again"
        )

    @property
    def revision(self) -> str:
        """Changes whenever the collection's contents change (keys the keyword index)."""
        metadata = self._run(lambda _: self._get_collection().metadata) or {}
        return str(metadata.get("revision", ""))

    @property
    def filter_fields(self) -> int:
        """The version of the filter keys every chunk carries (0: a store made before them)."""
        metadata = self._run(lambda _: self._get_collection().metadata) or {}
        value = metadata.get(FILTER_FIELDS, 0)
        return value if isinstance(value, int) else 0

    def mark_filter_fields(self, version: int) -> None:
        """Record that every chunk now carries the filter keys of this version."""
        self._modify_metadata({FILTER_FIELDS: version})

    def _modify_metadata(self, changes: dict[str, Any]) -> None:
        # Chroma replaces a collection's metadata whole: what is not changed is written back.
        metadata = self._run(lambda _: self._get_collection().metadata) or {}
        self._run(lambda c: c.modify(metadata={**metadata, **self.spec, **changes}))

    def bump_revision(self) -> str:
        """Mark the contents as changed; return the new revision. A store made before SEARCH_EF
        gets it here, from its writer."""
        revision = uuid.uuid4().hex
        self._modify_metadata({"revision": revision})
        hnsw = (self._run(lambda c: c.configuration) or {}).get("hnsw") or {}
        if hnsw.get("ef_search", SEARCH_EF) < SEARCH_EF:
            self._run(lambda c: c.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}}))
        return revision

    def close(self) -> None:
        """Let go of the Chroma client (its database connections and loaded index)."""
        with contextlib.suppress(Exception):
            self._client.close()

    def _drop(self) -> None:
        with contextlib.suppress(Exception):  # already gone
            self._client.delete_collection(self._name)

    def drop_unfinished_rebuild(self) -> int | None:
        """Delete the collection a killed rebuild left half filled (a complete one is swapped in when
        the store opens); how many chunks it held, None when there was none. Only a writer calls this."""
        try:
            staged = self._client.get_collection(self._name + STAGING_SUFFIX)
            if (staged.metadata or {}).get("complete"):
                return None
            held = int(staged.count())
            self._client.delete_collection(self._name + STAGING_SUFFIX)
        except Exception:  # none (the usual case), or it could not go: the ingest stands as it is
            return None
        return held

    def count(self) -> int:
        """Number of chunks."""
        return int(self._run(lambda c: c.count()))

    def _pages(self, include: list[str], where: dict[str, Any] | None = None) -> Iterator[Chunk]:
        offset = 0
        while True:
            page = self._run(lambda c, at=offset: c.get(where=where, include=include, limit=_PAGE, offset=at))
            ids = page["ids"]
            documents = page.get("documents") or [""] * len(ids)
            metadatas = page.get("metadatas") or [{}] * len(ids)
            for chunk_id, text, meta in zip(ids, documents, metadatas, strict=True):
                yield Chunk(chunk_id, text or "", dict(meta or {}))
            if len(ids) < _PAGE:
                return
            offset += _PAGE

    def papers(self) -> dict[str, Metadata]:
        """Metadata of every stored paper (from its first chunk), by paper id."""
        return {c.paper_id: c.metadata for c in self._pages(["metadatas"], where={"chunk": 0})}

    def all_metadata(self) -> Iterator[Chunk]:
        """Every chunk with its metadata (no text), page by page."""
        return self._pages(["metadatas"])

    def all_chunks(self) -> Iterator[Chunk]:
        """Every chunk with its text and metadata, page by page."""
        return self._pages(["documents", "metadatas"])

    def get(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        """Chunks by id."""
        if not chunk_ids:
            return {}
        page = self._run(lambda c: c.get(ids=list(chunk_ids), include=["documents", "metadatas"]))
        return {
            cid: Chunk(cid, doc or "", dict(meta or {}))
            for cid, doc, meta in zip(page["ids"], page["documents"], page["metadatas"], strict=True)
        }

    def chunks_of(self, paper_ids: Sequence[str]) -> dict[str, list[tuple[Chunk, np.ndarray]]]:
        """Every chunk of these papers with its stored vector, in chunk order, by paper id."""
        if not paper_ids:
            return {}
        page = self._run(
            lambda c: c.get(
                where={"paper_id": {"$in": list(paper_ids)}},
                include=["documents", "metadatas", "embeddings"],
            )
        )
        found: dict[str, list[tuple[Chunk, np.ndarray]]] = {pid: [] for pid in paper_ids}
        for cid, doc, meta, vector in zip(
            page["ids"], page["documents"], page["metadatas"], page["embeddings"], strict=True
        ):
            chunk = Chunk(cid, doc or "", dict(meta or {}))
            found.setdefault(chunk.paper_id, []).append((chunk, np.asarray(vector, dtype=np.float32)))
        for chunks in found.values():
            chunks.sort(key=lambda item: whole(item[0].metadata.get("chunk")))
        return found

    def upsert(self, chunks: Sequence[Chunk], embeddings: np.ndarray) -> None:
        """Insert or replace chunks with their vectors."""
        self._run(
            lambda c: c.upsert(
                ids=[chunk.chunk_id for chunk in chunks],
                embeddings=embeddings,
                documents=[chunk.text for chunk in chunks],
                metadatas=[chunk.metadata for chunk in chunks],
            )
        )

    def update_metadata(self, chunks: Sequence[Chunk]) -> None:
        """Replace the metadata of existing chunks, keeping their vectors."""
        self._run(
            lambda c: c.update(
                ids=[chunk.chunk_id for chunk in chunks], metadatas=[chunk.metadata for chunk in chunks]
            )
        )

    def delete_papers(self, paper_ids: Sequence[str]) -> None:
        """Remove every chunk of these papers."""
        for start in range(0, len(paper_ids), _PAGE):
            batch = list(paper_ids[start : start + _PAGE])
            self._run(lambda c, batch=batch: c.delete(where={"paper_id": {"$in": batch}}))

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        """Remove chunks by id."""
        for start in range(0, len(chunk_ids), _PAGE):
            batch = list(chunk_ids[start : start + _PAGE])
            self._run(lambda c, batch=batch: c.delete(ids=batch))

    def ids(self, where: dict[str, Any]) -> list[str]:
        """The ids of the chunks whose metadata passes a `where`."""
        return [chunk.chunk_id for chunk in self._pages([], where=where)]

    def query(self, embedding: np.ndarray, n: int, where: dict[str, Any] | None = None) -> list[Chunk]:
        """The n chunks nearest to a vector (of those passing `where`), with cosine similarity, best
        first."""
        result = self._run(
            lambda c: c.query(
                query_embeddings=[embedding],
                n_results=n,
                where=where,
                include=["documents", "metadatas", "distances"],
            )
        )
        return [
            Chunk(cid, doc or "", dict(meta or {}), similarity=1.0 - float(dist))
            for cid, doc, meta, dist in zip(
                result["ids"][0],
                result["documents"][0],
                result["metadatas"][0],
                result["distances"][0],
                strict=True,
            )
        ]
