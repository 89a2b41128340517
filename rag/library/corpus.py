"""Readers that turn corpus files into Paper records, de-duplicated, with a per-file report."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..untrusted import without_controls

SUPPORTED_SUFFIXES = {".txt": "dump", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
_HEADER_LINES = {
    "new",
    "gettrendingpapersinyouremailinbox",
    "subscribe",
    "dailypapers",
    "byakandtheresearchcommunity",
}
_DATE_LINE = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}(, \d{4})?$")
_URL = re.compile(r"https?://[^\s<>\"'()\[\]{}]+")
# A dump line this long is an abstract, never a title.
_MAX_TITLE_CHARS = 400
MAX_LINE_BYTES = 8 * 1024 * 1024  # a longer line is skipped unread: memory stays bounded
MAX_TITLE_CHARS = 1000  # a longer title (in JSONL or CSV) is cut


@dataclass
class Paper:
    """One paper: its abstract and metadata, and every source file it was read from."""

    paper_id: str
    title: str
    abstract: str
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    url: str | None = None
    date: str | None = None
    links: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    venue: str | None = None  # journal, proceedings or conference
    doi: str | None = None  # lowercase, without a resolver prefix: "10.1145/3442188.3445922"
    arxiv_id: str | None = None  # without its version: "2301.01234", "hep-th/9901001"
    categories: list[str] = field(default_factory=list)  # arXiv categories: "cs.CL"
    keywords: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # an export's collections and tags


@dataclass
class Problem:
    """Something in a file that was skipped, and why."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass
class FileReport:
    """What one file contributed: entries read, new papers, duplicates merged, problems."""

    path: str
    format: str
    entries: int = 0
    new: int = 0
    merged: int = 0
    problems: list[Problem] = field(default_factory=list)  # what was skipped
    notes: list[Problem] = field(default_factory=list)  # what was read but cut short


@dataclass
class CorpusReport:
    """All papers read from a set of paths, and one report per file."""

    papers: list[Paper]
    files: list[FileReport]

    @property
    def entries(self) -> int:
        return sum(f.entries for f in self.files)

    @property
    def problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems]

    @property
    def notes(self) -> list[Problem]:
        return [n for f in self.files for n in f.notes]


def normalize_title(title: str) -> str:
    """Lower-case a title and keep only letters and digits, single-spaced."""
    text = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def make_paper_id(source_id: str | None, title: str, abstract: str) -> str:
    """A stable id: the source id, else a hash of the normalized title, else of the abstract."""
    if source_id:
        return source_id
    if normalize_title(title):
        return "t-" + _digest(normalize_title(title))
    return "a-" + _digest(" ".join(abstract.split()))


def find_links(text: str) -> list[str]:
    """URLs mentioned in a text (code and project links), in order, without duplicates."""
    links = [m.rstrip(".,;:") for m in _URL.findall(text)]
    return list(dict.fromkeys(links))


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files to read: each file as given, each directory's supported files in name order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
            )
        else:
            files.append(path)
    return files


@dataclass
class _Entry:
    line: int
    title: str
    abstract: str
    source_id: str | None = None
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    url: str | None = None
    date: str | None = None
    venue: str | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    categories: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


class FieldError(ValueError):
    """A record's field of the wrong type: the entry is skipped, the message names the field."""


