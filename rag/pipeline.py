"""The answer stages: retrieve (sources with evidence) -> decide (answer or refuse) ->
generate (any backend, extractive included) -> verify (citations, support) -> Answer."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .answer import REFUSAL, Answer, Citation, Source
from .citations import (
    CitationRewriter,
    PaperText,
    Unsupported,
    add_citation,
    check_support,
    citations_last,
    cited_numbers,
    keep_valid_citations,
    rewrite_citations,
    split_sentences,
    strip_citations,
    tidy,
    written_figures,
)
from .config import SearchMode, Settings
from .decide import Signals, decide, gather_signals, title_terms, wordpiece_name_test
from .embeddings import Embedder
from .extractive import extractive_answer, listed_sentences, within_budget
from .keyword import tokenize
from .llm import EXTRACTIVE, LLM, LLMUnavailable
from .prompting import (
    add_sentences,
    asks_for_figure,
    build_messages,
    echoes_instruction,
    estimate_tokens,
    injected_targets,
    is_list_question,
    search_query,
    select_evidence,
)
from .prompts import Prompts
from .retrieve import Retriever
from .store import Store
from .topic import acronym_terms, alternatives, coverage, defined_acronyms, long_forms

_MODEL_REFUSAL = re.compile(
    r"(don't|do not|doesn't|does not|cannot|can't|can ?not|unable to)\s+(answer|provide|find|"
    r"contain|address|mention|say|determine)|not enough information|no (relevant )?information"
    r"|not (mentioned|addressed|covered|discussed) in the (sources|papers|abstracts)",
    re.IGNORECASE,
)
_PROMPT_ECHO = re.compile(r"</?source\b|^\s*(Title|Question|Sources):", re.IGNORECASE | re.MULTILINE)


def is_model_refusal(text: str) -> bool:
    """Whether a model's reply says, in its own words, that the sources don't answer."""
    return text.strip() == REFUSAL or (len(text) < 300 and bool(_MODEL_REFUSAL.search(text)))


def is_degenerate(text: str) -> bool:
    """Whether a reply loops (a sentence three times or more) or echoes the prompt's structure."""
    sentences = [strip_citations(s).casefold() for s in split_sentences(text)]
    repeats = max((sentences.count(s) for s in set(sentences)), default=0)
    return repeats >= 3 or bool(_PROMPT_ECHO.search(text))


# --- retrieve ----------------------------------------------------------------------------------


@dataclass
class Evidence:
    """What retrieval found for a question: numbered sources and their texts and vectors."""

    question: str
    question_vector: np.ndarray
    sources: list[Source]
    papers: dict[int, PaperText]  # by source number
    signals: Signals

    def ranked_papers(self) -> list[PaperText]:
        """The papers in source order."""
        return [self.papers[n] for n in sorted(self.papers)]


