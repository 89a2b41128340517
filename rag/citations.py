"""Citations: parsing, validation and renumbering (streaming too), sentences, support checks."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from .untrusted import whole_number

# [n], [n, m], [n-m]; a footnote mark [^n] cites source n too (normalised to [n], or dropped like any
# invalid mark), and one that names no number ([^note]) is always invalid.
_CITATION = re.compile(r"\[\^?(\d+(?:\s*[-\u2013,]\s*\d+)*)\]|\[\^[^\]\n]{0,40}\]")
_OPEN_CITATION = re.compile(r"\[(?:\^[^\]\n]*|[\d\s,\-\u2013]*)$")
# A sentence ends at . ! ? (or at the citations or closing quote after one) before a capital (or
# digit, quote, parenthesis), or at a line break; not at an abbreviation's stop ("(e.g. ImageNet)",
# "Brown et al. 2020", "ranking No. 1"; a verdict "No. The ..." ends its sentence), at a quote
# closing no sentence ('the novel "Leave One Out Boost" (CLOOB)') nor at a bracket before a
# parenthesis ("Polytropon [Ponti et al., 2023] (Poly)").
_ABBREVIATION_STOP = "".join(
    rf"(?<!\b(?i:{a})\.)" for a in (r"e\.g", r"i\.e", "et al", "fig", "vs", "cf", "eq")
)
_SENTENCE_END = re.compile(
    rf"(?:(?<=[.!?\]])|(?<=[.!?][\"\u201d])){_ABBREVIATION_STOP}(?!(?<=\bNo\.)\s+\d)(?!(?<=\])\s+\()"
    rf"\s+(?=[A-Z0-9\"'(])|[ \t]*\n\s*"
)


@dataclass
class Unsupported:
    """An answer sentence whose citations do not back it up."""

    sentence: str
    citations: list[int]
    similarity: float | None
    reason: str


# The share (IDF) of the question's terms a paper's title must have for the question to name it: on
# the bundled corpus a paper named by its title or its name has 1.0, the best unrelated title 0.55
# ("attention is all you need").
NAMED = 0.8


@dataclass
class PaperText:
    """One retrieved paper: its stored chunk vectors (support checks), its sentences (evidence)."""

    number: int
    chunk_texts: list[str]
    chunk_vectors: np.ndarray
    title: str = ""
    named: float = 0.0  # the share (IDF-weighted) of the question's terms that its title has
    covered: float = 0.0  # the share (IDF-weighted) of the question's terms that its title or text has
    called: bool = False  # the question calls it by its short name (the name index: "powerscheduler")
    # its title or text is on each thing a list asks to combine (Query.joint), and on none it excludes
    joins: bool = True
    sentences: list[str] = field(default_factory=list)
    sentence_vectors: np.ndarray | None = None
    # a detail asked of a paper the question calls by name: the name's terms, and the question
    # without the name embedded (sentences.sentence_scores)
    name_terms: frozenset[str] = frozenset()
    asked_vector: np.ndarray | None = None

    def all_sentences(self) -> list[str]:
        """Its sentences: as split already (sentences.add_sentences), else split from its chunks."""
        return self.sentences or [s for text in self.chunk_texts for s in split_sentences(text)]

    def best_similarity(self, vector: np.ndarray) -> float:
        """The highest cosine similarity of a vector to any of this paper's chunks or sentences."""
        best = float(np.max(self.chunk_vectors @ vector))
        if self.sentence_vectors is not None and len(self.sentence_vectors):
            best = max(best, float(np.max(self.sentence_vectors @ vector)))
        return best


def _numbers(inside: str | None) -> list[int]:
    numbers: list[int] = []
    if inside is None:  # a footnote mark without a number
        return numbers
    for part in re.split(r"\s*,\s*", inside.strip()):
        bounds = re.split(r"\s*[-\u2013]\s*", part)
        low, high = (whole_number(b) for b in bounds) if len(bounds) == 2 else (None, None)
        if low is not None and high is not None:
            numbers.extend(range(low, high + 1) if 0 < high - low < 20 else [low, high])
        elif (number := whole_number(part)) is not None:
            numbers.append(number)
    return numbers


