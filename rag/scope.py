"""The scope a question asking for papers writes itself: "papers by NAME", "papers from 2023 on X".
Read here into a `Filter`, which the search applies like one given with --author and --year."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InputError
from .library.filters import NO_FILTER, Filter

_PAPERS = r"(?:papers?|works?|articles?|studies|publications|preprints?)"
_YEAR = r"(?:19|20)\d\d"
_AUTHOR = re.compile(
    rf"\b{_PAPERS}\s+(?P<by>(?:(?:written|authored|published)\s+)?by\s+(?P<name>.+?))"
    r"(?=\s+(?:on|about|in|from|since|before|after|between|during|that|which|with|and|or)\b|\s*[?,!]|\.?\s*$"
    # "... are there?", "... are indexed?", "... were published in 2023"
    r"|\s+(?:(?:are|is|were|was)\s+(?:there|in|here|indexed|stored|available|included|listed|published"
    r"|written|released)"
    r"|(?:do|does)\s+(?:you|we|i)\s+have|exists?)\b)"
    r"|^\s*(?:what|which\s+(?:papers?|works?))\s+(?:else\s+)?(?:has|have|did)\s+(?P<writer>.+?)\s+"
    r"(?:written|write|published|publish)\b",
    re.IGNORECASE,
)
# Words no personal name has: "papers by the same group", "by using", "by researchers at ...".
_NOT_A_NAME = re.compile(
    r"\b(?:the|a(?!\.)|an|this|that|these|those|same|other|our|their|his|her|its|my|your|using|use|"
    r"researchers?|authors?|people|teams?|groups?|labs?|companies|universit(?:y|ies)|default|far|"
    r"means|way|ways|hand|themselves|itself)\b|\d",
    re.IGNORECASE,
)
_MAX_NAME_WORDS = 4
_MENTIONS_PAPERS = re.compile(rf"\b{_PAPERS}\b", re.IGNORECASE)
# "published after 2023", "released since 2022": the verb goes with the years
_VERB = (
    r"(?:(?:(?:that|which)\s+(?:were\s+|was\s+|are\s+)?)?"
    r"(?:published|released|written|appeared|appearing|came\s+out)\s+)?"
)
_BETWEEN = re.compile(
    rf"\b{_VERB}(?:between|from)\s+(?P<a>{_YEAR})\s+(?:and|to|until)\s+(?P<b>{_YEAR})\b"
    rf"|\b(?P<c>{_YEAR})\s*(?:-|\u2013|\.\.)\s*(?P<d>{_YEAR})\b",
    re.IGNORECASE,
)
# "from 2023 on diffusion" is 2023 and a topic; "from 2023 onwards" and "since 2023" open the span
_SINCE = re.compile(rf"\b{_VERB}(?:from\s+(?P<y>{_YEAR})\s+onwards?\b|since\s+(?P<s>{_YEAR})\b)", re.I)
_AFTER = re.compile(rf"\b{_VERB}after\s+(?P<y>{_YEAR})\b", re.I)
_BEFORE = re.compile(rf"\b{_VERB}(?:before)\s+(?P<y>{_YEAR})\b", re.I)
_UNTIL = re.compile(rf"\b{_VERB}(?:until|up to|through)\s+(?P<y>{_YEAR})\b", re.I)
_IN = re.compile(rf"\b{_VERB}(?:in|from|of|during)\s+(?P<y>{_YEAR})\b", re.I)


@dataclass(frozen=True)
class Scope:
    """An author and a span of years (either end open) a question restricts its papers to, and the
    question without the words that wrote them."""

    author: str | None = None
    years: tuple[int | None, int | None] | None = None  # inclusive
    rest: str = ""

    def filter(self) -> Filter:
        """The scope as a filter (NO_FILTER when the question writes none)."""
        low, high = self.years or (None, None)
        return Filter(
            start=low * 10000 + 101 if low else None,
            end=high * 10000 + 1231 if high else None,
            authors=(self.author,) if self.author else (),
        )


def _years(question: str) -> tuple[tuple[int | None, int | None], re.Match[str]] | None:
    """The span of years a question writes ('from 2021 to 2023', 'since 2021', 'before 2020',
    'in 2023') and the words that write it."""
    if match := _BETWEEN.search(question):
        low, high = sorted(int(y) for y in (match["a"] or match["c"], match["b"] or match["d"]))
        return (low, high), match
    if match := _SINCE.search(question):
        return (int(match["y"] or match["s"]), None), match
    if match := _AFTER.search(question):
        return (int(match["y"]) + 1, None), match
    if match := _BEFORE.search(question):
        return (None, int(match["y"]) - 1), match
    if match := _UNTIL.search(question):
        return (None, int(match["y"])), match
    if match := _IN.search(question):
        return (int(match["y"]), int(match["y"])), match
    return None


def _name(match: re.Match[str] | None) -> str | None:
    """The author a match names, when it can be a person's name (one to four words, no article)."""
    if match is None:
        return None
    name = (match["name"] or match["writer"]).strip(" \"'")
    if not name or len(name.split()) > _MAX_NAME_WORDS or _NOT_A_NAME.search(name):
        return None
    try:
        Filter.parse({"author": name})
    except InputError:  # no letters
        return None
    return name


def _cut(text: str, span: tuple[int, int]) -> str:
    return " ".join((text[: span[0]] + " " + text[span[1] :]).split())


def scope(question: str) -> Scope:
    """The author and years a question asking for papers names ("papers by Hinton from 2023")."""
    match = _AUTHOR.search(question)
    if not _MENTIONS_PAPERS.search(question) and not match:
        return Scope(rest=question)
    author = _name(match)
    rest = question
    if author and match:
        # "papers by X on Y" keeps "papers ... on Y"; "what has X written about Y?", "papers about Y"
        rest = _cut(question, match.span("by")) if match["name"] else "papers " + question[match.end() :]
    years = _years(rest)
    if years:
        rest = _cut(rest, years[1].span())
    return Scope(author, years[0] if years else None, rest)


def asked_filter(question: str) -> tuple[Filter, str]:
    """The filter a question's words write and the question without them (NO_FILTER, the question,
    when it writes none)."""
    found = scope(question)
    asked = found.filter()
    return (asked, found.rest) if asked else (NO_FILTER, question)
