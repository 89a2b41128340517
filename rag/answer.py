"""Answers: prompt assembly, citation rewriting, support checks, refusal, the extractive composer."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .embeddings import Embedder
from .prompts import Prompts

REFUSAL = "The indexed papers don't answer this question."
_CITATION = re.compile(r"\[(\d+(?:\s*[-\u2013,]\s*\d+)*)\]")
_OPEN_CITATION = re.compile(r"\[[\d\s,\-\u2013]*$")
# A sentence ends at . ! ? (or at the citations after one) followed by space and a capital.
_SENTENCE_END = re.compile(r"(?<=[.!?\]])\s+(?=[A-Z0-9\"'(])")
_MODEL_REFUSAL = re.compile(
    r"(don't|do not|doesn't|does not|cannot|can't|can ?not|unable to)\s+(answer|provide|find|"
    r"contain|address|mention|say|determine)|not enough information|no (relevant )?information"
    r"|not (mentioned|addressed|covered|discussed) in the (sources|papers|abstracts)",
    re.IGNORECASE,
)


_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|prompts?|rules|above)\b"
    r"|\b(system prompt|you must (now )?(reply|answer|say|respond))\b",
    re.IGNORECASE,
)
WITHHELD = "[sentence withheld: it reads as an instruction to the model]"


def looks_like_instruction(sentence: str) -> bool:
    """Whether a source sentence tries to instruct the model (a prompt injection)."""
    return bool(_INSTRUCTION.search(sentence))


def defuse(text: str) -> str:
    """A source text with instruction-like sentences withheld."""
    return " ".join(WITHHELD if looks_like_instruction(s) else s for s in split_sentences(text))


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


@dataclass
class Citation:
    """A cited paper, numbered by first use in the answer."""

    number: int
    paper_id: str
    title: str
    url: str | None
    evidence: str
    sources: list[str] = field(default_factory=list)


@dataclass
class Unsupported:
    """An answer sentence whose citations do not back it up."""

    sentence: str
    citations: list[int]
    similarity: float | None
    reason: str


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
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (what `rag ask --json` prints)."""
        payload = asdict(self)
        payload["timings"] = {k: round(v, 2) for k, v in self.timings.items()}
        if self.confidence is not None:
            payload["confidence"] = round(self.confidence, 4)
        return payload

    def references(self) -> list[str]:
        """The numbered reference lines: title and url."""
        return [
            f"[{c.number}] {c.title or '(untitled)'}" + (f" {c.url}" if c.url else "") for c in self.citations
        ]

    def to_markdown(self) -> str:
        """The answer, then its references, as Markdown."""
        lines = [self.text, ""]
        if self.citations:
            lines += ["**References**", ""]
            for c in self.citations:
                title = f"[{c.title or '(untitled)'}]({c.url})" if c.url else (c.title or "(untitled)")
                lines.append(f"{c.number}. {title}")
        if self.unsupported:
            lines += ["", "**Not supported by the cited abstracts:**", ""]
            lines += [f"- {u.sentence} ({u.reason})" for u in self.unsupported]
        return "\n".join(lines).rstrip() + "\n"


def _numbers(inside: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"\s*,\s*", inside.strip()):
        bounds = re.split(r"\s*[-\u2013]\s*", part)
        if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
            low, high = int(bounds[0]), int(bounds[1])
            numbers.extend(range(low, high + 1) if 0 < high - low < 20 else [low, high])
        elif part.isdigit():
            numbers.append(int(part))
    return numbers


class CitationRewriter:
    """Rewrites [n] citations as text streams in: drops non-sources, renumbers by first use."""

    def __init__(self, source_count: int) -> None:
        self.source_count = source_count
        self.order: list[int] = []  # original source numbers, in order of first use
        self._pending = ""

    def _rewrite(self, match: re.Match[str]) -> str:
        kept: list[int] = []
        for number in _numbers(match.group(1)):
            if 1 <= number <= self.source_count:
                if number not in self.order:
                    self.order.append(number)
                new = self.order.index(number) + 1
                if new not in kept:
                    kept.append(new)
        return f"[{', '.join(str(n) for n in sorted(kept))}]" if kept else ""

    def feed(self, text: str) -> str:
        """Rewrite what can be rewritten; hold back a citation that may still be open."""
        text = self._pending + text
        held = _OPEN_CITATION.search(text)
        if held and len(text) - held.start() < 40:
            text, self._pending = text[: held.start()], text[held.start() :]
        else:
            self._pending = ""
        return _CITATION.sub(self._rewrite, text)

    def flush(self) -> str:
        """Whatever is still held back."""
        text, self._pending = self._pending, ""
        return _CITATION.sub(self._rewrite, text)


def rewrite_citations(text: str, source_count: int) -> tuple[str, list[int]]:
    """A whole reply with citations rewritten, and the original numbers in first-use order."""
    rewriter = CitationRewriter(source_count)
    rewritten = rewriter.feed(text) + rewriter.flush()
    return tidy(rewritten), rewriter.order


