"""The LLM-free backend: the sentences of the retrieved papers that answer the question, each cited."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import numpy as np

from .budget import SOURCE_TAG_TOKENS, estimate_tokens
from .calibration import load_calibration
from .citations import NAMED, PaperText
from .contribution import (
    CONTRIBUTION,
    PROPOSING,
    background,
    name_written,
    own_names,
    reports_finding,
    reports_outcome,
    writes_name,
)
from .injection import looks_like_instruction
from .library.keyword import tokenize
from .library.names import PIECE, key, title_names, without_article
from .query import Query, without_kind
from .sentences import is_boilerplate, reports_figure, sentence_scores
from .topic import on_topic
from .yesno import first_verdict, topic_terms, verdict

# How far below the best sentence a quoted sentence may score (calibrated on the calibration half of
# benchmarks/dev_questions.jsonl for citation precision, and list recall and precision).
SENTENCE_MARGIN = 0.1  # a second sentence of the paper that answers
MAX_MECHANISM = 2  # sentences after the one presenting a method that say how it works, at most
RANK_PENALTY = 0.1  # per place in the retrieval ranking, when choosing the paper that answers
# How far below a paper's best sentence about its own work a list may go for the sentence saying
# what it contributes (calibration half of the list and overview questions: benchmarks/README.md).
CONTRIBUTION_MARGIN = 0.2


# A sentence stating a paper's key idea as such ("The key idea is simple: ...", "Key contributions
# include ...")
MIN_STATED_WORDS = 6  # words after "the key idea" that say what it is
_KEY_IDEA = re.compile(r"\b(?:key|main|core|central)\s+(?:ideas?|insights?|contributions?)\b", re.IGNORECASE)
# what names a paper's own work right before its name ("an architecture, named Primer, that ...", "we
# call the results "model soups"", "We dub the dataset as Panda-70M", "The resulting framework VQGraph",
# "(we coin as BECLR)"); not another's ("the so-called Hydra heads of early work")
_QUOTE_OPENING = r"[\s,:\"'\u201c\u2018]*$"
_NAMING = re.compile(
    r"\b(?:(?<!so-)(?<!so\s)called|named|dubbed|termed|coined|resulting(?:\s+[\w-]+){0,2}?"
    r"|(?:dub|call|name|term|coin)\w*(?:\s+[\w-]+){0,3}?\s+as"
    rf"|(?:dub|call|name|term)\w*\s+(?:the|this|these|them|it|our)(?:\s+[\w-]+){{0,2}}?){_QUOTE_OPENING}",
    re.IGNORECASE,
)
# ... naming what a sentence before described ("we dub the dataset as", "we call the results", "The
# resulting framework"); not "named the Few-Shot Bot", nor "To reduce the resulting latency, we propose"
_NAMING_BACK = re.compile(
    r"\b(?:resulting(?:\s+[\w-]+){0,2}?|(?:dub|call|name|term|coin)\w*\s+(?:(?:the|this|these)(?:\s+[\w-]+){1,3}?"
    rf"(?:\s+as)?|them|it(?:\s+as)?)){_QUOTE_OPENING}",
    re.IGNORECASE,
)
# what presents the paper's work a few words before its name ("we propose GIM", "we train and openly
# release the Spectra LLM suite"); not another's ("we present experiments to corroborate that BECLR")
_PRESENTS = re.compile(
    r"\b(?:we|this\s+(?:paper|work|study))\b(?:\s+[\w-]+,?){0,3}?\s+(?:propos|introduc|present|develop|design"
    r"|releas|build|built|construct|curat|creat|collect|train)\w*(?:\s+(?!(?:that|which|and|or|with|than|over"
    r"|against|to|like|including|such|from|vs|versus|unlike|outperform\w*|beat\w*|surpass\w*|compar\w*)\b)\S+){0,8}?"
    rf"{_QUOTE_OPENING}",
    re.IGNORECASE,
)
_APPOSITION = re.compile(r"^[\"'\u201d\u2019]?,\s+an?\s")  # "We release ONE-PEACE, a highly extensible model"


def _states_key_idea(sentence: str) -> bool:
    """Whether a sentence states a key idea and what it is ("The key idea is simple: factorize ...",
    not "Our main contributions are threefold.")."""
    match = _KEY_IDEA.search(sentence)
    return match is not None and len(sentence[match.end() :].split()) >= MIN_STATED_WORDS


def _best_sentences(query: Query, question_vector: np.ndarray, paper: PaperText) -> list[tuple[float, int]]:
    """A paper's sentences as (score, position), best first, instructions left out."""
    scored = [
        (score, position)
        for position, score in enumerate(sentence_scores(query, question_vector, paper))
        if not looks_like_instruction(paper.sentences[position])
    ]
    return sorted(scored, key=lambda item: (-item[0], item[1]))


