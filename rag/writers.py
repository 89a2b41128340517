"""The writers of an answer's raw text: the extractive one (no LLM) and an LLM's. Each turns evidence
into a `Draft`: the text as it streams, with what the writer was shown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from .budget import estimate_tokens
from .citations import PaperText, split_sentences
from .config import AnswerSettings, Settings
from .embeddings import Embedder
from .evidence import Evidence
from .extractive import (
    compared_sentences,
    extractive_answer,
    listed_sentences,
    method_sentences,
    named_paper,
    ranked_sentences,
    settled,
    settling_sentences,
    within_budget,
)
from .llm import EXTRACTIVE, LLM, reply_char_limit
from .prompting import build_messages
from .prompts import Prompts
from .sentences import add_sentences, select_evidence
from .untrusted import stream_without_controls, without_echo

if TYPE_CHECKING:
    from .backends import Pool

# A model answering a list question gets the best sentence of each listed paper, in a budget this
# many times the evidence budget (lists were cut short in the plain budget).
LIST_BUDGET_FACTOR = 3
LIST_HEADING = "Also on this topic:"
COMPARED_HEADING = "Also compared:"


@dataclass
class Draft:
    """One backend's reply to one evidence: its raw text as it streams (citing sources by number),
    the source numbers it was shown, and for a list or a comparison the papers it must name."""

    backend: str
    tokens: Iterator[str]
    citable: frozenset[int]
    prompt_tokens: int | None = None
    listed: dict[int, str] = field(default_factory=dict)  # a list's papers, each with its best sentence
    max_chars: int | None = None  # a longer reply ran past the tokens asked for (None: no cap)
    heading: str = LIST_HEADING  # what introduces the listed papers a reply skipped
    model: str | None = None  # the model behind the backend

    def completion(self, cited: set[int]) -> str:
        """What a verified reply citing these leaves out of a list: each listed paper it skipped (or
        was not shown for want of room in its prompt), with its best sentence; "" when none."""
        missing = [n for n in self.listed if n not in cited]
        if not missing:
            return ""
        return f"\n\n{self.heading}\n" + "\n".join(f"- {self.listed[n]} [{n}]" for n in missing)


class Writer(Protocol):
    """A backend that drafts an answer from evidence."""

    name: str

    def draft(self, evidence: Evidence) -> Draft:
        """The draft; its tokens raise LLMUnavailable when the backend fails."""
        ...


class ExtractiveWriter:
    """No LLM: the question's most relevant sentences of the top papers, each cited."""

    name = EXTRACTIVE

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def draft(self, evidence: Evidence) -> Draft:
        """The chosen sentences, one piece each; any source may be cited."""
        return Draft(self.name, self._pieces(evidence), evidence.numbers())

    def _pieces(self, evidence: Evidence) -> Iterator[str]:
        papers = evidence.ranked_papers()
        add_sentences(papers, self.embedder)
        text = extractive_answer(
            evidence.query, evidence.question_vector, papers, evidence.sides, evidence.choosing_names
        )
        for line in text.splitlines(keepends=True):  # a list has one paper a line
            sentences = split_sentences(line)
            for position, sentence in enumerate(sentences, 1):
                yield sentence + ("\n" if position == len(sentences) and line.endswith("\n") else " ")


