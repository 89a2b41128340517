"""Evidence sentences: a paper's sentences embedded once, scored against the query, and the best
chosen within a prompt's token budget."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from .budget import SOURCE_TAG_TOKENS, estimate_tokens
from .citations import PaperText, figures, split_sentences
from .contribution import background, reports_evaluation, reports_finding, reports_speed
from .embeddings import Embedder
from .injection import looks_like_instruction
from .library.keyword import tokenize
from .library.store import merge_chunks
from .query import Query

# How a sentence's score is made beyond its cosine similarity to the question: set by hand with the
# commits that report their effect on the calibration half of benchmarks/dev_questions.jsonl
# (extractive citation precision and facts quoted: 3f869e9, c03d2e6, 5036137).
OVERLAP_WEIGHT = 0.2  # times the share of the question's terms the sentence has
NAMED_WEIGHT = 0.15  # times how much the question names the paper's title
NUMBER_IN_UNIT_BONUS = 0.2  # a number in the unit asked for, or next to what is counted
NUMBER_BONUS = 0.05  # any other number, for a question asking for one
RESULT_BONUS = 0.05  # a result sentence, for a question about results
METHOD_BONUS = 0.05  # the method's presentation, for "how does X work"
BOILERPLATE_PENALTY = 1.0  # code links and availability notes are never the answer
MIN_WORDS = 3  # a shorter "sentence" is a heading ("Findings."), never an answer
# These three as first set, not tuned; their effect is reported in benchmarks/README.md (fifteenth
# session: kinds/detail.jsonl's facts, and the changed answers read one by one):
INSTANCES_BONUS = 0.15  # names of things (CLIP, ImageNet), for "what models does X fine-tune?"
BACKGROUND_PENALTY = 0.1  # an abstract's opening (the field, the problem), for a detail of a named paper
EVALUATION_PENALTY = 0.1  # a sentence reporting an evaluation, for "how does X work?"
# As first set, not tuned (benchmarks/findings.py reports the answers; twenty-second session):
FINDING_BONUS = 0.15  # a sentence reporting a finding, past the background, for "what does X find?"
# As first set, not tuned (benchmarks/evaluations.py reports the answers; twenty-third session):
EVALUATION_BONUS = 0.15  # a sentence reporting an evaluation, past the background, for "how is X evaluated?"
# As first set, not tuned (benchmarks/speed_questions.py reports the answers; twenty-fourth session):
SPEED_BONUS = 0.15  # a sentence saying how fast, past the background, for "how fast is X?"

_RESULT_SENTENCE = re.compile(
    r"\b(outperform\w*|achiev\w*|improv\w*|state-of-the-art|surpass\w*|reach\w*|gains?)\b|\d", re.I
)
_METHOD_SENTENCE = re.compile(
    r"\b(we (propose|introduce|present|develop|design)|is an? |framework|approach|method)\b", re.I
)
_BOILERPLATE = re.compile(
    r"https?://|github\.com|\b(code|models?|data(sets?)?|weights|checkpoints?)\b[^.]{0,40}"
    r"\b(is|are|(?:will|shall)\s+(?:soon\s+)?be)"
    r"\s+(made\s+)?(publicly\s+)?(available|released|open-sourced)|project page|things to share",
    re.IGNORECASE,
)
# a name written with two capitals or digits: CLIP, ImageNet, ViT-G, GPT-3, Llama-2 (not "When")
_THING_NAME = re.compile(r"\b[A-Z][A-Za-z]*(?:[A-Z0-9]|-\d)[A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
_ENUMERATING = re.compile(r"\b(such as|including|e\.g\.|namely|like)\s+[A-Z]")
# "Experiments on CIFAR-10 demonstrate that FYI ...", "X outperforms ...": how well, not how
_EVALUATION = re.compile(
    r"\b(experiments?|results?|evaluations?|studies)\b[^.]{0,80}\b(show|demonstrat|reveal|confirm|indicat|verif)\w*"
    r"|\b(outperform|surpass)\w*",
    re.IGNORECASE,
)
_HOW = re.compile(r"\s*how\b", re.I)
_EVALUATION_ASKED = re.compile(r"\b(outperform|surpass|beat|better|compar|evaluat|experiment)\w*", re.I)
# a number and the (up to) three words after it: "9.2M images", "1-4 denoising steps"; a word linking
# it to another thing ends what it counts ("2 bits per parameter")
_LINKING = frozenset({"per", "of", "in", "for", "with", "to", "on", "at", "by", "from", "and", "or", "than"})
_AMOUNT = re.compile(
    r"\d[\d.,]*\s*(?:[kmb]|million|billion|thousand)?((?:\s+[a-z][\w-]*){1,3})", re.IGNORECASE
)


def reports_figure(sentence: str) -> bool:
    """Whether a sentence reports a result with a figure ("attains 90.94% top-1 accuracy")."""
    return bool(_RESULT_SENTENCE.search(sentence)) and bool(figures(sentence))


def is_boilerplate(sentence: str) -> bool:
    """Whether a sentence is a code link or an availability note ("code is available at ...")."""
    return bool(_BOILERPLATE.search(sentence))


def add_sentences(papers: list[PaperText], embedder: Embedder) -> None:
    """Split each paper's chunks into distinct sentences and embed all that lack vectors in one call."""
    todo = [p for p in papers if p.sentence_vectors is None]
    for paper in todo:
        # from the abstract rebuilt: a chunk may open in the middle of a sentence ("edge) between
        # content and style images." after "(e.g.")
        paper.sentences = list(dict.fromkeys(split_sentences(merge_chunks(paper.chunk_texts))))
    vectors = embedder.embed([s for p in todo for s in p.sentences])
    start = 0
    for paper in todo:
        paper.sentence_vectors = vectors[start : start + len(paper.sentences)]
        start += len(paper.sentences)