Ranked = dict[int, list[tuple[float, int]]]  # by paper number: its sentences as (score, position)


def ranked_sentences(query: Query, question_vector: np.ndarray, papers: list[PaperText]) -> Ranked:
    """Every paper's sentences best first, for the papers that have any to quote."""
    ranked = {p.number: _best_sentences(query, question_vector, p) for p in papers if p.sentences}
    return {number: sentences for number, sentences in ranked.items() if sentences}


def list_features(ranked: Ranked, papers: list[PaperText]) -> dict[int, dict[str, float]]:
    """Per paper (by number), what tells a relevant paper of a list question from a neighbour."""
    if not ranked:
        return {}
    top = max(sentences[0][0] for sentences in ranked.values())
    covered = max(p.covered for p in papers)
    # How much the title names the topic adds nothing the coverage does not already say (its
    # fitted weight came out negative), so it is not a feature.
    return {
        p.number: {
            "sentence_below_best": ranked[p.number][0][0] - top,
            "coverage_below_best": p.covered - covered,
            "rank_share": (place + 1) / len(papers),  # place in the ranking, as a share of the papers
        }
        for place, p in enumerate(papers)
        if p.number in ranked
    }


def list_members(
    ranked: Ranked, papers: list[PaperText], topical: set[int] | None = None, wanted: int | None = None
) -> list[int]:
    """The numbers of the papers a "which papers ..." answer lists, in ranking order (at least one
    of those `topical`, when any is: the papers on its topic, `topic.on_topic`; default: all); at
    most as many as `wanted` when the question says how many, the most probable."""
    # The "list" model of rag/calibration.json, fitted by benchmarks/calibrate_lists.py on the list
    # questions of the calibration half; its threshold: listed papers 85% relevant, cross-validated.
    # Its features are relative to all the candidates, as fitted, so the topic is applied after.
    model = load_calibration().model("list")
    features = list_features(ranked, papers)
    probability = {n: model.probability(f) for n, f in features.items() if topical is None or n in topical}
    members = [number for number, p in probability.items() if p >= model.threshold]
    if not members and probability:
        members = [max(probability, key=lambda n: probability[n])]
    if wanted is not None:  # the likeliest of them, at most as many as asked for
        likeliest = sorted(members, key=lambda n: -probability[n])[:wanted]
        members = [n for n in members if n in likeliest]  # in ranking order
    return members


def contribution(
    paper: PaperText, ranked: list[tuple[float, int]], terms: frozenset[str] = frozenset()
) -> str:
    """The sentence a list quotes for a paper: what the paper itself contributes, never background
    (the field, earlier work) nor a code or availability note. Of its other sentences, those writing
    a term of the topic if any do, the best that says what it proposes, finds or achieves within
    the margin of the best of them; else that best one; a paper with no other sentence, its best."""
    scene = background(paper)
    own = [(s, p) for s, p in ranked if p not in scene and not is_boilerplate(paper.sentences[p])]
    own = [(s, p) for s, p in own if terms & set(tokenize(paper.sentences[p]))] or own
    if not own:
        return paper.sentences[ranked[0][1]]
    best = own[0][0]
    for score, position in own:
        if score < best - CONTRIBUTION_MARGIN:
            break
        if CONTRIBUTION.search(paper.sentences[position]):
            return paper.sentences[position]
    return paper.sentences[own[0][1]]


