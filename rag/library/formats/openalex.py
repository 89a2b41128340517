"""OpenAlex works as JSON lines (the API's results or the snapshot's works files): the
abstract_inverted_index turned back into text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import fields
from ..records import Entry, FileReport
from ..selection import Selection
from .plain import json_objects

_PREFIX = "https://openalex.org/"
MIN_CONCEPT_SCORE = 0.3  # OpenAlex tags a work with dozens of concepts; the weak ones say little


def is_openalex(record: dict[str, Any]) -> bool:
    """Whether a JSON object is an OpenAlex work."""
    identifier = record.get("id")
    return "abstract_inverted_index" in record or (
        isinstance(identifier, str) and identifier.startswith(_PREFIX)
    )


def read_openalex(
    path: Path, lines: Iterator[tuple[int, str]], report: FileReport, selection: Selection
) -> Iterator[Entry]:
    """Each work a line; its OpenAlex id names it in messages."""
    for n, record in json_objects(path, lines, report):
        key = record.get("id") if isinstance(record.get("id"), str) else None
        key = key.removeprefix(_PREFIX) if key else None
        try:
            yield work_entry(record, n, key)
        except fields.FieldError as exc:
            report.skip(n, key, str(exc))


def abstract_text(index: Any) -> str:
    """The abstract an inverted index ({"word": [positions]}) was made from."""
    if index is None:
        return ""
    if not isinstance(index, dict):
        raise fields.FieldError("abstract_inverted_index", f"must be an object, not {fields.kind(index)}")
    placed: dict[int, str] = {}
    for word, positions in index.items():
        if not isinstance(positions, list) or not all(
            isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in positions
        ):
            raise fields.FieldError(
                "abstract_inverted_index", f"positions of {word[:30]!r} must be a list of numbers"
            )
        for position in positions:
            placed[position] = word
    return " ".join(placed[p] for p in sorted(placed))


def work_entry(record: dict[str, Any], line: int, key: str | None) -> Entry:
    ids = _object(record.get("ids"), "ids")
    location = _object(record.get("primary_location"), "primary_location")
    source = _object(location.get("source"), "primary_location.source")
    doi = fields.doi(record.get("doi") or ids.get("doi"))
    landing = fields.optional(location.get("landing_page_url"), "primary_location.landing_page_url")
    date = fields.iso_date(record.get("publication_date"), "publication_date")
    year = fields.year(record.get("publication_year"), "publication_year")
    arxiv = fields.arxiv_id(ids["arxiv"], "ids.arxiv") if ids.get("arxiv") else None
    return Entry(
        line=line,
        key=key,
        own_id=f"openalex:{key}" if key else None,
        title=fields.text(record.get("title") or record.get("display_name"), "title"),
        abstract=abstract_text(record.get("abstract_inverted_index")),
        authors=_authors(record.get("authorships")),
        year=year or (int(date[:4]) if date else None),
        date=date or fields.date_of(year),
        url=landing or (f"https://doi.org/{doi}" if doi else None),
        venue=fields.optional(source.get("display_name"), "primary_location.source.display_name"),
        doi=None if doi and fields.arxiv_in(doi) else doi,
        arxiv_id=arxiv or fields.arxiv_in(doi, landing, *_landing_pages(record.get("locations"))),
        keywords=_names(record.get("keywords"), "keywords") + _names(record.get("concepts"), "concepts"),
    )


def _object(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fields.FieldError(name, f"must be an object, not {fields.kind(value)}")
    return value


def _authors(authorships: Any) -> list[str]:
    if authorships is None:
        return []
    if not isinstance(authorships, list):
        raise fields.FieldError("authorships", f"must be a list, not {fields.kind(authorships)}")
    people = []
    for authorship in authorships:
        author = _object(_object(authorship, "authorships").get("author"), "authorships.author")
        name = fields.text(author.get("display_name"), "authorships.author.display_name")
        if name:
            people.append(name)
    return people


def _names(items: Any, name: str) -> list[str]:
    """Display names of keywords or concepts, the weakly scored ones left out."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise fields.FieldError(name, f"must be a list, not {fields.kind(items)}")
    found = []
    for item in items:
        item = _object(item, name)
        score = item.get("score")
        if isinstance(score, int | float) and not isinstance(score, bool) and score < MIN_CONCEPT_SCORE:
            continue
        label = fields.text(item.get("display_name") or item.get("keyword"), f"{name}.display_name")
        if label:
            found.append(label)
    return list(dict.fromkeys(found))


def _landing_pages(locations: Any) -> list[str]:
    if not isinstance(locations, list):
        return []
    return [
        str(loc.get("landing_page_url"))
        for loc in locations
        if isinstance(loc, dict) and isinstance(loc.get("landing_page_url"), str)
    ]
