"""Evidence -> answer: decide (answer or refuse), let each backend of the chain draft a reply until
one is verified, and stream it all as typed events ending in `Done(Answer)`."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import replace
from functools import cached_property

import numpy as np

from .answer import REFUSAL, Answer, Citation, Source
from .aspects import aspect_answer, missing_count, missing_metric, uncompared, unmentioned
from .citations import CitationRewriter, citations_last, cited_numbers, rewrite_citations, tidy
from .config import AnswerSettings
from .decide import Decision, decide
from .embeddings import Embedder
from .events import AnswerStream, Done, Event, Notice, Replaced, Token
from .evidence import Evidence
from .expansion import expansion_answer, spelling
from .llm import EXTRACTIVE, LLMUnavailable
from .mentioned import defining_sentence, mentioned_work
from .query import RecordField, joined
from .record_answer import (
    RECORD,
    catalogue_answer,
    coining_source,
    collection_answer,
    named_source,
    newest_first,
    recency_line,
    record_answer,
    whole_title_sources,
)
from .unstated import before_aspects, unstated_property, unwritten_subject, used_by_title
from .verify import Verified, changes, verify, with_completion
from .writers import Draft, Writer, settled_among

# why a chat's follow-up got what it says instead of an answer (Query.said_instead)
POINTED_NOWHERE = "the follow-up points at papers the conversation has not got"
OFF_TOPIC = "no paper found covers enough of the list's topic"
FIELD_TITLED = "several papers found name the list's topic in their titles"
TOPIC_NAMED = "the list's topic is a name that a paper found writes"
NONE_AMONG = "None of the papers of the last answer says so."  # "which of them ...?" (chat.selection)


def count_line(
    listed: int, searched: int, *, among: bool, writing: int | None = None, words: tuple[str, ...] = ()
) -> str:
    """How many papers a list names: of the papers asked about, or of those the search found (all of
    which listed means there may be more); and, when more of the collection's papers write every one
    of its topic's words (`writing`), how many."""
    papers = f"{listed} paper{'s' if listed != 1 else ''}"
    if among:
        return f"{papers} of the {searched} asked about."
    line = (
        f"{papers} found."
        if listed < searched
        else f"At least {papers}: every paper the search returned is listed, and there may be more."
    )
    if writing is None or writing <= listed or not words:
        return line
    quoted = (
        ", ".join(f'"{word}"' for word in words[:-1]) + (" and " if len(words) > 1 else "") + f'"{words[-1]}"'
    )
    every = "every one of " if len(words) > 2 else ("both " if len(words) == 2 else "")
    return (
        f"{line} {writing} papers of the collection write {every}{quoted} (not all of them may be about it)."
    )