def listed_sentences(query: Query, question_vector: np.ndarray, papers: list[PaperText]) -> dict[int, str]:
    """Each paper a "which papers ..." answer lists, in ranking order, with its contribution sentence
    (the findings on a topic: its best finding; a list among given papers: with the sentence that
    settles it, `settling_sentences`; a list of papers like one: all of them)."""
    ranked = ranked_sentences(query, question_vector, papers)
    if query.among:
        return settling_sentences(query, papers, ranked)
    if query.like:  # the papers most like one (evidence._papers_like): each, by likeness
        alike = [p for p in papers if p.number in ranked][: query.wanted]
        return {p.number: contribution(p, ranked[p.number]) for p in alike}
    candidates = [p for p in papers if p.number in ranked]
    by_number = {p.number: p for p in candidates}
    topical = {p.number for p in candidates if on_topic(p.covered, len(query.terms)) and p.joins}
    members = list_members(ranked, candidates, topical, query.wanted)
    if query.findings:  # "what are the main findings on X?": what each paper found
        return {n: finding_sentences(by_number[n], ranked[n], one=True)[0] for n in members}
    return {n: contribution(by_number[n], ranked[n], query.terms) for n in members}


def settling_sentences(query: Query, papers: list[PaperText], ranked: Ranked) -> dict[int, str]:
    """The papers of which the list's topic holds, asked of each as a yes/no question ("which of them
    are training-free?": "are training-free?"), each with its best sentence about its own work (not
    the field's, "Recently, some efforts have been made in text-to-video generation") that settles
    it, else its title (never a note on its code). The question names none of them: a title's
    words are asked about too."""
    asked = topic_terms(query.search)
    chosen = {}
    for paper in papers:
        scene = background(paper)
        sentences = [
            paper.sentences[p]
            for _, p in ranked.get(paper.number, [])
            if p not in scene and not is_boilerplate(paper.sentences[p])  # "our code is at ..."
        ]
        said = next(((v, s) for s in sentences if (v := verdict(query.search, s, asked, topic=True))), None)
        if said is None and (titled := verdict(query.search, paper.title, asked, topic=True)):
            said = (titled, f'Its title says "{paper.title}".')
        if said and said[0] == "Yes.":
            chosen[paper.number] = said[1]
    return chosen


def within_budget(listed: dict[int, str], titles: dict[int, str], budget: int) -> dict[int, str]:
    """For a model answering a list question: the first listed papers' sentences that fit a budget."""
    chosen: dict[int, str] = {}
    spent = 0
    for number, sentence in listed.items():
        cost = estimate_tokens(sentence) + estimate_tokens(titles.get(number, "")) + SOURCE_TAG_TOKENS
        if chosen and spent + cost > budget:
            break
        chosen[number] = sentence
        spent += cost
    return dict(sorted(chosen.items()))


def summary_sentences(paper: PaperText, ranked: list[tuple[float, int]]) -> list[str]:
    """The gist of one paper ("tell me about X"), in its abstract's order: the sentence saying what
    it contributes and, when it has one, its best sentence about its own work reporting a figure."""
    proposed = contribution(paper, ranked)
    scene = background(paper)
    result = next(
        (
            paper.sentences[p]
            for _, p in ranked
            if p not in scene
            and paper.sentences[p] != proposed
            and reports_figure(paper.sentences[p])
            and not is_boilerplate(paper.sentences[p])
        ),
        None,
    )
    chosen = {proposed, result} - {None}
    return [s for s in paper.sentences if s in chosen]


def _best_two(ranked: list[tuple[float, int]], also: int | None = None) -> list[int]:
    """The positions of the best sentence and of the second when it scores nearly as well (within
    SENTENCE_MARGIN), or of `also` if given (a comparison's sentence naming the other side), in the
    abstract's order."""
    best = [p for score, p in ranked[:2] if score >= ranked[0][0] - SENTENCE_MARGIN]
    if also is not None and also not in best:
        best = [best[0], also]
    return sorted(best)


def finding_sentences(paper: PaperText, ranked: list[tuple[float, int]], *, one: bool = False) -> list[str]:
    """What one paper found ("what does X find?"), in its abstract's order: its best sentence past
    the background reporting a finding or result (not the one proposing it: "we propose X to
    improve Y"), and a second if it scores nearly as well (not when `one`: a list's item); what it
    contributes when none does."""
    scene = background(paper)  # "Prior work has shown ...": others' findings
    found = [
        (score, p)
        for score, p in ranked
        if p not in scene and not is_boilerplate(paper.sentences[p]) and reports_finding(paper.sentences[p])
    ]
    if not found:
        return [contribution(paper, ranked)]
    return [paper.sentences[p] for p in ([found[0][1]] if one else _best_two(found))]


