"""The arXiv OAI metadata snapshot (arxiv-metadata-oai-snapshot.json): one JSON object a line,
streamed in constant memory, --category and --since applied before a line is even parsed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from .. import fields
from ..records import Entry, FileReport, Problem
from ..selection import Selection

_BARE_PERCENT = re.compile(r"(?<!\\)%")
_UPDATED = re.compile(r'"update_date"\s*:\s*"(\d{4}-\d{2}-\d{2})"')


def is_arxiv(record: dict[str, Any]) -> bool:
    """Whether a JSON object is a record of the arXiv snapshot."""
    return "authors_parsed" in record or ("versions" in record and "update_date" in record)


def read_arxiv(
    path: Path, lines: Iterator[tuple[int, str]], report: FileReport, selection: Selection
) -> Iterator[Entry]:
    """Each record as an entry: the arXiv id, categories, authors, first-version date, DOI, journal-ref."""
    decoder = None
    for n, line in lines:
        if not line.strip():
            continue
        if not selection.may_keep_line(line) or _updated_before(line, selection.since):
            report.filtered += 1
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            report.problems.append(Problem(str(path), n, f"not valid JSON ({exc.msg}); skipped"))
            continue
        if not isinstance(record, dict):
            report.problems.append(Problem(str(path), n, "not a JSON object; skipped"))
            continue
        key = record.get("id") if isinstance(record.get("id"), str) else None
        try:
            if decoder is None:
                from pylatexenc.latex2text import LatexNodes2Text

                decoder = LatexNodes2Text(math_mode="text")
            yield _entry(record, n, decoder)
        except fields.FieldError as exc:
            report.skip(n, key, str(exc))


def _updated_before(line: str, since: str) -> bool:
    """Whether the record was last updated before --since, so its first version was too."""
    if not since:
        return False
    match = _UPDATED.search(line)
    return match is not None and match.group(1)[: len(since)] < since[:10]


def _entry(record: dict[str, Any], line: int, decoder: Any) -> Entry:
    arxiv = fields.arxiv_id(record.get("id"), "id")
    if arxiv is None:
        raise fields.FieldError("id", "is missing")
    dois = fields.optional(record.get("doi"), "doi")
    date = _first_version(record.get("versions")) or fields.iso_date(record.get("update_date"), "update_date")
    return Entry(
        line=line,
        key=arxiv,
        title=_decode(fields.text(record.get("title"), "title"), decoder),
        abstract=fields.text(record.get("abstract"), "abstract"),
        authors=_authors(record, decoder),
        year=int(date[:4]) if date else None,
        date=date,
        url=f"https://arxiv.org/abs/{arxiv}",
        venue=fields.optional(record.get("journal-ref"), "journal-ref"),
        doi=fields.doi(dois.split()[0]) if dois else None,  # a few records list several
        arxiv_id=arxiv,
        categories=fields.text(record.get("categories"), "categories").split(),
    )


def _first_version(versions: Any) -> str | None:
    """The date of v1: {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}."""
    if versions is None:
        return None
    if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
        raise fields.FieldError("versions", f"must be a list of objects, not {fields.kind(versions)}")
    for version in versions:
        created = version.get("created")
        if isinstance(created, str):
            try:
                return parsedate_to_datetime(created).date().isoformat()
            except (TypeError, ValueError):
                raise fields.FieldError("versions", f"has a date that is not one: {created[:40]!r}") from None
    return None


def _authors(record: dict[str, Any], decoder: Any) -> list[str]:
    """From authors_parsed ([family, given, suffix]), LaTeX accents decoded; else the authors text."""
    parsed = record.get("authors_parsed")
    if parsed is None:
        return [
            _decode(a, decoder)
            for a in fields.names(fields.text(record.get("authors"), "authors"), "authors")
        ]
    if not isinstance(parsed, list) or not all(
        isinstance(p, list) and all(isinstance(s, str) for s in p) for p in parsed
    ):
        raise fields.FieldError("authors_parsed", "must be a list of [family, given, suffix] lists of texts")
    people = []
    for parts in parsed:
        family, given, suffix = [*parts, "", "", ""][:3]
        person = fields.person(_decode(given, decoder), _decode(family, decoder), _decode(suffix, decoder))
        if person:
            people.append(person)
    return people


def _decode(text: str, decoder: Any) -> str:
    """LaTeX accents and macros of a title or name decoded ('T\\"ULU' is 'TÜLU'); a bare % is kept."""
    if "\\" not in text and "{" not in text:
        return text
    return " ".join(decoder.latex_to_text(_BARE_PERCENT.sub(r"\\%", text)).split())
