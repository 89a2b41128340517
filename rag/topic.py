"""What a question is about, as terms a text can cover: its "X or Y" alternatives, word forms
(quantize, quantized, quantization) and the acronyms the papers define (NAS, MoE); and when a
list's short topic is one a paper is on (`on_topic`) or a field the collection holds (`titled`)."""

from __future__ import annotations

import re

from .library.acronyms import DEFINITION, Definitions
from .library.keyword import tokenize

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_JOINERS = frozenset({"of", "and", "for", "to", "in", "on", "with"})

# A list's topic of at most this many terms is a phrase each of whose words matters ("weather
# forecasting", "point cloud registration"): a paper on it covers at least TOPIC_COVERAGE of it (by
# IDF weight, any form). Chosen on the calibration halves of benchmarks/list_topics.jsonl and the
# overview questions (benchmarks/README.md); a longer topic describes and is searched by meaning.
SHORT_TOPIC_TERMS = 3
TOPIC_COVERAGE = 0.7
# A short topic that this many papers found name in their titles is a field the collection holds
# ("clip", "language models"), however common its words: a list of them is answered.
TITLED_PAPERS = 2


def acronyms(question: str) -> dict[str, set[str]]:
    """The acronyms a question's phrases are written as, with the phrase's terms: "neural
    architecture search" is NAS, "mixture of experts" MoE; three letters or more."""
    words = [w.casefold() for w in _WORD.findall(question)]
    found: dict[str, set[str]] = {}
    for start in range(len(words)):
        for end in range(start + 2, min(start + 6, len(words)) + 1):
            phrase = words[start:end]
            if phrase[0] in _JOINERS or phrase[-1] in _JOINERS:
                continue
            content = [w for w in phrase if w not in _JOINERS]
            if len(content) < 2 or not all(tokenize(w) for w in content):  # "which", "papers": no
                continue
            terms = set(tokenize(" ".join(content)))
            for letters in {"".join(w[0] for w in phrase), "".join(w[0] for w in content)}:
                if len(letters) >= 3:
                    found.setdefault(letters, set()).update(terms)
    return found


def defined_acronyms(candidates: dict[str, set[str]], texts: list[str]) -> dict[str, set[str]]:
    """The acronyms of a question's phrases (`acronyms`) that the texts define ("neural
    architecture search (NAS)"), with the phrase's terms; an initialism no text defines
    ("classical neural networks": CNN) is not one."""
    defined: dict[str, set[str]] = {}
    for text in texts:
        for match in DEFINITION.finditer(text):
            short = match.group(1).casefold()
            terms = candidates.get(short)
            if terms and terms <= set(tokenize(text[max(0, match.start() - 80) : match.start()])):
                defined[short] = terms
    return defined


def names_acronym(text: str, acronym: str) -> bool:
    """Whether a text writes an acronym: as a word of its own (NAS, MoE, nas) or in capitals
    inside a name (ShiftNAS, Mamba-FSCIL)."""
    return bool(
        re.search(rf"(?<![A-Za-z0-9]){re.escape(acronym)}(?![A-Za-z0-9])", text, re.IGNORECASE)
        or re.search(rf"(?<![A-Z]){re.escape(acronym.upper())}(?![A-Z])", text)
    )


def acronym_terms(text: str, defined: dict[str, set[str]]) -> set[str]:
    """The terms of the defined acronyms a text writes (ShiftNAS: neural, architecture, search)."""
    return set().union(*(terms for acronym, terms in defined.items() if names_acronym(text, acronym)))


def long_forms(weights: dict[str, float], glossary: Definitions) -> dict[str, set[str]]:
    """The question's acronyms (rl) with the terms of their long forms (reinforcement, learning):
    a title or text that has all of those terms spells the acronym out."""
    return {acronym: set(tokenize(glossary[acronym][1])) for acronym in weights if acronym in glossary}


def alternatives(topic: str, terms: set[str]) -> list[set[str]]:
    """The term sets a paper may cover to be about a topic: all its terms, or for "X or Y" the
    terms without one side of the "or" (its one or two words next to it): "audio classification
    or captioning" is "audio classification", "audio captioning", and also "captioning" alone,
    which lets a paper on video captioning in."""
    words = _WORD.findall(topic)
    found: list[set[str]] = []
    for position, word in enumerate(words):
        if word.casefold() != "or":
            continue
        for width in (1, 2):
            before = words[max(0, position - width) : position]
            for side in (before, words[position + 1 : position + 1 + width]):
                rest = terms - set(tokenize(" ".join(side)))
                if rest and rest != terms and rest not in found:
                    found.append(rest)
    return found or [terms]