def citable_set(citable: int | Collection[int]) -> frozenset[int]:
    """The source numbers a reply may cite: 1..n for a count, else the given numbers."""
    return frozenset(range(1, citable + 1)) if isinstance(citable, int) else frozenset(citable)


class CitationRewriter:
    """Rewrites [n] citations as text streams in: drops non-sources, renumbers by first use."""

    def __init__(self, citable: int | Collection[int]) -> None:
        self.citable = citable_set(citable)
        self.order: list[int] = []  # original source numbers, in order of first use
        self._pending = ""

    def number_of(self, source: int) -> int:
        """The new number of an original source number, assigned on first use."""
        if source not in self.order:
            self.order.append(source)
        return self.order.index(source) + 1

    def _rewrite(self, match: re.Match[str]) -> str:
        kept: list[int] = []
        for number in _numbers(match.group(1)):
            if number in self.citable:
                new = self.number_of(number)
                if new not in kept:
                    kept.append(new)
        return f"[{', '.join(str(n) for n in sorted(kept))}]" if kept else ""

    def feed(self, text: str) -> str:
        """Rewrite what can be rewritten; hold back a citation that may still be open, and a list
        item that opens with its citation until its line ends (its citation moves to the end)."""
        text = self._pending + text
        start = text.rfind("\n") + 1  # of the last line
        if not _LABELLED_LINE.fullmatch(text, start):
            held = _OPEN_CITATION.search(text)
            start = held.start() if held and len(text) - held.start() < 40 else len(text)
        text, self._pending = text[:start], text[start:]
        return _CITATION.sub(self._rewrite, citations_last(text))

    def flush(self) -> str:
        """Whatever is still held back."""
        text, self._pending = self._pending, ""
        return _CITATION.sub(self._rewrite, citations_last(text))


def rewrite_citations(text: str, citable: int | Collection[int]) -> tuple[str, list[int]]:
    """A whole reply with citations rewritten, and the original numbers in first-use order."""
    rewriter = CitationRewriter(citable)
    rewritten = rewriter.feed(text) + rewriter.flush()
    return tidy(rewritten), rewriter.order


def keep_valid_citations(text: str, citable: int | Collection[int]) -> str:
    """A reply with citation numbers that are not sources dropped, keeping the original numbering."""
    allowed = citable_set(citable)

    def valid(match: re.Match[str]) -> str:
        kept = [n for n in dict.fromkeys(_numbers(match.group(1))) if n in allowed]
        return f"[{', '.join(str(n) for n in kept)}]" if kept else ""

    return tidy(_CITATION.sub(valid, text))


def tidy(text: str) -> str:
    """Remove spaces left before punctuation by dropped citations."""
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


_MARK = r"\[\^?[\d,\s\u2013-]+\]"
# a list item opening with its citation ("- [1] Text.", "- [1]: Text.")
_LEADING_CITATION = re.compile(
    rf"^([ \t]*[-*\u2022][ \t]*)({_MARK})([ \t]*:)?[ \t]*(\S.*?)[ \t]*$", re.MULTILINE
)
# what follows a citation that is its sentence's subject ("- [2] also proposes X.", "- [1] and [2] use
# Y.", "- [1], [2] and [3] use Y.", "- [1][2] use Y.", "- [1]'s method ..."; not a name "mPLUG-Owl: ...")
_AFTER_SUBJECT = re.compile(r"[,;&\[]|['\u2019]s\b|[a-z]+(?:-[a-z]+)*\b(?!-)")
# in such an item, a later citation followed by a capital opens the next item ("- [1] A [2] B"),
# unlike one inside a sentence ("- [1] A beats B [2] by 3 points.")
_NEXT_LABEL = re.compile(rf"[ \t]*({_MARK})[ \t]*(?=[A-Z0-9])")
# a line that is, or may still become, a list item opening with its citation
_LABELLED_LINE = re.compile(r"[ \t]*[-*\u2022][ \t]*(?:\[.*)?")


