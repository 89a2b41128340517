"""A log of every answer in SQLite, searchable by its words: `rag logs`, like simonw/llm's logs."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .answer import Answer
from .config import printable_settings
from .errors import InputError, LogError
from .untrusted import printable

if TYPE_CHECKING:
    from .config import Settings
    from .events import Done

LOCK_TIMEOUT = 5.0  # seconds to wait for another process's write to the log
_DAMAGE_CODES = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB: the file is no (sound) SQLite database
_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED: another process holds it
_SQLITE_MAX = 2**63 - 1  # the largest integer SQLite holds: an id or a limit beyond it overflows

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    question TEXT NOT NULL,
    searched TEXT NOT NULL,
    answer TEXT NOT NULL,
    refused INTEGER NOT NULL,
    citations TEXT NOT NULL,
    backend TEXT NOT NULL,
    fallback_reason TEXT,
    timings TEXT NOT NULL,
    settings TEXT NOT NULL,
    filters TEXT,
    unapplied TEXT
);
CREATE VIRTUAL TABLE IF NOT EXISTS answers_fts USING fts5(
    question, answer, content='answers', content_rowid='id'
);
CREATE TRIGGER IF NOT EXISTS answers_ai AFTER INSERT ON answers BEGIN
    INSERT INTO answers_fts(rowid, question, answer) VALUES (new.id, new.question, new.answer);
END;
"""