def retrieve(
    question: str, *, retriever: Retriever, store: Store, embedder: Embedder, k: int, mode: SearchMode
) -> Evidence:
    """Search (for a list question, its topic), then fetch every chunk and vector of the papers found."""
    query = search_query(question)
    listing = is_list_question(question)
    # A list's topic is searched with the long form of any acronym it writes ("rl": reinforcement
    # learning); the evidence is weighed against the question as typed.
    searched = retriever.expand(query) if listing else query
    vectors = embedder.embed([query] if searched == query else [query, searched])
    question_vector = vectors[0]
    hits = retriever.search(searched, k=k, mode=mode, vector=vectors[-1])
    chunks = store.chunks_of([h.paper_id for h in hits])
    papers = {
        number: PaperText(
            number,
            [c.text for c, _ in chunks[hit.paper_id]],
            np.stack([v for _, v in chunks[hit.paper_id]]),
            hit.title,
        )
        for number, hit in enumerate(hits, 1)
        if chunks.get(hit.paper_id)
    }
    sources = [
        Source(n, h.paper_id, h.title, h.url, h.score, h.evidence, h.sources, h.authors, h.year)
        for n, h in enumerate(hits, 1)
    ]
    keyword = retriever.keyword
    weights = {term: keyword.idf(term) for term in keyword.query_terms(query)}
    # A paper that writes a phrase of the question as an acronym the papers define (NAS) uses it.
    defined = defined_acronyms(query, [text for paper in papers.values() for text in paper.chunk_texts])
    titles = {
        number: title_terms(hit.title, keyword) | acronym_terms(hit.title, defined)
        for number, hit in enumerate(hits, 1)
    }
    words = {
        number: titles[number].union(
            *(tokenize(text) for text in paper.chunk_texts),
            *(acronym_terms(text, defined) for text in paper.chunk_texts),
        )
        for number, paper in papers.items()
    }
    # How much the question names each paper, and its text covers. A list's topic may be covered
    # through one side of an "or", in any form of its words, and an acronym by its long form
    # ("reinforcement learning" for rl); calibrated on list questions only.
    if listing:
        spelled = long_forms(weights, keyword.glossary)
        for terms in (*titles.values(), *words.values()):
            terms |= {acronym for acronym, parts in spelled.items() if parts <= terms}
    term_sets = alternatives(query, set(weights)) if listing else [set(weights)]
    for number, paper in papers.items():
        paper.named = coverage(weights, term_sets, titles[number], forms=listing)
        paper.covered = coverage(weights, term_sets, words[number], forms=listing)
    name_like = wordpiece_name_test(embedder.count_tokens)
    evidence_signals = gather_signals(
        question_vector, hits, papers, weights, titles, words, keyword, name_like
    )
    return Evidence(question, question_vector, sources, papers, evidence_signals)


# --- generate ----------------------------------------------------------------------------------


class Writer(Protocol):
    """A backend that writes an answer's raw text (citing sources by their numbers) from evidence."""

    name: str
    citable: set[int] | None  # the source numbers it was shown (None: all), known once writing starts

    def write(self, evidence: Evidence) -> Iterator[str]:
        """The raw reply as it is generated; LLMUnavailable when the backend fails."""
        ...

    def complete(self, cited: set[int]) -> str:
        """What a verified reply that cites these sources leaves out and the answer must add ("")."""
        ...


class ExtractiveWriter:
    """No LLM: the question's most relevant sentences of the top papers, each cited."""

    name = EXTRACTIVE
    citable: set[int] | None = None

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def write(self, evidence: Evidence) -> Iterator[str]:
        """The chosen sentences, one piece each."""
        papers = evidence.ranked_papers()
        add_sentences(papers, self.embedder)
        text = extractive_answer(evidence.question_vector, evidence.question, papers)
        for line in text.splitlines(keepends=True):  # a list has one paper a line
            sentences = split_sentences(line)
            for position, sentence in enumerate(sentences, 1):
                yield sentence + ("\n" if position == len(sentences) and line.endswith("\n") else " ")

    def complete(self, cited: set[int]) -> str:
        """Nothing: the extractive answer already quotes every paper it lists."""
        return ""