def _names_things(sentence: str, own_name: frozenset[str]) -> bool:
    """Whether a sentence names things other than the paper itself: two such names, or one after
    "such as", "including"."""
    names = {n for n in _THING_NAME.findall(sentence) if not set(tokenize(n)) <= own_name}
    return len(names) >= 2 or (len(names) == 1 and bool(_ENUMERATING.search(sentence)))


def _counts(sentence: str, counted: frozenset[str]) -> bool:
    """Whether the sentence gives a number of the counted thing, up to two words between ("9.2M
    images", "1-4 denoising steps"; not "30.1M image-level", nor "2 bits per parameter")."""
    for match in _AMOUNT.finditer(sentence):
        for word in match.group(1).split():
            if word.casefold() in _LINKING:
                break
            if "-" not in word and set(tokenize(word)) & counted:
                return True
    return False


def sentence_scores(query: Query, question_vector: np.ndarray, paper: PaperText) -> list[float]:
    """How well each of a paper's sentences answers the question: similarity plus shared words,
    more for the paper whose title the question names, plus what the question asks for (a number
    for a quantity, a result for results, the method for "how does"; for "what does X find?", "how
    is X evaluated?" or "how fast is X?", a sentence reporting a finding, an evaluation or a speed
    higher and the background lower); boilerplate (code links, availability notes) never counts.
    A detail asked of a paper called by name (`asked_vector`): its sentences ranked by the question
    and what it asks beyond the name alike, opening ones lower, the best of them scoring what the
    paper's best did (its standing against the other papers stays as the name gave it) before a
    finding, an evaluation or a speed is weighed."""
    assert paper.sentence_vectors is not None
    scores = _scores(query, paper.sentence_vectors @ question_vector, query.terms, paper)
    if paper.asked_vector is not None and scores:
        scores = _beyond_name(query, question_vector, paper, scores)
    # The background is lowered for a finding or an evaluation even where `_beyond_name` lowered it
    # already: lowered once, an evaluation's answers quoted it more (evaluations.py, report half:
    # 80-82 of 88 answers quoting an evaluation, against 82-85 lowered twice).
    if query.findings:
        scores = _reported_first(paper, scores, reports_finding, FINDING_BONUS, frozenset(background(paper)))
    elif query.evaluation:
        scores = _reported_first(
            paper, scores, reports_evaluation, EVALUATION_BONUS, frozenset(background(paper))
        )
    elif query.speed:
        scores = _reported_first(paper, scores, reports_speed, SPEED_BONUS, frozenset(background(paper)))
    return scores


