"""The LLM-free backend: the sentences of the retrieved papers that answer the question, each cited."""

from __future__ import annotations

import numpy as np

from .budget import SOURCE_TAG_TOKENS, estimate_tokens
from .calibration import load_calibration
from .citations import PaperText
from .injection import looks_like_instruction
from .query import Query
from .sentences import sentence_scores

# How far below the best sentence a quoted sentence may score (calibrated on the calibration half of
# benchmarks/dev_questions.jsonl for citation precision, and list recall and precision).
SENTENCE_MARGIN = 0.1  # a second sentence of the paper that answers
RANK_PENALTY = 0.1  # per place in the retrieval ranking, when choosing the paper that answers


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


def list_members(ranked: Ranked, papers: list[PaperText]) -> list[int]:
    """The numbers of the papers a "which papers ..." answer lists, in ranking order (at least one)."""
    # The "list" model of rag/calibration.json, fitted by benchmarks/calibrate_lists.py on the list
    # questions of the calibration half; its threshold: listed papers 85% relevant, cross-validated.
    model = load_calibration().model("list")
    probability = {number: model.probability(f) for number, f in list_features(ranked, papers).items()}
    members = [number for number, p in probability.items() if p >= model.threshold]
    if not members and probability:
        members = [max(probability, key=lambda n: probability[n])]
    return members


def listed_sentences(query: Query, question_vector: np.ndarray, papers: list[PaperText]) -> dict[int, str]:
    """Each paper a "which papers ..." answer lists, in ranking order, with its best sentence."""
    ranked = ranked_sentences(query, question_vector, papers)
    candidates = [p for p in papers if p.number in ranked]
    by_number = {p.number: p for p in candidates}
    return {n: by_number[n].sentences[ranked[n][0][1]] for n in list_members(ranked, candidates)}


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


def extractive_answer(query: Query, question_vector: np.ndarray, papers: list[PaperText]) -> str:
    """The sentences that answer the question, each cited; deterministic.

    A "which papers ..." question gets the best sentence of every paper `list_members` keeps,
    one list item a paper (so -k widens the list). Any other question is answered by one paper,
    the one with the best sentence (later-ranked papers pay a small penalty: retrieval already
    weighed the names in the question): that sentence, and a second one if it scores nearly as
    well. Quoting other papers too lowered citation precision on the calibration half.
    """
    if query.is_list:
        listed = listed_sentences(query, question_vector, papers)
        return "\n".join(f"- {sentence.rstrip()} [{number}]" for number, sentence in listed.items())
    ranked = ranked_sentences(query, question_vector, papers)
    if not ranked:
        return ""
    order = list(ranked)
    number = max(order, key=lambda n: (ranked[n][0][0] - RANK_PENALTY * order.index(n), -n))
    best = ranked[number][0][0]
    chosen = [(number, position) for score, position in ranked[number][:2] if score >= best - SENTENCE_MARGIN]
    by_number = {p.number: p for p in papers}
    return " ".join(
        f"{by_number[number].sentences[position].rstrip()} [{number}]" for number, position in chosen
    )