def _special(path: Path) -> str | None:
    """What kind of non-regular file a path is (a FIFO would block a reader forever), or None."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # reported when it is opened
    for test, kind in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return None


def _blank(path: Path) -> bool:
    """Whether a regular file holds nothing but white space."""
    try:
        if _special(path) or not path.is_file() or path.stat().st_size > 65536:
            return False
        return not path.read_bytes().strip()
    except OSError:
        return False


def _lines(path: Path, report: FileReport) -> Iterator[tuple[int, str]]:
    """The file's lines (numbered from 1, without line ends), streamed; problems go to the report.

    A line longer than MAX_LINE_BYTES is skipped without being held in memory; a binary or
    non-UTF-8 file ends the stream with a problem naming the line.
    """
    kind = _special(path)
    if kind:
        report.problems.append(Problem(str(path), None, f"not a regular file ({kind}); skipped"))
        return
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        report.problems.append(Problem(str(path), None, "no such file; skipped"))
        return
    except OSError as exc:
        report.problems.append(Problem(str(path), None, f"cannot read ({exc.strerror}); skipped"))
        return
    with handle:
        try:
            head = handle.peek(8192)[:8192] if hasattr(handle, "peek") else b""
        except OSError as exc:
            report.problems.append(Problem(str(path), None, f"cannot read ({exc.strerror}); skipped"))
            return
        if b"\x00" in head:
            report.problems.append(Problem(str(path), None, "binary file, not text; skipped"))
            return
        number = 0
        while True:
            try:
                raw = handle.readline(MAX_LINE_BYTES + 1)
            except OSError as exc:
                report.problems.append(
                    Problem(str(path), number + 1, f"cannot read ({exc.strerror}); stopped")
                )
                return
            if not raw:
                return
            number += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # the rest of the line, unread
                    raw = handle.readline(MAX_LINE_BYTES)
                report.problems.append(
                    Problem(str(path), number, f"line longer than {MAX_LINE_BYTES // 2**20} MB; skipped")
                )
                continue
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                report.problems.append(
                    Problem(
                        str(path),
                        number,
                        f"not UTF-8 (byte 0x{raw[exc.start]:02x}); rest of file skipped, re-save it as UTF-8",
                    )
                )
                return
            yield number, line.rstrip("\r\n")


def _read_dump(path: Path, stream: Iterator[tuple[int, str]], report: FileReport) -> Iterator[_Entry]:
    lines = [(n, line.strip()) for n, line in stream if line.strip()]
    date: str | None = None
    i = 0
    while i < len(lines) and (
        normalize_title(lines[i][1]).replace(" ", "") in _HEADER_LINES or _DATE_LINE.match(lines[i][1])
    ):
        if _DATE_LINE.match(lines[i][1]):
            date = lines[i][1]
        i += 1
    while i < len(lines):
        n, title = lines[i]
        if _DATE_LINE.match(title):
            date = title
            i += 1
            continue
        if len(title) > _MAX_TITLE_CHARS:
            report.problems.append(Problem(str(path), n, "abstract without a title; skipped"))
            i += 1
            continue
        following = lines[i + 1][1] if i + 1 < len(lines) else ""
        after = lines[i + 2][1] if i + 2 < len(lines) else ""
        # A short line followed by a short line then a long one: this title lost its abstract.
        title_like = len(following) <= _MAX_TITLE_CHARS and len(after) > _MAX_TITLE_CHARS
        if not following or title_like:
            report.problems.append(Problem(str(path), n, f"empty abstract for {title[:60]!r}; skipped"))
            i += 1
            continue
        yield _Entry(line=n, title=title, abstract=following, date=date)
        i += 2


def _authors(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(a).strip() for a in value if str(a).strip()]
    if isinstance(value, str) and value.strip():
        sep = ";" if ";" in value else ","
        return [a.strip() for a in value.split(sep) if a.strip()]
    return []


def _year(value: Any) -> int | None:
    match = re.match(r"\s*(\d{4})", str(value)) if value not in (None, "") else None
    return int(match.group(1)) if match else None


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value not in (None, "") else ""


_DOI_PREFIX = re.compile(r"^\s*(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_ARXIV_PREFIX = re.compile(r"^\s*(?:https?://arxiv\.org/(?:abs|pdf)/|arxiv:\s*)", re.IGNORECASE)


def _string(fields: dict[str, Any], name: str) -> str | None:
    """A text field: a string (or absent); anything else is a FieldError naming it."""
    value = fields.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError(f"field '{name}' must be text, not {type(value).__name__}; entry skipped")
    return _text(value) or None


def _strings(fields: dict[str, Any], name: str, separators: str) -> list[str]:
    """A list field: a list of strings, or one string split at the first separator it holds."""
    value = fields.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        sep = next((s for s in separators if s in value), None)
        items = value.split(sep) if sep else [value]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = value
    else:
        raise FieldError(f"field '{name}' must be a list of text, not {type(value).__name__}; entry skipped")
    return list(dict.fromkeys(t for t in (_text(v) for v in items) if t))


def _doi(value: str | None) -> str | None:
    """A DOI lowercased, without a resolver prefix."""
    if not value:
        return None
    return _DOI_PREFIX.sub("", value).strip().lower() or None


def _arxiv(value: str | None) -> str | None:
    """An arXiv id without a URL, an "arXiv:" prefix or its version."""
    if not value:
        return None
    return re.sub(r"v\d+$", "", _ARXIV_PREFIX.sub("", value).strip()) or None


def _record_entry(record: dict[str, Any], line: int) -> _Entry:
    fields = {str(k).strip().lower(): v for k, v in record.items()}
    return _Entry(
        line=line,
        title=_text(fields.get("title")),
        abstract=_text(fields.get("abstract")),
        source_id=_text(fields.get("id")) or None,
        authors=_authors(fields.get("authors")),
        year=_year(fields.get("year")),
        url=_text(fields.get("url")) or None,
        date=_text(fields.get("date")) or None,
        venue=_string(fields, "venue"),
        doi=_doi(_string(fields, "doi")),
        arxiv_id=_arxiv(_string(fields, "arxiv_id")),
        categories=_strings(fields, "categories", " ,;"),
        keywords=_strings(fields, "keywords", ";,"),
        tags=_strings(fields, "tags", ";,"),
    )


def _read_jsonl(path: Path, lines: Iterator[tuple[int, str]], report: FileReport) -> Iterator[_Entry]:
    for n, line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            report.problems.append(Problem(str(path), n, f"not valid JSON ({exc.msg}); skipped"))
            continue
        if not isinstance(record, dict):
            report.problems.append(Problem(str(path), n, "not a JSON object; skipped"))
            continue
        try:
            yield _record_entry(record, n)
        except FieldError as exc:
            report.problems.append(Problem(str(path), n, str(exc)))


def _read_csv(path: Path, lines: Iterator[tuple[int, str]], report: FileReport) -> Iterator[_Entry]:
    numbers = [0]  # the physical line last read, for messages

    def text() -> Iterator[str]:
        for n, line in lines:
            numbers[0] = n
            yield line + "\n"

    reader = csv.DictReader(text())
    try:
        columns = [c.strip().lower() for c in reader.fieldnames or []]
    except csv.Error as exc:
        report.problems.append(Problem(str(path), numbers[0], f"malformed CSV header ({exc}); file skipped"))
        return
    if "abstract" not in columns:
        report.problems.append(
            Problem(
                str(path),
                1,
                f"no 'abstract' column (columns: {', '.join(columns) or 'none'}); file skipped",
            )
        )
        return
    while True:
        start = numbers[0] + 1  # a record may span lines: report the line it starts on
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.problems.append(Problem(str(path), start, f"malformed CSV ({exc}); rest of file skipped"))
            return
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        try:
            yield _record_entry(row, start)
        except FieldError as exc:
            report.problems.append(Problem(str(path), start, str(exc)))


_READERS = {"dump": _read_dump, "jsonl": _read_jsonl, "csv": _read_csv}


class _Deduplicator:
    """Merges entries that are the same paper: same id, else same title, else same abstract."""

    def __init__(self) -> None:
        self.papers: list[Paper] = []
        self._by_key: dict[str, Paper] = {}

    def _keys(self, entry: _Entry) -> list[str]:
        keys = []
        if entry.source_id:
            keys.append("id:" + entry.source_id)
        if normalize_title(entry.title):
            keys.append("title:" + normalize_title(entry.title))
        keys.append("abstract:" + " ".join(entry.abstract.split()).casefold())
        return keys

    def add(self, entry: _Entry, source: str) -> bool:
        """Add an entry; return True if it is a new paper, False if it merged into one."""
        keys = self._keys(entry)
        existing = next((self._by_key[k] for k in keys if k in self._by_key), None)
        if existing is None:
            paper = Paper(
                paper_id=make_paper_id(entry.source_id, entry.title, entry.abstract),
                title=entry.title,
                abstract=entry.abstract,
                authors=entry.authors,
                year=entry.year,
                url=entry.url,
                date=entry.date,
                links=find_links(entry.abstract),
                sources=[source],
                venue=entry.venue,
                doi=entry.doi,
                arxiv_id=entry.arxiv_id,
                categories=entry.categories,
                keywords=entry.keywords,
                tags=entry.tags,
            )
            self.papers.append(paper)
            for key in keys:
                self._by_key[key] = paper
            return True
        if source not in existing.sources:
            existing.sources.append(source)
        existing.title = existing.title or entry.title
        existing.authors = existing.authors or entry.authors
        existing.year = existing.year or entry.year
        existing.url = existing.url or entry.url
        existing.date = existing.date or entry.date
        existing.venue = existing.venue or entry.venue
        existing.doi = existing.doi or entry.doi
        existing.arxiv_id = existing.arxiv_id or entry.arxiv_id
        for name in ("categories", "keywords", "tags"):  # the same paper in two collections has both
            setattr(existing, name, list(dict.fromkeys([*getattr(existing, name), *getattr(entry, name)])))
        for key in keys:
            self._by_key.setdefault(key, existing)
        return False


def _clean(entry: _Entry) -> None:
    """Escape sequences and control characters removed from every text of an entry: a terminal
    would obey them wherever the paper is shown."""
    entry.title = without_controls(entry.title)
    entry.abstract = without_controls(entry.abstract)
    entry.authors = [name for name in map(without_controls, entry.authors) if name]
    for name in ("source_id", "url", "date", "venue", "doi", "arxiv_id"):
        value = getattr(entry, name)
        if value is not None:
            setattr(entry, name, without_controls(value) or None)
    for name in ("categories", "keywords", "tags"):
        setattr(entry, name, [text for text in map(without_controls, getattr(entry, name)) if text])


def detect_format(path: Path) -> str | None:
    """The reader for a file, by its suffix: dump, jsonl or csv."""
    return SUPPORTED_SUFFIXES.get(path.suffix.lower())


def read(paths: Iterable[Path | str], *, max_abstract_chars: int = 20000) -> CorpusReport:
    """Read every file under the paths into de-duplicated papers, with a report per file.

    An abstract longer than max_abstract_chars (or a title longer than MAX_TITLE_CHARS) is cut,
    and the cut is reported on its line.
    """
    dedup = _Deduplicator()
    reports: list[FileReport] = []
    for path in expand_paths(Path(p) for p in paths):
        fmt = detect_format(path)
        report = FileReport(path=str(path), format=fmt or "unknown")
        reports.append(report)
        if fmt is None:
            report.problems.append(
                Problem(str(path), None, "unsupported file type (use .txt, .jsonl or .csv); skipped")
            )
            continue
        if _blank(path):
            report.problems.append(Problem(str(path), None, "empty file; skipped"))
            continue
        for entry in _READERS[fmt](path, _lines(path, report), report):
            _clean(entry)
            if not entry.abstract:
                report.problems.append(Problem(str(path), entry.line, "empty abstract; skipped"))
                continue
            if len(entry.abstract) > max_abstract_chars:
                report.notes.append(
                    Problem(
                        str(path),
                        entry.line,
                        f"abstract of {len(entry.abstract):,} characters cut to {max_abstract_chars:,} "
                        "(RAG_MAX_ABSTRACT_CHARS)",
                    )
                )
                entry.abstract = entry.abstract[:max_abstract_chars]
            if len(entry.title) > MAX_TITLE_CHARS:
                report.notes.append(
                    Problem(str(path), entry.line, f"title cut to {MAX_TITLE_CHARS:,} characters")
                )
                entry.title = entry.title[:MAX_TITLE_CHARS]
            report.entries += 1
            if dedup.add(entry, path.name):
                report.new += 1
            else:
                report.merged += 1
    return CorpusReport(papers=dedup.papers, files=reports)