def _beyond_name(
    query: Query, question_vector: np.ndarray, paper: PaperText, scores: list[float]
) -> list[float]:
    """A paper's sentences weighed by what a question asks beyond its name, opening ones lower,
    the best scoring what the paper's best did."""
    assert paper.sentence_vectors is not None and paper.asked_vector is not None
    terms = query.terms - paper.name_terms or query.terms
    similarities = paper.sentence_vectors @ ((question_vector + paper.asked_vector) / 2)
    scene = frozenset(background(paper))  # the things it names are other work's, not the paper's
    asked = _scores(query, similarities, terms, paper, scene)
    for position in scene:
        asked[position] -= BACKGROUND_PENALTY
    shift = max(scores) - max(asked)
    return [score + shift for score in asked]


def _reported_first(
    paper: PaperText, scores: list[float], reports: Callable[[str], bool], bonus: float, scene: frozenset[int]
) -> list[float]:
    """For "what does X find?", "how is X evaluated?" or "how fast is X?": the sentences reporting
    it higher, those of the background (`scene`) lower."""
    return [
        score - BACKGROUND_PENALTY if position in scene else score + bonus if reports(sentence) else score
        for position, (sentence, score) in enumerate(zip(paper.sentences, scores, strict=True))
    ]


def _scores(
    query: Query,
    similarities: np.ndarray,
    terms: frozenset[str],
    paper: PaperText,
    scene: frozenset[int] = frozenset(),
) -> list[float]:
    # The paper the question names (its title has the question's rare words) is the one to quote.
    named = NAMED_WEIGHT * paper.named
    # "how does X work?", "how do A and B differ?" (not "what does X outperform?", "what is X?")
    how_it_works = (
        query.wants_method
        and (query.kind == "comparison" or bool(_HOW.match(query.text)))
        and not query.wants_result
        and not _EVALUATION_ASKED.search(query.text)
    )
    scores = []
    for position, (sentence, similarity) in enumerate(zip(paper.sentences, similarities, strict=True)):
        overlap = len(terms & set(tokenize(sentence))) / len(terms) if terms else 0.0
        score = float(similarity) + OVERLAP_WEIGHT * overlap + named
        # "Claude 3 Opus": a number the question states is no answer; "Magic141" states no figure
        if query.quantity and figures(sentence) - query.given:
            in_unit = bool(query.unit and query.unit.search(sentence))
            score += NUMBER_IN_UNIT_BONUS if in_unit or _counts(sentence, query.counted) else NUMBER_BONUS
        if query.wants_result and _RESULT_SENTENCE.search(sentence):
            score += RESULT_BONUS
        if query.wants_method and _METHOD_SENTENCE.search(sentence):
            score += METHOD_BONUS
        if how_it_works and _EVALUATION.search(sentence):
            score -= EVALUATION_PENALTY
        if query.instances and position not in scene and _names_things(sentence, paper.name_terms):
            score += INSTANCES_BONUS
        if is_boilerplate(sentence) or len(sentence.split()) < MIN_WORDS:
            score -= BOILERPLATE_PENALTY
        scores.append(score)
    return scores


def select_evidence(
    query: Query,
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
        for position, score in enumerate(sentence_scores(query, question_vector, paper)):
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
            cost += estimate_tokens(titles.get(number, "")) + SOURCE_TAG_TOKENS
        if spent and spent + cost > budget:
            continue
        chosen.setdefault(number, set()).add(position)
        spent += cost
    return {
        number: " ".join(by_number[number].sentences[i] for i in sorted(positions))
        for number, positions in sorted(chosen.items())
    }
