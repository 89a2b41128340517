"""BibTeX for cited papers: one entry each, stable keys, escaped text, DOIs, arXiv eprints, the venue
as journal or booktitle, keywords."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .answer import PaperRef
from .library.names import fold
from .untrusted import without_controls

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
# BibTeX counts \{ and \} as braces too: a brace without its partner is written as a command.
_UNMATCHED = {"{": r"\textbraceleft{}", "}": r"\textbraceright{}"}
_STOP = {"a", "an", "the", "on", "of", "for", "to", "in", "and", "with", "via", "towards", "toward"}
_LINEAGE = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
# What makes BibTeX read one name as several or misread it: "and" between words (the separator of
# names), more than two commas ("von Last, Jr, First" has the most), a comma at an end, "others".
_NAME_SPLITS = re.compile(r"(?:^|\s)and(?:\s|$)|,.*,.*,|^,|,$|^others$", re.IGNORECASE)
_GROUP = re.compile(
    r"\b(?:team|consortium|collaboration|lab|laboratory|laboratories|group|institute|university|"
    r"research|project|committee|council|foundation|society|association|cent(?:er|re)|community|"
    r"initiative|inc|ltd|llc|corporation)\b|(?-i:\bAI)$",  # "Meta AI", not Qingyao Ai
    re.IGNORECASE,
)
_URL_UNSAFE = re.compile(r"[\s{}\\\"]")
# A venue that names a meeting is a booktitle (@inproceedings); any other a journal (@article).
_PROCEEDINGS = re.compile(
    r"\b(proceedings|conference|workshops?|symposium|meeting|congress|findings of)\b|\bproc\."
    r"|^(acl|emnlp|naacl|eacl|coling|neurips|nips|icml|iclr|cvpr|iccv|eccv|aaai|ijcai|kdd|sigir|www|"
    r"chi|uai|aistats|colt|interspeech|icassp|miccai|wacv|bmvc|corl|rss|icra|iros)\b",
    re.IGNORECASE,
)
_PREPRINT = re.compile(r"^\s*(arxiv|corr|biorxiv|medrxiv|ssrn)\b", re.IGNORECASE)


def _unmatched(text: str) -> set[int]:
    """The positions of the braces that have no partner."""
    opened: list[int] = []
    alone: set[int] = set()
    for i, ch in enumerate(text):
        if ch == "{":
            opened.append(i)
        elif ch == "}":
            if opened:
                opened.pop()
            else:
                alone.add(i)
    return alone | set(opened)


def escape(text: str) -> str:
    """Text safe inside a BibTeX field: control characters removed, LaTeX specials escaped, braces
    kept balanced."""
    text = " ".join(without_controls(text).split())
    alone = _unmatched(text)
    return "".join(_UNMATCHED[ch] if i in alone else _SPECIAL.get(ch, ch) for i, ch in enumerate(text))


def _name(author: str) -> str:
    """One author of the author field, escaped; in braces when BibTeX would split or misread it
    ("Research and Development Lab") or it names a group, not a person ("DeepMind Robotics Team",
    whose family name BibTeX would take to be "Team")."""
    name = escape(author)
    return "{" + name + "}" if _NAME_SPLITS.search(name) or _GROUP.search(name) else name


def _ascii(word: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(word))


def family_name(author: str) -> str:
    """The last word of the family name of "Given Family", "Family, Given" or "Family, Jr., Given",
    as BibTeX's Last ("Oord" of "Aaron van den Oord"); never a Jr. or III."""
    if "," in author:
        words = author.split(",")[0].split()
    else:
        words = author.split()
        while len(words) > 1 and words[-1].casefold() in _LINEAGE:
            words.pop()
    return words[-1] if words else ""


def cite_key(paper: PaperRef) -> str:
    """author surname + year + first significant title word ("lovelace2024photosynthetic"); without
    authors or year, what there is; never empty."""
    surname = _ascii(family_name(without_controls(paper.authors[0]))) if paper.authors else ""
    words = [_ascii(w) for w in re.split(r"[\s:\-]+", paper.title)]
    word = next((w for w in words if w and w not in _STOP), "")
    key = f"{surname}{paper.year or ''}{word}"
    return key or _ascii(paper.paper_id) or "paper"


def _url(url: str) -> str:
    """A url as the url field holds it (verbatim): what would end the field percent-encoded."""
    return _URL_UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", without_controls(url).strip())


def _letters(number: int) -> str:
    """a, b, ..., z, aa, ab, ...: the suffix that tells apart keys that would be the same."""
    letters = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def arxiv_id(url: str | None) -> str | None:
    """The arXiv identifier in an arxiv.org URL, if any."""
    match = _ARXIV.search(url or "")
    return match.group(1) if match else None


def entry_type(venue: str | None) -> tuple[str, str | None]:
    """@inproceedings with a booktitle for a meeting, @article with a journal for another venue,
    @misc for none or a preprint server."""
    if not venue or _PREPRINT.match(venue):
        return "misc", None
    return ("inproceedings", "booktitle") if _PROCEEDINGS.search(venue.strip()) else ("article", "journal")


def _fields(paper: PaperRef) -> list[tuple[str, str]]:
    """The entry's fields, in the order BibTeX exports usually write them."""
    fields = [("title", "{" + escape(paper.title or "(untitled)") + "}")]
    authors = [name for name in map(_name, paper.authors) if name]
    if authors:
        fields.append(("author", " and ".join(authors)))
    _, venue_field = entry_type(paper.venue)
    if venue_field and paper.venue:
        fields.append((venue_field, escape(paper.venue)))
    if paper.year:
        fields.append(("year", escape(str(paper.year))))
    if paper.doi:
        fields.append(("doi", _url(paper.doi)))
    eprint = paper.arxiv_id or arxiv_id(paper.url)
    if eprint:
        fields += [("eprint", escape(eprint)), ("archiveprefix", "arXiv")]
        if paper.categories:
            fields.append(("primaryclass", escape(paper.categories[0])))
    if paper.url:
        fields.append(("url", _url(paper.url)))
    if paper.keywords:
        fields.append(("keywords", escape(", ".join(paper.keywords))))
    return fields


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
        suffix = 0
        while key in keys:
            key, suffix = f"{base}{_letters(suffix)}", suffix + 1
        keys.add(key)
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in _fields(paper))
        entries.append(f"@{entry_type(paper.venue)[0]}{{{key},\n{body}\n}}\n")
    return "\n".join(entries)
