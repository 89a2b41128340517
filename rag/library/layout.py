"""The files of a store directory: Chroma's database, the writer lock, the probe's stamp, the
keyword index."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import StoreError

DATABASE = "chroma.sqlite3"  # Chroma's own name for its embedded database
LOCK_NAME = ".write-lock"
PROBE_STAMP = ".probe-ok"
SNAPSHOT_NAME = ".before-write"  # the store's files as they were before the write under way


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
                return