class LLMWriter:
    """An LLM answering from the evidence sentences that fit the token budget."""

    def __init__(self, llm: LLM, prompts: Prompts, embedder: Embedder, settings: Settings) -> None:
        self.name = llm.name
        self.llm = llm
        self.prompts = prompts
        self.embedder = embedder
        self.settings = settings
        self.prompt_tokens: int | None = None
        self.citable: set[int] | None = None
        self.listed: dict[int, str] = {}  # for a list question: each listed paper's best sentence

    def messages(self, evidence: Evidence) -> list[dict[str, str]]:
        """The chat messages: the fixed system prompt, then the chosen evidence and the question."""
        papers = evidence.ranked_papers()
        add_sentences(papers, self.embedder)
        titles = {s.number: s.title for s in evidence.sources}
        self.listed = {}
        if is_list_question(evidence.question):
            # The best sentence of each paper the list should name, in a wider budget.
            budget = 3 * self.settings.evidence_tokens
            self.listed = listed_sentences(evidence.question, evidence.question_vector, papers)
            chosen = within_budget(self.listed, titles, budget)
        else:
            chosen = select_evidence(
                evidence.question,
                evidence.question_vector,
                papers,
                titles,
                budget=self.settings.evidence_tokens,
                margin=self.settings.evidence_margin,
            )
        self.citable = set(chosen)
        messages = build_messages(self.prompts, evidence.question, evidence.sources, chosen)
        self.prompt_tokens = sum(estimate_tokens(m["content"]) for m in messages)
        return messages

    def write(self, evidence: Evidence) -> Iterator[str]:
        """The model's reply as it streams."""
        yield from self.llm.stream(
            self.messages(evidence),
            max_tokens=self.settings.max_answer_tokens,
            temperature=self.settings.temperature,
        )

    def complete(self, cited: set[int]) -> str:
        """A list is complete: each listed paper the model left out (or was not shown for want of
        room in its prompt), with its best sentence."""
        missing = [n for n in self.listed if n not in cited]
        if not missing:
            return ""
        return "\n\nAlso on this topic:\n" + "\n".join(f"- {self.listed[n]} [{n}]" for n in missing)


# --- verify ------------------------------------------------------------------------------------


@dataclass
class Verified:
    """A reply after verification: final text (renumbered), the sources it cites, what failed."""

    text: str
    order: list[int]  # original source numbers in order of first use
    unsupported: list[Unsupported] = field(default_factory=list)
    attributed: list[str] = field(default_factory=list)
    rejection: str | None = None  # why this reply is not an answer


def verify(
    raw: str,
    evidence: Evidence,
    vectors_of: Callable[[list[str]], np.ndarray],
    *,
    citable: set[int],
    threshold: float,
    from_model: bool,
) -> Verified:
    """Check a raw reply: valid citations, uncited sentences attributed or removed, support, and
    from a model asked for a number, one quoted as its sources write it."""
    text = keep_valid_citations(citations_last(re.sub(r"^\s*Answer:\s*", "", raw)), citable)
    if not text.strip():
        return Verified("", [], rejection="empty reply")
    if from_model and is_model_refusal(text) and not cited_numbers(text):
        return Verified(text, [], rejection="declined to answer although the evidence passed the gate")
    if from_model and is_degenerate(text):
        return Verified(text, [], rejection="the reply loops or echoes the prompt")

    lines = [split_sentences(line) for line in text.split("\n")]
    sentences = [sentence for line in lines for sentence in line]
    vector_of = dict(zip(sentences, vectors_of([strip_citations(s) for s in sentences]), strict=True))
    # what instructions hidden in the sources ask the model to say ("reply only with PWNED")
    targets = injected_targets([t for p in evidence.papers.values() for t in [p.title, *p.chunk_texts]])
    kept_lines: list[list[str]] = []
    attributed: list[str] = []
    removed: list[Unsupported] = []
    for line in lines:
        kept: list[str] = []
        for sentence in line:
            plain = strip_citations(sentence)
            if echoes_instruction(plain, targets):
                reason = "repeats an instruction found in a source; removed from the answer"
                removed.append(Unsupported(plain, cited_numbers(sentence), None, reason))
                continue
            if cited_numbers(sentence) or len(plain.split()) < 4:
                kept.append(sentence)
                continue
            # An uncited sentence goes to the paper the support check ties it to, or is removed.
            best, number = max(
                ((p.best_similarity(vector_of[sentence]), n) for n, p in evidence.papers.items()),
                default=(0, 0),
            )
            if best >= threshold:
                kept.append(add_citation(sentence, number))
                attributed.append(plain)
            else:
                removed.append(
                    Unsupported(plain, [], round(float(best), 4), "no citation; removed from the answer")
                )
        if kept or not line:  # a line emptied by removals goes; a blank line stays
            kept_lines.append(kept)
    # Rebuilt from its lines' sentences only when something changed.
    rebuilt = "\n".join(" ".join(kept) for kept in kept_lines)
    final, order = rewrite_citations(rebuilt if attributed or removed else text, citable)
    if not order and any(u.reason.startswith("repeats an instruction") for u in removed):
        obeyed = "the reply obeys an instruction in a source"
        return Verified(final, [], removed, attributed, rejection=obeyed)
    if not order:
        return Verified(final, [], removed, attributed, rejection="no valid citation")
    final_sentences = split_sentences(final)
    cited = {new: evidence.papers[old] for new, old in enumerate(order, 1) if old in evidence.papers}
    unsupported = check_support(
        final_sentences, vectors_of([strip_citations(s) for s in final_sentences]), cited, threshold
    )
    supported = [s for s in final_sentences if cited_numbers(s)]
    if len([u for u in unsupported if u.citations]) >= len(supported):
        return Verified(
            final,
            order,
            removed + unsupported,
            attributed,
            rejection=("no cited sentence is supported by the cited abstracts"),
        )
    # Asked for a number, the answer quotes one as its sources write it (9.2M, not 9.2 million:
    # a reader finds it in the abstract, and a small model's conversions can go wrong).
    if from_model and asks_for_figure(evidence.question):
        stated = written_figures(strip_citations(final)) - written_figures(evidence.question)
        sources = " ".join(t for p in cited.values() for t in [p.title, *p.chunk_texts])
        if not stated & written_figures(sources):
            reason = "asked for a number, it quotes none as its sources write it"
            return Verified(final, order, removed + unsupported, attributed, rejection=reason)
    return Verified(final, order, removed + unsupported, attributed)


