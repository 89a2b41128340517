"""The records a corpus is read into: papers, the entries of a file, and what went wrong where."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Paper:
    """One paper: its abstract and metadata, and every source file it was read from."""

    paper_id: str
    title: str
    abstract: str
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    url: str | None = None
    date: str | None = None
    links: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # the names of the files it was read from
    venue: str | None = None  # journal, proceedings or conference
    doi: str | None = None  # lowercase, without a resolver prefix: "10.1145/3442188.3445922"
    arxiv_id: str | None = None  # without its version: "2301.01234", "hep-th/9901001"
    categories: list[str] = field(default_factory=list)  # arXiv categories: "cs.CL"
    keywords: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # an export's collections and tags
    paths: list[str] = field(default_factory=list)  # the full paths of its files (a/refs.bib, b/refs.bib)


def full_path(path: str | Path) -> str:
    """A file's path as a paper records it: absolute, its directories' links resolved (a loop as far
    as it goes), the file's own name as found (a link in a directory is that directory's file)."""
    absolute = os.path.abspath(path)
    return os.path.join(os.path.realpath(os.path.dirname(absolute)), os.path.basename(absolute))


@dataclass(frozen=True)
class SourceFile:
    """A file papers are read from: its name (shown) and its full path (files told apart), found once."""

    name: str
    path: str

    @classmethod
    def of(cls, path: Path) -> SourceFile:
        return cls(path.name, full_path(path))


@dataclass
class Problem:
    """Something in a file that was skipped (or noted), and why."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass
class FileReport:
    """What one file contributed: entries read, new papers, duplicates merged, problems."""

    path: str
    format: str
    entries: int = 0
    new: int = 0
    merged: int = 0
    replaced: int = 0  # entries whose id an earlier entry had, with another text: the later one is kept
    filtered: int = 0  # entries outside --category / --since, not read
    no_abstract: int = 0
    problems: list[Problem] = field(default_factory=list)  # what was skipped
    notes: list[Problem] = field(default_factory=list)  # what was read but cut short
    merges: list[str] = field(default_factory=list)  # "a.bib:4 (x) = b.jsonl:3: same DOI ..."

    @property
    def read_with_errors(self) -> bool:
        """Whether entries were skipped for errors, not only for lacking an abstract (which the one
        line of corpus._no_abstract_summary reports)."""
        return len(self.problems) > (1 if self.no_abstract else 0)

    def skip(self, line: int | None, key: str | None, message: str) -> None:
        """Report an entry that is not stored, naming its line and key."""
        label = f"entry {key}: " if key else ""
        self.problems.append(Problem(self.path, line, f"{label}{message}; entry skipped"))


@dataclass
class Entry:
    """One record of a file, as its reader found it, before it becomes (part of) a paper.

    source_id is an id the user gave (JSONL and CSV `id`): it is the paper's id. own_id is an id a
    database gave the work (OpenAlex): records with two different ones are never merged. key is
    the label an export gave the record (a BibTeX key, a CSL-JSON id), used to name it in messages.
    """

    line: int | None
    title: str
    abstract: str
    source_id: str | None = None
    own_id: str | None = None
    key: str | None = None
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    url: str | None = None
    date: str | None = None
    venue: str | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    categories: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def where(self, path: str) -> str:
        """The file and line (or entry key) of this entry, for messages."""
        place = f"{path}:{self.line}" if self.line else path
        return f"{place} ({self.key})" if self.key else place
