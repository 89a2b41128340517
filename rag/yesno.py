"""Yes/no questions: the sentence that settles one, and the verdict it gives ("Does X require paired
data?" settled by "... without paired data": No)."""

from __future__ import annotations

import re

from .library.keyword import tokenize

VERDICT = re.compile(r"^\W*(?:yes|no)\b|^\W*the abstracts? (?:don't|do not|doesn't|does not) say\b", re.I)
# The verbs a yes/no question asks with: what it asks about is the rest of its words.
_ASKING = frozenset(
    tokenize(
        "use uses used using require requires required need needs needed work works rely relies "
        "employ employs leverage leverages apply applies applied include includes involve involves "
        "support supports make makes made have has had method paper approach model"
    )
)
_NEGATION = re.compile(
    r"\b(?:without|no|not|never|neither|nor|eliminat\w*|avoid\w*|dispens\w*|obviat\w*)\b|n't\b|-free\b", re.I
)
_QUESTION_NEGATION = re.compile(r"\b(?:without|not|no|never)\b|n't\b|-free\b", re.I)
_NEGATING = frozenset(tokenize("without not no never"))
NEGATION_REACH = 5  # words before an asked term a negation may stand


def asked_terms(question: str, title: str) -> set[str]:
    """What a yes/no question asks about: its terms, less its asking verbs and the paper's name (its
    title's part before a colon, else the title)."""
    return (
        set(tokenize(question)) - _ASKING - set(tokenize(title)) - set(tokenize(_QUESTION_NEGATION.pattern))
    )


def settles(sentence: str, asked: set[str]) -> bool:
    """Whether a sentence writes everything the question asks about."""
    return bool(asked) and asked <= set(tokenize(sentence))


def _negated(sentence: str, asked: set[str]) -> bool:
    """Whether a negation stands just before (or "-free" just after) a term asked about."""
    words = sentence.split()
    for position, word in enumerate(words):
        if not set(tokenize(word)) & asked:
            continue
        window = " ".join(words[max(0, position - NEGATION_REACH) : position + 1])
        if _NEGATION.search(window):
            return True
    return False


def verdict(question: str, sentence: str, asked: set[str]) -> str | None:
    """ "Yes." or "No." when the sentence settles the question, else None."""
    if not settles(sentence, asked):
        return None
    return "Yes." if _negated(sentence, asked) == bool(_QUESTION_NEGATION.search(question)) else "No."
