"""Field values checked and normalised as they are read: text, names, years, dates, DOIs, arXiv ids.

A value of the wrong type raises FieldError naming the field: the entry is skipped, never stored
as the text of a Python object ("{'nested': 1}", "True", "['http://x']").
"""

from __future__ import annotations

import re
from typing import Any

MIN_YEAR, MAX_YEAR = 1000, 2100

_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIX = re.compile(r"^(?:(?:https?://)?(?:dx\.|www\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
_ARXIV_NEW = r"\d{4}\.\d{4,5}"
_ARXIV_OLD = r"[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7}"
_ARXIV = re.compile(rf"^(?:arxiv:\s*)?({_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?$", re.IGNORECASE)
_ARXIV_URL = re.compile(rf"arxiv\.org/(?:abs|pdf)/({_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?", re.IGNORECASE)
_ARXIV_IN_TEXT = re.compile(rf"\barxiv:\s*({_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?", re.IGNORECASE)
_ISO_DATE = re.compile(r"^(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?(?:[T ].*)?$")
_YEAR = re.compile(r"^\s*(\d+)(?=\D|$)")


class FieldError(ValueError):
    """A field whose value has the wrong type or cannot be what its name says."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"field {name!r} {message}")
        self.name = name


def kind(value: Any) -> str:
    """What a JSON value is, in words: 'an object', 'a list', 'true'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, int | float):
        return f"a number ({value})"
    return type(value).__name__


def text(value: Any, name: str) -> str:
    """A text field, white space collapsed ('' when absent)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldError(name, f"must be text, not {kind(value)}")
    return " ".join(value.split())


def optional(value: Any, name: str) -> str | None:
    """A text field, None when absent or blank."""
    return text(value, name) or None


def identifier(value: Any, name: str) -> str | None:
    """An id: text or a whole number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return optional(value, name)