def presenting(paper: PaperText, asked: frozenset[str]) -> str | None:
    """What a paper's name stands for ("what is gim?", "what is the key idea of gim?"): its first
    sentence stating its key idea in words of the question ("The key idea is simple: ..."), else
    its first giving its work the name asked, else its title's name (`_names_own_work`: "we propose
    GIM, a self-training framework ...", "an architecture, named Primer, that ..."), else its first
    saying what it contributes that writes one of its names, one writing a word of the question
    first; None when none does."""
    names = own_names(paper)
    scene = background(paper)  # "A key idea in prior work is ..."
    own = [s for p, s in enumerate(paper.sentences) if p not in scene]
    # the name asked about, else the title's: not a by-product's ("called ImageNet+")
    asked_names = [n for n in names if set(tokenize(n)) <= asked] or title_names(paper.title)
    naming = [s for s in own if _names_own_work(s, asked_names)]
    contributing = [
        s
        for s in paper.sentences
        if s not in naming and CONTRIBUTION.search(s) and any(writes_name(s, n) for n in names)
    ]
    stated = [s for s in own if _states_key_idea(s)]
    presented = naming + contributing
    return next((s for s in stated + presented if asked & set(tokenize(s))), None) or next(
        iter(presented), None
    )


def _names_own_work(sentence: str, names: list[str]) -> bool:
    """Whether a sentence gives the paper's work one of its names: after saying what it proposes
    ("we propose GIM"), right after naming words ("named Primer", "we dub the dataset as Panda-70M"),
    or in apposition ("We release ONE-PEACE, a highly extensible model ...")."""
    for name in names:
        written = name_written(sentence, name, re.IGNORECASE)  # we call the results "model soups"
        if written is not None:
            before, after = sentence[: written.start()], sentence[written.end() :]
            if _PRESENTS.search(before) or _NAMING.search(before) or _APPOSITION.match(after):
                return True
    return False


def defining_sentences(paper: PaperText, asked: frozenset[str]) -> list[str]:
    """What a paper's name stands for ("what is panda-70m?"): the sentence `presenting` it, after the
    first saying what it proposes (else the last before it saying what it contributes) when that
    sentence names what one before described ("We dub the dataset as Panda-70M.", "we call the
    results ..."); [] when none presents it, or none before describes what it names ("..., we call
    this the implicit multimodal alignment": a finding named, no work presented)."""
    presented = presenting(paper, asked)
    if presented is None:
        return []
    at = paper.sentences.index(presented)
    written = [w for n in own_names(paper) if (w := name_written(presented, n, re.IGNORECASE))]
    before = presented[: min(w.start() for w in written)] if written else ""
    if not _NAMING_BACK.search(before) or _PRESENTS.search(before):
        return [presented]
    scene = background(paper)
    own = [p for p in range(at) if p not in scene]
    proposing = [p for p in own if PROPOSING.search(paper.sentences[p])][:1]
    described = proposing or [p for p in own if CONTRIBUTION.search(paper.sentences[p])][-1:]
    return [paper.sentences[p] for p in described] + [presented] if described else []


def method_sentences(paper: PaperText, asked: frozenset[str]) -> list[str]:
    """How a paper's method works ("how does gptq work?"), in its abstract's order: the first sentence
    defining it (`defining_sentences`), else its first past the background saying what it proposes,
    and up to MAX_MECHANISM sentences right after it saying how, until one reports an outcome (a
    finding, an evaluation, a speed); [] when no sentence presents it."""
    scene = background(paper)
    proposing = (s for p, s in enumerate(paper.sentences) if p not in scene and PROPOSING.search(s))
    presented = next(iter(defining_sentences(paper, asked)), None) or next(proposing, None)
    if presented is None:
        return []
    following = paper.sentences[paper.sentences.index(presented) + 1 :]
    how = list(itertools.takewhile(lambda s: not reports_outcome(s) and not is_boilerplate(s), following))
    return [presented, *how[:MAX_MECHANISM]]


