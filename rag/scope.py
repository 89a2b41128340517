"""The scope a question asking for papers writes itself: "papers by NAME", "papers from 2023 on X".
Only read here; filtering by it is the search's business."""

from __future__ import annotations

import re
from dataclasses import dataclass

_PAPERS = r"(?:papers?|works?|articles?|studies|publications|preprints?)"
_YEAR = r"(?:19|20)\d\d"
_AUTHOR = re.compile(
    rf"\b{_PAPERS}\s+(?:(?:written|authored|published)\s+)?by\s+(?P<name>.+?)"
    r"(?=\s+(?:on|about|in|from|since|before|after|between|during|that|which|with)\b|\s*[?,!]|\.?\s*$)"
    r"|^\s*(?:what|which\s+(?:papers?|works?))\s+(?:else\s+)?(?:has|have|did)\s+(?P<writer>.+?)\s+"
    r"(?:written|write|published|publish)\b",
    re.IGNORECASE,
)
_MENTIONS_PAPERS = re.compile(rf"\b{_PAPERS}\b", re.IGNORECASE)
_BETWEEN = re.compile(
    rf"\b(?:between|from)\s+(?P<a>{_YEAR})\s+(?:and|to|until)\s+(?P<b>{_YEAR})\b"
    rf"|\b(?P<c>{_YEAR})\s*(?:-|\u2013|\.\.)\s*(?P<d>{_YEAR})\b",
    re.IGNORECASE,
)
# "from 2023 on diffusion" is 2023 and a topic; "from 2023 onwards" and "since 2023" open the span
_SINCE = re.compile(rf"\bfrom\s+(?P<y>{_YEAR})\s+onwards?\b|\bsince\s+(?P<s>{_YEAR})\b", re.I)
_AFTER = re.compile(rf"\bafter\s+(?P<y>{_YEAR})\b", re.I)
_BEFORE = re.compile(rf"\b(?:before)\s+(?P<y>{_YEAR})\b", re.I)
_UNTIL = re.compile(rf"\b(?:until|up to|through)\s+(?P<y>{_YEAR})\b", re.I)
_IN = re.compile(rf"\b(?:in|from|of|during|published in)\s+(?P<y>{_YEAR})\b", re.I)


@dataclass(frozen=True)
class Scope:
    """An author and a span of years (either end open) a question restricts its papers to."""

    author: str | None = None
    years: tuple[int | None, int | None] | None = None  # inclusive


def _years(question: str) -> tuple[int | None, int | None] | None:
    """The span of years a question writes: 'from 2021 to 2023', 'since 2021', 'before 2020', 'in 2023'."""
    if match := _BETWEEN.search(question):
        low, high = sorted(int(y) for y in (match["a"] or match["c"], match["b"] or match["d"]))
        return low, high
    if match := _SINCE.search(question):
        return int(match["y"] or match["s"]), None
    if match := _AFTER.search(question):
        return int(match["y"]) + 1, None
    if match := _BEFORE.search(question):
        return None, int(match["y"]) - 1
    if match := _UNTIL.search(question):
        return None, int(match["y"])
    if match := _IN.search(question):
        return int(match["y"]), int(match["y"])
    return None


def scope(question: str) -> Scope:
    """The author and years a question asking for papers names ("papers by Hinton from 2023")."""
    if not _MENTIONS_PAPERS.search(question) and not _AUTHOR.search(question):
        return Scope()
    match = _AUTHOR.search(question)
    author = (match["name"] or match["writer"]).strip(" \"'") if match else None
    return Scope(author or None, _years(question))