def tidy(text: str) -> str:
    """Remove spaces left before punctuation by dropped citations."""
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def split_sentences(text: str) -> list[str]:
    """Sentences of a text, each keeping the citations that follow it."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def cited_numbers(sentence: str) -> list[int]:
    """The citation numbers in a sentence."""
    return [n for m in _CITATION.finditer(sentence) for n in _numbers(m.group(1))]


def strip_citations(sentence: str) -> str:
    """A sentence without its citation markers."""
    return tidy(_CITATION.sub("", sentence))


def is_model_refusal(text: str) -> bool:
    """Whether a model's reply says, in its own words, that the sources don't answer."""
    return text.strip() == REFUSAL or (len(text) < 300 and bool(_MODEL_REFUSAL.search(text)))


def _escape(text: str) -> str:
    # Angle brackets become look-alike quotes so no source can close its <source> tag.
    return text.replace("<", "\u2039").replace(">", "\u203a")


def format_sources(sources: list[Source]) -> str:
    """The numbered sources, each inside <source> tags so they read as data."""
    blocks = []
    for s in sources:
        title = _escape(s.title or "(untitled)")
        body = _escape(defuse(s.evidence))
        blocks.append(f'<source id="{s.number}">\nTitle: {title}\n{body}\n</source>')
    return "\n\n".join(blocks)


def build_messages(prompts: Prompts, question: str, sources: list[Source]) -> list[dict[str, str]]:
    """The chat messages for an answer: system rules, then sources and question."""
    return [
        {"role": "system", "content": prompts.system.format(refusal=REFUSAL)},
        {
            "role": "user",
            "content": prompts.answer.format(sources=format_sources(sources), question=question),
        },
    ]


@dataclass
class PaperText:
    """One retrieved paper: its stored chunk vectors (support checks), its sentences (extraction)."""

    number: int
    chunk_texts: list[str]
    chunk_vectors: np.ndarray
    sentences: list[str] = field(default_factory=list)
    sentence_vectors: np.ndarray | None = None


def add_sentences(papers: list[PaperText], embedder: Embedder) -> None:
    """Split each paper's chunks into distinct sentences and embed them all in one call."""
    for paper in papers:
        seen: dict[str, None] = {}
        for text in paper.chunk_texts:
            seen.update(dict.fromkeys(split_sentences(text)))
        paper.sentences = list(seen)
    vectors = embedder.embed([s for p in papers for s in p.sentences])
    start = 0
    for paper in papers:
        paper.sentence_vectors = vectors[start : start + len(paper.sentences)]
        start += len(paper.sentences)


def extractive_answer(
    question_vector: np.ndarray,
    question: str,
    papers: list[PaperText],
    *,
    max_sentences: int = 3,
    max_papers: int = 3,
) -> str:
    """The sentences of the top papers most relevant to the question, each cited; deterministic."""
    terms = {t for t in re.findall(r"[a-z0-9]+", question.casefold()) if len(t) > 3}
    candidates: list[tuple[float, int, int, str]] = []
    for rank, paper in enumerate(papers[:max_papers]):
        if not paper.sentences or paper.sentence_vectors is None:
            continue
        similarities = paper.sentence_vectors @ question_vector
        for position, (sentence, similarity) in enumerate(zip(paper.sentences, similarities, strict=True)):
            if looks_like_instruction(sentence):
                continue
            words = set(re.findall(r"[a-z0-9]+", sentence.casefold()))
            overlap = len(terms & words) / len(terms) if terms else 0.0
            # Later-ranked papers must earn their place; ties go to the better paper.
            score = float(similarity) + 0.2 * overlap - 0.05 * rank
            candidates.append((score, paper.number, position, sentence))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    chosen: list[tuple[float, int, int, str]] = []
    per_paper: dict[int, int] = {}
    for candidate in candidates:
        if len(chosen) == max_sentences:
            break
        if per_paper.get(candidate[1], 0) >= 2 or (chosen and candidate[0] < 0.75 * chosen[0][0]):
            continue
        chosen.append(candidate)
        per_paper[candidate[1]] = per_paper.get(candidate[1], 0) + 1
    return " ".join(f"{sentence.rstrip()} [{number}]" for _, number, _, sentence in chosen)


def check_support(
    sentences: list[str],
    sentence_vectors: np.ndarray,
    papers: dict[int, PaperText],
    threshold: float,
) -> list[Unsupported]:
    """Sentences with no citation, or whose cited papers have no chunk similar enough to back them."""
    unsupported = []
    for sentence, vector in zip(sentences, sentence_vectors, strict=True):
        numbers = cited_numbers(sentence)
        text = strip_citations(sentence)
        if not numbers:
            if len(text.split()) >= 4:
                unsupported.append(Unsupported(text, [], None, "no citation"))
            continue
        best = max(
            (float(np.max(papers[n].chunk_vectors @ vector)) for n in numbers if n in papers),
            default=0.0,
        )
        if best < threshold:
            unsupported.append(
                Unsupported(text, numbers, round(best, 4), f"similarity {best:.2f} to the cited abstracts")
            )
    return unsupported
