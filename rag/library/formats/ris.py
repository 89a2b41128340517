"""RIS as Zotero, Mendeley and EndNote export it (rispy), one record at a time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import fields
from ..records import Entry, FileReport, Problem
from ..selection import Selection

_TAG = re.compile(r"^([A-Z][A-Z0-9])  -( |$)")
_VENUES = ("secondary_title", "alternate_title3", "journal_name", "alternate_title2", "alternate_title1")


def is_ris(head: str) -> bool:
    """Whether a file's first non-blank line opens a RIS record."""
    first = next((line for line in head.splitlines() if line.strip()), "")
    return first.startswith("TY  -")


def read_ris(
    path: Path, lines: Iterator[tuple[int, str]], report: FileReport, selection: Selection
) -> Iterator[Entry]:
    """Each TY ... ER record, parsed by rispy; a record cut off by the end of the file is reported."""
    record: list[str] = []
    start = 0
    untyped: int | None = None  # where tags began outside a record: one that lost its TY line
    for n, line in lines:
        tag = _TAG.match(line)
        if tag and tag.group(1) == "TY":
            if record:
                report.problems.append(Problem(str(path), start, "RIS record without an ER line; skipped"))
            record, start, untyped = [line], n, None
        elif record:
            record.append(line)
            if tag and tag.group(1) == "ER":
                yield from _parse(record, start, report)
                record = []
        elif tag:
            untyped = n if untyped is None else untyped
            if tag.group(1) == "ER":
                report.problems.append(Problem(str(path), untyped, "RIS record without a TY line; skipped"))
                untyped = None
    if record:
        report.problems.append(Problem(str(path), start, "RIS record without an ER line; skipped"))
    elif untyped is not None:
        report.problems.append(Problem(str(path), untyped, "RIS record without a TY line; skipped"))


def _parse(lines: list[str], start: int, report: FileReport) -> Iterator[Entry]:
    from rispy import RisParser

    # an abstract over several AB lines (EndNote's paragraphs) is all of them, not the first
    parsed = RisParser(skip_unknown_tags=True, list_tags=[*RisParser.DEFAULT_LIST_TAGS, "AB"]).parse_lines(
        iter(lines)
    )
    for values in parsed:
        key = values.get("id") if isinstance(values.get("id"), str) else None
        try:
            yield _entry(values, start, key)
        except fields.FieldError as exc:
            report.skip(start, key, str(exc))


def _entry(values: dict[str, Any], line: int, key: str | None) -> Entry:
    urls = fields.strings(values.get("urls"), "UR")
    doi = fields.doi(values.get("doi"), "DO")
    raw_date = values.get("date") or values.get("year") or values.get("publication_year")
    date = _date(fields.optional(raw_date, "DA"))
    return Entry(
        line=line,
        key=key,
        title=fields.text(values.get("title") or values.get("primary_title"), "TI"),
        abstract=fields.text(_joined(values.get("abstract")) or values.get("notes_abstract"), "AB"),
        authors=[_person(a) for a in fields.strings(values.get("authors"), "AU")]
        + [_person(a) for a in fields.strings(values.get("first_authors"), "A1")],
        year=fields.year(values.get("year") or values.get("publication_year"), "PY") or _year(date),
        date=date,
        url=urls[0] if urls else None,
        venue=next((fields.text(values[k], k) for k in _VENUES if values.get(k)), None),
        doi=None if doi and fields.arxiv_in(doi) else doi,
        arxiv_id=fields.arxiv_in(doi, *urls),
        keywords=list(dict.fromkeys(fields.strings(values.get("keywords"), "KW"))),
    )


def _date(value: str | None) -> str | None:
    """'2020/03/15/', '2020///' or '2020-03-15' as '2020-03-15' (or shorter)."""
    if not value:
        return None
    parts = [p for p in re.split(r"[/-]", value) if p.strip()]
    numbers = [int(p) if p.strip().isdigit() else None for p in parts[:3]]
    return fields.date_of(*numbers) if numbers else None


def _year(date: str | None) -> int | None:
    return int(date[:4]) if date else None


def _person(name: str) -> str:
    """'Family, Given[, Suffix]' as 'Given Family[, Suffix]'."""
    parts = [p.strip() for p in name.split(",")]
    if len(parts) == 1:
        return parts[0]
    return fields.person(parts[1], parts[0], ", ".join(parts[2:]))


def _joined(value: Any) -> Any:
    """The parts of a field given on several lines, as one text (anything else as it is)."""
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return " ".join(part.strip() for part in value if part.strip()) or None
    return value