def problem_sentences(paper: PaperText, ranked: list[tuple[float, int]]) -> list[str]:
    """What problem one paper addresses, in its abstract's order: the sentence setting the scene just
    before the one saying what it contributes (an abstract states its problem, then "to address
    this, we propose ..."), and that one; the latter alone when no scene comes before it."""
    proposed = contribution(paper, ranked)
    position = paper.sentences.index(proposed)
    scene = [p for p in background(paper) if p < position]
    return [paper.sentences[max(scene)], proposed] if scene else [proposed]


def compared_sentences(
    query: Query, question_vector: np.ndarray, papers: list[PaperText], sides: dict[int, str]
) -> dict[int, str]:
    """Each compared paper (by number, in the order of its side) with its own sentences (past its
    background, when it has others) that answer the question best: the best one, and a second if
    it scores nearly as well (the first then cited, so that each sentence is; the caller cites the
    last); what each found, or the problem each addresses, when the question asks for that."""
    ranked = ranked_sentences(query, question_vector, [p for p in papers if p.number in sides])
    by_number = {p.number: p for p in papers}
    chosen = {}
    for number in sides:
        if number not in ranked:
            continue
        paper = by_number[number]
        if query.findings:  # "what did they find?" of several papers: what each found
            quoted = finding_sentences(paper, ranked[number])
        elif query.wants_problem:  # "how do they differ in the problem they address?"
            quoted = problem_sentences(paper, ranked[number])
        else:  # its own sentences: "Traditional model merging methods ..." is no side of Twin-Merging
            scene = background(paper)
            own = [(score, p) for score, p in ranked[number] if p not in scene] or ranked[number]
            others = [side for n, side in sides.items() if n != number]
            quoted = [paper.sentences[p] for p in _best_two(own, _naming(paper, own, others))]
        chosen[number] = f" [{number}] ".join(sentence.rstrip() for sentence in quoted)
    return chosen


def _naming(paper: PaperText, ranked: list[tuple[float, int]], others: list[str]) -> int | None:
    """The position of a paper's best sentence that names another side of the comparison: what it
    says of the other ("relative improvements up to 15% over methods such as GPTQ"), if any."""
    for _, position in ranked:
        sentence = paper.sentences[position].casefold()
        if any(re.search(rf"(?<!\w){re.escape(side.casefold())}(?!\w)", sentence) for side in others):
            return position
    return None


def _comparison(
    query: Query, question_vector: np.ndarray, papers: list[PaperText], sides: dict[int, str]
) -> str:
    """One line a compared paper, its side's name first, then its sentences, cited."""
    chosen = compared_sentences(query, question_vector, papers, sides)
    return "\n".join(f"- {sides[n]}: {text} [{n}]" for n, text in chosen.items())


def is_own_name(subject: str, paper: PaperText) -> bool:
    """Whether a question's subject is one of the paper's names or its title, singular or plural, with
    or without an article or the kind of work it is ("what are model soups?", "what is the need for
    speed?", "the gim paper"; not "phikon" of Phikon-v2, nor "gnn" of a title writing GNNs)."""

    def keyed(name: str) -> str:
        return key(PIECE.findall(without_article(name)))

    asked = {keyed(form) for form in without_kind(subject)}
    return any(keyed(name) in asked for name in [*own_names(paper), paper.title])


def _writes(paper: PaperText, terms: frozenset[str]) -> bool:
    """Whether a paper's title or sentences write every term, singular or plural ("gpu": GPUs)."""
    written = set(tokenize(" ".join([paper.title, *paper.all_sentences()])))
    return all({term, f"{term}s", term.removesuffix("s")} & written for term in terms)


def named_paper(papers: list[PaperText]) -> PaperText | None:
    """The one paper the question names, by its short name ("tell me about points": POINTS) or by
    its title's words ("tell me about one head eight arms"), which answers it though another paper
    has a closer sentence; None when none or several are."""
    for named in ([p for p in papers if p.called], [p for p in papers if p.named >= NAMED]):
        if named:
            return named[0] if len(named) == 1 else None
    return None


