"""The acronyms a collection defines ("reinforcement learning (RL)"), so that a question typed
with the short form ("papers using rl ...") is also searched with the long one."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

DEFINITION = re.compile(r"\(([A-Za-z][A-Za-z0-9]{1,9}?)s?\)")  # "(NAS)", "(LLMs)"
_WORD = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")  # "test-time" is one word
# the small words a long form may hold between the words its letters come from ("mixture of experts")
SMALL_WORDS = frozenset({"a", "an", "the", "of", "and", "for", "to", "in", "on", "with", "by", "via"})


def long_form(short: str, before: str) -> str | None:
    """The words just before "(SHORT)" that it abbreviates, or None (after Schwartz and Hearst,
    2003): SHORT's letters appear in order, right to left, and its first letter starts a word
    ("low-rank adaptation" for LoRA, "zero redundancy optimizer" for ZeRO)."""
    words = _WORD.findall(before)[-min(len(short) + 5, 2 * len(short)) :]
    text = " ".join(words).casefold()
    letters = short.casefold()
    position = len(text) - 1
    for index in range(len(letters) - 1, -1, -1):
        # the first letter must begin a word; the others may be anywhere
        while position >= 0 and (
            text[position] != letters[index] or (index == 0 and position > 0 and text[position - 1] != " ")
        ):
            position -= 1
        if position < 0:
            return None
        position -= 1
    found = text[position + 1 :].split()
    if not found or found[0] in SMALL_WORDS or len(found) > len(letters) + 2:
        return None
    if len(found) == 1 and "-" not in found[0]:  # "(SAM)" after "SAMs": no long form
        return None
    return " ".join(found)


Definitions = dict[str, tuple[str, str]]  # lower-cased acronym -> (as written, long form)


class Glossary:
    """Collects the acronyms texts define, text by text."""

    def __init__(self) -> None:
        self._seen: dict[str, Counter[tuple[str, str]]] = {}

    def add(self, text: str) -> None:
        """Note the definitions in one text."""
        for match in DEFINITION.finditer(text):
            short = match.group(1)
            found = long_form(short, text[max(0, match.start() - 120) : match.start()])
            if found:
                self._seen.setdefault(short.casefold(), Counter())[(short, found)] += 1

    def definitions(self) -> Definitions:
        """Each acronym with its most often written form and long form."""
        return {short: forms.most_common(1)[0][0] for short, forms in sorted(self._seen.items())}


def definitions(texts: Iterable[str]) -> Definitions:
    """Each acronym the texts define, with its most often written form and long form."""
    glossary = Glossary()
    for text in texts:
        glossary.add(text)
    return glossary.definitions()


def expand(query: str, glossary: Definitions, is_word: Callable[[str], bool]) -> str:
    """The query with the long form of each defined acronym it writes but does not spell out
    ("papers using rl" -> "papers using rl (reinforcement learning)"). A word counts as the
    acronym when written as the texts write it (ZeRO, REAL), or in lower case when it is no
    English word (`is_word`): "rl" and "lora" are expanded; "real", "set" and "clips" are not."""
    words = _WORD.findall(query)
    present = {w.casefold() for w in words}
    added: list[str] = []
    for word in dict.fromkeys(words):
        key = word.casefold()
        singular = key[:-1] if key.endswith("s") and key[:-1] in glossary else key
        if singular not in glossary:
            continue
        written, meaning = glossary[singular]
        as_written = word in (written, written + "s") and not word.islower()
        if (as_written or (word.islower() and not is_word(word))) and not set(meaning.split()) <= present:
            added.append(meaning)
    return f"{query} ({'; '.join(dict.fromkeys(added))})" if added else query
