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
# "existing methods pre-define camera motion types during training": what others do, not the paper
_OTHER_WORK = re.compile(
    r"\b(?:existing|previous|prior|current|conventional|traditional|standard|typical|most|many|other|earlier)\s+"
    r"(?:\w+\s+)?(?:methods|approaches|works?|models|techniques|systems|studies|solutions)\b",
    re.I,
)
NEGATION_REACH = 5  # words before an asked term a negation may stand


def asked_terms(question: str, title: str) -> set[str]:
    """What a yes/no question asks about: its terms, less its asking verbs and the paper's name (its
    title's part before a colon, else the title)."""
    name = title.split(":", 1)[0] if ":" in title else title  # "DNA-GPT: ... Training-Free ...": DNA-GPT
    return set(tokenize(question)) - _ASKING - _NEGATING - set(tokenize(name))


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
    """ "Yes." or "No." when the sentence settles the question, else None (a sentence about other
    work settles nothing about this paper)."""
    if not settles(sentence, asked) or _OTHER_WORK.search(sentence):
        return None
    return "Yes." if _negated(sentence, asked) == bool(_QUESTION_NEGATION.search(question)) else "No."
