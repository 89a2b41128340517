"""BibTeX and BibLaTeX as Zotero, Better BibTeX, JabRef and Mendeley export them (bibtexparser v2).

LaTeX is decoded ({\\"u} is ü, braces go, math becomes text); tags are Zotero's `keywords`,
JabRef's `groups` and Mendeley's `mendeley-tags`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .. import fields
from ..records import Entry, FileReport, Problem
from ..selection import Selection

_VENUES = ("journal", "journaltitle", "booktitle", "eventtitle")
_TAGS = ("groups", "mendeley-tags", "mendeley-groups")
_CATEGORY = re.compile(r"^[a-z-]+(\.[A-Za-z-]+)?$")
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
# The fields read as text are LaTeX decoded; url, doi and eprint stay verbatim (~ or %20 in a URL).
_DECODED = frozenset({"title", "abstract", "note", "number", "keywords", *_VENUES, *_TAGS})
# What LaTeX means by the escapes most exports use, for text that holds no other LaTeX.
_SIMPLE = (
    ("\\%", "%"),
    ("\\&", "&"),
    ("\\_", "_"),
    ("\\#", "#"),
    ("\\$", "$"),
    ("---", "\u2014"),
    ("--", "\u2013"),
)
_LATEX = re.compile(r"[\\$~`]|''")  # beyond these, braces only group: they go
# "  author = {...}," outside any entry: a field an extra closing brace left behind
_STRAY_FIELD = re.compile(r"^\s*,?\s*([A-Za-z][\w-]*)\s*=\s*[{\"\w]", re.MULTILINE)


def _decoding() -> Any:
    """bibtexparser's LaTeX decoding middleware, for the text fields only, with a fast path: pylatexenc
    takes milliseconds on a long abstract, and most abstracts hold no LaTeX but \\%."""
    from bibtexparser.middlewares import LatexDecodingMiddleware
    from bibtexparser.model import MiddlewareErrorBlock

    class TextDecoding(LatexDecodingMiddleware):
        def decode(self, value: str) -> str:
            """A value as text: LaTeX decoded, a bare % kept as a per cent sign."""
            simple = value
            for latex, text in _SIMPLE:
                simple = simple.replace(latex, text)
            if not _LATEX.search(simple):
                return simple.replace("{", "").replace("}", "")
            decoded, error = self._transform_python_value_string(_UNESCAPED_PERCENT.sub(r"\\%", value))
            if error:
                raise ValueError(error)
            return str(decoded)

        def transform_entry(self, entry: Any, library: Any) -> Any:
            for item in entry.fields:
                if item.key.lower() in _DECODED and isinstance(item.value, str):
                    try:
                        item.value = self.decode(item.value)
                    except ValueError as exc:
                        return MiddlewareErrorBlock(block=entry, error=exc)
            return entry

    return TextDecoding(keep_math_mode=False)


def _split_concatenation(value: str) -> list[str]:
    """A raw value's parts joined by `#` outside braces and quotes (one part when it joins none)."""
    parts, depth, quoted, start = [], 0, False, 0
    for at, char in enumerate(value):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif char == "#" and depth == 0 and not quoted:
            parts.append(value[start:at])
            start = at + 1
    return [*parts, value[start:]]


def _joined(value: str, strings: dict[str, str]) -> str:
    """A raw value with its `#` concatenation resolved ('jmlr # " (JMLR)"' is "{Journal of ... (JMLR)}"),
    macros by the @strings read so far; any other value as it is."""
    if "#" not in value:
        return value
    parts = [p.strip() for p in _split_concatenation(value)]
    if len(parts) < 2:
        return value
    text = []
    for part in parts:
        if part[:1] in ('"', "{") and part[-1:] in ('"', "}"):
            text.append(part[1:-1])
        else:
            resolved = strings.get(part.casefold(), part)
            text.append(resolved[1:-1] if resolved[:1] in ('"', "{") else resolved)
    return "{" + "".join(text) + "}"


_EXTENDED = re.compile(r"\b(?:family|given|prefix|suffix)\s*=", re.IGNORECASE)


def _extended_names(value: str) -> str:
    """Names in Better BibLaTeX's extended format ("family=Berg, given=Pieter, prefix=van der,
    useprefix=true") written as BibTeX writes them ("van der Berg, Pieter"); others as they are.
    Braces protect what they hold ("family={Barnes and Noble}")."""
    if not _EXTENDED.search(value):
        return value
    braced = value[:1] == "{" and value[-1:] == "}"
    people = _top_level(value[1:-1] if braced else value, r"\s+and\s+")
    for number, person in enumerate(people):
        if _EXTENDED.search(person):
            pairs = (part.partition("=") for part in _top_level(person, r",\s*"))
            parts = {k.strip().lower(): _protected(_unbraced(v.strip())) for k, _, v in pairs}
            family = " ".join(p for p in (parts.get("prefix", ""), parts.get("family", "")) if p)
            people[number] = ", ".join(
                p for p in (family, parts.get("suffix", ""), parts.get("given", "")) if p
            )
    joined = " and ".join(people)
    return f"{{{joined}}}" if braced else joined


