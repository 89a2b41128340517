"""The records an answer is made of: one paper reference (PaperRef) shared by search hits, sources
and citations; Source, Citation and Answer, with their JSON and Markdown forms."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .citations import Unsupported

REFUSAL = "The indexed papers don't answer this question."


@dataclass
class PaperRef:
    """A stored paper as every record refers to it: its id and what the corpus says of it."""

    paper_id: str
    title: str
    url: str | None = None
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    date: str | None = None
    links: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # the corpus files it was read from
    venue: str | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    categories: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def byline(self) -> str:
        """'A. Lovelace, A. Turing (2024)', 'B. C, D. E et al. (2023)', or ''."""
        names = ", ".join(self.authors[:3]) + (" et al." if len(self.authors) > 3 else "")
        year = f"({self.year})" if self.year else ""
        return " ".join(part for part in (names, year) if part)

    def identifiers(self) -> list[str]:
        """'doi:10.1/x', 'arXiv:2401.00001' (each unless the url already is it), then the url."""
        url = (self.url or "").casefold()
        found = []
        if self.doi and self.doi.casefold() not in url:
            found.append(f"doi:{self.doi}")
        if self.arxiv_id and self.arxiv_id.casefold() not in url:
            found.append(f"arXiv:{self.arxiv_id}")
        return found + ([self.url] if self.url else [])

    def labels(self) -> str:
        """'[cs.CL, cs.LG; tags: thesis, to read]': the categories and tags, or ''."""
        parts = [", ".join(self.categories)] if self.categories else []
        if self.tags:
            parts.append("tags: " + ", ".join(self.tags))
        return f"[{'; '.join(parts)}]" if parts else ""

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> PaperRef:
        """A paper from the JSON of a record that holds one (a citation, a source, a stored paper)."""
        return cls(
            str(record["paper_id"]),
            str(record.get("title") or ""),
            record.get("url"),
            list(record.get("authors") or []),
            record.get("year"),
            record.get("date"),
            list(record.get("links") or []),
            list(record.get("sources") or []),
            record.get("venue"),
            record.get("doi"),
            record.get("arxiv_id"),
            list(record.get("categories") or []),
            list(record.get("keywords") or []),
            list(record.get("tags") or []),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of a stored paper ("sources": the corpus files it was read from)."""
        return {
            "paper_id": self.paper_id,
            "title": self.title,
            "sources": self.files,
            "authors": self.authors,
            "links": self.links,
            "url": self.url,
            "year": self.year,
            "date": self.date,
            "venue": self.venue,
            "doi": self.doi,
            "arxiv_id": self.arxiv_id,
            "categories": self.categories,
            "keywords": self.keywords,
            "tags": self.tags,
        }


def _numbered(number: int, paper: PaperRef, evidence: str, **before_evidence: Any) -> dict[str, Any]:
    """A numbered paper's flat JSON, its keys in the order of the first release, the metadata
    added since after them."""
    head = {"number": number, "paper_id": paper.paper_id, "title": paper.title, "url": paper.url}
    tail = {"sources": paper.files, "authors": paper.authors, "year": paper.year}
    later = {
        "date": paper.date,
        "venue": paper.venue,
        "doi": paper.doi,
        "arxiv_id": paper.arxiv_id,
        "categories": paper.categories,
        "keywords": paper.keywords,
        "tags": paper.tags,
    }
    return {**head, **before_evidence, "evidence": evidence, **tail, **later}


@dataclass
class Source:
    """A retrieved paper as numbered in the evidence (and the prompt's source tags)."""

    number: int
    paper: PaperRef
    score: float
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form in an answer's "sources" and "closest"."""
        return _numbered(self.number, self.paper, self.evidence, score=self.score)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Source:
        """A source from its JSON form (`rag ask --json`)."""
        return cls(
            int(record["number"]), PaperRef.from_dict(record), float(record["score"]), record["evidence"]
        )