def year(value: Any, name: str = "year") -> int | None:
    """A year between MIN_YEAR and MAX_YEAR, from a number or text that starts with one ('2023-05')."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        match = _YEAR.match(value)
        if not match:
            return None  # "in press", "n.d.": no year, and nothing wrong
        number = int(match.group(1))
    else:
        raise FieldError(name, f"must be a year, not {kind(value)}")
    if not MIN_YEAR <= number <= MAX_YEAR:
        raise FieldError(name, f"must be a year between {MIN_YEAR} and {MAX_YEAR}, not {number}")
    return number


def names(value: Any, name: str) -> list[str]:
    """People: a list of names, or one text with names separated by ';', else "and" between names
    written "Family, Given", else ',' and "and"; a name written "Family, Given" ("Doe, Jane"; one
    text "Doe, Jane" is one person) is "Given Family"."""
    if not isinstance(value, str):
        return [_given_first(n) for n in strings(value, name)]
    value = _OTHERS.sub("", value)
    if ";" in value or _FAMILY_FIRST.match(value):
        parts = value.split(";")
    elif all(_FAMILY_FIRST.match(part) for part in _AND.split(value)):  # "Doe, Jane and Roe, Ann"
        parts = _AND.split(value)
    else:
        parts = _LISTED.split(value)  # "Jane Doe, Ann Roe and Al Poe"
    return [_given_first(n) for n in (" ".join(part.split()) for part in parts) if n]


# "and others", "et al.": no one's name; a separator inside parentheses ("(MIT and Harvard)") none
_OTHERS = re.compile(r"(?:\s*,)?\s+(?:and\s+others|et\s+al\.?)\s*$", re.IGNORECASE)
_AND = re.compile(r"\s*,?\s+(?:and|&)\s+(?![^()]*\))")
_LISTED = re.compile(r"(?:\s*,\s*(?:(?:and|&)\s+)?|\s+(?:and|&)\s+)(?![^()]*\))")


# "Doe, Jane", "van der Berg, J. M.": a family name, one comma, then given names or initials
_FAMILY_FIRST = re.compile(
    r"^\s*(?:[a-z]+\s+)*[^\W\d][\w'-]*\s*,\s*[^\W\d][\w.'-]*(?:\s+[^\W\d][\w.'-]*)?\s*$"
)


def _given_first(name: str) -> str:
    """A name written "Family, Given" as "Given Family"; any other as it is."""
    if not _FAMILY_FIRST.match(name):
        return name
    family, given = (part.strip() for part in name.split(",", 1))
    return f"{given} {family}"


def strings(value: Any, name: str) -> list[str]:
    """A list of texts (absent: empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise FieldError(name, f"must be a list of texts, not {kind(value)}")
    items = []
    for item in value:
        if not isinstance(item, str):
            raise FieldError(name, f"must be a list of texts, not a list holding {kind(item)}")
        if item.strip():
            items.append(" ".join(item.split()))
    return items


def terms(value: Any, name: str, *, spaces: bool = False) -> list[str]:
    """Keywords, tags or categories: a list, or one text separated by ';' or ',' (or, with
    spaces, white space: 'cs.CL cs.LG')."""
    if isinstance(value, str):
        sep = ";" if ";" in value else "," if "," in value else None
        parts = value.split(sep) if sep or spaces else [value]
        return list(dict.fromkeys(p for p in (" ".join(part.split()) for part in parts) if p))
    return list(dict.fromkeys(strings(value, name)))


def doi(value: Any, name: str = "doi") -> str | None:
    """A DOI, lowercase, without its resolver prefix or a trailing stop (the first of several given);
    text that is none is kept as written, for `is_doi` to tell (its entry is kept without it)."""
    raw = optional(value, name)
    if raw is None:
        return None
    resolved = (re.sub(r"[?#].*$", "", part) if _DOI_PREFIX.match(part) else part for part in raw.split())
    written = [_DOI_PREFIX.sub("", part).rstrip(".,;").lower() for part in resolved]
    return next((part for part in written if _DOI.match(part)), raw.strip())


def is_doi(text: str) -> bool:
    """Whether a text `doi` returned is a DOI."""
    return bool(_DOI.match(text))


def arxiv_id(value: Any, name: str = "arxiv_id") -> str | None:
    """An arXiv id without its version ('2301.01234', 'hep-th/9901001')."""
    raw = identifier(value, name)
    if raw is None:
        return None
    match = _ARXIV.match(raw) or _ARXIV_URL.search(raw)
    if not match:
        raise FieldError(name, f"is not an arXiv id: {raw[:80]!r}")
    return match.group(1)


def arxiv_in(*texts: str | None) -> str | None:
    """The arXiv id that an arXiv DOI, URL or 'arXiv:ID' note names, if any."""
    for value in texts:
        if not value:
            continue
        match = _ARXIV_DOI.match(value) or _ARXIV_URL.search(value) or _ARXIV_IN_TEXT.search(value)
        if match:
            found = _ARXIV.match(match.group(1))
            if found:
                return found.group(1)
    return None


def iso_date(value: Any, name: str = "date") -> str | None:
    """A date as 'YYYY-MM-DD', 'YYYY-MM' or 'YYYY'; None for text that is not one."""
    raw = optional(value, name)
    if raw is None:
        return None
    match = _ISO_DATE.match(raw)
    if not match:
        return None
    return date_of(*(int(g) if g else None for g in match.groups()))


def written_date(value: Any, name: str = "date") -> str | None:
    """A date as 'YYYY-MM-DD' (or shorter) from ISO or as people write it ("March 5, 2022", "5 Mar
    2022", "Mar 2022"); None for text that is none of these."""
    raw = optional(value, name)
    if raw is None:
        return None
    if iso := iso_date(raw, name):
        return iso
    for pattern in _WRITTEN_DATES:
        if match := pattern.match(raw.strip()):
            parts = match.groupdict()
            month = MONTHS.get(parts["month"].casefold())
            if month is None:
                return None
            day = int(parts["day"]) if parts.get("day") else None
            return date_of(int(parts["year"]), month, day)
    return None


# a month by its name, its first three or four letters ("mar", "sept"); written out, not the locale's
MONTHS = {
    name: number
    for number, month in enumerate(
        "january february march april may june july august september october november december".split(), 1
    )
    for name in (month, month[:3], month[:4])
}
_WRITTEN_DATES = [
    re.compile(r"^(?P<month>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})$"),
    re.compile(r"^(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?P<month>[A-Za-z]{3,9})\.?,?\s+(?P<year>\d{4})$"),
    re.compile(r"^(?P<month>[A-Za-z]{3,9})\.?,?\s+(?P<year>\d{4})$"),
]


def date_of(year_: int | None, month: int | None = None, day: int | None = None) -> str | None:
    """'YYYY-MM-DD' (or shorter) from its parts; None without a year or with impossible parts."""
    if year_ is None or not MIN_YEAR <= year_ <= MAX_YEAR:
        return None
    if month is None or not 1 <= month <= 12:
        return f"{year_:04d}"
    if day is None or not 1 <= day <= 31:
        return f"{year_:04d}-{month:02d}"
    return f"{year_:04d}-{month:02d}-{day:02d}"


def person(given: str, family: str, suffix: str = "") -> str:
    """'Given Family, Suffix' from name parts."""
    full = " ".join(f"{given} {family}".split())
    return f"{full}, {suffix}" if suffix.strip() else full
