"""The records an answer is made of (Answer, Source, Citation) and their rendering."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .citations import Unsupported

REFUSAL = "The indexed papers don't answer this question."


@dataclass
class Source:
    """A retrieved paper as numbered in the prompt."""

    number: int
    paper_id: str
    title: str
    url: str | None
    score: float
    evidence: str
    sources: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    year: int | None = None


@dataclass
class Citation:
    """A cited paper, numbered by first use in the answer."""

    number: int
    paper_id: str
    title: str
    url: str | None
    evidence: str
    sources: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    year: int | None = None

    def byline(self) -> str:
        """'A. Lovelace, A. Turing (2024)', 'B. C, D. E et al. (2023)', or ''."""
        names = ", ".join(self.authors[:3]) + (" et al." if len(self.authors) > 3 else "")
        year = f"({self.year})" if self.year else ""
        return " ".join(part for part in (names, year) if part)

    def reference(self) -> str:
        """'[1] Title - A. Lovelace (2024) https://...': what the corpus has of it."""
        byline = self.byline()
        return (
            f"[{self.number}] {self.title or '(untitled)'}"
            + (f" - {byline}" if byline else "")
            + (f" {self.url}" if self.url else "")
        )


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
    decision: str | None = None  # why the pipeline answered or refused
    closest: list[Source] = field(default_factory=list)  # a refusal's nearest papers, to rephrase
    attributed: list[str] = field(default_factory=list)  # uncited sentences the support check attributed
    prompt_tokens: int | None = None  # estimated size of the prompt sent to an LLM

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (what `rag ask --json` prints)."""
        payload = asdict(self)
        payload["timings"] = {k: round(v, 2) for k, v in self.timings.items()}
        if self.confidence is not None:
            payload["confidence"] = round(self.confidence, 4)
        return payload

    def references(self) -> list[str]:
        """The numbered reference lines: title, authors and year, url (what the corpus has)."""
        return [c.reference() for c in self.citations]

    def to_bibtex(self) -> str:
        """BibTeX for the cited papers, one entry each (`rag ask --bib`, `/bib` in chat)."""
        from .bibtex import to_bibtex

        return to_bibtex(self.citations)

    def closest_line(self) -> str:
        """'Closest: [1] title; [2] title' for a refusal that found papers, else ''."""
        if not self.closest:
            return ""
        return "Closest: " + "; ".join(f"[{s.number}] {s.title or '(untitled)'}" for s in self.closest)

    def to_markdown(self) -> str:
        """The answer, then its references, as Markdown."""
        lines = [self.text, ""]
        if self.refused and self.closest:
            lines += [self.closest_line(), ""]
        if self.citations:
            lines += ["**References**", ""]
            for c in self.citations:
                title = f"[{c.title or '(untitled)'}]({c.url})" if c.url else (c.title or "(untitled)")
                lines.append(f"{c.number}. {title}" + (f", {byline}" if (byline := c.byline()) else ""))
        if self.unsupported:
            lines += ["", "**Not supported by the cited abstracts:**", ""]
            lines += [f"- {u.sentence} ({u.reason})" for u in self.unsupported]
        return "\n".join(lines).rstrip() + "\n"
