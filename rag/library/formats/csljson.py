"""CSL-JSON, the JSON that Zotero and Mendeley export: one array of items (or one item); and the other
JSON a file may hold whole: an array of OpenAlex works (or an API page's `results`), of plain records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import fields
from ..records import Entry, FileReport, Problem
from ..selection import Selection
from .openalex import is_openalex, work_entry
from .plain import record_entry

_VENUES = ("container-title", "event-title", "collection-title")


def read_csljson(
    path: Path, lines: Iterator[tuple[int, str]], report: FileReport, selection: Selection
) -> Iterator[Entry]:
    """Every item of the array; an item is named by its id (or its place) in messages."""
    read = list(lines)
    try:
        items = json.loads("\n".join(line for _, line in read) or "null")
    except (json.JSONDecodeError, RecursionError) as exc:
        items = _one_a_line(path, read, report)  # CSL items as JSON lines
        if items is None:
            deep = isinstance(exc, RecursionError)
            where, why = (None, "nested too deeply") if deep else (exc.lineno, exc.msg)  # type: ignore[union-attr]
            report.problems.append(Problem(str(path), where, f"not valid JSON ({why}); file skipped"))
            return
    if isinstance(items, dict):  # Zotero's {"items": [...]}, an OpenAlex page, or one item
        listed = next((items[k] for k in ("items", "results") if isinstance(items.get(k), list)), None)
        items = listed if listed is not None else [items]
    if not isinstance(items, list):
        report.problems.append(
            Problem(str(path), None, f"not a CSL-JSON array but {fields.kind(items)}; skipped")
        )
        return
    for number, item in enumerate(items, 1):
        label = f"item {number}"
        if not isinstance(item, dict):
            report.skip(None, label, f"not a JSON object but {fields.kind(item)}")
            continue
        if isinstance(item.get("id"), str | int) and not isinstance(item.get("id"), bool):
            label = f"{item['id']} (item {number})"
        try:
            entry = _any_entry(item)
        except fields.FieldError as exc:
            report.skip(None, label, str(exc))
            continue
        entry.key = label
        yield entry


def _one_a_line(path: Path, read: list[tuple[int, str]], report: FileReport) -> list[Any] | None:
    """The objects of a file holding one JSON object a line, a line that is none reported and
    skipped; None when the first line is none (the file is not such a file)."""
    objects: list[Any] = []
    for number, line in ((n, line) for n, line in read if line.strip()):
        try:
            objects.append(json.loads(line))
        except (json.JSONDecodeError, RecursionError) as exc:
            if not objects:
                return None
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            report.problems.append(Problem(str(path), number, f"not valid JSON ({why}); skipped"))
    return objects if objects and all(isinstance(o, dict) for o in objects) else None


def is_csl(item: dict[str, Any]) -> bool:
    """Whether an object is a CSL item by what no plain record writes: `issued`, `container-title`,
    `citation-key`, or `author` as a list of name objects (a plain record's "URL" or "DOI" is no sign)."""
    authors = item.get("author")
    named = isinstance(authors, list) and bool(authors) and isinstance(authors[0], dict)
    return named or any(key in item for key in ("issued", "container-title", "citation-key"))


def _any_entry(item: dict[str, Any]) -> Entry:
    """An item read as what it is: an OpenAlex work, a CSL item or a plain record."""
    if is_openalex(item):
        return work_entry(item, 0, None)
    if is_csl(item):
        return _entry(item)
    return record_entry(item, 0)


def _entry(item: dict[str, Any]) -> Entry:
    doi = fields.doi(item.get("DOI"), "DOI")
    url = fields.optional(item.get("URL"), "URL")
    date = _issued(item.get("issued"))
    note = fields.optional(item.get("note"), "note")
    number = fields.identifier(item.get("number"), "number")
    return Entry(
        line=None,
        title=fields.text(item.get("title"), "title"),
        abstract=fields.text(item.get("abstract"), "abstract"),
        authors=_authors(item.get("author")),
        year=int(date[:4]) if date else None,
        date=date,
        url=url,
        venue=next((fields.text(item[k], k) for k in _VENUES if item.get(k)), None),
        doi=None if doi and fields.arxiv_in(doi) else doi,
        arxiv_id=fields.arxiv_in(doi, url, number, note),
        keywords=fields.terms(item.get("keyword"), "keyword"),
    )


def _issued(value: Any) -> str | None:
    """The date of a CSL date object: {"date-parts": [[2021, 3, 1]]} or {"raw": "2021-03-01"}."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise fields.FieldError("issued", f"must be a CSL date object, not {fields.kind(value)}")
    parts = value.get("date-parts")
    if parts is not None:
        if not (isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]):
            raise fields.FieldError("issued", "has no date-parts list of numbers")
        numbers = []
        for part in parts[0][:3]:
            if isinstance(part, bool) or not isinstance(part, int | str) or not str(part).strip().isdigit():
                raise fields.FieldError("issued", f"date-parts must be numbers, not {fields.kind(part)}")
            numbers.append(int(part))
        year = fields.year(numbers[0], "issued")
        return fields.date_of(year, *numbers[1:])
    return fields.iso_date(value.get("raw") or value.get("literal"), "issued")


def _authors(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise fields.FieldError("author", f"must be a list of names, not {fields.kind(value)}")
    people = []
    for name in value:
        if not isinstance(name, dict):
            raise fields.FieldError(
                "author", f"must be a list of name objects, not a list holding {fields.kind(name)}"
            )
        literal = fields.text(name.get("literal"), "author")
        given = fields.text(name.get("given"), "author")
        family = fields.text(name.get("family"), "author")
        dropping = fields.text(name.get("non-dropping-particle"), "author")
        person = literal or fields.person(
            given, f"{dropping} {family}", fields.text(name.get("suffix"), "author")
        )
        if person:
            people.append(person)
    return people
