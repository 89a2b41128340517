"""The LLM-free backend: the sentences of the top papers that answer the question, each cited."""

from __future__ import annotations

import numpy as np

from .citations import PaperText
from .prompting import looks_like_instruction, sentence_scores


def extractive_answer(
    question_vector: np.ndarray,
    question: str,
    papers: list[PaperText],
    *,
    max_sentences: int = 3,
    max_papers: int = 3,
) -> str:
    """The sentences of the top papers most relevant to the question, each cited; deterministic."""
    candidates: list[tuple[float, int, int, str]] = []
    for rank, paper in enumerate(papers[:max_papers]):
        if not paper.sentences or paper.sentence_vectors is None:
            continue
        scores = sentence_scores(question, question_vector, paper)
        for position, (sentence, score) in enumerate(zip(paper.sentences, scores, strict=True)):
            if looks_like_instruction(sentence):
                continue
            # Later-ranked papers must earn their place; ties go to the better paper.
            candidates.append((score - 0.05 * rank, paper.number, position, sentence))
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
