"""Gathering evidence for a query: the papers found, numbered, with every chunk, its vector and the
signals the decision weighs. Answering is a separate step (answerer.py), so evidence can be reused."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypedDict

import numpy as np

from .answer import Source
from .citations import PaperText
from .config import RetrievalSettings, SearchMode
from .decide import Signals, gather_signals, title_terms, wordpiece_name_test
from .embeddings import Embedder
from .errors import InputError, NoMatchError
from .library.filters import NO_FILTER, Filter, Filters, Scope, as_filter
from .library.keyword import KeywordIndex, tokenize
from .library.library import Library
from .library.store import Store, merge_chunks
from .query import Query, parse, parse_question
from .retrieve import Retriever, SearchHit
from .topic import (
    SHORT_TOPIC_TERMS,
    TOPIC_COVERAGE,
    acronym_terms,
    alternatives,
    compounded_only,
    coverage,
    covers_each,
    defined_acronyms,
    dwells_on,
    long_forms,
    on_topic,
    titled,
)

# "Which papers ..." looks this many times as far as -k; the list keeps the papers the evidence supports.
LIST_BREADTH = 3
SIDE_DEPTH = 5  # the papers searched for each side of a comparison, to find the one its title names
# A name asked in passing chooses the answering paper only when at most this many papers of the
# collection write it (a review's probe of 153 questions naming things in passing: "efficientnets"
# and "nsfw" chose the right paper, "llms", "imagenet", "gpu" and "chatgpt" an off-topic one)
RARE_NAME_PAPERS = 3


class SearchOptions(TypedDict, total=False):
    """How a question is searched, as `Assistant.search`, `gather`, `stream` and `ask` take it."""

    k: int | None  # papers to gather (default: the setting)
    mode: SearchMode | None  # dense, keyword or hybrid (default: the setting)
    filters: Filters  # which papers may answer


@dataclass
class Evidence:
    """What retrieval found for a query: numbered sources and their texts and vectors."""

    query: Query
    question_vector: np.ndarray
    sources: list[Source]  # the retrieved papers, numbered from 1 in ranking order
    papers: dict[int, PaperText]  # their texts, by source number
    signals: Signals
    retrieve_ms: float = 0.0  # set by the Gatherer, which times the whole retrieval
    in_scope: int | None = None  # how many papers the query's filter lets through (None: no filter)
    sides: dict[int, str] = field(default_factory=dict)  # a comparison's papers: source number -> side
    unseen: frozenset[str] = frozenset()  # the question's terms that no paper of the collection writes
    unseen_names: frozenset[str] = frozenset()  # those of them that look like names (AWQ), not words
    like: str = ""  # the title of the paper a list of papers like it is like (Query.like)
    # the question's terms that look like names (humaneval, gsm8k) and that papers found write as names
    asked_names: frozenset[str] = frozenset()
    # those that choose the paper answering: of what a definition asks about ("distilbert"), or
    # rare in the collection ("efficientnets"; not "llms" nor "imagenet", asked in passing)
    choosing_names: frozenset[str] = frozenset()
    # for "how many papers ...?" without a filter: how many papers of the collection write every word
    # of its topic (a list names the most relevant the search found, which may be fewer)
    writing: int | None = None

    def sides_named(self, at_least: int = 2) -> bool:
        """Whether a comparison found each paper it found (at least that many) by the name its title
        writes."""
        return len(self.sides) >= at_least and all(
            folded(side) in folded(self.sources[number - 1].paper.title)
            for number, side in self.sides.items()
        )

    def unfound_sides(self) -> list[str]:
        """The sides a comparison names, no paper found for, with a name no paper of the collection
        writes ("AWQ quantization" of "how do GPTQ and AWQ quantization differ?"; not a topic,
        "traditional quantization", nor a paper the search missed, as it writes its own name)."""
        if len(self.query.sides) < 2:
            return []
        labels = self.sides.values()  # a side's name as its paper is labelled ("GIM" of "GIM on ImageNet")
        return [
            side
            for side in self.query.sides
            if not any(side == n or side.startswith(f"{n} ") for n in labels)
            and set(tokenize(side)) & self.unseen_names
        ]

    def off_topic(self) -> bool:
        """Whether the query is a list whose topic no paper found is on (topic.on_topic; for things
        to combine, on each of them)."""
        terms = len(self.query.terms)
        return (
            self.query.is_list
            and not self.like
            and not any(on_topic(p.covered, terms) and p.joins for p in self.papers.values())
        )

    def topic_words(self) -> tuple[str, ...]:
        """A list's topic as written, the words a paper on it writes (`topic_words`)."""
        return topic_words(self.query.search)

    def topic_is_a_name(self) -> bool:
        """Whether the query is a list whose short topic is a name the papers write (HumanEval, GSM8K:
        no word of the embedder's vocabulary, so the dense search finds it weakly) and a paper found
        covers all of it: the papers writing it are what the list asks for."""
        return (
            self.query.is_list
            and not self.like
            and bool(self.asked_names)
            and len(self.query.terms) <= SHORT_TOPIC_TERMS
            and any(p.covered >= TOPIC_COVERAGE and p.joins for p in self.papers.values())
        )

    def field_titled(self) -> bool:
        """Whether the query is a list on a field that several papers found name in their titles
        (topic.titled), however common its words."""
        named = [p.named for p in self.papers.values()]
        return self.query.is_list and not self.like and titled(named, len(self.query.terms))

    def passage(self, number: int) -> str:
        """A source's text an answer draws on: its chunks joined (the sentence cited may be in any)."""
        paper = self.papers.get(number)
        return merge_chunks(paper.chunk_texts) if paper else self.sources[number - 1].evidence

    def ranked_papers(self) -> list[PaperText]:
        """The papers in source order."""
        return [self.papers[n] for n in sorted(self.papers)]

    def numbers(self) -> frozenset[int]:
        """Every source number (what a reply may cite when its writer saw all the sources)."""
        return frozenset(s.number for s in self.sources)

    def narrowed(self, paper_ids: Collection[str]) -> Evidence:
        """The same evidence (its query, signals and numbers) with only these papers' sources; itself
        when none of them was found. Pinned papers rank first, so theirs are the numbers 1..m."""
        kept = [s for s in self.sources if s.paper.paper_id in paper_ids]
        if not kept or len(kept) == len(self.sources):
            return self
        numbers = {s.number for s in kept}
        papers = {n: text for n, text in self.papers.items() if n in numbers}
        sides = {n: side for n, side in self.sides.items() if n in numbers}
        return replace(self, sources=kept, papers=papers, sides=sides)