@dataclass
class Citation:
    """A cited paper, numbered by first use in the answer, with the text of it the answer drew on."""

    number: int
    paper: PaperRef
    passage: str

    def reference(self) -> str:
        """'[1] Title - A. Lovelace (2024), Nature doi:10.1/x https://... [cs.CL; tags: thesis]':
        what the corpus has of it."""
        paper = self.paper
        byline = paper.byline()
        venue = f", {paper.venue}" if paper.venue and byline else f" - {paper.venue}" if paper.venue else ""
        return " ".join(
            part
            for part in (
                f"[{self.number}] {paper.title or '(untitled)'}" + (f" - {byline}" if byline else "") + venue,
                *paper.identifiers(),
                paper.labels(),
            )
            if part
        )

    def to_dict(self, evidence: str) -> dict[str, Any]:
        """The JSON form in an answer's "citations" and the answer log: the sentence the answer rests
        on (evidence), then the paper's text it drew on (passage; added since, so last)."""
        return _numbered(self.number, self.paper, evidence) | {"passage": self.passage}

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Citation:
        """A citation from its JSON form (the answer log; before "passage", "evidence" was it)."""
        passage = record.get("passage") or record.get("evidence") or ""
        return cls(int(record["number"]), PaperRef.from_dict(record), str(passage))


@dataclass
class Answer:
    """An answer with its citations, the papers it drew on, and how it was made."""

    question: str
    text: str
    citations: list[Citation]
    sources: list[Source]
    backend: str
    fallback_reason: str | None = None
    refused: bool = False
    unsupported: list[Unsupported] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    confidence: float | None = None  # the decision's probability that the papers answer the question
    decision: str | None = None  # why it was answered or refused
    closest: list[Source] = field(default_factory=list)  # a refusal's nearest papers, to rephrase
    attributed: list[str] = field(default_factory=list)  # uncited sentences the support check attributed
    prompt_tokens: int | None = None  # estimated size of the prompt sent to an LLM
    filters: dict[str, Any] = field(default_factory=dict)  # the filter it was answered within (JSON form)
    model: str | None = None  # the model that wrote it (a GGUF file's name, a server's model name)
    unapplied: str | None = None  # what of the question's own filter was not applied, and why

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (what `rag ask --json` prints)."""
        payload = asdict(self)
        payload["citations"] = self.citation_records()
        payload["sources"] = [s.to_dict() for s in self.sources]
        payload["closest"] = [s.to_dict() for s in self.closest]
        payload["timings"] = {k: round(v, 2) for k, v in self.timings.items()}
        if self.confidence is not None:
            payload["confidence"] = round(self.confidence, 4)
        return payload

    def citation_records(self) -> list[dict[str, Any]]:
        """The citations' JSON form (`--json`, the answer log), each with the sentence it rests on."""
        from .quotes import quotes

        quoted = quotes(self)
        return [c.to_dict(quoted[c.number]) for c in self.citations]

    def references(self) -> list[str]:
        """The numbered reference lines: title, authors and year, url (what the corpus has)."""
        return [c.reference() for c in self.citations]

    def closest_line(self) -> str:
        """'Closest: [1] title; [2] title' for a refusal that found papers, else ''."""
        if not self.closest:
            return ""
        return "Closest: " + "; ".join(f"[{s.number}] {s.paper.title or '(untitled)'}" for s in self.closest)

    def to_markdown(self) -> str:
        """The answer, then its references, as Markdown: what a paper's record or abstract writes
        is shown as text (no HTML a renderer would run, no link but http(s))."""
        lines = [markdown_text(self.text), ""]
        if self.refused and self.closest:
            lines += [markdown_text(self.closest_line()), ""]
        if self.citations:
            lines += ["**References**", ""]
            for c in self.citations:
                p = c.paper
                title = markdown_text(p.title or "(untitled)")
                linked = bool(p.url and _WEB_LINK.match(p.url))
                title = f"[{title}]({p.url})" if linked else title
                extra = [p.byline(), p.venue or "", *p.identifiers()[: -1 if linked else None], p.labels()]
                lines.append(
                    f"{c.number}. {title}" + "".join(f", {markdown_text(part)}" for part in extra if part)
                )
        if self.unsupported:
            lines += ["", "**Not supported by the cited abstracts:**", ""]
            lines += [f"- {markdown_text(u.sentence)} ({u.reason})" for u in self.unsupported]
        return "\n".join(lines).rstrip() + "\n"


_WEB_LINK = re.compile(r"https?://[^\s()<>]+$", re.IGNORECASE)


def markdown_text(text: str, after: str = "") -> str:
    """Text shown as written in Markdown: no HTML tag, autolink, link or link definition of its own
    ("<script>", "[x](javascript:...)", "[x]: /logout" read as the text they are); its other markup
    (emphasis) is left. Escaped piece by piece, `after` the last character of the piece before,
    a stream's pieces make what the whole text makes."""
    escaped = []
    for char in text:
        if char in "\\<>" or (after == "]" and char in "([:"):
            escaped.append("\\")
        escaped.append(char)
        after = char
    return "".join(escaped)
