"""The files of a store directory: Chroma's database, the writer lock, the probe's stamp, the
keyword index."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import StoreError

DATABASE = "chroma.sqlite3"  # Chroma's own name for its embedded database
LOCK_NAME = ".write-lock"
PROBE_STAMP = ".probe-ok"
SNAPSHOT_NAME = ".before-write"  # the store's files as they were before the write under way
CHAT_HISTORY = "chat_history"  # the chat's readline history, kept with the store
_KEYWORD_INDEX = re.compile(r"keyword-.+\.npz")
_CHROMA_SEGMENT = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)  # a collection's folder


@dataclass(frozen=True)
class Layout:
    """Where one store's files are: an embedded Chroma directory, or a server's local cache."""

    root: Path
    keyword_index: Path
    server: str | None = None  # a Chroma server's URL: the store lives there, root keeps the cache

    @property
    def embedded(self) -> bool:
        """Whether Chroma's files are in root (not on a server)."""
        return self.server is None

    @property
    def database(self) -> Path:
        """Chroma's SQLite file of an embedded store."""
        return self.root / DATABASE

    def exists(self) -> bool:
        """Whether the store exists (a server's store is taken to)."""
        return not self.embedded or self.database.is_file()

    def check_path(self) -> None:
        """StoreError naming the path when the store directory cannot be one: a file is there, or
        above it."""
        if not self.embedded:
            return
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"the store path {self.root} is a file, not a directory: give a directory")
        for parent in self.root.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise StoreError(f"the store path {self.root} cannot be a directory: {parent} is a file")
                break
        if self.root.is_dir() and not self.database.exists() and (others := self._others()):
            named = ", ".join(others[:3]) + (" ..." if len(others) > 3 else "")
            raise StoreError(
                f"the store path {self.root} is a directory of other files ({named}), not a store: "
                "give a new or empty directory"
            )

    def _others(self) -> list[str]:
        """The names in the directory that are no store's (a store's files are made private, and
        copied before each write: never someone else's)."""
        return sorted(
            p.name
            for p in self.root.iterdir()
            if not p.name.startswith(".")
            and p.name not in (CHAT_HISTORY, "lost+found")  # a store at a file system's root
            and not _KEYWORD_INDEX.fullmatch(p.name)
            and not (p.name.startswith(DATABASE) or _CHROMA_SEGMENT.fullmatch(p.name))
        )
