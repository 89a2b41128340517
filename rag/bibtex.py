"""BibTeX for cited papers: one entry each, stable keys, escaped text, arXiv eprints."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from .answer import PaperRef

_ARXIV = re.compile(r"arxiv\.org/(?:abs|pdf)/([a-z\-]+/\d{7}|\d{4}\.\d{4,5})(?:v\d+)?", re.IGNORECASE)
_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_STOP = {"a", "an", "the", "on", "of", "for", "to", "in", "and", "with", "via", "towards", "toward"}


def escape(text: str) -> str:
    """Text safe inside a BibTeX field: LaTeX specials escaped, braces balanced by escaping."""
    return "".join(_SPECIAL.get(ch, ch) for ch in " ".join(text.split()))


def _ascii(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return re.sub(r"[^a-z0-9]", "", decomposed.encode("ascii", "ignore").decode().casefold())


def cite_key(paper: PaperRef) -> str:
    """author surname + year + first significant title word ("lovelace2024photosynthetic"); without
    authors or year, what there is; never empty."""
    surname = _ascii(paper.authors[0].replace(",", " ").split()[-1]) if paper.authors else ""
    words = [_ascii(w) for w in re.split(r"[\s:\-]+", paper.title)]
    word = next((w for w in words if w and w not in _STOP), "")
    key = f"{surname}{paper.year or ''}{word}"
    return key or _ascii(paper.paper_id) or "paper"


def arxiv_id(url: str | None) -> str | None:
    """The arXiv identifier in an arxiv.org URL, if any."""
    match = _ARXIV.search(url or "")
    return match.group(1) if match else None


def to_bibtex(papers: Sequence[PaperRef]) -> str:
    """One entry per distinct cited paper, in citation order; keys made unique with a, b, ..."""
    entries: list[str] = []
    keys: set[str] = set()
    seen: set[str] = set()
    for paper in papers:
        if paper.paper_id in seen:
            continue
        seen.add(paper.paper_id)
        base = key = cite_key(paper)
        suffix = ord("a")
        while key in keys:
            key, suffix = f"{base}{chr(suffix)}", suffix + 1
        keys.add(key)
        fields = [("title", "{" + escape(paper.title or "(untitled)") + "}")]
        if paper.authors:
            fields.append(("author", " and ".join(escape(a) for a in paper.authors)))
        if paper.year:
            fields.append(("year", str(paper.year)))
        eprint = arxiv_id(paper.url)
        if eprint:
            fields += [("eprint", eprint), ("archiveprefix", "arXiv")]
        if paper.url:
            fields.append(("url", escape(paper.url).replace(r"\_", "_").replace(r"\%", "%")))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        entries.append(f"@misc{{{key},\n{body}\n}}\n")
    return "\n".join(entries)
