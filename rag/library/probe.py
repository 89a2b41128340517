"""Damaged stores: open the store in a child process before trusting it.

Chroma can crash the process (a segfault in its HNSW library) or return wrong neighbours when
its files are damaged, so the first open of a store whose files changed since the last good
probe happens in a child: it checks the SQLite file, counts the chunks and looks up a few
stored vectors, which must find themselves. A good result is remembered by a sampled digest of the
vector files, so the cost (about a second) is paid once per change, not per command.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import DamagedStoreError
from .layout import DATABASE, PROBE_STAMP

_TIMEOUT = 120.0


def _sample_digest(path: Path, blocks: int = 64, size: int = 4096) -> str:
    """A digest of a file's size and evenly spaced blocks: cheap for a file of hundreds of MB."""
    import hashlib

    length = path.stat().st_size
    digest = hashlib.sha1(str(length).encode())
    with path.open("rb") as f:
        for i in range(blocks):
            f.seek(length * i // blocks)
            digest.update(f.read(size))
    return digest.hexdigest()


def signature(store_dir: Path) -> str:
    """What the vector files hold, sampled (Chroma rewrites them, unchanged, on every open, so
    times would not do). The SQLite file is left out: damage there raises errors, never crashes."""
    parts = []
    for segment in sorted(store_dir.iterdir()):
        if segment.is_dir() and (segment / "header.bin").is_file():
            for name in ("header.bin", "data_level0.bin", "link_lists.bin"):
                with contextlib.suppress(OSError):
                    parts.append(f"{segment.name}/{name}:{_sample_digest(segment / name)}")
    return "\n".join(parts)


def remember_good(store_dir: Path) -> None:
    """Record the store's current files as good (after a probe, or a write of our own)."""
    if not (store_dir / DATABASE).is_file():
        return
    with tempfile.NamedTemporaryFile("w", dir=store_dir, prefix=".probe-", delete=False) as f:
        f.write(signature(store_dir))
    os.replace(f.name, store_dir / PROBE_STAMP)


def check(store_dir: Path, collection: str, *, force: bool = False) -> None:
    """Raise DamagedStoreError (with the fixing command) if the embedded store is damaged;
    force: probe even if the vector files are unchanged since the last good probe."""
    if not (store_dir / DATABASE).is_file():
        return
    if (store_dir / DATABASE).stat().st_size == 0:  # Chroma would quietly start a new one
        raise DamagedStoreError.at(store_dir, f"{DATABASE} is empty")
    stamp = store_dir / PROBE_STAMP
    with contextlib.suppress(OSError):
        if not force and stamp.read_text() == signature(store_dir):
            return
    try:
        child = subprocess.run(
            [sys.executable, "-m", "rag.library.probe", str(store_dir), collection],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        problem = f"opening it did not finish in {_TIMEOUT:.0f} s"
    else:
        if child.returncode == 0:
            with contextlib.suppress(OSError):
                remember_good(store_dir)
            return
        if child.returncode < 0:
            number = -child.returncode
            problem = f"opening it crashed with signal {number} ({signal.Signals(number).name})"
        else:
            lines = child.stderr.strip().splitlines()
            problem = lines[-1] if lines else f"the check exited with code {child.returncode}"
    raise DamagedStoreError.at(store_dir, problem)


def _probe(store_dir: Path, collection: str) -> str | None:
    """What is wrong with the store, or None; may crash, which is why it runs in a child."""
    import sqlite3

    database = store_dir / DATABASE
    if database.stat().st_size == 0:
        return f"{DATABASE} is empty"
    # Read-write (never create): a writer killed mid-transaction leaves a hot journal, which the
    # next connection rolls back, as Chroma's would; a read-only one cannot, and fails.
    connection = sqlite3.connect(f"file:{database}?mode=rw", uri=True)
    try:
        result = connection.execute("PRAGMA quick_check").fetchone()
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        return f"{DATABASE}: {exc}"
    finally:
        connection.close()
    if not result or result[0] != "ok":
        return f"{DATABASE}: {result[0] if result else 'no answer to an integrity check'}"
    if "collections" not in tables:
        return f"{DATABASE} is not a Chroma database"
    for segment in sorted(store_dir.iterdir()):
        if (segment / "header.bin").is_file():
            problem = _check_vector_files(segment)
            if problem:
                return f"vector index: {problem}"
    from .store import connect

    client = connect(None, str(store_dir))
    try:
        chroma = client.get_collection(collection)
    except Exception:  # no such collection: nothing stored to be damaged
        return None
    count = chroma.count()
    if not count:
        return None
    for offset in sorted({0, count // 2, count - 1}):
        page = chroma.get(limit=1, offset=offset, include=["embeddings"])
        if not page["ids"]:
            return f"chunk {offset} of {count} cannot be read"
        # A stored vector must find itself (or an identical one: abstracts can repeat a sentence).
        found = chroma.query(query_embeddings=[page["embeddings"][0]], n_results=1, include=["distances"])
        if not found["ids"][0] or found["distances"][0][0] > 1e-3:
            return "the vector index does not find stored chunks (its files are damaged)"
    return None


def _check_vector_files(segment: Path) -> str | None:
    """hnswlib's level-0 file against its header: every element present, its links in range,
    its vector of unit length (the store's cosine space normalizes them), its label unique."""
    import struct

    import numpy as np

    header = (segment / "header.bin").read_bytes()
    if len(header) < 76:
        return "header.bin is truncated"
    count, per_element, label_at, vector_at = struct.unpack_from("<QQQQ", header, 20)
    max_links = struct.unpack_from("<Q", header, 68)[0]
    if not count:
        return None
    if not (4 <= vector_at < label_at <= per_element - 8) or (label_at - vector_at) % 4 or max_links > 4096:
        return "header.bin is damaged"
    level0 = segment / "data_level0.bin"
    if level0.stat().st_size < count * per_element:
        return f"data_level0.bin holds less than the {count} vectors its header counts"
    rows = np.memmap(level0, dtype=np.uint8, mode="r", shape=(count, per_element))
    for start in range(0, count, 16384):  # bounded memory for a large store
        block = np.array(rows[start : start + 16384])
        degree = block[:, :4].copy().view(np.uint32).ravel() & 0xFFFF
        links = block[:, 4:vector_at].copy().view(np.uint32)
        used = np.arange(links.shape[1]) < degree[:, None]
        if (degree > min(max_links, links.shape[1])).any() or (links[used] >= count).any():
            return "data_level0.bin has links out of range"
        vectors = block[:, vector_at:label_at].copy().view(np.float32)
        with np.errstate(all="ignore"):
            norms = np.linalg.norm(vectors, axis=1)
        if not np.all(np.abs(norms - 1.0) < 1e-2):
            return "data_level0.bin has damaged vectors"
    labels = np.array(rows[:, label_at : label_at + 8]).view(np.uint64).ravel()
    if len(np.unique(labels)) != count:
        return "data_level0.bin has repeated labels"
    return None


def main() -> None:
    """`python -m rag.library.probe STORE_DIR COLLECTION`: exit 0 if the store is sound, 3 with a
    reason if not."""
    store_dir, collection = Path(sys.argv[1]), sys.argv[2]
    try:
        problem = _probe(store_dir, collection)
    except Exception as exc:
        problem = f"{type(exc).__name__}: {exc}".splitlines()[0]
    if problem:
        print(problem, file=sys.stderr)
        sys.exit(3)


if __name__ == "__main__":
    main()
