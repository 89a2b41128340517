"""Filters on the papers' metadata (year or dates, author, category, venue, tag): one `Filter` value,
parsed once, turned into Chroma's `where` and applied inside both searches.

How it is stored. Chroma's metadata `where` compares scalars ($eq, $gt, $in ...) and, since
chromadb 1.x, tests membership of one value in a list-valued key ($contains). Neither matches a
substring, and the paper's own fields are kept as the user sees them ("A | B" for lists, "Mar 11"
or "2023-05-17" for a date). So every chunk also carries derived keys, written by `fields` from
the paper's record, each a plain value the `where` can test:

- `f_day_from`, `f_day_to`: the first and last day (YYYYMMDD) the paper's date may be, at the
  precision the record has (a year alone: 0101 to 1231). A date filter keeps the papers whose span
  meets its own (`--since 2023-06-01` keeps a paper of "2023", which may be of June).
- `f_authors`: for each author, every ending of the name ("turing", "mathison turing") and those
  endings after the given name or its initial ("alan turing", "a turing"). `--author Turing`,
  `"Alan Turing"`, `"A. M. Turing"` and `"Turing, Alan"` all find "Alan Mathison Turing" with one
  $contains, and two authors' names are never mixed up ("Alan Smith" and "Bob Turing" are no
  "alan turing"), which a bag of every author's words would do.
- `f_categories`: each category folded and its archive ("cs.cl", "cs"): `--category cs` is all of cs.
- `f_venue`: the venue's words: `--venue acl` finds "Findings of ACL 2023", not "NAACL".
- `f_tags`: each tag (a Zotero collection or tag) and keyword, folded: Zotero writes its tags as
  the keywords of its BibTeX, RIS and CSL-JSON exports.

Both searches apply the same `where`: the dense one inside Chroma's query (its HNSW search skips
what the filter excludes and keeps looking until it has the n nearest that pass), the keyword one
by masking BM25 scores with the chunk ids Chroma's `get(where=...)` returns (about 20 ms for 7,000
of 20,000 chunks). A filtered top-k is then the top-k of a filtered exhaustive scan:
tests/test_filters.py compares them on every query and filter it tries.

A store written before these keys has none of them (its collection's `filter_fields` is absent or
older than FIELDS_VERSION): a filter would silently miss its papers. So the first filtered search
on such a store writes the keys onto every chunk, from the metadata already stored (nothing is
re-read or re-embedded), under the writer lock, and records the version; a new collection is
created with it.
"""

from __future__ import annotations

import calendar
import functools
import re
import shlex
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from dataclasses import fields as dataclass_fields
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from ..errors import InputError
from . import names

if TYPE_CHECKING:
    from ..answer import PaperRef

# the derived keys below (2: keywords are tags); a store with an older version gets them on first use
FIELDS_VERSION = 2
DAY_FROM, DAY_TO = "f_day_from", "f_day_to"
AUTHORS, CATEGORIES, VENUE, TAGS = "f_authors", "f_categories", "f_venue", "f_tags"
DERIVED = (DAY_FROM, DAY_TO, AUTHORS, CATEGORIES, VENUE, TAGS)

_LINEAGE = {"jr", "sr", "ii", "iii", "iv"}
_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:$|[T\s])")
_YEARS = re.compile(r"^\s*(\d{4})?\s*(?:(\.\.|-)\s*(\d{4})?)?\s*$")
# What each option is called: on the command line, in a question file, in Python, in /filter.
_NAMES = {
    "year": "year",
    "years": "year",
    "since": "since",
    "until": "until",
    "author": "author",
    "authors": "author",
    "category": "category",
    "categories": "category",
    "venue": "venue",
    "venues": "venue",
    "tag": "tag",
    "tags": "tag",
}
_LISTS = {"author": "authors", "category": "categories", "venue": "venues", "tag": "tags"}
_SPLIT_ON_COMMAS = {"category", "tag"}  # names and venues may hold a comma


