"""Which entries are one paper, and the paper they make.

Two entries are one paper when they share a DOI or an arXiv id (and neither has a different one),
when they carry the same id, or, only when neither has any such id, the same normalised title
(untitled: the same abstract). Two entries with different ids are never merged on a title or an
abstract. Merged entries give the paper the union of their lists, the longest abstract of its
title and the first non-empty value of each other field; an entry with the same given id and
another text replaces the earlier one.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, fields
from typing import Any

from .names import fold
from .records import Entry, FileReport, Paper, Problem, SourceFile
from .shelf import Shelf

# Formats read before DOIs and arXiv ids were known: their paper ids stay as they were, so that
# existing stores are not embedded again.
LEGACY_FORMATS = frozenset({"dump", "jsonl", "csv"})
_URL = re.compile(r"https?://[^\s<>\"'()\[\]{}]+")
_LISTS = ("categories", "keywords", "tags", "links", "sources", "paths")


def normalize_title(title: str) -> str:
    """Lower-case a title and keep only letters and digits, single-spaced."""
    text = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def make_paper_id(source_id: str | None, title: str, abstract: str) -> str:
    """A stable id: the source id, else a hash of the normalized title, else of the abstract."""
    if source_id:
        return source_id
    if normalize_title(title):
        return "t-" + _digest(normalize_title(title))
    return "a-" + _digest(" ".join(abstract.split()))


def find_links(text: str) -> list[str]:
    """URLs mentioned in a text (code and project links), in order, without duplicates."""
    links = [m.rstrip(".,;:") for m in _URL.findall(text)]
    return list(dict.fromkeys(links))


def paper_id_of(entry: Entry, fmt: str) -> str:
    """The id an entry's paper gets: the given id; for the newer formats its arXiv id, DOI or
    database id; else a hash of its title (or abstract)."""
    if entry.source_id or fmt in LEGACY_FORMATS:
        return make_paper_id(entry.source_id, entry.title, entry.abstract)
    if entry.arxiv_id:
        return f"arxiv:{entry.arxiv_id}"
    if entry.doi:
        return f"doi:{entry.doi}"
    return entry.own_id or make_paper_id(None, entry.title, entry.abstract)


@dataclass
class _Held:
    """A paper being assembled, and what identifies it."""

    seq: int  # its place on the shelf
    paper: Paper
    where: str
    given_id: bool  # its id was given (JSONL `id`, an OpenAlex id): same id, same paper
    identified: bool  # it has an id of some kind: never merged on a title
    dois: set[str] = field(default_factory=set)
    arxiv_ids: set[str] = field(default_factory=set)

    def kept(self) -> dict[str, Any]:
        """What the shelf keeps beside the paper."""
        return {
            "where": self.where,
            "given_id": self.given_id,
            "identified": self.identified,
            "dois": sorted(self.dois),
            "arxiv_ids": sorted(self.arxiv_ids),
        }


def _same_text(a: Paper, entry: Entry) -> bool:
    return (normalize_title(a.title), " ".join(a.abstract.split())) == (
        normalize_title(entry.title),
        " ".join(entry.abstract.split()),
    )


def _told_apart(paper: Paper, entry: Entry) -> bool:
    """Whether a paper and an entry sharing a title (and not their abstract) are two works: no author
    in common (by family name), or years more than one apart ("Editorial" of two journals; a
    preprint and its version of record a year later stay one)."""
    if " ".join(paper.abstract.split()) == " ".join(entry.abstract.split()):
        return False
    if paper.authors and entry.authors and not _family_names(paper.authors) & _family_names(entry.authors):
        return True
    return bool(paper.year and entry.year and abs(paper.year - entry.year) > 1)


_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})


def _family_names(authors: list[str]) -> set[str]:
    """Each author's family name, folded: the last word, affiliations in parentheses and suffixes
    (Jr.) aside; the first word when the last is an initial ("Doe J")."""
    families = set()
    for name in authors:
        words = [w for w in re.sub(r"\([^)]*\)", " ", name).split() if w.lower() not in _SUFFIXES]
        if words:
            initial = len(words) > 1 and len(words[-1].rstrip(".")) == 1
            families.add(fold(words[0] if initial else words[-1]))
    return families


def _apart(pid: str, entry: Entry) -> str:
    """The id of a paper whose derived id another paper has: with its own text's digest."""
    return f"{pid}-{_digest(entry.doi or entry.arxiv_id or entry.abstract)[:8]}"