class Answerer:
    """Answers from evidence already gathered; retrieval is not its business."""

    def __init__(
        self, settings: AnswerSettings, writers: Callable[[str], Writer], embedder: Embedder
    ) -> None:
        self.settings = settings
        self.writers = writers
        self.embedder = embedder

    def answer(self, evidence: Evidence, chain: list[str]) -> Iterator[Event]:
        """The answer's events: the backends of the chain are tried in order until one is verified."""
        return _Run(self, evidence, chain).events()

    def stream(
        self, evidence: Callable[[], Evidence], chain: list[str], on_answer: Callable[[Done], None]
    ) -> AnswerStream:
        """The answer as a stream; the evidence is gathered on the first iteration (under a spinner)."""

        def events() -> Iterator[Event]:
            yield from self.answer(evidence(), chain)

        return AnswerStream(events(), on_answer=on_answer)

    def vectors_of(self, evidence: Evidence) -> Callable[[list[str]], np.ndarray]:
        """Embeds sentences, reusing the vectors of source sentences (verbatim quotes)."""
        known: dict[str, np.ndarray] = {}
        for paper in evidence.papers.values():
            if paper.sentence_vectors is not None:
                known.update(zip(paper.sentences, paper.sentence_vectors, strict=True))

        def vectors_of(texts: list[str]) -> np.ndarray:
            missing = [t for t in dict.fromkeys(texts) if t not in known]
            if missing:
                known.update(zip(missing, self.embedder.embed(missing), strict=True))
            return np.stack([known[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)

        return vectors_of


class _Run:
    """The state of one answer: its timings, the reasons backends were passed over, the decision."""

    def __init__(self, answerer: Answerer, evidence: Evidence, chain: list[str]) -> None:
        self.answerer = answerer
        self.evidence = evidence
        self.chain = chain
        self.timings: dict[str, float] = {"retrieve": evidence.retrieve_ms}
        self.reasons: list[str] = []
        self.prompt_tokens: int | None = None
        self.started = self.clock = 0.0  # set when the answer starts to be iterated
        self.first_token: float | None = None
        self.decision = Decision(False, 0.0, "")

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + (now - self.clock) * 1000
        self.clock = now

    def tokens(self, text: str) -> Iterator[Token]:
        """The text as a Token, if there is any (the first one's time is the first token's)."""
        if not text:
            return
        if self.first_token is None:
            self.first_token = self.evidence.retrieve_ms + (time.perf_counter() - self.started) * 1000
        yield Token(text)

    def events(self) -> Iterator[Event]:
        evidence = self.evidence
        self.started = self.clock = time.perf_counter()
        if evidence.query.unapplied:  # "papers from 2024 on X" where no paper records a year
            yield Notice(evidence.query.unapplied)
        if said := evidence.query.said_instead:  # a chat follow-up pointing at what it has not got
            self.decision = Decision(False, 0.0, POINTED_NOWHERE)
            yield from self.tokens(said)
            yield Done(self.answer(said, "none", refused=True), evidence.query)
            return
        self.decision = decide(
            evidence.signals if evidence.papers else None, self.answerer.settings.refusal_threshold
        )
        if evidence.like and evidence.papers:
            self.decision = Decision(True, self.decision.probability, f"the papers most like {evidence.like}")
        if not self.decision.answer and not evidence.query.among and evidence.field_titled():
            self.decision = Decision(True, self.decision.probability, FIELD_TITLED)
        if not self.decision.answer and not evidence.query.among and evidence.topic_is_a_name():
            self.decision = Decision(True, self.decision.probability, TOPIC_NAMED)
        if self.decision.answer and not evidence.query.among and evidence.off_topic():
            self.decision = Decision(False, self.decision.probability, OFF_TOPIC)
        if not self.decision.answer and evidence.sides_named():
            reason = "the papers the comparison names, found by their titles"
            self.decision = Decision(True, self.decision.probability, reason)
        elif not self.decision.answer and evidence.unfound_sides() and evidence.sides_named(at_least=1):
            reason = "a paper the comparison names, found by its title (no paper found for the others)"
            self.decision = Decision(True, self.decision.probability, reason)
        if not self.decision.answer and evidence.query.record_field and self.coined:
            reason = "a paper's abstract coins the name asked about"
            self.decision = Decision(True, self.decision.probability, reason)
        if not self.decision.answer and evidence.query.record_field and self.titled:
            reason = "the question writes a paper's whole title"
            self.decision = Decision(True, self.decision.probability, reason)
        # a name many papers use is a common word to the gate ("what does clip stand for?")
        if (
            not self.decision.answer
            and evidence.query.stands_for
            and spelling(evidence, self.answerer.embedder)
        ):
            self.decision = Decision(True, self.decision.probability, "a paper found spells the name out")
        # "what is clip?": a common word to the gate, which a paper found defines ("CLIP is an approach")
        if not self.decision.answer and self.defined:
            self.decision = Decision(True, self.decision.probability, "a paper found says what it is")
        if evidence.query.among and evidence.query.record_field:  # the records of given papers
            self.decision = Decision(True, self.decision.probability, "the records of the papers asked about")
        elif evidence.query.among:  # which of the given papers: answered when a sentence of one settles it
            settled = bool(settled_among(evidence, self.answerer.embedder))
            reason = "a sentence of a paper asked about settles it" if settled else "none of them says so"
            self.decision = Decision(settled, self.decision.probability, reason)
        # "how big is the c4 dataset?" of papers none of which writes C4
        if self.decision.answer and (unwritten := unwritten_subject(evidence)):
            self.decision = Decision(False, self.decision.probability, f"no paper found writes {unwritten}")
        self.lap("decide")
        if evidence.query.catalogue and evidence.sources:  # the papers a filter lets through, no topic
            yield Done((yield from self.from_catalogue()), evidence.query)
            return
        if not self.decision.answer and evidence.query.among:  # the papers asked about are known
            yield from self.tokens(NONE_AMONG)
            yield Done(self.answer(NONE_AMONG, "none", refused=True), evidence.query)
            return
        if not self.decision.answer:
            yield from self.tokens(REFUSAL)
            yield Done(self.refusal(), evidence.query)
            return
        # "who developed stable diffusion?" asks of no paper's record, though a title writes the name
        if evidence.query.record_field and not used_by_title(evidence):
            records = self.from_records_given if evidence.query.among else self.from_record
            yield Done((yield from records(evidence.query.record_field)), evidence.query)
            return
        embedder = self.answerer.embedder
        # of a name the papers only mention, whether they state it comes before a paper's aspects
        mentioned_first = before_aspects(evidence)
        statement = (
            (unstated_property(evidence, embedder) if mentioned_first else None)
            or aspect_answer(evidence, embedder)
            or missing_count(evidence, embedder)
            or missing_metric(evidence, embedder)
            or unmentioned(evidence, embedder)
            or (None if mentioned_first else unstated_property(evidence, embedder))
            or expansion_answer(evidence, embedder)
            or self.defined
            or mentioned_work(evidence, embedder)
        )
        if statement is not None:
            yield Done((yield from self.from_statement(*statement)), evidence.query)
            return
        for name in self.chain:
            outcome = yield from self.attempt(name)
            if outcome is not None:
                if evidence.query.counted_as:
                    outcome = yield from self.counted(outcome)
                if unfound := evidence.unfound_sides():
                    outcome = yield from self.closing(
                        outcome, f"No indexed paper was found for {joined(unfound)}."
                    )
                elif rivals := uncompared(evidence):
                    line = f"Neither abstract compares {rivals[0]} with {rivals[1]}."
                    outcome = yield from self.closing(outcome, line)
                elif evidence.query.newest_first and outcome.citations:
                    outcome = yield from self.closing(outcome, recency_line(outcome.citations))
                yield Done(outcome, self.evidence.query)
                return
        raise AssertionError("the chain always ends with the extractive backend")

    def from_record(self, asked: RecordField) -> Generator[Event, None, Answer]:
        """A question about the record of the paper it names (or of the one coining the name it asks
        about), answered from that record; refused when no paper found is either."""
        source = named_source(self.evidence)
        coined = None if source else self.coined
        source = coined[0] if coined else source
        titled = [] if source else self.titled
        if titled:  # two records of one title (two exports of one paper): each record
            text = " ".join(record_answer(s.paper, asked, s.number) for s in titled)
            return (yield from self.written(text, RECORD, [s.number for s in titled]))
        if source is None:
            self.decision = Decision(
                False, self.decision.probability, "no title found names the paper asked about"
            )
            yield from self.tokens(REFUSAL)
            return self.refusal()
        text = record_answer(source.paper, asked, source.number)
        if coined:
            text = f"{coined[1].rstrip()} [{source.number}] {text}"
        return (yield from self.written(text, RECORD, [source.number]))

    def from_records_given(self, asked: RecordField) -> Generator[Event, None, Answer]:
        """A question about the records of the papers given ("who wrote them?" in a chat): each
        one's record, a line each (newest first when asked which is newest or oldest)."""
        sources = self.evidence.sources
        if self.evidence.query.newest_first:
            sources = newest_first(sources)
        text = "\n".join(f"- {record_answer(s.paper, asked, s.number)}" for s in sources)
        return (yield from self.written(text, RECORD, [s.number for s in sources]))

    @cached_property
    def titled(self) -> list[Source]:
        """For a record question, the sources whose whole title it asks about; found once per answer."""
        return whole_title_sources(self.evidence)

    @cached_property
    def defined(self) -> tuple[str, list[int]] | None:
        """For "what is X?" where no paper found is X, the sentence of one saying what X is; found once
        per answer."""
        return defining_sentence(self.evidence, self.answerer.embedder)

    @cached_property
    def coined(self) -> tuple[Source, str] | None:
        """For a record question, the source whose abstract coins the name it asks about (no title
        has it: "who proposed ZEB?"), with the sentence coining it; found once per answer."""
        return coining_source(self.evidence, self.evidence.query.search)

    def from_statement(self, text: str, numbers: list[int]) -> Generator[Event, None, Answer]:
        """What the named papers' abstracts state of an aspect (their limitations), or that they
        state none (aspects.py): no backend writes it, so none can quote something else instead."""
        return (yield from self.written(text, EXTRACTIVE, numbers))

    def from_catalogue(self) -> Generator[Event, None, Answer]:
        """The papers of the question's scope ("papers by NAME"), listed from their records; with no
        filter ("how many papers are there?"), how many the collection holds."""
        if not self.evidence.query.filters:  # "how many papers are there?": the collection's size
            text = collection_answer(self.evidence.in_scope or 0)
            self.decision = Decision(True, self.decision.probability, "the size of the collection")
            return (yield from self.written(text, RECORD, []))
        listed = newest_first(self.evidence.sources)
        described = self.evidence.query.filters.describe()
        text = catalogue_answer(listed, self.evidence.in_scope, described)
        self.decision = Decision(True, self.decision.probability, "the papers the filter lets through")
        return (yield from self.written(text, RECORD, [s.number for s in listed]))

    def written(self, text: str, backend: str, order: list[int]) -> Generator[Event, None, Answer]:
        """An answer written whole by a rule (a record, a statement, a catalogue), not by a backend:
        streamed, timed, and citing the sources (by their numbers) in that order, renumbered 1, 2, ...
        as a backend's answer is."""
        text, cited = rewrite_citations(text, order)
        yield from self.tokens(text)
        self.lap("generate")
        return self.answer(text, backend, Verified(text, order=cited + [n for n in order if n not in cited]))

    def closing(self, answer: Answer, line: str) -> Generator[Event, None, Answer]:
        """An answer ending with a line on what the papers found leave out (a compared paper none is,
        a comparison neither makes) or on which of them is the newest."""
        yield from self.tokens(f"\n\n{line}")
        return replace(answer, text=f"{answer.text}\n\n{line}")

    def counted(self, answer: Answer) -> Generator[Event, None, Answer]:
        """A list asked as "how many papers ...?" ends saying how many it lists, of how many."""
        line = count_line(
            len(answer.citations),
            len(self.evidence.sources),
            among=self.evidence.query.among,
            writing=self.evidence.writing,
            words=self.evidence.topic_words(),
        )
        yield from self.tokens(f"\n\n{line}")
        return replace(answer, text=f"{answer.text}\n\n{line}")

    def attempt(self, name: str) -> Generator[Event, None, Answer | None]:
        """One backend's draft, streamed and verified; its Answer, or None to try the next backend."""
        pieces: list[str] = []
        try:
            draft = self.answerer.writers(name).draft(self.evidence)
            rewriter = CitationRewriter(draft.citable)
            for token in draft.tokens:
                pieces.append(token)
                yield from self.tokens(rewriter.feed(token))
            yield from self.tokens(rewriter.flush())
        except LLMUnavailable as exc:
            self.reasons.append(f"{name}: {exc}")
            self.lap("generate")
            if pieces:
                yield Replaced(name, f"{name} failed mid-answer ({exc}); the next backend answers")
            return None
        self.prompt_tokens = draft.prompt_tokens or self.prompt_tokens
        self.lap("generate")
        verified, streamed = yield from self.verified(name, draft, rewriter, pieces)
        self.lap("verify")
        if verified.rejection:
            self.reasons.append(f"{name}: {verified.rejection}")
            if name != EXTRACTIVE:
                yield Replaced(name, f"{name}'s answer was not used: {verified.rejection}; next backend:")
                return None
            # The extractive answer quotes the papers: if even it fails, there is nothing to say.
            yield Replaced(name, f"{name}'s answer was not used: {verified.rejection}")
            yield from self.tokens(REFUSAL)
            return self.refusal(fallback_reason="; ".join(self.reasons))
        if verified.text.split() != streamed.split():
            yield Replaced(name, f"checked answer: {changes(verified)}")
            yield from self.tokens(verified.text)
        reason = "; ".join(self.reasons) or None
        return self.answer(verified.text, name, verified, fallback_reason=reason, model=draft.model)

    def verified(
        self, name: str, draft: Draft, rewriter: CitationRewriter, pieces: list[str]
    ) -> Generator[Event, None, tuple[Verified, str]]:
        """The draft verified (a list completed with the papers it skipped, streamed too), and the
        text as it streamed, in the final numbering."""
        citable = set(draft.citable)
        verified = verify(
            "".join(pieces),
            self.evidence,
            self.answerer.vectors_of(self.evidence),
            citable=citable,
            threshold=self.answerer.settings.support_threshold,
            from_model=name != EXTRACTIVE,
            max_chars=draft.max_chars,
        )
        # A verified list names every paper it was given: those the model skipped are added, quoted
        # (so not checked again); they may cite papers the model's budget left out.
        completion = "" if verified.rejection else draft.completion(set(verified.order))
        if completion:
            citable |= set(cited_numbers(completion))
            pieces.append(completion)
            rewriter.citable = frozenset(citable)
            yield from self.tokens(rewriter.feed(completion) + rewriter.flush())
            verified = with_completion(verified, completion, citable)
        return verified, tidy(rewrite_citations(citations_last("".join(pieces)), citable)[0])

    def refusal(self, fallback_reason: str | None = None) -> Answer:
        return self.answer(
            REFUSAL, "none", refused=True, closest=self.evidence.sources[:3], fallback_reason=fallback_reason
        )

    def answer(self, text: str, backend: str, verified: Verified | None = None, **extra: object) -> Answer:
        self.timings["total"] = sum(v for k, v in self.timings.items() if k != "first_token")
        self.timings["first_token"] = self.first_token or self.timings["total"]
        order = verified.order if verified else []
        by_number = {s.number: s for s in self.evidence.sources}
        citations = [
            Citation(new, by_number[old].paper, self.evidence.passage(old))
            for new, old in enumerate(order, 1)
        ]
        return Answer(
            self.evidence.query.text,
            text,
            citations,
            self.evidence.sources,
            backend,
            unsupported=verified.unsupported if verified else [],
            attributed=verified.attributed if verified else [],
            timings=self.timings,
            confidence=self.decision.probability,
            decision=self.decision.reason,
            prompt_tokens=self.prompt_tokens,
            filters=self.evidence.query.filters.to_dict(),
            unapplied=self.evidence.query.unapplied or None,
            **extra,  # type: ignore[arg-type]
        )
