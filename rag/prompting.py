"""Sources into prompts: the evidence that matters within a token budget, instructions defused."""

from __future__ import annotations

import math
import re

import numpy as np

from .answer import Source
from .citations import PaperText, split_sentences
from .embeddings import Embedder
from .prompts import Prompts

Messages = list[dict[str, str]]

_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|prompts?|rules|above)\b"
    r"|\b(system prompt|you must (now )?(reply|answer|say|respond))\b",
    re.IGNORECASE,
)
WITHHELD = "[sentence withheld: it reads as an instruction to the model]"
_TERM = re.compile(r"[a-z0-9]+")


def looks_like_instruction(sentence: str) -> bool:
    """Whether a source sentence tries to instruct the model (a prompt injection)."""
    return bool(_INSTRUCTION.search(sentence))


def defuse(text: str) -> str:
    """A source text with instruction-like sentences withheld."""
    return " ".join(WITHHELD if looks_like_instruction(s) else s for s in split_sentences(text))


def estimate_tokens(text: str) -> int:
    """An LLM token count estimate: about four characters a token for English text."""
    return math.ceil(len(text) / 4)


def add_sentences(papers: list[PaperText], embedder: Embedder) -> None:
    """Split each paper's chunks into distinct sentences and embed all that lack vectors in one call."""
    todo = [p for p in papers if p.sentence_vectors is None]
    for paper in todo:
        seen: dict[str, None] = {}
        for text in paper.chunk_texts:
            seen.update(dict.fromkeys(split_sentences(text)))
        paper.sentences = list(seen)
    vectors = embedder.embed([s for p in todo for s in p.sentences])
    start = 0
    for paper in todo:
        paper.sentence_vectors = vectors[start : start + len(paper.sentences)]
        start += len(paper.sentences)


def query_terms(question: str) -> set[str]:
    """The question's content words (longer than three letters), lowercased."""
    return {t for t in _TERM.findall(question.casefold()) if len(t) > 3}


_QUANTITY = re.compile(
    r"\b(how (many|much|fast|large|big|long|often|accurate|well)|what (percentage|fraction|share|number|"
    r"accuracy|score|speed-?up)|by how much)\b",
    re.IGNORECASE,
)
_HAS_NUMBER = re.compile(r"\d")


def sentence_scores(question: str, question_vector: np.ndarray, paper: PaperText) -> list[float]:
    """How well each of a paper's sentences answers the question: similarity plus shared words,
    plus a bonus for stating a number when the question asks for a quantity."""
    assert paper.sentence_vectors is not None
    terms = query_terms(question)
    wants_number = bool(_QUANTITY.search(question))
    scores = []
    for sentence, similarity in zip(paper.sentences, paper.sentence_vectors @ question_vector, strict=True):
        overlap = len(terms & set(_TERM.findall(sentence.casefold()))) / len(terms) if terms else 0.0
        number = 0.1 if wants_number and _HAS_NUMBER.search(sentence) else 0.0
        scores.append(float(similarity) + 0.2 * overlap + number)
    return scores


def select_evidence(
    question: str,
    question_vector: np.ndarray,
    papers: list[PaperText],
    titles: dict[int, str],
    *,
    budget: int,
    margin: float,
) -> dict[int, str]:
    """The sentences that answer the question, by paper (in their original order), within a budget.

    Sentences are taken best first while they score within `margin` of the best one and fit the
    token budget, which also pays for each chosen paper's title; instruction-like sentences are
    never chosen. Papers with no sentence chosen are left out of the prompt.
    """
    scored: list[tuple[float, int, int]] = []  # (score, paper number, sentence position)
    for paper in papers:
        for position, score in enumerate(sentence_scores(question, question_vector, paper)):
            if not looks_like_instruction(paper.sentences[position]):
                scored.append((score, paper.number, position))
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    by_number = {p.number: p for p in papers}
    chosen: dict[int, set[int]] = {}
    spent = 0
    for score, number, position in scored:
        if score < scored[0][0] - margin:
            break
        cost = estimate_tokens(by_number[number].sentences[position])
        if number not in chosen:
            cost += estimate_tokens(titles.get(number, "")) + 12  # the title and the source tags
        if spent and spent + cost > budget:
            continue
        chosen.setdefault(number, set()).add(position)
        spent += cost
    return {
        number: " ".join(by_number[number].sentences[i] for i in sorted(positions))
        for number, positions in sorted(chosen.items())
    }


def _escape(text: str) -> str:
    # Angle brackets become look-alike quotes so no source can close its <source> tag.
    return text.replace("<", "\u2039").replace(">", "\u203a")


def format_sources(sources: list[Source], evidence: dict[int, str] | None = None) -> str:
    """The numbered sources in <source> tags (they read as data): the chosen evidence, if any,
    of the papers it names; else every source with its best chunk."""
    blocks = []
    for s in sources:
        if evidence is not None and s.number not in evidence:
            continue
        text = s.evidence if evidence is None else evidence[s.number]
        title = _escape(defuse(s.title) if s.title else "(untitled)")
        blocks.append(f'<source id="{s.number}">\nTitle: {title}\n{_escape(defuse(text))}\n</source>')
    return "\n\n".join(blocks)


def build_messages(
    prompts: Prompts, question: str, sources: list[Source], evidence: dict[int, str] | None = None
) -> Messages:
    """The chat messages: the system rules (a fixed prefix the model caches), then sources and question."""
    return [
        {"role": "system", "content": prompts.system.format()},
        {
            "role": "user",
            "content": prompts.answer.format(sources=format_sources(sources, evidence), question=question),
        },
    ]
