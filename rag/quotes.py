"""The sentence behind each citation of an answer: of the cited paper's sentences, the one that
shares most words with the answer's sentences citing it. An extractive answer quotes that sentence;
a model's answer paraphrases it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .citations import cited_numbers, split_sentences, strip_citations

if TYPE_CHECKING:
    from .answer import Answer

_WORD = re.compile(r"[^\W_]+")
_COMMON = frozenset(
    "the and for with that this these those are was were from which their its into than then also "
    "our we they them has have had not but can may our such use used using based both each".split()
)


def _words(text: str) -> set[str]:
    """The words of a text that say something (three letters or more, or a number; not common), cut
    to five letters so that a paraphrase's forms meet ("efficient", "efficiency": "effic")."""
    words = _WORD.findall(text.casefold())
    return {w[:5] for w in words if (len(w) >= 3 or w.isdigit()) and w not in _COMMON}


def _overlap(sentence: str, claims: list[set[str]]) -> float:
    """The largest share of a claim's words that the sentence has."""
    words = _words(sentence)
    return max((len(claim & words) / len(claim) for claim in claims if claim), default=0.0)


def quotes(answer: Answer, texts: Mapping[str, str] | None = None) -> dict[int, str]:
    """For each citation number, the sentence of its paper that the answer draws on: of the paper's
    whole text when texts has it (by paper id), else of the evidence the writer was given."""
    claims: dict[int, list[set[str]]] = {}
    for sentence in split_sentences(answer.text):
        words = _words(strip_citations(sentence))
        for number in cited_numbers(sentence):
            claims.setdefault(number, []).append(words)
    found = {}
    for citation in answer.citations:
        text = (texts or {}).get(citation.paper.paper_id) or citation.passage
        candidates = split_sentences(text) or [text]
        mine = claims.get(citation.number, [])
        found[citation.number] = max(candidates, key=lambda s: _overlap(s, mine))  # first of the best
    return found
