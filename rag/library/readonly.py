"""A store that cannot be written (a read-only mount, another user's files) is read from a copy:
Chroma writes to its database whenever it opens it, so it cannot open the store itself."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from ..errors import StoreError
from .layout import LOCK_NAME, Layout

SOURCE = ".copied-from"  # in the copy: the store's path and the sizes and times of its files


def writable(layout: Layout) -> bool:
    """Whether this process may write the embedded store's directory and its database."""
    return os.access(layout.root, os.W_OK) and os.access(layout.database, os.W_OK)


def _files(root: Path) -> str:
    """The store's files with their sizes and modification times: a change means a new copy."""
    listing: dict[str, object] = {".": str(root)}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != LOCK_NAME:
            stat = path.stat()
            listing[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return json.dumps(listing)


def reading_copy(layout: Layout, copies: Path, notify: Callable[[str], None]) -> Layout:
    """The layout of a private copy of a read-only store, made (again) when the store has changed."""
    copy = copies / hashlib.sha1(str(layout.root).encode()).hexdigest()[:16]
    try:
        copies.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(copies / f".{copy.name}.lock", "w") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)  # one process copies; the others wait and use its copy
            source = _files(layout.root)
            with contextlib.suppress(OSError):
                if (copy / SOURCE).read_text() == source:
                    return Layout(copy, copy / layout.keyword_index.name)
            notify(f"The store at {layout.root} is read-only: reading a copy of it in {copy}.")
            _replace(layout.root, copy, source)
    except OSError as exc:
        raise StoreError(
            f"the store at {layout.root} is read-only and cannot be copied to {copies} to be read "
            f"({exc.strerror or exc}); make it writable or free space there"
        ) from None
    return Layout(copy, copy / layout.keyword_index.name)


def _replace(root: Path, copy: Path, source: str) -> None:
    from .store import restrict_permissions

    staged = copy.with_name(copy.name + ".new")
    shutil.rmtree(staged, ignore_errors=True)
    try:
        shutil.copytree(root, staged, ignore=shutil.ignore_patterns(LOCK_NAME), copy_function=shutil.copyfile)
        restrict_permissions(staged)  # writable by this process, private like the store
        (staged / SOURCE).write_text(source)
        shutil.rmtree(copy, ignore_errors=True)
        staged.rename(copy)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