def citations_last(text: str) -> str:
    """List items that open with their citation ("- [2] Text.") cite at the end instead ("- Text. [2]"),
    where a citation belongs to the sentence before it; a line of several such items ("- [1] A [2] B")
    becomes one line each. An item whose citation is its sentence's subject ("- [2] also proposes
    X.") stays as written."""

    def moved(item: re.Match[str]) -> str:
        bullet, first, colon, rest = item.groups()
        if not colon and _AFTER_SUBJECT.match(rest):
            return item.group()
        parts = _NEXT_LABEL.split(rest)
        labelled = [(first, parts[0]), *zip(parts[1::2], parts[2::2], strict=True)]
        return "\n".join(f"{bullet}{body.strip()} {mark}" for mark, body in labelled)

    return _LEADING_CITATION.sub(moved, text)


def split_sentences(text: str) -> list[str]:
    """Sentences of a text, each keeping the citations that follow it."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def cited_numbers(sentence: str) -> list[int]:
    """The citation numbers in a sentence."""
    return [n for m in _CITATION.finditer(sentence) for n in _numbers(m.group(1))]


def strip_citations(sentence: str) -> str:
    """A sentence without its citation markers."""
    return tidy(_CITATION.sub("", sentence))


def add_citation(sentence: str, number: int) -> str:
    """A sentence with a citation appended before its final punctuation."""
    body = sentence.rstrip()
    end = body[-1] if body and body[-1] in ".!?" else ""
    return f"{body[: len(body) - len(end)].rstrip()} [{number}]{end}"


_NUMBER = re.compile(
    r"(?<![\w.])(\d+(?:,\d{3})*(?:\.\d+)?)\s*(%|percent|k|thousand|m|million|b|billion|g|t|trillion|x|times|\u00d7)?(?![\w])",
    re.IGNORECASE,
)
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9, "g": 1e9}
_SCALE |= {"t": 1e12, "trillion": 1e12}


def _number_values(text: str) -> list[tuple[str, set[float]]]:
    """Each number in a text with the values it may stand for (358k: 358 and 358,000)."""
    found = []
    for match in _NUMBER.finditer(text):
        value = float(match.group(1).replace(",", ""))
        scale = _SCALE.get((match.group(2) or "").casefold(), 1.0)
        found.append((match.group(0).strip(), {round(value, 6), round(value * scale, 6)}))
    return found


def figures(text: str) -> set[float]:
    """The values of the numbers a text states (358k: 358 and 358,000)."""
    return set().union(*(values for _, values in _number_values(text)))


def written_figures(text: str) -> set[str]:
    """The numbers a text states as written, with their magnitude (358k, 9.2 million, 5,000): what
    a quote of the figure repeats; units do not count (98.44 % is 98.44%)."""
    written = set()
    for match in _NUMBER.finditer(text):
        magnitude = (match.group(2) or "").casefold()
        written.add(match.group(1) + (magnitude if magnitude in _SCALE else ""))
    return written


def unsupported_numbers(sentence: str, texts: list[str]) -> list[str]:
    """Numbers of a sentence (10 and above, or with a decimal point) that none of the texts states."""
    stated = set().union(*map(figures, texts))
    missing = []
    for shown, values in _number_values(sentence):
        if max(values) < 10 and "." not in shown:
            continue  # small counts are often spelled out in abstracts ("three experts")
        if not values & stated:
            missing.append(shown)
    return missing


def check_support(
    sentences: list[str],
    sentence_vectors: np.ndarray,
    papers: dict[int, PaperText],
    threshold: float,
) -> list[Unsupported]:
    """Sentences with no citation, whose cited papers have no chunk similar enough to back them,
    or that state a number the cited papers do not."""
    unsupported = []
    for sentence, vector in zip(sentences, sentence_vectors, strict=True):
        numbers = cited_numbers(sentence)
        text = strip_citations(sentence)
        if not numbers:
            if len(text.split()) >= 4:
                unsupported.append(Unsupported(text, [], None, "no citation"))
            continue
        best = max((papers[n].best_similarity(vector) for n in numbers if n in papers), default=0.0)
        if best < threshold:
            unsupported.append(
                Unsupported(text, numbers, round(best, 4), f"similarity {best:.2f} to the cited abstracts")
            )
            continue
        invented = unsupported_numbers(
            text, [t for n in numbers if n in papers for t in papers[n].chunk_texts]
        )
        if invented:
            unsupported.append(
                Unsupported(
                    text, numbers, round(best, 4), f"{', '.join(invented)} not in the cited abstracts"
                )
            )
    return unsupported