class AnswerLog:
    """The answers database; opened on first use, created owner-only. A damaged log is set aside
    (`<log>.damaged-<time>`) and a new one started, as a damaged store is."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        new = not self.path.exists()
        connection = sqlite3.connect(self.path, timeout=LOCK_TIMEOUT)
        try:
            if new:
                self.path.chmod(0o600)
            connection.executescript(_SCHEMA)
            columns = {row[1] for row in connection.execute("PRAGMA table_info(answers)")}
            if "filters" not in columns:  # a log made before filters
                _add_column(connection, "filters TEXT")
            if "unapplied" not in columns:  # a log made before a question's filter could go unapplied
                _add_column(connection, "unapplied TEXT")
        except BaseException:
            connection.close()
            raise
        return connection

    def _set_aside(self, damage: sqlite3.DatabaseError) -> str:
        """Move the damaged log (and its journal) aside and start a new one; what happened, in words."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        number = 1
        while aside.exists():
            number += 1
            aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}-{number}")
        try:
            for suffix in ("-journal", "-wal", "-shm", ""):  # a journal left beside a new log is replayed
                moved = Path(f"{self.path}{suffix}")
                if moved.exists():
                    moved.rename(f"{aside}{suffix}")
        except OSError as exc:
            return f"the answer log {self.path} is damaged ({damage}) and cannot be moved aside ({exc})"
        with contextlib.suppress(sqlite3.Error, OSError):
            self._connect().close()
        return f"the answer log {self.path} was damaged ({damage}); moved it to {aside} and started a new log"

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A connection to read with; a log that cannot be read is a LogError (a damaged one set aside)."""
        try:
            with contextlib.closing(self._connect()) as connection:
                connection.row_factory = sqlite3.Row
                yield connection
        except sqlite3.DatabaseError as exc:
            if _damaged(exc):
                raise LogError(self._set_aside(exc)) from None
            if _busy(exc):
                raise LogError(
                    f"the answer log {self.path} is locked by another process ({exc} for "
                    f"{LOCK_TIMEOUT:g} s); try again"
                ) from None
            raise LogError(f"cannot read the answer log {self.path}: {exc}") from None
        except OSError as exc:
            raise LogError(f"cannot read the answer log {self.path}: {exc.strerror or exc}") from None

    def record_done(self, done: Done, settings: Settings, store_dir: Path) -> None:
        """Log a finished answer with the settings that wrote it, the store by its resolved path (a log
        outlives the directory it was asked from), unless they turn the log off (RAG_LOG=0)."""
        if settings.log:
            written = printable_settings(settings) | {"store_dir": str(store_dir)}
            self.record(done.answer, searched=done.query.search, settings=written)

    def record(self, answer: Answer, *, searched: str, settings: dict[str, Any]) -> int | None:
        """Log one answer; its id, or None (with a note on stderr) if the log cannot be written:
        writing the log never fails an answer. A damaged log is set aside and the answer logged anew."""
        row = (
            time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            answer.question,
            searched,
            answer.text,
            int(answer.refused),
            json.dumps(answer.citation_records(), ensure_ascii=False),
            answer.backend,
            answer.fallback_reason,
            json.dumps({k: round(v, 2) for k, v in answer.timings.items()}),
            json.dumps(settings, ensure_ascii=False, default=str),
            json.dumps(answer.filters, ensure_ascii=False) if answer.filters else None,
            answer.unapplied,
        )
        try:
            return self._insert(row)
        except sqlite3.DatabaseError as exc:
            if not _damaged(exc):
                _note(f"the answer was not logged ({self.path}: {exc})")
                return None
            try:
                _note(self._set_aside(exc))
                return self._insert(row)
            except (sqlite3.Error, OSError) as again:
                _note(f"the answer was not logged ({self.path}: {again})")
        except (sqlite3.Error, OSError) as exc:
            _note(f"the answer was not logged ({self.path}: {exc})")
        return None

    def _insert(self, row: tuple[object, ...]) -> int | None:
        with contextlib.closing(self._connect()) as connection, connection:
            cursor = connection.execute(
                "INSERT INTO answers (time, question, searched, answer, refused, citations, backend,"
                " fallback_reason, timings, settings, filters, unapplied)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return cursor.lastrowid

    def entries(self, *, limit: int = 10, query: str | None = None) -> list[dict[str, Any]]:
        """The latest answers, newest first; with a query, those matching its words (full text)."""
        if query is not None and not query.split():
            raise InputError("nothing to search the log for: give some words")
        if not self.path.exists():
            return []
        limit = min(limit, _SQLITE_MAX)  # "as many as there are"
        with self._reading() as connection:
            if query:
                words = " ".join('"' + w.replace('"', '""') + '"' for w in query.split())
                rows = connection.execute(
                    "SELECT answers.* FROM answers_fts JOIN answers ON answers.id = answers_fts.rowid"
                    " WHERE answers_fts MATCH ? ORDER BY answers.id DESC LIMIT ?",
                    (words, limit),
                ).fetchall()
            else:
                rows = connection.execute(
                    "SELECT * FROM answers ORDER BY id DESC LIMIT ?", (limit,)
                ).fetchall()
        return [_entry(row) for row in rows]

    def entry(self, entry_id: int) -> dict[str, Any]:
        """One logged answer by id (InputError if there is none)."""
        row = None
        if self.path.exists() and 0 <= entry_id <= _SQLITE_MAX:
            with self._reading() as connection:
                row = connection.execute("SELECT * FROM answers WHERE id = ?", (entry_id,)).fetchone()
        if row is None:
            raise InputError(f"no answer {entry_id} in the log {self.path}")
        return _entry(row)


def _note(message: str) -> None:
    print(printable(f"rag: note: {message}"), file=sys.stderr)


def _code(exc: sqlite3.Error) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF  # the primary result code


def _damaged(exc: sqlite3.Error) -> bool:
    """Whether SQLite says the file is damaged or no database (not merely busy or unwritable)."""
    return _code(exc) in _DAMAGE_CODES


def _busy(exc: sqlite3.Error) -> bool:
    return _code(exc) in _BUSY_CODES


def _add_column(connection: sqlite3.Connection, column: str) -> None:
    """A column added to the log's table; not where the log is read-only (it is read without it) or
    another process added it first."""
    try:
        connection.execute(f"ALTER TABLE answers ADD COLUMN {column}")
    except sqlite3.OperationalError as exc:
        if "readonly" not in str(exc) and "duplicate column" not in str(exc):
            raise


def _entry(row: sqlite3.Row) -> dict[str, Any]:
    entry = dict(row)
    entry["refused"] = bool(entry["refused"])
    for key in ("citations", "timings", "settings"):
        entry[key] = json.loads(entry[key])
    entry["filters"] = json.loads(entry["filters"]) if entry.get("filters") else {}
    entry.setdefault("unapplied", None)  # a read-only log made before the column
    return entry
