"""What a paper's short name stands for ("what does GIM stand for?"): the words of its title or
abstract whose initials spell the name ("Generalizable Image Matcher"), or that its abstract does
not spell it out; never a sentence about something else."""

from __future__ import annotations

import re

from .contribution import name_written, writes_name
from .embeddings import Embedder
from .evidence import Evidence
from .extractive import named_paper
from .library.acronyms import SMALL_WORDS
from .sentences import add_sentences

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")  # "Low-Rank" is two words, as its initials count


def initials(name: str) -> str:
    """The letters a name abbreviates, written as the paper writes it: its capitals when they are at
    least half its letters (GIM, LoRA: LRA, MoE: ME); "" for a name of words (CopySpec)."""
    letters = [c for c in name if c.isalpha()]
    capitals = [c for c in letters if c.isupper()]
    return "".join(capitals) if len(capitals) >= 2 and 2 * len(capitals) >= len(letters) else ""


def as_written(name: str, texts: list[str]) -> str:
    """The name as the texts first write it ("lora": LoRA), else as asked."""
    found = next(filter(None, (name_written(text, name, re.IGNORECASE) for text in texts)), None)
    return found.group() if found else name


def spelled_out(name: str, text: str) -> str | None:
    """The words of a text whose initials spell the name, in order, small words ("of") and a word's
    hyphenated parts between them allowed ("Mixture-of-Experts" for MoE, "Sparse Pre-training and
    Dense Fine-tuning" for SPDF); the first such run, as written, or None."""
    letters = initials(name)
    words = list(_WORD.finditer(text))
    if not letters:
        return None
    for start in range(len(words)):
        position, matched, cases = start, 0, []
        while matched < len(letters) and position < len(words):
            word = words[position].group()
            if word == name:
                break  # the name itself spells nothing out ("Zero" may spell ZeRO out)
            if word[0].upper() == letters[matched]:
                matched += 1
                cases.append(word[0].isupper())
            elif not (matched and (_joined(text, words[position]) or word.casefold() in SMALL_WORDS)):
                break
            position += 1
        while matched == len(letters) and position < len(words) and _joined(text, words[position]):
            position += 1  # the last word's hyphenated parts ("Fine-tuning")
        # "leverages Lower-Diag-Upper" is no spelling of LoLDU: a run that starts in lower case is
        # in lower case throughout ("robust mean teacher")
        if matched == len(letters) and position - start > 1 and (cases[0] or not any(cases)):
            return text[words[start].start() : words[position - 1].end()]
    return None


def _joined(text: str, word: re.Match[str]) -> bool:
    """Whether a word is a hyphenated part of the one before it ("tuning" of "Fine-tuning")."""
    return word.start() > 0 and text[word.start() - 1] == "-"


def expansion_answer(evidence: Evidence, embedder: Embedder) -> tuple[str, list[int]] | None:
    """For "what does X stand for?": what the paper X names (else the first paper found that does)
    spells X out as in its title or abstract, cited; that the named paper's abstract does not
    spell it out; None when it asks no such thing, or no paper is named and none spells it out."""
    asked = evidence.query.stands_for
    if not asked:
        return None
    if spelled := spelling(evidence, embedder):
        return spelled
    named = named_paper(evidence.ranked_papers())
    if named is None or not initials(as_written(asked, [named.title, *named.sentences])):
        return None
    return f"The abstract of [{named.number}] does not spell out {asked}.", [named.number]


def spelling(evidence: Evidence, embedder: Embedder) -> tuple[str, list[int]] | None:
    """For "what does X stand for?": the words of the paper X names (else of the first paper found
    that has them) spelling X out, cited, and its number; None when none does."""
    asked = evidence.query.stands_for
    ranked = evidence.ranked_papers()
    named = named_paper(ranked)
    papers = [named] if named else ranked
    add_sentences(papers, embedder)
    for paper in papers:
        texts = [paper.title, *paper.sentences]
        name = as_written(asked, texts)
        # a title or sentence writing the name spells it out ("GIM: Learning Generalizable Image
        # Matcher ...", "low-rank adapters (LoRA)"); initials met elsewhere are chance
        naming = [text for text in texts if writes_name(text, name)]
        if initials(name) and (words := next(filter(None, (spelled_out(name, t) for t in naming)), None)):
            return f'{name} stands for "{words}" [{paper.number}].', [paper.number]
    return None
