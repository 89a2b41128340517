"""Corpus files read into papers: each file's format recognised by its content, its entries
checked, selected (--category, --since), merged into papers by identity, and reported."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..untrusted import without_controls
from . import fields
from .formats import MAX_LINE_BYTES, NAMES, READERS, SUFFIXES, blank, detect, lines
from .identity import Identities, find_links, make_paper_id, normalize_title
from .records import Entry, FileReport, Paper, Problem, SourceFile, full_path
from .selection import Selection
from .shelf import Shelf

__all__ = [
    "MAX_LINE_BYTES",
    "MAX_TITLE_CHARS",
    "SUPPORTED_SUFFIXES",
    "CorpusReport",
    "FileReport",
    "Paper",
    "Problem",
    "Selection",
    "detect_format",
    "expand_paths",
    "find_links",
    "make_paper_id",
    "normalize_title",
    "read",
]

SUPPORTED_SUFFIXES = SUFFIXES
MAX_TITLE_CHARS = 1000  # a longer title is cut
MAX_NAMED = 5  # entries named in one summary line


@dataclass
class CorpusReport:
    """All papers read from a set of paths, and one report per file."""

    papers: Shelf  # on disk, in the order read
    files: list[FileReport]
    directories: list[Problem] = field(default_factory=list)  # the subdirectories of those given, not read
    unread: list[Problem] = field(default_factory=list)  # the files of the directories given, not read
    unread_names: set[str] = field(default_factory=set)  # their names: a prune keeps their papers
    unread_paths: set[str] = field(default_factory=set)  # and their full paths
    # the directories given (full paths): the papers of a file no longer in one are no longer in the sources
    folders: list[str] = field(default_factory=list)

    @property
    def entries(self) -> int:
        return sum(f.entries for f in self.files)

    @property
    def problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems]

    @property
    def notes(self) -> list[Problem]:
        return [n for f in self.files for n in f.notes] + self.directories + self.unread

    @property
    def merges(self) -> list[str]:
        return [m for f in self.files for m in f.merges]


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files to read: each file as given, each directory's files in name order that have a supported
    suffix, or no suffix and a content a reader recognises (a .bib saved as "My Library")."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in _listed(path) if _readable(p))
        else:
            files.append(path)
    return files


def _readable(path: Path) -> bool:
    """Whether a directory's file is one to read: by its suffix, or, without one, by its content."""
    return path.suffix.lower() in SUPPORTED_SUFFIXES or (not path.suffix and detect(path) is not None)


def _listed(directory: Path) -> list[Path]:
    """A directory's files in name order, hidden ones aside."""
    return sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))


def _unread_files(paths: list[Path]) -> dict[Path, list[Path]]:
    """The files of each directory given that it does not read (a PDF, a compressed export)."""
    unread = {d: [p for p in _listed(d) if not _readable(p)] for d in paths if d.is_dir()}
    return {d: files for d, files in unread.items() if files}


def _unread_notes(unread: dict[Path, list[Path]]) -> list[Problem]:
    """A note for each directory holding files it does not read, naming the first of them."""
    notes = []
    for directory, files in unread.items():
        named = ", ".join(f"{p.name}{_packed(p)}" for p in files[:MAX_NAMED])
        more = f" and {len(files) - MAX_NAMED} more" if len(files) > MAX_NAMED else ""
        message = f"{len(files)} file(s) not read, of no format rag reads ({named}{more})"
        notes.append(Problem(str(directory), None, message))
    return notes


_PACKED = {b"\x1f\x8b": "gzip", b"PK\x03\x04": "zip", b"BZh": "bzip2", b"\xfd7zXZ": "xz"}


def _packed(path: Path) -> str:
    """': compressed (gzip), decompress it first' for a compressed file, else ''."""
    try:
        with path.open("rb") as handle:
            start = handle.read(6)
    except OSError:
        return ""
    kind = next((name for magic, name in _PACKED.items() if start.startswith(magic)), None)
    return f": compressed ({kind}), decompress it first" if kind else ""


def detect_format(path: Path) -> str | None:
    """The reader a file needs, recognised by its content (else its suffix): one of formats.READERS."""
    return detect(path)


def _clean(entry: Entry) -> None:
    """Escape sequences and control characters removed from every text of an entry: a terminal
    would obey them wherever the paper is shown."""
    entry.title = without_controls(entry.title)
    entry.abstract = without_controls(entry.abstract)
    for name in ("authors", "categories", "keywords", "tags"):
        setattr(entry, name, [v for v in map(without_controls, getattr(entry, name)) if v])
    for name in ("source_id", "own_id", "key", "url", "date", "venue"):
        value = getattr(entry, name)
        if value is not None:
            setattr(entry, name, without_controls(value) or None)
    for name in ("categories", "keywords", "tags"):
        setattr(entry, name, [text for text in map(without_controls, getattr(entry, name)) if text])


def _check_doi(entry: Entry, report: FileReport) -> None:
    """A DOI field holding no DOI dropped, and noted: the paper is kept without it."""
    if entry.doi is not None and not fields.is_doi(entry.doi):
        label = f"entry {entry.key}: " if entry.key else ""
        report.notes.append(
            Problem(
                report.path,
                entry.line,
                f"{label}field 'doi' is not a DOI: {entry.doi[:80]!r}; kept without it",
            )
        )
        entry.doi = None


