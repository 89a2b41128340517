"""The papers being read, kept in a temporary SQLite database instead of as Python objects.

Held in memory, a paper read from the arXiv snapshot costs about 4.3 KB (100,000 lines: 456 MB
measured; the whole 2.7M-line file would need some 12 GB). On the shelf it is a row of a
temporary file, and reading keeps only SQLite's page cache in memory: 42 MB for 10,000 lines and
for 100,000 (benchmarks/import_scale.py --read-only). The shelf also answers what identity
needs: which paper holds a key (an id, a DOI, an arXiv id, a title), and whether an id is read.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import Any, overload

from ..errors import DiskFullError
from .records import Paper

_PAGE = 500  # papers fetched at a time when iterating
_CACHE_KB = 16_000  # SQLite's page cache; what does not fit goes to the temporary file


class Shelf(Sequence[Paper]):
    """Papers in the order they were first read, each with what identity keeps about it."""

    def __init__(self) -> None:
        # "": a private database in a temporary file, deleted when the connection closes
        self._db = sqlite3.connect("", check_same_thread=False)
        self._db.executescript(
            f"""
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA cache_size = -{_CACHE_KB};
            CREATE TABLE papers (
                seq INTEGER PRIMARY KEY, pid TEXT NOT NULL, given INTEGER NOT NULL,
                paper TEXT NOT NULL, held TEXT NOT NULL
            );
            CREATE INDEX papers_pid ON papers (pid);
            CREATE TABLE keys (key TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
            """
        )
        self._count = 0

    def _sql(self, statement: str, parameters: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Run a statement; a full temporary disk is a DiskFullError saying where and what to do."""
        try:
            return self._db.execute(statement, parameters)
        except sqlite3.OperationalError as exc:
            if "full" not in str(exc):
                raise
            # where SQLite puts a temporary database: the first of these that is set
            where = os.environ.get("SQLITE_TMPDIR") or os.environ.get("TMPDIR") or "/var/tmp or /tmp"
            raise DiskFullError(
                f"no room in the temporary directory ({where}) for the papers being read: free some "
                "space there or set TMPDIR to a disk with room; the store is unchanged"
            ) from None

    def add(self, paper: Paper, given: bool, held: dict[str, Any]) -> int:
        """Shelve a new paper with what identity keeps about it; its number (from 1)."""
        seq = self._count + 1
        self._sql(
            "INSERT INTO papers VALUES (?, ?, ?, ?, ?)",
            (seq, paper.paper_id, int(given), json.dumps(asdict(paper)), json.dumps(held)),
        )
        self._count = seq  # counted once stored: a failed insert leaves the shelf as it was
        return seq

    def load(self, seq: int) -> tuple[Paper, dict[str, Any]]:
        """A shelved paper and what identity keeps about it."""
        paper, held = self._sql("SELECT paper, held FROM papers WHERE seq = ?", (seq,)).fetchone()
        return Paper(**json.loads(paper)), json.loads(held)

    def save(self, seq: int, paper: Paper, held: dict[str, Any] | None = None) -> None:
        """Write back a paper changed by a merge, a replacement or a new id."""
        if held is None:
            self._sql(
                "UPDATE papers SET pid = ?, paper = ? WHERE seq = ?",
                (paper.paper_id, json.dumps(asdict(paper)), seq),
            )
        else:
            self._sql(
                "UPDATE papers SET pid = ?, paper = ?, held = ? WHERE seq = ?",
                (paper.paper_id, json.dumps(asdict(paper)), json.dumps(held), seq),
            )

    def find(self, key: str) -> int | None:
        """The paper a key (id:, doi:, arxiv:) points to."""
        row = self._sql("SELECT seq FROM keys WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def point(self, key: str, seq: int, *, replace: bool = False) -> None:
        """Let a key point to a paper (unless it points to one already and replace is False)."""
        verb = "REPLACE" if replace else "IGNORE"
        self._sql(f"INSERT OR {verb} INTO keys VALUES (?, ?)", (key, seq))

    def has_id(self, paper_id: str) -> bool:
        """Whether a shelved paper has this id."""
        return self._sql("SELECT 1 FROM papers WHERE pid = ? LIMIT 1", (paper_id,)).fetchone() is not None

    def given(self, paper_id: str) -> bool:
        """Whether a file gave this id to a paper (a JSONL `id`): it is never exchanged for another."""
        row = self._sql("SELECT 1 FROM papers WHERE pid = ? AND given = 1 LIMIT 1", (paper_id,))
        return row.fetchone() is not None

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Paper: ...
    @overload
    def __getitem__(self, index: slice) -> list[Paper]: ...
    def __getitem__(self, index: int | slice) -> Paper | list[Paper]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("paper index out of range")
        return self.load(index + 1)[0]

    def __iter__(self) -> Iterator[Paper]:
        last = 0
        while True:
            rows = self._sql(
                "SELECT seq, paper FROM papers WHERE seq > ? ORDER BY seq LIMIT ?", (last, _PAGE)
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield from (Paper(**json.loads(paper)) for _, paper in rows)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def rename(self, index: int, paper_id: str) -> None:
        """Give the paper at this index another id (a stored paper's, adopted)."""
        paper = self[index]
        paper.paper_id = paper_id
        self.save(index + 1, paper)

    def close(self) -> None:
        """Delete the temporary file now."""
        self._db.close()
