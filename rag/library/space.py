"""Room on the disk for a write to the store: estimated and checked before anything is written, and a
copy of the store's files kept meanwhile, put back if the disk fills up all the same (another
process took the space) so that the store is as it was before."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from ..errors import DiskFullError, StoreError
from .layout import LOCK_NAME, SNAPSHOT_NAME

# What a chunk adds to an embedded store (chromadb 1.5.9, 384-dimensional vectors), measured with
# benchmarks/disk_per_chunk.py (the store's size before, after, and every 10 ms during `rag ingest`):
# 11.5 KB a chunk adding 300 bundled abstracts (632 chunks) to a store of 40, 11.7 KB for the whole
# bundled corpus (768 chunks) into a new store, 8.7 KB for 2,852 more (from 1,000 chunks on, Chroma
# moves the vectors from its log into the vector index files), 8.3 KB at 191,263 chunks (scale.py
# at 100,000 papers); the peak during an ingest was its end.
BYTES_PER_CHUNK = 12 * 1024
SLACK = 1 << 20  # a new store's empty database (0.5 MB), the keyword index rewritten, SQLite's journal
_FULL = (errno.ENOSPC, errno.EDQUOT)


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def _existing(path: Path) -> Path:
    """The path, or its nearest ancestor that exists (a store not created yet)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _mount(path: Path) -> Path:
    """The mount point of the file system holding the path: the disk, as `df` names it."""
    path = _existing(path).resolve()
    while not os.path.ismount(path):
        path = path.parent
    return path


def _size(root: Path, skip: set[str]) -> int:
    """Bytes of the store's files (those a snapshot copies)."""
    total = 0
    for entry in root.iterdir() if root.is_dir() else []:
        if entry.name in skip:
            continue
        files = [entry] if entry.is_file() else [p for p in entry.rglob("*") if p.is_file()]
        total += sum(f.stat().st_size for f in files)
    return total


def _disk_full(exc: BaseException) -> bool:
    """Whether an exception (or one it came from) is the file system's "no space left"."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in _FULL:
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


class WriteGuard:
    """The check before a write to an embedded store, and its snapshot (`STORE/.before-write`)."""

    def __init__(self, root: Path, keep: set[str], notify: Callable[[str], None]) -> None:
        self.root = root
        self.notify = notify
        self.snapshot = root / SNAPSHOT_NAME
        self._skip = {LOCK_NAME, SNAPSHOT_NAME, *keep}  # kept in place: the lock, the chat's history
        self.needed = 0
        self._data = 0  # bytes of new data expected (the estimate without the snapshot)
        self.taken = False

    def before_write(self, chunks: int) -> None:
        """Check there is room for this many new chunks (DiskFullError, nothing written, if there is
        not), then take the snapshot if there is room for it too (a note if there is not)."""
        shutil.rmtree(self.snapshot, ignore_errors=True)  # left by a killed writer
        copy = _size(self.root, self._skip)
        self._data = self.needed = chunks * BYTES_PER_CHUNK + SLACK
        free = shutil.disk_usage(_existing(self.root)).free
        if free < self._data:
            raise DiskFullError(
                f"not enough disk space for this ingest: {_megabytes(free)} free on {_mount(self.root)} "
                f"(the disk of the store {self.root}), about {_megabytes(self.needed)} needed ({chunks} "
                f"chunks at {BYTES_PER_CHUNK // 1024} KB each); the store is unchanged: free some space "
                "and run it again"
            )
        if free < self._data + copy:  # the estimate leaves room; refusing would be worse
            self.notify(
                f"no room on {_mount(self.root)} for a {_megabytes(copy)} safety copy of the store: "
                "ingesting without one (should the disk fill up all the same, the store may need --rebuild)"
            )
            return
        self.needed += copy
        try:
            self.snapshot.mkdir(mode=0o700)
            for entry in self.root.iterdir():
                if entry.name not in self._skip:
                    copy_entry = shutil.copytree if entry.is_dir() else shutil.copy2
                    copy_entry(entry, self.snapshot / entry.name)
        except OSError as exc:
            shutil.rmtree(self.snapshot, ignore_errors=True)
            if exc.errno in _FULL:
                raise self._full("while copying the store before the ingest") from None
            raise StoreError(f"cannot copy the store {self.root} before the ingest: {exc}") from None
        self.taken = True

    def full(self, exc: BaseException) -> bool:
        """Whether a write that failed with this exception failed for want of space."""
        if not self.taken:
            return False
        return _disk_full(exc) or shutil.disk_usage(_existing(self.root)).free < self._data

    def restore(self) -> DiskFullError:
        """Put the store back as it was before the write; the error that says so."""
        _put_back(self.snapshot, self.root, self._skip)
        self.snapshot.rmdir()
        self.taken = False
        return self._full("during the ingest; the store was put back as it was before it")

    def _full(self, when: str) -> DiskFullError:
        free = shutil.disk_usage(_existing(self.root)).free
        return DiskFullError(
            f"the disk of the store {self.root} ({_mount(self.root)}) filled up {when}: {_megabytes(free)} "
            f"free, about {_megabytes(self.needed)} needed; free some space and run it again"
        )

    def done(self) -> None:
        """The write is over (finished, or failed for another reason): drop the snapshot."""
        shutil.rmtree(self.snapshot, ignore_errors=True)
        self.taken = False


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _put_back(source: Path, target: Path, skip: set[str] | frozenset[str] = frozenset()) -> None:
    """Make target's files source's, moving them over one at a time (atomic renames, no space
    needed: the database is never missing, even if this is interrupted)."""
    for entry in target.iterdir():
        if entry.name not in skip and not (source / entry.name).exists():
            _remove(entry)
    for entry in source.iterdir():
        there = target / entry.name
        if entry.is_dir() and there.is_dir() and not there.is_symlink():
            _put_back(entry, there)
            entry.rmdir()
            continue
        if there.exists() and (there.is_dir() != entry.is_dir()):
            _remove(there)
        os.replace(entry, there)