class LLMWriter:
    """An LLM answering from the evidence sentences that fit the token budget."""

    def __init__(self, llm: LLM, prompts: Prompts, embedder: Embedder, settings: AnswerSettings) -> None:
        self.name = llm.name
        self.llm = llm
        self.prompts = prompts
        self.embedder = embedder
        self.settings = settings

    def draft(self, evidence: Evidence) -> Draft:
        """The prompt built from the chosen evidence, and the model's reply as it streams."""
        papers = evidence.ranked_papers()
        add_sentences(papers, self.embedder)
        titles = {s.number: s.paper.title for s in evidence.sources}
        listed: dict[int, str] = {}
        heading = LIST_HEADING
        if evidence.query.is_list:
            listed = listed_sentences(evidence.query, evidence.question_vector, papers)
            chosen = within_budget(listed, titles, LIST_BUDGET_FACTOR * self.settings.evidence_tokens)
        elif len(evidence.sides) >= 2:
            # the budget shared between the compared papers; a reply leaving one out gets its sentences
            compared = compared_sentences(evidence.query, evidence.question_vector, papers, evidence.sides)
            listed = {n: f"{evidence.sides[n]}: {text}" for n, text in compared.items()}
            chosen = self._shared(evidence, [p for p in papers if p.number in evidence.sides], titles)
            heading = COMPARED_HEADING
        elif evidence.query.kind == "yesno" and papers:
            chosen = self._asked(evidence, papers[0], titles)
        else:
            # a question naming one paper is answered from it: other papers' evidence invites mix-ups
            named = named_paper(papers)
            budget = self.settings.evidence_tokens
            # "how does X work?": the sentences saying how, which the extractive answer quotes
            how = method_sentences(named, evidence.query.terms) if named and evidence.query.mechanism else []
            if named and how:
                chosen = {named.number: " ".join(how)}
            else:
                chosen = self._selected(evidence, [named], titles, budget) if named else {}
            if not chosen:
                chosen = self._selected(evidence, papers, titles, budget)
        messages = build_messages(self.prompts, evidence.query, evidence.sources, chosen)
        tokens = without_echo(
            stream_without_controls(
                self.llm.stream(
                    messages,
                    max_tokens=self.settings.max_answer_tokens,
                    temperature=self.settings.temperature,
                )
            ),
            self.prompts.instructions(),
        )
        return Draft(
            self.name,
            tokens,
            citable=frozenset(chosen) or evidence.numbers(),
            prompt_tokens=sum(estimate_tokens(m["content"]) for m in messages),
            listed=listed,
            heading=heading,
            max_chars=reply_char_limit(self.settings.max_answer_tokens),
            model=getattr(self.llm, "model", None),  # the LLM contract does not require it
        )

    def _selected(
        self, evidence: Evidence, papers: list[PaperText], titles: dict[int, str], budget: int
    ) -> dict[int, str]:
        """The sentences of these papers that answer the question, within the budget."""
        return select_evidence(
            evidence.query,
            evidence.question_vector,
            papers,
            titles,
            budget=budget,
            margin=self.settings.evidence_margin,
        )

    def _asked(self, evidence: Evidence, paper: PaperText, titles: dict[int, str]) -> dict[int, str]:
        """A yes/no question asks about one paper, the first found (its name ranks it first): its
        evidence only, opening with the sentence that settles the question when one does (the
        model cannot quote a sentence it is not shown, and other papers' evidence invites mix-ups)."""
        chosen = self._selected(evidence, [paper], titles, self.settings.evidence_tokens)
        ranked = ranked_sentences(evidence.query, evidence.question_vector, [paper]).get(paper.number, [])
        said, quoted = settled(evidence.query, paper, ranked)
        text = chosen.get(paper.number, "")
        if said and not quoted.startswith("Its title") and quoted not in text:
            chosen[paper.number] = f"{quoted} {text}".strip()
        return chosen

    def _shared(self, evidence: Evidence, papers: list[PaperText], titles: dict[int, str]) -> dict[int, str]:
        """The evidence of each compared paper, each in an equal share of the budget."""
        share = self.settings.evidence_tokens // len(papers)
        chosen: dict[int, str] = {}
        for paper in papers:
            chosen |= select_evidence(
                evidence.query,
                evidence.question_vector,
                [paper],
                titles,
                budget=share,
                margin=self.settings.evidence_margin,
            )
        return dict(sorted(chosen.items()))


def settled_among(evidence: Evidence, embedder: Embedder) -> dict[int, str]:
    """For a list among given papers ("which of them ...?"): those a sentence of which settles it,
    with that sentence (extractive.settling_sentences); what every backend lists."""
    papers = evidence.ranked_papers()
    add_sentences(papers, embedder)
    ranked = ranked_sentences(evidence.query, evidence.question_vector, papers)
    return settling_sentences(evidence.query, papers, ranked)


class Writers:
    """The writer of each backend name: extractive, or an LLM of the pool with the prompts."""

    def __init__(
        self, settings: Settings, pool: Pool, prompts: Callable[[], Prompts], embedder: Embedder
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.prompts = prompts
        self.embedder = embedder

    def __call__(self, name: str) -> Writer:
        """The writer of that backend (an LLM is built on first use, and may raise LLMUnavailable)."""
        if name == EXTRACTIVE:
            return ExtractiveWriter(self.embedder)
        llm = self.pool.get(name, self.settings)
        return LLMWriter(llm, self.prompts(), self.embedder, self.settings)
