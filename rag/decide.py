"""Answer or refuse: the signals of the evidence, and a calibrated decision over them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from .calibration import load_calibration
from .citations import PaperText
from .library.keyword import KeywordIndex, tokenize
from .retrieve import SearchHit


@dataclass
class Signals:
    """What the evidence says about whether the papers answer the question."""

    similarity: float  # the best cosine similarity of a chunk of a top paper to the question
    coverage: float  # the question's terms found in one top paper (IDF mass, over at least a rare word's)
    title_rarity: float  # how rare (IDF, 0..1) the rarest question term in a top paper's title is
    agreement: float  # 1 when the dense and the keyword rankings put the same paper first
    unseen: float  # the share (IDF-weighted) of the question's names (not plain words) that no paper uses

    def features(self) -> dict[str, float]:
        """The signals by field name: the features of the "decision" model in rag/calibration.json."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def title_terms(title: str, keyword: KeywordIndex) -> set[str]:
    """A title's terms as the keyword index has them, joined names included."""
    return set(keyword.query_terms(title)) | set(tokenize(title))


def gather_signals(
    question_vector: np.ndarray,
    hits: list[SearchHit],
    papers: dict[int, PaperText],
    weights: dict[str, float],
    titles: dict[int, set[str]],
    words: dict[int, set[str]],
    keyword: KeywordIndex,
    name_like: Callable[[str], bool],
) -> Signals:
    """Dense, keyword and agreement evidence for the decision to answer.

    Args:
        weights: the question's terms with their IDF; titles: each hit's title terms, by number;
        words: each fetched paper's terms (title and text), by number.
    """
    similarity = max((float((p.chunk_vectors @ question_vector).max()) for p in papers.values()), default=0.0)
    total = sum(weights.values()) or 1.0
    rarest = keyword.idf("\0")  # the IDF of a term no chunk has
    coverage = title_rarity = 0.0
    for number in range(1, min(len(hits), 3) + 1):
        title_words = titles[number]
        paper_words = words.get(number, title_words)
        # Relative to at least one rare word's weight: a question of common words only is unspecific.
        coverage = max(coverage, sum(w for t, w in weights.items() if t in paper_words) / max(total, rarest))
        title_rarity = max([title_rarity] + [w / rarest for t, w in weights.items() if t in title_words])
    # a name no paper writes ("alphafold"), unless it names a top paper ("powerscheduler": its title's)
    named = set().union(*(titles[n] for n in range(1, min(len(hits), 3) + 1)))
    unseen = (
        sum(w for t, w in weights.items() if keyword.idf(t) >= rarest and name_like(t) and t not in named)
        / total
    )
    dense_top = max(hits, key=lambda h: h.similarity or 0.0, default=None)
    keyword_top = max(hits, key=lambda h: h.keyword_score or 0.0, default=None)
    agreement = float(dense_top is not None and dense_top is keyword_top and bool(dense_top.keyword_score))
    return Signals(similarity, coverage, title_rarity, agreement, unseen)


_SUFFIX = re.compile(r"(ing|ed|es|s|er|ers|ly|ion|ions|al)$")


def wordpiece_name_test(count_tokens: Callable[[str], list[int]]) -> Callable[[str], bool]:
    """Whether a term looks like a name (alphafold, yolo) rather than a plain word, by the
    embedder's WordPiece vocabulary: a name splits into pieces even without its English suffix.
    Plain words count as seen whatever the size of the collection, so a small one is not penalized."""

    def name_like(term: str) -> bool:
        if len(term) < 3 or term.isdigit():
            return False
        stem = _SUFFIX.sub("", term) if len(term) > 5 else term
        return min(len(count_tokens(term)), len(count_tokens(stem))) >= 2

    return name_like


@dataclass
class Decision:
    """Whether to answer, with the probability that the papers answer the question, and why."""

    answer: bool
    probability: float
    reason: str


def answer_probability(signals: Signals) -> float:
    """The probability that the retrieved papers answer the question (calibration.json's "decision")."""
    return load_calibration().model("decision").probability(signals.features())


def decide(signals: Signals | None, threshold: float) -> Decision:
    """Answer when all the evidence (dense, keyword, agreement) makes an answer likely enough."""
    if signals is None:
        return Decision(False, 0.0, "no papers found")
    s = signals
    probability = answer_probability(s)
    why = (
        f"p={probability:.2f} from similarity {s.similarity:.2f}, term coverage {s.coverage:.2f}, "
        f"title rarity {s.title_rarity:.2f}, rankings {'agree' if s.agreement else 'differ'}"
        + (", a name the papers never use" if s.unseen else "")
    )
    return Decision(probability >= threshold, probability, why)
