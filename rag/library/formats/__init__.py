"""One reader per file format, and which one a file needs, recognised by its content."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from ..records import Entry, FileReport
from ..selection import Selection
from .arxiv import is_arxiv, read_arxiv
from .bibtex import read_bibtex
from .csljson import is_csl, read_csljson
from .lines import MAX_LINE_BYTES, blank, head, lines
from .openalex import is_openalex, read_openalex
from .plain import HEADER_LINES, read_csv, read_dump, read_jsonl, squeeze
from .ris import is_ris, read_ris

Reader = Callable[[Path, Iterator[tuple[int, str]], FileReport, Selection], Iterator[Entry]]

READERS: dict[str, Reader] = {
    "dump": read_dump,
    "jsonl": read_jsonl,
    "csv": read_csv,
    "bibtex": read_bibtex,
    "ris": read_ris,
    "csljson": read_csljson,
    "arxiv": read_arxiv,
    "openalex": read_openalex,
}
NAMES = {
    "dump": "Daily Papers dump",
    "jsonl": "JSON lines",
    "csv": "CSV",
    "bibtex": "BibTeX",
    "ris": "RIS",
    "csljson": "CSL-JSON",
    "arxiv": "arXiv snapshot",
    "openalex": "OpenAlex works",
}
# What a file's name suggests, when its content says nothing clearer; a directory's files of
# these kinds are read.
# The shortest abstract of 1,025 in the ScholarQABench corpus has 293 characters (the bundled
# corpus: 1,373); a line this long is read as one.
MIN_ABSTRACT_CHARS = 150
SUFFIXES = {
    ".txt": "dump",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".ris": "ris",
    ".json": "csljson",
}
_BIBTEX = re.compile(r"^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]", re.MULTILINE)
_JSON_ARRAY = re.compile(r"^\[\s*[{\]]")
_JSON_OBJECT = re.compile(r'^\{\s*["}]')

__all__ = ["MAX_LINE_BYTES", "NAMES", "READERS", "SUFFIXES", "blank", "detect", "lines"]


def detect(path: Path) -> str | None:
    """The reader a file needs: by what it holds (a RIS tag, JSON, an @entry, a dump's header),
    else by its suffix; None when neither tells."""
    by_name = SUFFIXES.get(path.suffix.lower())
    text = head(path)
    start = text.lstrip()
    if not start:
        return by_name
    if is_ris(text):
        return "ris"
    if _JSON_OBJECT.match(start):
        return _json_lines_kind(path, by_name) or ("csljson" if by_name == "csljson" else "jsonl")
    if _JSON_ARRAY.match(start) and by_name != "jsonl":
        return "csljson"
    first = next(line for line in text.splitlines() if line.strip())
    if squeeze(first) in HEADER_LINES:
        return "dump"
    if _BIBTEX.search(text):
        return "bibtex"
    if by_name == "dump" and not any(len(line.strip()) >= MIN_ABSTRACT_CHARS for line in text.splitlines()):
        return None  # notes.txt, a README: a dump without its header has abstracts as long lines
    if by_name:
        return by_name
    return "csv" if _csv_with_abstracts(first) else None


def _json_lines_kind(path: Path, by_name: str | None) -> str | None:
    """arxiv, openalex, csljson (a CSL item, or a page of items, not in a .jsonl file) or jsonl, by
    the first line's object; None when it is not one whole object."""
    try:
        with path.open("rb") as handle:
            first = b""
            while not first.strip():
                first = handle.readline(MAX_LINE_BYTES)
                if not first:
                    return None
        record = json.loads(first.decode("utf-8", errors="replace").lstrip("\ufeff"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(record, dict):
        return None
    if is_arxiv(record):
        return "arxiv"
    if is_openalex(record):
        return "openalex"
    if is_csl(record):  # a CSL item (as a DOI's content negotiation returns one), or items a line
        return "csljson"
    if any(isinstance(record.get(k), list) for k in ("results", "items")) and by_name != "jsonl":
        return "csljson"  # an API page of works
    return "jsonl"


def _csv_with_abstracts(first: str) -> bool:
    try:
        columns = next(csv.reader([first]))
    except csv.Error:
        return False
    return len(columns) > 1 and bool({"abstract", "abstract note"} & {c.strip().lower() for c in columns})