# what a topic calls the work it asks for ("neural architecture search methods"), which its papers
# need not write
_WORK_WORDS = frozenset({"method", "methods", "approach", "approaches", "technique", "techniques"})


def topic_words(topic: str) -> tuple[str, ...]:
    """A list's topic as written, the words with a term each ("diffusion", "models"), not what it
    calls the work ("methods")."""
    words = (word.strip("\"'()[],;:?!.") for word in topic.split())
    return tuple(w for w in words if tokenize(w) and w.casefold() not in _WORK_WORDS)


def depth(query: Query, k: int) -> int:
    """How many papers to retrieve for a query whose answer draws on k."""
    return LIST_BREADTH * k if query.is_list else k


def gather(
    query: Query,
    *,
    retriever: Retriever,
    store: Store,
    embedder: Embedder,
    papers: int,
    mode: SearchMode,
    pinned: Sequence[str] = (),
) -> Evidence:
    """Search that many papers (for a list, by its topic; `pinned` ones first), then fetch every
    chunk and vector of each; the query as `resolved` (which the caller does first: a lookup may
    turn out a list, of another depth)."""
    like = _paper_named(query.like, retriever, mode) if query.like else None
    if query.like and like is None:
        query = replace(query, like="")  # not a paper's name: a list on that topic
    if like is not None:
        # k of them, all listed: `depth` widened k for a list, whose model keeps the papers on topic
        hits, question_vector = _papers_like(like, retriever, store, max(1, papers // LIST_BREADTH), mode)
    else:
        # A list's topic is searched with the long form of any acronym it writes ("rl": reinforcement
        # learning); the evidence is weighed against the question as typed.
        searched = retriever.expand(query.search) if query.is_list else query.search
        vectors = embedder.embed([query.search] if searched == query.search else [query.search, searched])
        question_vector = vectors[0]
        hits = retriever.search(searched, k=papers, mode=mode, vector=vectors[-1], pinned=pinned)
    hits, sides = _with_sides(query, hits, retriever, papers, mode)
    chunks = store.chunks_of([h.paper.paper_id for h in hits])
    texts = {
        number: PaperText(
            number,
            [c.text for c, _ in chunks[hit.paper.paper_id]],
            np.stack([v for _, v in chunks[hit.paper.paper_id]]),
            hit.paper.title,
        )
        for number, hit in enumerate(hits, 1)
        if chunks.get(hit.paper.paper_id)
    }
    sources = [Source(n, h.paper, h.score, h.evidence) for n, h in enumerate(hits, 1)]
    naming, beyond = _naming_terms(query, hits, retriever)
    signals = _signals(query, hits, texts, question_vector, retriever, embedder, naming)
    _ask_beyond_names(query, texts, naming, beyond, embedder)
    # a name written run together ("powerscheduler") is no paper's word, but it names one
    unseen = frozenset(retriever.keyword.unseen(query.text)).difference(*naming.values())
    name_like = wordpiece_name_test(embedder.count_tokens)
    like_title = like.paper.title if like is not None else ""
    asked_names = frozenset(
        t for t in query.terms - unseen if name_like(t) and _written_as_name(t, texts.values())
    )
    defined = frozenset(tokenize(query.defined))
    choosing = frozenset(
        t for t in asked_names if t in defined or retriever.keyword.papers_writing(t) <= RARE_NAME_PAPERS
    )
    # a count of the whole collection only where the topic is all its words must be written: not a
    # filter's scope, papers asked about, what a list excludes, nor either side of an "or"
    counting = (
        query.counted_as
        and not (query.filters or query.among or query.excluded)
        and not re.search(r"\bor\b", query.search, re.IGNORECASE)
    )
    writing = retriever.keyword.papers_writing(" ".join(topic_words(query.search))) if counting else None
    return Evidence(
        query,
        question_vector,
        sources,
        texts,
        signals,
        sides=sides,
        unseen=unseen,
        unseen_names=frozenset(filter(name_like, unseen)),
        like=like_title,
        asked_names=asked_names,
        choosing_names=choosing,
        writing=writing,
    )


_THE_PAPER = re.compile(r"^the\s+(.+?)(?:\s+(?:paper|work|article))?$", re.IGNORECASE)


def _paper_named(name: str, retriever: Retriever, mode: SearchMode) -> SearchHit | None:
    """The paper a name calls ("the FYI paper" too), by its short name, its title or the title's
    head before a colon; None when it calls none."""
    for written in dict.fromkeys([name, _THE_PAPER.sub(r"\1", name)]):
        named = retriever.named(written)
        for hit in retriever.search(written, k=3, mode=mode):
            title, head = hit.paper.title, hit.paper.title.split(":", 1)[0]
            if hit.paper.paper_id in named or folded(written) in (folded(title), folded(head)):
                return hit
    return None


def _papers_like(
    paper: SearchHit, retriever: Retriever, store: Store, papers: int, mode: SearchMode
) -> tuple[list[SearchHit], np.ndarray]:
    """The papers most like one, searched by its whole text and the mean of its chunks' vectors
    (the paper left out), with that vector: what their sentences are weighed against."""
    chunks = store.chunks_of([paper.paper.paper_id])[paper.paper.paper_id]
    mean = np.mean([vector for _, vector in chunks], axis=0)
    vector = mean / (np.linalg.norm(mean) or 1.0)
    text = f"{paper.paper.title}. {merge_chunks([chunk.text for chunk, _ in chunks])}"
    hits = retriever.search(text, k=papers + 1, mode=mode, vector=vector)
    return [h for h in hits if h.paper.paper_id != paper.paper.paper_id][:papers], vector


def folded(text: str) -> str:
    """Text as a name is matched: lower case, letters and digits only."""
    return re.sub(r"[\W_]+", "", text.casefold())


def resolved(query: Query, retriever: Retriever, mode: SearchMode) -> Query:
    """A question asking which is better ("is A better than B?") as a comparison when each side names
    a paper of the collection, by a short name or its whole title (a chat writes a paper in so);
    else as it reads ("does X outperform the baselines?": yes or no). A question in a list's form
    about what a paper it names has ("what datasets does Panda-70M use?") as a question about it."""

    def names_a_paper(side: str) -> bool:
        if retriever.named(side):
            return True
        return any(folded(side) == folded(h.paper.title) for h in retriever.search(side, k=1, mode=mode))

    if query.side_papers:  # a chat's follow-up about papers it knows
        return query
    if query.rivals and all(names_a_paper(side) for side in query.rivals):
        return replace(query, kind="comparison", sides=query.rivals, rivals=())
    if query.owner and _names_first(query.text, query.owner, retriever):
        return parse(query.text, query.filters, list_form=False)  # about the paper it names first
    if query.findings_of and _paper_named(query.findings_of, retriever, mode) is None:
        return findings_listed(query)
    return query


def findings_listed(query: Query) -> Query:
    """The findings of a topic no paper is called ("what are the main findings on dataset
    distillation?"): a list of the papers on it, each with what it found."""
    listed = parse(f"which papers are about {query.findings_of}?", query.filters)
    return replace(listed, text=query.text, findings=True)


def _names_first(text: str, owner: str, retriever: Retriever) -> bool:
    """Whether a list's form names a paper first where it asks what it has ("what datasets does five
    use?": five), read in the whole question (a name of ordinary words counts by how it is asked)."""
    at = text.find(owner)
    if at < 0:  # written otherwise than asked ("can you tell me ...")
        return any(m.start == 0 for m in retriever.name_matches(owner))
    return any(m.start == at for m in retriever.name_matches(text))


def _with_sides(
    query: Query, hits: list[SearchHit], retriever: Retriever, papers: int, mode: SearchMode
) -> tuple[list[SearchHit], dict[int, str]]:
    """For a comparison, each side's paper put first (the others of the question's search follow):
    the paper a chat knows it is, else the first found by searching the side on its own; the source
    number of each side's paper, with the side. A side no paper writes a word of has none."""
    if len(query.sides) < 2:
        return hits, {}
    # known (and pinned, so among the hits) when a chat knows the paper, else ""
    known = dict(zip(query.sides, query.side_papers, strict=True)) if query.side_papers else {}
    by_id = {h.paper.paper_id: h for h in hits}
    first: dict[str, tuple[str, SearchHit]] = {}
    for side in query.sides:
        if known.get(side):
            if known[side] in by_id:
                first[known[side]] = (side, by_id[known[side]])
        elif found := _searched_side(side, retriever, mode, taken=set(first) | set(known.values())):
            first[found[1].paper.paper_id] = found
    rest = [h for h in hits if h.paper.paper_id not in first]
    merged = [*(hit for _, hit in first.values()), *rest][: max(papers, len(first))]
    sides = {n: first[h.paper.paper_id][0] for n, h in enumerate(merged, 1) if h.paper.paper_id in first}
    return merged, sides


def _searched_side(
    written: str, retriever: Retriever, mode: SearchMode, taken: Collection[str]
) -> tuple[str, SearchHit] | None:
    """The paper a side is, found by searching it on its own (none of the `taken` ones, another
    side's): the side's name and the paper's hit; None when no paper found is it."""
    side = _name_of(written, retriever)
    terms = retriever.keyword.query_terms(side)
    if terms and len(retriever.keyword.unseen(side)) == len(terms):
        return None  # no paper writes it ("awq"): another paper quoted under its name would mislead
    found = [h for h in retriever.search(side, k=SIDE_DEPTH, mode=mode) if h.paper.paper_id not in taken]
    # of the papers found for a side, one whose title writes it ("One for All: ...") comes first
    hit = next((h for h in found if folded(side) in folded(h.paper.title)), None)
    if hit is None:
        # a side naming no paper is a topic ("speculative decoding"): a paper on it, not one
        # sharing a word of it (brain decoding)
        on_it = found if retriever.named(side) else [h for h in found if _covers(side, h, retriever)]
        hit = next(iter(on_it), None)
    return (side, hit) if hit is not None else None


def _covers(side: str, hit: SearchHit, retriever: Retriever) -> bool:
    """Whether a paper's title and best passage cover TOPIC_COVERAGE of a side's terms (by rarity, any
    form), however many (a side is a short topic; a list's longer topic is read by meaning); a side
    without terms is covered by any paper."""
    keyword = retriever.keyword
    weights = {term: keyword.idf(term) for term in keyword.query_terms(side)}
    words = set(tokenize(hit.paper.title)) | set(tokenize(hit.evidence))
    return not weights or coverage(weights, [set(weights)], words, forms=True) >= TOPIC_COVERAGE


# what may follow a paper's name in a side: "B on LLaMA" of "compare the results of A and B on LLaMA"
_QUALIFIER = re.compile(r"\s+(?:on|in|with|for|at|under|across|when|using)\s+(?=\S)", re.I)


def _name_of(side: str, retriever: Retriever) -> str:
    """A side as the paper's name it starts with, when what follows qualifies it ("quantease on
    llama": quantease; "one for all on imagenet": one for all); else the side as written."""
    if any(m.start == 0 and m.end == len(side) for m in retriever.name_matches(side)):
        return side
    for qualifier in _QUALIFIER.finditer(side):
        head = side[: qualifier.start()]
        if any(m.start == 0 and m.end == len(head) for m in retriever.name_matches(head)):
            return head
    return side


def _signals(
    query: Query,
    hits: list[SearchHit],
    papers: dict[int, PaperText],
    question_vector: np.ndarray,
    retriever: Retriever,
    embedder: Embedder,
    naming: dict[int, set[str]],
) -> Signals:
    """How much the question names each paper and its text covers (set on the papers), and the
    signals of the decision; `naming`: the question's terms calling a top paper by its short name."""
    listing = query.is_list
    keyword = retriever.keyword
    weights = {term: keyword.idf(term) for term in keyword.query_terms(query.search)}
    # A paper that writes a phrase of the question as an acronym the papers define (NAS) uses it.
    defined = defined_acronyms(
        query.acronyms, [text for paper in papers.values() for text in paper.chunk_texts]
    )
    titles = {
        number: title_terms(hit.paper.title, keyword) | acronym_terms(hit.paper.title, defined)
        for number, hit in enumerate(hits, 1)
    }
    words = {
        number: titles[number].union(
            *(tokenize(text) for text in paper.chunk_texts),
            *(acronym_terms(text, defined) for text in paper.chunk_texts),
        )
        for number, paper in papers.items()
    }
    # The words naming a top paper by its short name ("ZeRO", "powerscheduler" for Power Scheduler:
    # the name index, which ranked it first) weigh as a rare word's, however common, and are its
    # title's, however written.
    rarest = keyword.idf("\0")
    for number, terms in naming.items():
        titles[number] |= terms
        if number in words:  # a hit whose chunks were fetched
            words[number] |= terms
        for term in terms & set(weights):
            weights[term] = max(weights[term], rarest)
    # How much the question names each paper, and its text covers. A list's topic may be covered
    # through one side of an "or", in any form of its words, and an acronym by its long form
    # ("reinforcement learning" for rl); calibrated on list questions only.
    if listing:
        spelled = long_forms(weights, keyword.glossary)
        for terms in (*titles.values(), *words.values()):
            terms |= {acronym for acronym, parts in spelled.items() if parts <= terms}
    term_sets = alternatives(query.search, set(weights)) if listing else [set(weights)]
    sides = [set(keyword.query_terms(side)) & set(weights) for side in query.joint]
    # each thing a list excludes, in its forms: as written, and an acronym's long form ("llms")
    unwanted = [
        [
            {t: keyword.idf(t) for t in terms}
            for terms in (set(keyword.query_terms(side)), *_spelled(side, keyword))
        ]
        for side in query.excluded
    ]
    for number, paper in papers.items():
        paper.named = coverage(weights, term_sets, titles[number], forms=listing)
        covering = words[number]
        if listing:
            covering = covering - compounded_only([paper.title, *paper.chunk_texts], set(weights))
        paper.covered = coverage(weights, term_sets, covering, forms=listing)
        paper.called = number in naming
        paper.joins = covers_each(weights, sides, words[number]) and not any(
            dwells_on(forms, paper.title, merge_chunks(paper.chunk_texts)) for forms in unwanted
        )
    name_like = wordpiece_name_test(embedder.count_tokens)
    return gather_signals(question_vector, hits, papers, weights, titles, words, keyword, name_like)


# a link in an abstract: a name in it ("github.com/...", "https://laion.ai/...") is no mention of the name
LINK = re.compile(r"\S+\.(?:com|org|io|net|ai|edu)\S*|https?://\S+", re.IGNORECASE)
NAME_FORM = re.compile(r"^.+[A-Z]|\d")  # HumanEval, GSM8K, MMLU; not "overfitting", nor "Dropout"


def _written_as_name(term: str, papers: Iterable[PaperText]) -> bool:
    """Whether the papers write a term as a name is written: with a capital past its first letter or
    a digit (HumanEval, GSM8K), outside a link (not "github.com/...")."""
    for paper in papers:
        for text in paper.chunk_texts:
            for word in LINK.sub(" ", text).split():
                if term in tokenize(word) and NAME_FORM.search(word.strip("()[],.;:")):
                    return True
    return False


def _spelled(side: str, keyword: KeywordIndex) -> list[set[str]]:
    """The long forms' terms of the acronyms a side writes that the papers define ("llms": large,
    language, model)."""
    terms = set(keyword.query_terms(side))
    return [
        spelled for spelled in long_forms(dict.fromkeys(terms, 0.0), keyword.glossary).values() if spelled
    ]


def _naming_terms(
    query: Query, hits: list[SearchHit], retriever: Retriever
) -> tuple[dict[int, set[str]], dict[int, str]]:
    """The question's terms that name one of the top three papers by its short name, by number;
    and, by the same number, what the question asks beyond that name (its words cut out)."""
    numbers = {hit.paper.paper_id: number for number, hit in enumerate(hits[:3], 1)}
    naming: dict[int, set[str]] = {}
    beyond: dict[int, str] = {}
    for match in retriever.name_matches(query.search):
        if match.paper_id in numbers:
            number = numbers[match.paper_id]
            words = query.search[match.start : match.end]
            terms = set(retriever.keyword.query_terms(words)) | set(tokenize(words))
            naming.setdefault(number, set()).update(terms)
            asked = beyond.get(number, query.search)
            beyond[number] = asked.replace(words, " ", 1)
    return naming, beyond


def _ask_beyond_names(
    query: Query,
    papers: dict[int, PaperText],
    naming: dict[int, set[str]],
    beyond: dict[int, str],
    embedder: Embedder,
) -> None:
    """For a question asking a detail of a paper it calls by name (`_asks_detail`: "how fast is
    magic 1-for-1?", "what models does model soups fine-tune?", "what loss does clip-reident
    use?"), the paper's sentences are weighed against what it asks beyond the name as much as
    against the whole question: the name alone would pick the sentence presenting the paper, not
    the one that answers; "how is X evaluated?" too, whatever words it asks in. Not for a list, nor
    for a question about the paper as a whole (its gist, what it is, found or addresses, an aspect,
    what its name stands for), answered in their ways."""
    whole = query.summary or query.definition or query.findings or query.wants_problem
    if query.is_list or whole or query.aspect or query.stands_for:
        return
    asked = {
        number: text
        for number, text in beyond.items()
        if number in papers and _asks_detail(query, text, naming[number], papers[number])
    }
    if not asked:
        return
    vectors = embedder.embed(list(asked.values()))
    for (number, _), vector in zip(asked.items(), vectors, strict=True):
        papers[number].name_terms = frozenset(naming[number])
        papers[number].asked_vector = vector


def _asks_detail(query: Query, beyond: str, naming: set[str], paper: PaperText) -> bool:
    """Whether a question asks a detail of a paper it names: an amount, the things it uses, how it
    was evaluated or how fast it is ("is X fast?" too, not "is X faster than Y?"), or, asked as a
    lookup, in a word beyond the name that the paper writes ("what loss does X use?": "loss"; not
    "how does X work?"). Comparisons and other yes/no questions weigh their sides and the sentence
    settling them as before."""
    terms = set(tokenize(beyond)) - naming
    one_speed = query.speed and query.kind != "comparison" and not query.rivals
    if query.quantity or query.instances or query.evaluation or one_speed:
        return bool(terms)
    return query.kind == "lookup" and bool(terms & set(tokenize(" ".join(paper.chunk_texts))))


class Gatherer:
    """Parses questions, searches a library and gathers the evidence, with the retrieval settings."""

    def __init__(self, library: Library, settings: RetrievalSettings) -> None:
        self.library = library
        self.settings = settings
        self._embedder: Embedder | None = None

    @property
    def embedder(self) -> Embedder:
        """The library's embedder, remembering what it embedded (answers reuse the vectors)."""
        if self._embedder is None:
            from .embeddings import CachedEmbedder

            self._embedder = CachedEmbedder(self.library.embedder)
        return self._embedder

    def parse(self, question: str | Query, filters: Filters = None) -> Query:
        """The question parsed once (an empty one is an InputError, a long one cut, saying so),
        carrying the filter given (a Query given keeps its own unless one is)."""
        filters = None if filters is None else as_filter(filters)
        if not isinstance(question, str | Query):
            raise InputError(f"the question must be text, not {type(question).__name__}")
        if isinstance(question, Query):
            if filters is None:
                return question
            return replace(question, filters=question.asked.override(filters))
        query = parse_question(
            question,
            max_chars=self.settings.max_question_chars,
            notify=self.library.notify,
            filters=filters or NO_FILTER,
        )
        return self._recorded(query, filters or NO_FILTER)

    def _recorded(self, query: Query, given: Filter) -> Query:
        """A question on a topic without the part of its own filter no paper records ("papers from
        2024 on X" in a store without years answers X, saying so); the filter given stays as given."""
        if not query.asked or query.catalogue:  # "papers by NAME" asks for that filter's papers
            return query
        self.library.keyword_index()  # a new default store is filled before its records are read
        unrecorded = self.library.unrecorded(query.asked).items()
        missing = {field: said for field, said in unrecorded if field not in given.fields()}
        if not missing:
            return query
        asked = query.asked.without(missing)
        dropped = query.asked.without(asked.fields()).describe()
        said = (
            f"No paper in the store records {' or '.join(missing.values())}: {dropped} "
            f"{'is' if len(missing) == 1 else 'are'} not applied."
        )
        return replace(query, asked=asked, filters=query.filters.without(missing), unapplied=said)

    def scope(self, filters: Filter, asked: Filter = NO_FILTER) -> Scope | None:
        """The chunks a filter lets through (None: no filter); NoMatchError when it lets none, saying
        which part the question's own words wrote (asked)."""
        if not filters:
            return None
        self.library.keyword_index()  # a new default store is filled before it is filtered
        scope = self.library.scope(filters)
        if not scope.chunk_ids:
            read = f" ({asked.describe()} read from the question)" if asked else ""
            missing = self.library.unrecorded(filters).values()
            why = f": no paper in the store records {' or '.join(missing)}" if missing else ""
            raise NoMatchError(f"no paper in the store matches the filter {filters.describe()}{read}{why}")
        return scope

    def retriever(self, filters: Filter = NO_FILTER, asked: Filter = NO_FILTER) -> Retriever:
        """A retriever over the library's current contents (a new default store is filled first),
        searching only what the filter lets through."""
        keyword = self.library.keyword_index()
        s = self.settings
        return Retriever(
            self.library.store,
            self.embedder,
            keyword,
            candidates=s.candidates,
            rrf_k=s.rrf_k,
            scope=self.scope(filters, asked),
        )

    def later(self, query: Query, *, k: int, mode: SearchMode | None = None) -> Callable[[], Evidence]:
        """The evidence for a parsed query, gathered when called; the store is opened and the filter
        checked now, so that their errors are the caller's."""
        self.library.store  # noqa: B018 - opened (and checked) now
        self.scope(query.filters, query.asked)  # so is a filter that matches no paper
        return lambda: self.gather(query, k=k, mode=mode)

    def prepared(
        self,
        question: str | Query,
        *,
        k: int | None = None,
        mode: SearchMode | None = None,
        filters: Filters = None,
    ) -> tuple[Query, int, SearchMode | None]:
        """The question parsed with its filter, and k capped: what `later` gathers from."""
        return self.parse(question, filters), self.cap(k), mode

    def cap(self, k: int | None) -> int:
        """k (default: the setting), capped at what the store holds."""
        if k is not None and (not isinstance(k, int) or isinstance(k, bool) or k < 1):
            raise InputError(f"k is how many papers: a whole number, 1 or more, not {k!r}")
        return self.library.cap(k or self.settings.k, self.settings.candidates)

    def search(
        self,
        text: str,
        *,
        k: int | None = None,
        mode: SearchMode | None = None,
        filters: Filters = None,
    ) -> list[SearchHit]:
        """The papers most relevant to a text as typed, best first, each with its best evidence."""
        query = self.parse(text, filters)
        if query.unapplied:
            self.library.notify(query.unapplied)
        mode = mode or self.settings.mode
        if mode not in ("hybrid", "dense", "keyword"):
            raise InputError(f"unknown search mode {mode!r}: use hybrid, dense or keyword")
        return self.retriever(query.filters, query.asked).search(query.text, k=self.cap(k), mode=mode)

    def gather(
        self,
        question: str | Query,
        *,
        k: int | None = None,
        mode: SearchMode | None = None,
        filters: Filters = None,
        pinned: Sequence[str] = (),
    ) -> Evidence:
        """The evidence for a question, unanswered; the `pinned` papers (by id) ranked first."""
        started = time.perf_counter()
        query = self.parse(question, filters)
        retriever = self.retriever(query.filters, query.asked)  # brings the keyword index up to date
        mode = mode or self.settings.mode
        query = resolved(query, retriever, mode)  # before its depth: a lookup may turn out a list
        evidence = gather(
            query,
            retriever=retriever,
            store=self.library.store,
            embedder=self.embedder,
            papers=depth(query, self.cap(k)),
            mode=mode,
            pinned=pinned,
        )
        evidence.in_scope = retriever.scope.papers if retriever.scope else None
        if query.catalogue and evidence.in_scope is None:  # "how many papers are there?"
            evidence.in_scope = retriever.keyword.papers()
        evidence.retrieve_ms = (time.perf_counter() - started) * 1000
        return evidence