def covers_each(weights: dict[str, float], sides: list[set[str]], words: set[str]) -> bool:
    """Whether the words cover each of a list's sides (the things it asks to combine) as a short
    topic must be covered (`coverage` in any form, at least TOPIC_COVERAGE)."""
    return all(coverage(weights, [side], words, forms=True) >= TOPIC_COVERAGE for side in sides)


# "part-of-speech", "state-of-the-art", "out-of-distribution": a compound whose words after "of" mean
# nothing of their own ("speech" of part-of-speech is no speech recognition)
_OF_COMPOUND = re.compile(r"\b([A-Za-z]+)-of-(?:the-)?([A-Za-z]+(?:-[A-Za-z]+)*)")


def compounded_only(texts: list[str], topic_terms: set[str]) -> set[str]:
    """The terms the texts write only after "of" in an "X-of-Y" compound whose X the topic lacks
    (not "experts" of "mixture-of-experts" for "mixture of experts"): none of them is on the topic."""
    inside: set[str] = set()
    for text in texts:
        for match in _OF_COMPOUND.finditer(text):
            if not set(tokenize(match.group(1))) & topic_terms:
                inside.update(tokenize(match.group(2)))
    if not inside:
        return inside
    return inside.difference(*(tokenize(_OF_COMPOUND.sub(" ", text)) for text in texts))


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
EXCLUDED_SENTENCES = 2  # sentences writing what a list excludes that make a paper about it
# what a text says it goes without: "training-free", "without training", "no labels", "does not
# require training" (so a training-free paper is not about training)
_GONE_WITHOUT = re.compile(
    r"\b[\w-]+-free\b|\b(?:without|no|not|never|n't)\s+(?:[\w-]+\s+){0,2}?[\w-]+", re.IGNORECASE
)


def dwells_on(sides: list[dict[str, float]], title: str, abstract: str) -> bool:
    """Whether a paper is about a thing, any of its written forms (its terms' weights; an acronym's
    long form too): its title covers it, or at least EXCLUDED_SENTENCES different sentences do
    (a video paper writing "image-to-video" once is not about images); what a text says it goes
    without does not count ("training-free")."""
    sentences = [title, *dict.fromkeys(_SENTENCE_END.split(abstract))]
    covering = [set(tokenize(_GONE_WITHOUT.sub(" ", sentence))) for sentence in sentences]
    for weights in sides:
        terms = [set(weights)]
        writing = [coverage(weights, terms, words, forms=True) >= TOPIC_COVERAGE for words in covering]
        if writing[0] or sum(writing[1:]) >= EXCLUDED_SENTENCES:
            return True
    return False


def on_topic(covered: float, topic_terms: int) -> bool:
    """Whether a paper covering that share of a list's topic of that many terms can be on it."""
    return topic_terms > SHORT_TOPIC_TERMS or covered >= TOPIC_COVERAGE


def titled(named: list[float], topic_terms: int) -> bool:
    """Whether the titles' shares of a short list topic (`named`, a paper each) show a field the
    collection holds: at least TITLED_PAPERS titles cover TOPIC_COVERAGE of it."""
    return topic_terms <= SHORT_TOPIC_TERMS and sum(n >= TOPIC_COVERAGE for n in named) >= TITLED_PAPERS


def same_word(term: str, word: str) -> bool:
    """Whether two terms look like forms of one word: they share their first five letters or more, and
    at least three quarters of the shorter (quantize, quantization; correct, correcting). Without a
    dictionary it errs on a few pairs (general, generation)."""
    if term == word:
        return True
    shorter = min(len(term), len(word))
    shared = next((i for i, (a, b) in enumerate(zip(term, word, strict=False)) if a != b), shorter)
    return shared >= 5 and shared >= 0.75 * shorter


def coverage(weights: dict[str, float], term_sets: list[set[str]], words: set[str], *, forms: bool) -> float:
    """The best share (by weight) of one term set that the words have; with `forms`, any form counts,
    and a word written with or without its hyphen is one word (pre-trained, pretrained)."""
    joined = {word.replace("-", "") for word in words} if forms else set()

    def has(term: str) -> bool:
        if term in words or (forms and term.replace("-", "") in joined):
            return True
        return forms and any(same_word(term, word) for word in words)

    best = 0.0
    for terms in term_sets:
        total = sum(weights.get(t, 0.0) for t in terms) or 1.0
        best = max(best, sum(weights.get(t, 0.0) for t in terms if has(t)) / total)
    return best