def settled(query: Query, paper: PaperText, ranked: list[tuple[float, int]]) -> tuple[str, str]:
    """The verdict of a yes/no question ("Yes."/"No.") and what settles it: the best-scoring
    sentence of the paper that does, else its title ("MotionMaster: Training-free ..."), quoted;
    ("", "") when neither does."""
    sentences = [paper.sentences[position] for _, position in ranked]
    found = first_verdict(query.text, paper.title, sentences, own_names(paper))
    if not found:
        return "", ""
    said, sentence = found
    return (said, sentence.rstrip()) if sentence is not None else (said, f'Its title says "{paper.title}".')


def _quoting(query: Query) -> Callable[[PaperText, list[tuple[float, int]]], list[str]] | None:
    """How a question about one paper as a whole is quoted (its gist, findings or problem); None else."""
    if query.summary:
        return summary_sentences
    if query.findings:
        return finding_sentences
    return problem_sentences if query.wants_problem else None


def extractive_answer(
    query: Query,
    question_vector: np.ndarray,
    papers: list[PaperText],
    sides: dict[int, str] | None = None,
    names: frozenset[str] = frozenset(),
) -> str:
    """The sentences that answer the question, each cited; deterministic.

    A "which papers ..." question gets the best sentence of every paper `list_members` keeps,
    one list item a paper (so -k widens the list). Any other question is answered by one paper:
    the one it names by its title's words (`named_paper`), else the one with the best sentence
    (later-ranked papers pay a small penalty: retrieval already weighed the names in the
    question) of those writing every name that chooses it (`names`, Evidence.choosing_names: "what
    is distilbert?" is no question for a paper on distillation) if any does: its best sentence (of
    those writing the names a definition asks about, when the question does not name the paper),
    and a second one if it scores nearly as well. Quoting other papers too lowered citation
    precision on the calibration half. "How does X work?" of the paper
    it names quotes `method_sentences`. A yes/no question is answered "Yes." or "No." only when a
    sentence of that paper settles it (then that sentence is quoted), else like any other from the
    paper's own sentences (not its background), without a verdict; a comparison quotes each
    compared paper (`sides`: source number -> the name the question gives it), one line each.
    """
    if query.is_list:
        listed = listed_sentences(query, question_vector, papers)
        return "\n".join(f"- {sentence.rstrip()} [{number}]" for number, sentence in listed.items())
    if sides and len(sides) >= 2:
        return _comparison(query, question_vector, papers, sides)
    ranked = ranked_sentences(query, question_vector, papers)
    if not ranked:
        return ""
    order = list(ranked)
    named = named_paper(papers)
    by_number = {p.number: p for p in papers}
    if named is not None and named.number in ranked:
        number, naming = named.number, frozenset[str]()
    else:
        writing = [n for n in order if _writes(by_number[n], names)] if names else []
        number = max(writing or order, key=lambda n: (ranked[n][0][0] - RANK_PENALTY * order.index(n), -n))
        # what a definition asks about chooses the sentences too, not a name in passing ("with lora")
        naming = names & frozenset(tokenize(query.defined)) if number in writing else frozenset()
    if (
        query.definition
        and named is not None
        and named.number == number
        and is_own_name(query.defined, named)
        and (defining := defining_sentences(named, query.terms))
    ):
        return " ".join(f"{s.rstrip()} [{number}]" for s in defining)
    if (quote := _quoting(query)) is not None:
        return " ".join(f"{s.rstrip()} [{number}]" for s in quote(by_number[number], ranked[number]))
    if (
        query.mechanism
        and named is not None
        and named.number == number
        and (how := method_sentences(named, query.terms))
    ):
        return " ".join(f"{s.rstrip()} [{number}]" for s in how)
    # a paper not named by the question, answering of a name it writes: its sentences writing the name
    candidates = [
        (score, position)
        for score, position in ranked[number]
        if naming <= set(tokenize(by_number[number].sentences[position]))
    ] or ranked[number]
    if query.kind == "yesno":
        said, quoted = settled(query, by_number[number], candidates)
        if said:
            return f"{said} {quoted} [{number}]"
        # unsettled: the paper's own sentences closest to it, not its background's (other work's)
        scene = background(by_number[number])
        candidates = [(s, p) for s, p in candidates if p not in scene] or candidates
    best = candidates[0][0]
    chosen = [(number, position) for score, position in candidates[:2] if score >= best - SENTENCE_MARGIN]
    return " ".join(
        f"{by_number[number].sentences[position].rstrip()} [{number}]" for number, position in chosen
    )