def _top_level(text: str, separator: str) -> list[str]:
    """A text split where the separator occurs outside braces."""
    parts, depth, start = [], 0, 0
    for match in re.finditer(rf"[{{}}]|{separator}", text):
        if match.group() == "{":
            depth += 1
        elif match.group() == "}":
            depth -= 1
        elif depth == 0:
            parts.append(text[start : match.start()])
            start = match.end()
    return [*parts, text[start:]]


def _protected(text: str) -> str:
    """A name part in braces again when it holds what would split it ("Barnes and Noble", "Smith, Jones")."""
    return f"{{{text}}}" if re.search(r"\sand\s|,", text) else text


def _unbraced(text: str) -> str:
    """A value without one pair of braces around it all ("{Van Buren}"), its inner braces kept."""
    if text[:1] == "{" and text[-1:] == "}" and _top_level(text[1:-1], r"$^") == [text[1:-1]]:
        inner = text[1:-1]
        depth = 0
        for char in inner:
            depth += {"{": 1, "}": -1}.get(char, 0)
            if depth < 0:
                return text
        return inner if depth == 0 else text
    return text


def _concatenating() -> Any:
    """A middleware resolving BibTeX's `#` concatenation, which bibtexparser v2 leaves as written: it
    runs first, on the raw values, where a `#` inside braces or quotes is text."""
    from bibtexparser.middlewares.middleware import LibraryMiddleware

    class Concatenation(LibraryMiddleware):
        def transform(self, library: Any) -> Any:
            strings: dict[str, str] = {}
            for block in library.strings:
                block.value = _joined(block.value, strings)
                strings[block.key.casefold()] = block.value
            for entry in library.entries:
                for item in entry.fields:
                    if isinstance(item.value, str):
                        item.value = _joined(item.value, strings)
                        if item.key.lower() in ("author", "editor"):
                            item.value = _extended_names(item.value)
            return library

    return Concatenation()


def read_bibtex(
    path: Path, lines: Iterator[tuple[int, str]], report: FileReport, selection: Selection
) -> Iterator[Entry]:
    """Every @entry of a .bib file; a block that does not parse is reported on its line."""
    import bibtexparser
    from bibtexparser import model
    from bibtexparser.middlewares import NormalizeFieldKeys, SeparateCoAuthors, SplitNameParts
    from bibtexparser.middlewares.parsestack import default_parse_stack

    decoding = _decoding()
    # Names are split before decoding, so that a braced {Google Research} stays one name, and after
    # field names are lower-cased (BibDesk writes `Author = {...}`, which the splitter would not see).
    # The parser's own log lines (0-based, no file named) are not shown: its failed blocks are reported.
    with _quiet(logging.getLogger("bibtexparser")):
        library = bibtexparser.parse_string(
            "\n".join(line for _, line in lines),
            parse_stack=[
                _concatenating(),
                *default_parse_stack(),
                NormalizeFieldKeys(),
                SeparateCoAuthors(),
                SplitNameParts(),
                decoding,
            ],
        )
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        key = getattr(block.ignore_error_block, "key", None)
        if isinstance(block, model.DuplicateBlockKeyBlock):
            report.skip(line, block.key, "an earlier entry has the same key")
        elif isinstance(block, model.DuplicateFieldKeyBlock):
            report.skip(line, key, f"{', '.join(sorted(block.duplicate_keys))} given twice")
        elif isinstance(block, model.MiddlewareErrorBlock):
            report.skip(line, key, f"LaTeX not decoded ({block.error})")
        else:
            reason = getattr(block.error, "abort_reason", "") or str(block.error)
            first = (reason.strip().splitlines() or ["syntax error"])[0]
            report.problems.append(Problem(str(path), line, f"not valid BibTeX ({first}); skipped"))
    cut = _cut_short(library.blocks)
    parents = _crossref_parents(library.entries)
    for item in library.entries:
        line = (item.start_line or 0) + 1
        if item.key in cut:
            report.skip(line, item.key, cut[item.key])
            continue
        if item.key.lower() in parents.values() and not _value(item, "abstract"):
            continue  # a @proceedings a paper's crossref names: its fields are the paper's, no paper itself
        try:
            yield _entry(item, line, decoding.decode, _inherited(item, parents, library.entries))
        except fields.FieldError as exc:
            report.skip(line, item.key, str(exc))
        except ValueError as exc:  # a name whose LaTeX does not decode
            report.skip(line, item.key, f"LaTeX not decoded in 'author' ({exc})")


@contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    """A logger silenced for a while."""
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def _cut_short(blocks: list[Any]) -> dict[str, str]:
    """The entries an extra closing brace ended early, by key, and what to say of each: the fields
    after it are read as a comment between entries (`journal = {X}},` loses the author and year)."""
    from bibtexparser import model

    cut: dict[str, str] = {}
    for before, block in zip([None, *blocks], blocks, strict=False):
        if isinstance(before, model.Entry) and isinstance(block, model.ImplicitComment):
            stray = _STRAY_FIELD.findall(block.comment)
            if stray:
                line = (block.start_line or 0) + 1
                cut[before.key] = f"an extra '}}' on line {line} ends the entry before its {', '.join(stray)}"
    return cut