def _cut(entry: Entry, report: FileReport, max_abstract_chars: int) -> None:
    """An over-long abstract or title cut, and the cut noted on its line."""
    if len(entry.abstract) > max_abstract_chars:
        report.notes.append(
            Problem(
                report.path,
                entry.line,
                f"abstract of {len(entry.abstract):,} characters cut to {max_abstract_chars:,} "
                "(RAG_MAX_ABSTRACT_CHARS)",
            )
        )
        entry.abstract = entry.abstract[:max_abstract_chars]
    if len(entry.title) > MAX_TITLE_CHARS:
        report.notes.append(Problem(report.path, entry.line, f"title cut to {MAX_TITLE_CHARS:,} characters"))
        entry.title = entry.title[:MAX_TITLE_CHARS]


def _no_abstract_summary(report: FileReport, missing: list[str]) -> None:
    """One line for all the entries of a file that have no abstract, naming the first few."""
    total = report.entries + report.no_abstract
    named = ", ".join(missing[:MAX_NAMED]) + (
        f" and {len(missing) - MAX_NAMED} more" if len(missing) > MAX_NAMED else ""
    )
    verb = "has" if report.no_abstract == 1 else "have"
    report.problems.append(
        Problem(
            report.path,
            None,
            f"{report.no_abstract} of {total} entries {verb} no abstract; skipped ({named})",
        )
    )


def read(
    paths: Iterable[Path | str], *, max_abstract_chars: int = 20000, selection: Selection | None = None
) -> CorpusReport:
    """Read every file under the paths into papers, with a report per file.

    An entry without an abstract, or with a field of the wrong type, is skipped and reported; one
    outside the selection is counted. An abstract longer than max_abstract_chars (or a title
    longer than MAX_TITLE_CHARS) is cut, and the cut is noted on its line.
    """
    selection = selection or Selection()
    identities = Identities()
    reports: list[FileReport] = []
    given = [Path(p) for p in paths]
    for path in expand_paths(given):
        fmt = detect_format(path)
        report = FileReport(path=str(path), format=fmt or "unknown")
        reports.append(report)
        if fmt is None and not path.exists():  # no suffix to go by: say what is wrong with it
            report.problems.append(Problem(str(path), None, "no such file; skipped"))
            continue
        if fmt is None:
            why = (
                "no line long enough for an abstract: not a Daily Papers dump"
                if path.suffix.lower() == ".txt"
                else f"unsupported file type (use .bib, .ris, .json, .jsonl, .csv or .txt){_packed(path)}"
            )
            report.problems.append(Problem(str(path), None, f"{why}; skipped"))
            continue
        if blank(path):
            report.problems.append(Problem(str(path), None, "empty file; skipped"))
            continue
        missing: list[str] = []
        source = SourceFile.of(path)
        for entry in READERS[fmt](path, lines(path, report), report, selection):
            _clean(entry)
            if not selection.keeps(entry):
                report.filtered += 1
                continue
            if not entry.abstract:
                report.no_abstract += 1
                missing.append(entry.key or (f"line {entry.line}" if entry.line else "?"))
                continue
            _cut(entry, report, max_abstract_chars)
            _check_doi(entry, report)
            report.entries += 1
            outcome = identities.add(entry, fmt, report, source)
            if outcome == "new":
                report.new += 1
            elif outcome == "merged":
                report.merged += 1
            else:
                report.replaced += 1
        if missing:
            _no_abstract_summary(report, missing)
    unread = _unread_files(given)
    return CorpusReport(
        papers=identities.papers,
        files=reports,
        directories=_unread_subdirectories(given),
        unread=_unread_notes(unread),
        unread_names={p.name for files in unread.values() for p in files},
        unread_paths={full_path(p) for files in unread.values() for p in files},
        folders=[os.path.realpath(path) for path in given if path.is_dir()],  # as its files' paths name it
    )


def _holds_files(directory: Path) -> bool:
    """Whether a directory holds a file of papers at any depth (its hidden directories aside)."""
    for path in directory.rglob("*"):
        hidden = any(part.startswith(".") for part in path.relative_to(directory).parts)
        if not hidden and path.suffix.lower() in SUPPORTED_SUFFIXES and path.is_file():
            return True
    return False


def _unread_subdirectories(paths: list[Path]) -> list[Problem]:
    """A note for each directory given whose subdirectories hold files of papers, at any depth: they
    are not read (a Zotero export's files/ folder holds PDFs, and is not mentioned)."""
    notes = []
    given = {os.path.realpath(path) for path in paths if path.is_dir()}  # named too: read
    for directory in paths:
        if not directory.is_dir():
            continue
        unread = sorted(
            sub.name
            for sub in directory.iterdir()
            if sub.is_dir()
            and not sub.name.startswith(".")
            and os.path.realpath(sub) not in given
            and _holds_files(sub)
        )
        if unread:
            named = ", ".join(unread[:MAX_NAMED]) + (" ..." if len(unread) > MAX_NAMED else "")
            message = f"subdirectories not read ({named}): name them to read them"
            notes.append(Problem(str(directory), None, message))
    return notes


def format_name(fmt: str) -> str:
    """A format's name for people: 'BibTeX', 'arXiv snapshot'."""
    return NAMES.get(fmt, fmt)