def fold(text: str) -> str:
    """Lower case, without accents, single-spaced ("Ünlü  Ø" -> "unlu o")."""
    return " ".join(names.fold(text).split())


def _words(text: str) -> list[str]:
    return re.sub(r"[^\w]+", " ", fold(text)).split()


@functools.cache
def _venue_names() -> dict[str, tuple[str, ...]]:
    """The full names of the venues named by abbreviation (venues.tsv), as words, by folded abbreviation."""
    lines = (Path(__file__).with_name("venues.tsv")).read_text(encoding="utf-8").splitlines()
    rows = (line.split("\t") for line in lines if line.strip() and not line.startswith("#"))
    return {fold(short): tuple(_words(full)) for short, full in rows}


def _venue_forms(venue: str) -> list[list[str]]:
    """The words a venue filter's value matches: its own, the full name of an abbreviation ("ACL":
    "Annual Meeting of the Association for Computational Linguistics", as its proceedings write it),
    and the venue's other abbreviations (NeurIPS: NIPS, its name until 2018)."""
    names = _venue_names()
    full = names.get(fold(venue.strip()))
    if not full:
        return [_words(venue)]
    others = [_words(short) for short, name in names.items() if name == full and short != fold(venue.strip())]
    return [_words(venue), list(full), *others]


def _name_words(name: str) -> list[str]:
    """A person's name as words, given names first ("Turing, Alan" -> alan turing), no Jr. or III."""
    parts = [p.strip() for p in name.split(",")]
    if len(parts) >= 2 and parts[0] and parts[-1]:
        name = f"{parts[-1]} {parts[0]}"  # "Family, Given" and "Family, Jr., Given"
    words = _words(name)
    while len(words) > 1 and words[-1] in _LINEAGE:
        words.pop()
    return words


def author_keys(name: str) -> set[str]:
    """What an author's name is found by: each ending of it, alone and after the first given name
    or its initial ("mathison turing", "turing", "alan turing", "a turing" ...)."""
    words = _name_words(name)
    if not words:
        return set()
    keys = {" ".join(words)}
    for i in range(1, len(words)):
        ending = " ".join(words[i:])
        keys |= {ending, f"{words[0]} {ending}", f"{words[0][0]} {ending}"}
    return keys


def author_key(query: str) -> str:
    """The key a filter's author is looked up by: "A. M. Turing" -> "a turing"; "" if no letters."""
    words = _name_words(query)
    if len(words) > 2 and all(len(w) == 1 for w in words[:-1]):
        return f"{words[0]} {words[-1]}"
    return " ".join(words)


def category_keys(category: str) -> set[str]:
    """A category and its archive, folded ("cs.CL" -> cs.cl, cs)."""
    folded = fold(category)
    return {folded, folded.split(".")[0]} if folded else set()