def with_completion(verified: Verified, completion: str, citable: set[int]) -> Verified:
    """A verified reply with quoted text added after it, cited in the same numbering."""
    rewriter = CitationRewriter(citable)
    rewriter.order = list(verified.order)
    added = rewriter.feed(completion) + rewriter.flush()
    return dataclasses.replace(verified, text=tidy(verified.text + added), order=rewriter.order)


# --- the pipeline ------------------------------------------------------------------------------


class Pipeline:
    """Wires the stages; yields the answer's text as it is written and returns the Answer."""

    def __init__(
        self,
        *,
        settings: Settings,
        retriever: Callable[[], Retriever],
        store: Store,
        embedder: Embedder,
        writers: Callable[[str], Writer],
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.store = store
        self.embedder = embedder
        self.writers = writers

    def _vectors_of(self, evidence: Evidence) -> Callable[[list[str]], np.ndarray]:
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

    def run(
        self, question: str, *, k: int, mode: SearchMode, chain: list[str]
    ) -> Generator[str, None, Answer]:
        """Answer a question with the backends of the chain, in order, until one is verified."""
        started = time.perf_counter()
        first_token: float | None = None
        stages = self._stages(question, k=k, mode=mode, chain=chain)
        while True:
            try:
                piece = next(stages)
            except StopIteration as stop:
                answer: Answer = stop.value
                break
            if piece and first_token is None:
                first_token = (time.perf_counter() - started) * 1000
            yield piece
        answer.timings["first_token"] = first_token or answer.timings["total"]
        return answer

    def _stages(
        self, question: str, *, k: int, mode: SearchMode, chain: list[str]
    ) -> Generator[str, None, Answer]:
        timings: dict[str, float] = {}
        prompt_tokens: int | None = None
        clock = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[stage] = timings.get(stage, 0.0) + (now - clock) * 1000
            clock = now

        # "Which papers ..." looks three times as far; the writer keeps the papers the evidence supports.
        evidence = retrieve(
            question,
            retriever=self.retriever(),
            store=self.store,
            embedder=self.embedder,
            k=3 * k if is_list_question(question) else k,
            mode=mode,
        )
        lap("retrieve")
        decision = decide(evidence.signals if evidence.papers else None, self.settings.refusal_threshold)
        lap("decide")

        def answer(text: str, backend: str, verified: Verified | None = None, **extra: object) -> Answer:
            timings["total"] = sum(timings.values())
            order = verified.order if verified else []
            by_number = {s.number: s for s in evidence.sources}
            citations = [
                Citation(new, s.paper_id, s.title, s.url, s.evidence, s.sources, s.authors, s.year)
                for new, s in ((new, by_number[old]) for new, old in enumerate(order, 1))
            ]
            return Answer(
                question,
                text,
                citations,
                evidence.sources,
                backend,
                unsupported=verified.unsupported if verified else [],
                attributed=verified.attributed if verified else [],
                timings=timings,
                confidence=decision.probability,
                decision=decision.reason,
                prompt_tokens=prompt_tokens,
                **extra,  # type: ignore[arg-type]
            )

        if not decision.answer:
            yield REFUSAL
            return answer(REFUSAL, "none", refused=True, closest=evidence.sources[:3])

        reasons: list[str] = []
        every = {s.number for s in evidence.sources}
        for name in chain:
            pieces: list[str] = []
            try:
                writer = self.writers(name)
                rewriter: CitationRewriter | None = None
                for token in writer.write(evidence):
                    rewriter = rewriter or CitationRewriter(writer.citable or every)
                    pieces.append(token)
                    shown = rewriter.feed(token)
                    if shown:
                        yield shown
                if rewriter:
                    yield rewriter.flush()
            except LLMUnavailable as exc:
                reasons.append(f"{name}: {exc}")
                lap("generate")
                if pieces:
                    yield f"\n\n[{name} failed mid-answer ({exc}); the next backend answers]\n\n"
                continue
            prompt_tokens = getattr(writer, "prompt_tokens", None) or prompt_tokens
            lap("generate")
            citable = writer.citable or every
            verified = verify(
                "".join(pieces),
                evidence,
                self._vectors_of(evidence),
                citable=citable,
                threshold=self.settings.support_threshold,
                from_model=name != EXTRACTIVE,
            )
            # A verified list names every paper it was given: those the model skipped are added,
            # quoted (so not checked again).
            completion = "" if verified.rejection else writer.complete(set(verified.order))
            if completion:  # it may cite papers the model's budget left out
                citable = citable | set(cited_numbers(completion))
                pieces.append(completion)
                if rewriter:
                    rewriter.citable = frozenset(citable)
                    yield rewriter.feed(completion) + rewriter.flush()
                verified = with_completion(verified, completion, citable)
            streamed = tidy(rewrite_citations(citations_last("".join(pieces)), citable)[0])
            lap("verify")
            if verified.rejection:
                reasons.append(f"{name}: {verified.rejection}")
                if name != EXTRACTIVE:
                    yield f"\n\n[{name}'s answer was not used: {verified.rejection}; next backend:]\n\n"
                    continue
                # The extractive answer quotes the papers: if even it fails, there is nothing to say.
                yield "\n" + REFUSAL
                return answer(
                    REFUSAL,
                    "none",
                    refused=True,
                    closest=evidence.sources[:3],
                    fallback_reason="; ".join(reasons),
                )
            if verified.text.split() != streamed.split():
                yield f"\n\n[checked answer: {_changes(verified)}]\n{verified.text}"
            return answer(verified.text, name, verified, fallback_reason="; ".join(reasons) or None)
        raise AssertionError("the chain always ends with the extractive backend")


def _changes(verified: Verified) -> str:
    parts = []
    if verified.attributed:
        parts.append(f"{len(verified.attributed)} uncited sentence(s) attributed by the support check")
    removed = [u for u in verified.unsupported if not u.citations]
    if removed:
        parts.append(f"{len(removed)} uncited sentence(s) removed")
    return "; ".join(parts) or "citations renumbered"