class Identities:
    """Turns entries into papers, one entry at a time, and reports every merge and replacement.
    The papers wait on a `Shelf` (on disk), so memory does not grow with the files read."""

    def __init__(self) -> None:
        self.papers = Shelf()

    def _held(self, key: str) -> _Held | None:
        seq = self.papers.find(key)
        if seq is None:
            return None
        paper, kept = self.papers.load(seq)
        return _Held(
            seq,
            paper,
            kept["where"],
            kept["given_id"],
            kept["identified"],
            set(kept["dois"]),
            set(kept["arxiv_ids"]),
        )

    def add(self, entry: Entry, fmt: str, report: FileReport, source: SourceFile) -> str:
        """Add an entry read from a file; return 'new', 'merged' or 'replaced'."""
        where = entry.where(report.path)
        pid = paper_id_of(entry, fmt)
        given = pid in (entry.source_id, entry.own_id)  # the id is its own, not derived
        match, reason = self._match(entry, pid, given)
        if match is None:
            self._new(entry, pid, given, where, source)
            return "new"
        if given and match.given_id and match.paper.paper_id == pid and not _same_text(match.paper, entry):
            self._replace(match, entry, source)
            report.notes.append(
                Problem(
                    report.path,
                    entry.line,
                    f"id {pid} is also on {match.where}, with another text: this later entry replaces it",
                )
            )
            match.where = where
            self.papers.save(match.seq, match.paper, match.kept())
            return "replaced"
        longer = self._merge(match, entry, source)
        self.papers.save(match.seq, match.paper, match.kept())
        kept = "; its longer abstract kept" if longer else ""
        report.merges.append(f"{where} merged into {match.where}: {reason}{kept}")
        return "merged"

    def _match(self, entry: Entry, pid: str, given: bool) -> tuple[_Held | None, str]:
        held = self._held(f"id:{pid}")
        if held is not None and (given or held.given_id):
            return held, f"same id {pid}"
        for key, reason in (
            (f"doi:{entry.doi}" if entry.doi else "", f"same DOI {entry.doi}"),
            (f"arxiv:{entry.arxiv_id}" if entry.arxiv_id else "", f"same arXiv id {entry.arxiv_id}"),
        ):
            strong = self._held(key) if key else None
            if strong is not None and self._compatible(strong, entry):
                return strong, reason
        if held is None or given or entry.doi or entry.arxiv_id:
            return None, ""
        # the paper of that title, or the one told apart from it this entry's text would be
        for same in (held, self._held(f"id:{_apart(pid, entry)}")):
            if same is not None and not same.identified and not _told_apart(same.paper, entry):
                return same, "same title" if normalize_title(entry.title) else "same abstract"
        return None, ""

    @staticmethod
    def _compatible(held: _Held, entry: Entry) -> bool:
        """Whether no DOI or arXiv id of the entry contradicts the paper's."""
        return not (
            (entry.doi and held.dois and entry.doi not in held.dois)
            or (entry.arxiv_id and held.arxiv_ids and entry.arxiv_id not in held.arxiv_ids)
        )

    def _new(self, entry: Entry, pid: str, given: bool, where: str, source: SourceFile) -> None:
        if self.papers.find(f"id:{pid}") is not None:  # a derived id taken by a paper this one contradicts
            apart, number = _apart(pid, entry), 1
            pid = apart
            while self.papers.find(f"id:{pid}") is not None:  # that one too: numbered
                number += 1
                pid = f"{apart}-{number}"
        paper = Paper(
            paper_id=pid,
            title=entry.title,
            abstract=entry.abstract,
            authors=entry.authors,
            year=entry.year,
            url=entry.url,
            date=entry.date,
            links=find_links(entry.abstract),
            sources=[source.name],
            paths=[source.path],
            venue=entry.venue,
            doi=entry.doi,
            arxiv_id=entry.arxiv_id,
            categories=list(entry.categories),
            keywords=list(entry.keywords),
            tags=list(entry.tags),
        )
        identified = given or bool(entry.doi or entry.arxiv_id)
        held = _Held(0, paper, where, given, identified)
        self._index(held, entry)
        held.seq = self.papers.add(paper, given, held.kept())
        self._point(held, entry)
        self.papers.point(f"id:{pid}", held.seq, replace=True)

    def _index(self, held: _Held, entry: Entry) -> None:
        if entry.doi:
            held.dois.add(entry.doi)
        if entry.arxiv_id:
            held.arxiv_ids.add(entry.arxiv_id)
        held.identified = held.identified or bool(entry.doi or entry.arxiv_id)

    def _point(self, held: _Held, entry: Entry) -> None:
        """The entry's DOI and arXiv id point to the paper, unless they point to another already."""
        if entry.doi:
            self.papers.point(f"doi:{entry.doi}", held.seq)
        if entry.arxiv_id:
            self.papers.point(f"arxiv:{entry.arxiv_id}", held.seq)

    def _merge(self, held: _Held, entry: Entry, source: SourceFile) -> bool:
        """The longest abstract, the first non-empty value of each other field, the union of each list;
        whether the entry's abstract is the paper's now."""
        paper = held.paper
        for item in fields(Paper):
            name = item.name
            if name in ("paper_id", *_LISTS) or not hasattr(entry, name):
                continue
            if getattr(paper, name) in (None, "", []):
                setattr(paper, name, getattr(entry, name))
        # an export's shortened abstract gives way to the whole one of the same title (a DOI shared by
        # two titles keeps the first title's text); a paper with an id of its own keeps its text (a
        # later entry of that id with another text replaces it, one with the same text is no change)
        longer = (
            not held.given_id
            and len(entry.abstract.split()) > len(paper.abstract.split())
            and normalize_title(entry.title) == normalize_title(paper.title)
        )
        if longer:
            paper.abstract = entry.abstract
        for name in ("categories", "keywords", "tags"):
            setattr(paper, name, list(dict.fromkeys([*getattr(paper, name), *getattr(entry, name)])))
        paper.links = list(dict.fromkeys([*paper.links, *find_links(entry.abstract)]))
        if source.name not in paper.sources:
            paper.sources.append(source.name)
        if source.path not in paper.paths:
            paper.paths.append(source.path)
        self._index(held, entry)
        self._point(held, entry)
        return longer

    def _replace(self, held: _Held, entry: Entry, source: SourceFile) -> None:
        """The later entry's text and metadata; the files it was read from are kept."""
        sources, paths = held.paper.sources, held.paper.paths
        replacement = Paper(paper_id=held.paper.paper_id, title=entry.title, abstract=entry.abstract)
        for name in (
            "authors",
            "year",
            "url",
            "date",
            "venue",
            "doi",
            "arxiv_id",
            "categories",
            "keywords",
            "tags",
        ):
            setattr(replacement, name, getattr(entry, name))
        replacement.links = find_links(entry.abstract)
        replacement.sources = sources if source.name in sources else [*sources, source.name]
        replacement.paths = paths if source.path in paths else [*paths, source.path]
        for name in (f.name for f in fields(Paper)):
            setattr(held.paper, name, getattr(replacement, name))
        self._index(held, entry)
        self._point(held, entry)