def _month_end(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def date_span(text: str | None, year: int | None) -> tuple[int, int] | None:
    """The first and last day (YYYYMMDD) a paper's date may be: from an ISO date ("2023",
    "2023-05", "2023-05-17", "2023-05-17T..."), else its year; None when neither is known."""
    match = _DATE.match(text or "")
    if match and int(match.group(1)) >= 1:
        y, m, d = (int(g) if g else None for g in match.groups())
        assert y is not None
        if m is not None and 1 <= m <= 12:
            if d is not None and 1 <= d <= _month_end(y, m):
                return _day(y, m, d), _day(y, m, d)
            return _day(y, m, 1), _day(y, m, _month_end(y, m))
        return _day(y, 1, 1), _day(y, 12, 31)
    if year is not None and 1 <= year <= 9999:
        return _day(year, 1, 1), _day(year, 12, 31)
    return None


def _day(year: int, month: int, day: int) -> int:
    return year * 10000 + month * 100 + day


def fields(paper: PaperRef) -> dict[str, Any]:
    """The derived keys a chunk of this paper carries; None for those it has nothing for (an
    upsert or update then removes a key left by an earlier version of the paper)."""
    span = date_span(paper.date, paper.year)
    authors = set().union(*(author_keys(a) for a in paper.authors))
    categories = set().union(*(category_keys(c) for c in paper.categories))
    venue = list(dict.fromkeys(_words(paper.venue or "")))
    tags = {fold(t) for t in (*paper.tags, *paper.keywords)} - {""}  # Zotero exports its tags as keywords
    return {
        DAY_FROM: span[0] if span else None,
        DAY_TO: span[1] if span else None,
        AUTHORS: sorted(authors) or None,
        CATEGORIES: sorted(categories) or None,
        VENUE: venue or None,
        TAGS: sorted(tags) or None,
    }


def _contains(key: str, value: str) -> dict[str, Any]:
    return {key: {"$contains": value}}


def _all(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _any(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def _parse_day(text: str, *, last: bool, name: str) -> int:
    """--since/--until: YYYY, YYYY-MM or YYYY-MM-DD, as the first (or last) day it covers."""
    match = re.fullmatch(r"\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\s*", text)
    if not match:
        raise InputError(f"{name} {text!r}: use a date like 2023-01-31, 2023-01 or 2023")
    y, m, d = (int(g) if g else None for g in match.groups())
    assert y is not None
    try:
        date(y, m or 1, d or 1)
    except ValueError:
        raise InputError(f"{name} {text!r}: no such date") from None
    if m is None:
        return _day(y, 12, 31) if last else _day(y, 1, 1)
    if d is None:
        return _day(y, m, _month_end(y, m)) if last else _day(y, m, 1)
    return _day(y, m, d)


def _parse_years(text: str, name: str = "year") -> tuple[int | None, int | None]:
    """--year 2023, 2021..2023, 2021-2023, 2021.. or ..2023: the first and last day it covers."""
    match = _YEARS.match(text)
    if not match or not (match.group(1) or match.group(3)) or "0000" in match.groups():
        raise InputError(f"{name} {text!r}: use a year like 2023 or a range like 2021..2023")
    first, sep, second = match.groups()
    if first and not sep:
        second = first
    start = _day(int(first), 1, 1) if first else None
    end = _day(int(second), 12, 31) if second else None
    if start and end and start > end:
        raise InputError(f"{name} {text!r}: the range ends before it starts")
    return start, end


def _text_of(day: int) -> str:
    return f"{day // 10000:04d}-{day // 100 % 100:02d}-{day % 100:02d}"


def _values(value: object, name: str, *, split: bool) -> list[str]:
    """One option's values: a string or a list of strings (InputError naming the field otherwise)."""
    items = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InputError(f"{name}: expected text or a list of text, not {type(item).__name__}")
        parts = item.split(",") if split else [item]
        out += [" ".join(p.split()) for p in parts if p.strip()]
    if not out:
        raise InputError(f"{name}: empty")
    return out


@dataclass(frozen=True)
class Filter:
    """Which papers a search may return: all of the fields given, any of the values of one field."""

    start: int | None = None  # the first day (YYYYMMDD) a paper's date may be
    end: int | None = None  # the last
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    venues: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in dataclass_fields(self))

    @classmethod
    def parse(cls, options: Mapping[str, object], *, origin: str = "") -> Filter:
        """A filter from option names and values: year ("2021..2023"), since, until (dates),
        author, category, venue, tag (text or lists; category and tag also "a,b"). InputError
        names the option (after origin, e.g. "line 3: filter.") when one is unusable."""
        start: int | None = None
        end: int | None = None
        lists: dict[str, list[str]] = {}
        for raw, value in options.items():
            name = _NAMES.get(str(raw).strip().lower())
            label = f"{origin}{raw}"
            if name is None:
                known = "year, since, until, author, category, venue, tag"
                raise InputError(f"{label}: not a filter (use {known})")
            if value is None or value == [] or value == ():
                continue
            if name in ("year", "since", "until"):
                if not isinstance(value, str | int) or isinstance(value, bool):
                    raise InputError(f"{label}: expected text like 2023, not {type(value).__name__}")
                low, high = (
                    _parse_years(str(value), label)
                    if name == "year"
                    else (
                        (_parse_day(str(value), last=False, name=label), None)
                        if name == "since"
                        else (None, _parse_day(str(value), last=True, name=label))
                    )
                )
                start = max(start, low) if start and low else start or low
                end = min(end, high) if end and high else end or high
            else:
                found = _values(value, label, split=name in _SPLIT_ON_COMMAS)
                if name == "author" and not all(author_key(a) for a in found):
                    raise InputError(f"{label}: a name needs letters")
                if name == "venue" and not all(_words(v) for v in found):
                    raise InputError(f"{label}: a venue needs letters or digits")
                lists.setdefault(_LISTS[name], []).extend(found)
        if start and end and start > end:
            raise InputError(
                f"{origin}the dates exclude each other ({_text_of(start)} is after {_text_of(end)})"
            )
        return cls(start, end, **{k: tuple(dict.fromkeys(v)) for k, v in lists.items()})

    @classmethod
    def from_words(cls, text: str) -> Filter:
        """A filter as /filter takes it: `year=2021..2023 author="Alan Turing"`, or `--year 2023`."""
        try:
            words = shlex.split(text)
        except ValueError as exc:
            raise InputError(f"cannot read the filter: {exc}") from None
        options: dict[str, list[str]] = {}
        i = 0
        while i < len(words):
            word = words[i].removeprefix("--")
            if "=" in word:
                key, _, value = word.partition("=")
            elif words[i].startswith("--") and i + 1 < len(words):
                key, value = word, words[i + 1]
                i += 1
            else:
                raise InputError(f"{words[i]!r}: write name=value, e.g. year=2021..2023 author=Turing")
            options.setdefault(key.strip().lower(), []).append(value)
            i += 1
        for key, values in options.items():
            if key in ("year", "since", "until") and len(values) > 1:
                raise InputError(f"{key} given {len(values)} times: give one range, e.g. year=2019..2024")
        single = {k: v[0] if k in ("year", "since", "until") else v for k, v in options.items()}
        return cls.parse(single)

    def fields(self) -> list[str]:
        """The fields of a paper's record it tests: year, authors, categories, venue, tags."""
        tested = {
            "year": bool(self.start or self.end),
            "authors": bool(self.authors),
            "categories": bool(self.categories),
            "venue": bool(self.venues),
            "tags": bool(self.tags),
        }
        return [name for name, on in tested.items() if on]

    def without(self, fields: Collection[str]) -> Filter:
        """This filter testing none of these fields (as `fields` names them)."""
        dropped: dict[str, Any] = {"start": None, "end": None} if "year" in fields else {}
        names = {"authors": "authors", "categories": "categories", "venue": "venues", "tags": "tags"}
        dropped |= {names[f]: () for f in fields if f in names}
        return replace(self, **dropped)

    def override(self, other: Filter) -> Filter:
        """This filter with the fields the other sets replaced by the other's (dates as one)."""
        changed: dict[str, Any] = {}
        if other.start or other.end:
            changed |= {"start": other.start, "end": other.end}
        changed |= {name: getattr(other, name) for name in _LISTS.values() if getattr(other, name)}
        return replace(self, **changed)

    def where(self) -> dict[str, Any] | None:
        """The Chroma `where` over the derived keys (None: no filter)."""
        clauses: list[dict[str, Any]] = []
        if self.start:
            clauses.append({DAY_TO: {"$gte": self.start}})
        if self.end:
            clauses.append({DAY_FROM: {"$lte": self.end}})
        if self.authors:
            clauses.append(_any([_contains(AUTHORS, author_key(a)) for a in dict.fromkeys(self.authors)]))
        if self.categories:
            keys = dict.fromkeys(fold(c) for c in self.categories)
            clauses.append(_any([_contains(CATEGORIES, c) for c in keys]))
        if self.venues:
            forms = [words for v in self.venues for words in _venue_forms(v)]
            venues = [_all([_contains(VENUE, w) for w in dict.fromkeys(words)]) for words in forms]
            clauses.append(_any([v for v in venues if v]))
        if self.tags:
            clauses.append(_any([_contains(TAGS, t) for t in dict.fromkeys(fold(t) for t in self.tags)]))
        return _all(clauses) if clauses else None

    def accepts(self, metadata: Mapping[str, object]) -> bool:
        """Whether a chunk with this (derived) metadata passes, evaluated here rather than by Chroma."""

        def has(key: str, value: str) -> bool:
            found = metadata.get(key)
            return isinstance(found, list) and value in found

        day_from, day_to = metadata.get(DAY_FROM), metadata.get(DAY_TO)
        if self.start and not (isinstance(day_to, int) and day_to >= self.start):
            return False
        if self.end and not (isinstance(day_from, int) and day_from <= self.end):
            return False
        checks: list[Iterable[bool]] = []
        if self.authors:
            checks.append(has(AUTHORS, author_key(a)) for a in self.authors)
        if self.categories:
            checks.append(has(CATEGORIES, fold(c)) for c in self.categories)
        if self.venues:
            checks.append(all(has(VENUE, w) for w in words) for v in self.venues for words in _venue_forms(v))
        if self.tags:
            checks.append(has(TAGS, fold(t)) for t in self.tags)
        return all(any(check) for check in checks)

    def _dates(self) -> list[str]:
        whole = (not self.start or self.start % 10000 == 101) and (not self.end or self.end % 10000 == 1231)
        if whole and (self.start or self.end):
            first = str(self.start // 10000) if self.start else ""
            last = str(self.end // 10000) if self.end else ""
            return [f"year={first}" if first == last else f"year={first}..{last}"]
        bounds = (("since", self.start), ("until", self.end))
        return [f"{name}={_text_of(day)}" for name, day in bounds if day]

    def describe(self) -> str:
        """The filter as /filter takes it: `year=2021..2023 author="Alan Turing" category=cs.CL`."""
        parts = self._dates()
        for name, plural in _LISTS.items():
            values = getattr(self, plural)
            if name in _SPLIT_ON_COMMAS and values:
                parts.append(f"{name}={shlex.quote(','.join(values))}")
            else:
                parts += [f"{name}={shlex.quote(v)}" for v in values]
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (what Filter.parse reads back): only the fields set."""
        out: dict[str, Any] = {}
        if self.start:
            out["since"] = _text_of(self.start)
        if self.end:
            out["until"] = _text_of(self.end)
        for name, plural in _LISTS.items():
            if getattr(self, plural):
                out[name] = list(getattr(self, plural))
        return out


NO_FILTER = Filter()


# What a caller may give as filters: a Filter, a mapping of options ({"year": "2021..2023", "author":
# "Turing"}), /filter's text ("year=2023 category=cs.CL"), or None for none.
Filters: TypeAlias = Filter | Mapping[str, object] | str | None


def as_filter(value: Filters) -> Filter:
    """A filter from what a caller gives: a Filter, a mapping of options, /filter's text, or None."""
    if value is None:
        return NO_FILTER
    if isinstance(value, Filter):
        return value
    if isinstance(value, str):
        return Filter.from_words(value)
    if isinstance(value, Mapping):
        return Filter.parse(value)
    raise InputError(f"filters: expected a Filter, a dict or text, not {type(value).__name__}")


@dataclass(frozen=True)
class Scope:
    """A filter resolved against one revision of a store: its where, the chunks it lets through."""

    filter: Filter
    where: dict[str, Any]
    chunk_ids: frozenset[str]
    papers: int  # how many papers those chunks are of

    def describe(self) -> str:
        """'year=2021..2023 author=Turing (12 papers)'."""
        return f"{self.filter.describe()} ({self.papers} paper{'' if self.papers == 1 else 's'})"