def _crossref_parents(items: list[Any]) -> dict[str, str]:
    """Each entry naming a parent by `crossref`, and the parent's key (lower case), when it is there
    and another entry."""
    keys = {item.key.lower() for item in items}
    named = {item.key: str(_value(item, "crossref") or "").strip().lower() for item in items}
    return {child: parent for child, parent in named.items() if parent in keys and parent != child.lower()}


# what an entry takes from its crossref parent: where and when it appeared, never an identifier
# (a proceedings' DOI is not its papers') nor an abstract
_INHERITED = frozenset(
    {
        "year",
        "date",
        "month",
        "booktitle",
        "journal",
        "journaltitle",
        "eventtitle",
        "publisher",
        "editor",
        "series",
        "volume",
        "address",
        "location",
        "organization",
    }
)
_CONTAINERS = frozenset(
    {"proceedings", "book", "collection", "mvbook", "mvproceedings", "mvcollection", "reference"}
)


def _inherited(item: Any, parents: dict[str, str], items: list[Any]) -> dict[str, Any]:
    """The fields an entry takes from its crossref parent (and the parent's parent): those it lacks;
    a @proceedings' (or @book's) title is the child's booktitle."""
    by_key = {p.key.lower(): p for p in items}
    inherited: dict[str, Any] = {}
    seen = {item.key.lower()}
    key = parents.get(item.key)
    while key and key not in seen:  # a chain, never round a cycle
        seen.add(key)
        parent = by_key[key]
        values = {f.key.lower(): f.value for f in parent.fields}
        if "title" in values and parent.entry_type.lower() in _CONTAINERS:
            values.setdefault("booktitle", values["title"])
        inherited = {k: v for k, v in values.items() if k in _INHERITED} | inherited
        key = parents.get(parent.key)
    return inherited


def _value(item: Any, name: str) -> Any:
    """An entry's field, whatever the case of its name; None when absent."""
    return next((f.value for f in item.fields if f.key.lower() == name), None)


def _entry(
    item: Any, line: int, decode: Callable[[str], str], inherited: dict[str, Any] | None = None
) -> Entry:
    values = (inherited or {}) | {f.key.lower(): f.value for f in item.fields}
    text = {k: v for k, v in values.items() if isinstance(v, str)}
    doi = fields.doi(text.get("doi"))
    url = fields.optional(text.get("url"), "url")
    arxiv = _arxiv(text, doi, url)
    date = fields.iso_date(text.get("date", "").split("/")[0])
    year = fields.year(text.get("year")) or (int(date[:4]) if date else None)
    if date is None and year is not None:
        date = fields.date_of(year, _month(text.get("month", "")))
    categories = []
    if arxiv and _CATEGORY.match(text.get("eprintclass", text.get("primaryclass", "")).strip()):
        categories = [text.get("eprintclass", text.get("primaryclass", "")).strip()]
    return Entry(
        line=line,
        key=item.key,
        title=fields.text(text.get("title"), "title"),
        abstract=fields.text(text.get("abstract"), "abstract"),
        authors=_authors(values.get("author"), decode),
        year=year,
        date=date,
        url=url,
        venue=next((fields.text(text[k], k) for k in _VENUES if text.get(k, "").strip()), None),
        doi=None if doi and fields.arxiv_in(doi) else doi,
        arxiv_id=arxiv,
        categories=categories,
        keywords=fields.terms(text.get("keywords", ""), "keywords"),
        tags=[t for k in _TAGS for t in fields.terms(text.get(k, ""), k)],
    )


def _arxiv(text: dict[str, str], doi: str | None, url: str | None) -> str | None:
    """The arXiv id of an entry: its eprint when that is an arXiv one, else what its DOI, URL,
    note or journal names ('arXiv:2204.11824 [cs]', 'arXiv preprint arXiv:...')."""
    kind = (text.get("eprinttype") or text.get("archiveprefix") or "").strip().lower()
    eprint = text.get("eprint", "").strip()
    if eprint and kind in ("", "arxiv"):
        try:
            return fields.arxiv_id(eprint, "eprint")
        except fields.FieldError:
            if kind == "arxiv":
                raise
    return fields.arxiv_in(doi, url, text.get("note"), text.get("journal"), text.get("number"))


def _month(value: str) -> int | None:
    value = value.strip().lower()
    if value.isdigit():
        return int(value)
    return fields.MONTHS.get(value[:3])


def _authors(value: Any, decode: Callable[[str], str]) -> list[str]:
    if not isinstance(value, list):
        return []
    people = []
    for name in value:
        if not isinstance(name, str) and not (name.first or name.von) and name.last == ["others"]:
            continue  # "and others": the authors not listed, no author's name
        if isinstance(name, str):
            people.append(" ".join(decode(name).split()))
            continue
        given = decode(" ".join(name.first + name.von))
        family = decode(" ".join(name.last))
        people.append(fields.person(given, family, decode(" ".join(name.jr))))
    return [p for p in people if p]
