"""The LLM-free backend: the sentences of the retrieved papers that answer the question, each cited."""

from __future__ import annotations

import numpy as np

from .citations import PaperText
from .prompting import is_list_question, looks_like_instruction, sentence_scores

# How far below the best sentence a quoted sentence may score (calibrated on the calibration half of
# benchmarks/dev_questions.jsonl for citation precision, and list recall and precision).
SENTENCE_MARGIN = 0.1  # a second sentence of the paper that answers
LIST_MARGIN = 0.2  # the papers a "which papers ..." answer lists
RANK_PENALTY = 0.1  # per place in the retrieval ranking, when choosing the paper that answers


def _best_sentences(question: str, question_vector: np.ndarray, paper: PaperText) -> list[tuple[float, int]]:
    """A paper's sentences as (score, position), best first, instructions left out."""
    scored = [
        (score, position)
        for position, score in enumerate(sentence_scores(question, question_vector, paper))
        if not looks_like_instruction(paper.sentences[position])
    ]
    return sorted(scored, key=lambda item: (-item[0], item[1]))


def extractive_answer(question_vector: np.ndarray, question: str, papers: list[PaperText]) -> str:
    """The sentences that answer the question, each cited; deterministic.

    A "which papers ..." question gets one sentence from every paper whose best sentence is
    close to the best paper's (so -k widens the list). Any other question is answered by one
    paper, the one with the best sentence (later-ranked papers pay a small penalty: retrieval
    already weighed the names in the question): that sentence, and a second one if it scores
    nearly as well. Quoting other papers too lowered citation precision on the calibration half.
    """
    ranked = {p.number: _best_sentences(question, question_vector, p) for p in papers if p.sentences}
    ranked = {number: sentences for number, sentences in ranked.items() if sentences}
    if not ranked:
        return ""
    if is_list_question(question):
        top = max(sentences[0][0] for sentences in ranked.values())
        chosen = [
            (n, sentences[0][1]) for n, sentences in ranked.items() if sentences[0][0] >= top - LIST_MARGIN
        ]
    else:
        order = list(ranked)
        number = max(order, key=lambda n: (ranked[n][0][0] - RANK_PENALTY * order.index(n), -n))
        best = ranked[number][0][0]
        chosen = [
            (number, position) for score, position in ranked[number][:2] if score >= best - SENTENCE_MARGIN
        ]
    by_number = {p.number: p for p in papers}
    return " ".join(
        f"{by_number[number].sentences[position].rstrip()} [{number}]" for number, position in chosen
    )
