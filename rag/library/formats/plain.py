"""The formats read since the first release: Daily Papers dumps, JSON lines and CSV."""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ...untrusted import without_controls
from .. import fields
from ..records import Entry, FileReport, Problem
from ..selection import Selection
from . import markup
from .lines import MAX_LINE_BYTES

HEADER_LINES = {
    "new",
    "gettrendingpapersinyouremailinbox",
    "subscribe",
    "dailypapers",
    "byakandtheresearchcommunity",
}
_DATE_LINE = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}(, \d{4})?$")
# A dump line this long is an abstract, never a title.
_MAX_TITLE_CHARS = 400


def squeeze(text: str) -> str:
    """A header line's letters only, lower-cased: how dump headers are recognised."""
    return re.sub(r"[^a-z]", "", text.casefold())


def read_dump(
    path: Path, stream: Iterator[tuple[int, str]], report: FileReport, selection: Selection
) -> Iterator[Entry]:
    """A Daily Papers page saved as text: a header, then title and abstract lines, dates between (the
    LaTeX the page leaves in an abstract read as its text)."""
    lines = [(n, line.strip()) for n, line in stream if line.strip()]
    date: str | None = None
    i = 0
    while i < len(lines) and (squeeze(lines[i][1]) in HEADER_LINES or _DATE_LINE.match(lines[i][1])):
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
        yield Entry(line=n, title=_plain(title), abstract=_plain(following), date=date)
        i += 2


def _plain(text: str) -> str:
    """A dump's text with its markup read; escape sequences go first, whole (their ESC \\ is no macro)."""
    return markup.plain(without_controls(text))


# Zotero's CSV export names its columns so ("Abstract Note", "Author", "Publication Year", "Key" ...)
ZOTERO_COLUMNS = {
    "abstract note": "abstract",
    "author": "authors",
    "publication year": "year",
    "publication title": "venue",
    "manual tags": "tags",
    "automatic tags": "keywords",
}


def _fields(record: dict[str, Any]) -> dict[str, Any]:
    """A record's fields by lower-case name, Zotero's column names as ours where ours are absent."""
    fields = {str(k).strip().lower(): v for k, v in record.items()}
    for column, field in ZOTERO_COLUMNS.items():
        if column in fields and field not in fields:
            fields[field] = fields.pop(column)
    extra = fields.get("extra")  # Zotero keeps a preprint's "arXiv:2308.07316 [cs]" there
    if isinstance(extra, str) and "arxiv_id" not in fields and (arxiv := _EXTRA_ARXIV.search(extra)):
        fields["arxiv_id"] = arxiv.group(1)
    return fields


# a line of its own: "arXiv:2308.07316 [cs]" (not "Comment: extends arXiv:2101.00001")
_EXTRA_ARXIV = re.compile(
    r"^\s*arXiv:\s*([a-z\-]+(?:\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})(?:v\d+)?", re.IGNORECASE | re.MULTILINE
)


def record_entry(record: dict[str, Any], line: int) -> Entry:
    """An entry from a JSON object or CSV row (keys case-insensitive, Zotero's CSV columns read as
    ours); FieldError for a wrong type."""
    get = _fields(record).get
    written = fields.optional(get("date"), "date")
    known = fields.written_date(written)  # "March 5, 2022" as 2022-03-05; other text kept as it is
    doi = fields.doi(get("doi"))
    # an arXiv DOI gives the arXiv id, as every other format reads it (the same paper from a .bib and
    # from this file is one paper); the DOI given is kept. Not a URL: records citing one paper's page
    # are not that paper (a review)
    arxiv = fields.arxiv_id(get("arxiv_id")) or fields.arxiv_in(doi)
    return Entry(
        line=line,
        title=fields.text(get("title"), "title"),
        abstract=fields.text(get("abstract"), "abstract"),
        source_id=fields.identifier(get("id"), "id"),
        authors=fields.names(get("authors"), "authors"),
        year=fields.year(get("year")) or (int(known[:4]) if known else None),
        url=fields.optional(get("url"), "url"),
        date=known or written,
        venue=fields.optional(get("venue"), "venue"),
        doi=doi,
        arxiv_id=arxiv,
        categories=fields.terms(get("categories"), "categories", spaces=True),
        keywords=fields.terms(get("keywords"), "keywords"),
        tags=fields.terms(get("tags"), "tags"),
    )


def json_objects(
    path: Path,
    lines: Iterator[tuple[int, str]],
    report: FileReport,
    keep: Callable[[str], bool] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each line's JSON object with its number; blank lines passed over, a line keep() refuses
    counted as filtered (before it is parsed), anything else reported and skipped."""
    for n, line in lines:
        if not line.strip():
            continue
        if keep is not None and not keep(line):
            report.filtered += 1
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            report.problems.append(Problem(str(path), n, f"not valid JSON ({exc.msg}); skipped"))
            continue
        except RecursionError:  # a hostile line of a thousand nested arrays
            report.problems.append(Problem(str(path), n, "not valid JSON (nested too deeply); skipped"))
            continue
        if not isinstance(record, dict):
            report.problems.append(Problem(str(path), n, "not a JSON object; skipped"))
            continue
        yield n, record


def read_jsonl(
    path: Path, lines: Iterator[tuple[int, str]], report: FileReport, selection: Selection
) -> Iterator[Entry]:
    """One JSON object a line: title, abstract, id, authors, year, url, date and the newer fields."""
    for n, record in json_objects(path, lines, report):
        try:
            yield record_entry(record, n)
        except fields.FieldError as exc:
            report.skip(n, None, str(exc))


def read_csv(
    path: Path, lines: Iterator[tuple[int, str]], report: FileReport, selection: Selection
) -> Iterator[Entry]:
    """A CSV file with a header row that has an 'abstract' column (Zotero's: 'Abstract Note')."""
    numbers = [0]  # the physical line last read, for messages
    first = next(lines, None)
    if first is None:
        return
    # a spreadsheet saved in a locale whose decimal mark is a comma separates by ";"
    header = first[1]
    delimiter = next((d for d in (";", "\t") if d in header and "," not in header), ",")

    def text() -> Iterator[str]:
        for n, line in itertools.chain([first], lines):
            numbers[0] = n
            yield line + "\n"

    csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))  # an abstract may be long
    reader = csv.DictReader(text(), delimiter=delimiter)
    try:
        columns = [c.strip().lower() for c in reader.fieldnames or []]
    except csv.Error as exc:
        report.problems.append(Problem(str(path), numbers[0], f"malformed CSV header ({exc}); file skipped"))
        return
    if "abstract" not in columns and "abstract note" not in columns:
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
        try:  # values beyond the header's columns (key None) are ignored, as are missing ones
            yield record_entry({k: v for k, v in row.items() if k is not None and v is not None}, start)
        except fields.FieldError as exc:
            report.skip(start, None, str(exc))
