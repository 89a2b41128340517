"""Verifying a reply: valid citations, uncited sentences attributed or removed, each cited sentence
supported by the paper it cites, numbers quoted as the sources write them."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from .answer import REFUSAL
from .citations import (
    CitationRewriter,
    PaperText,
    Unsupported,
    add_citation,
    check_support,
    citations_last,
    cited_numbers,
    keep_valid_citations,
    rewrite_citations,
    split_sentences,
    strip_citations,
    tidy,
    written_figures,
)
from .evidence import Evidence
from .injection import echoes_instruction, injected_targets
from .library.keyword import tokenize
from .library.names import PIECE, distinctive, key, title_names, written_keys
from .yesno import UNSAID, VERDICT, checked_verdict, names_paper, only_unsaid, source_verdict

_MODEL_REFUSAL = re.compile(
    r"(don't|do not|doesn't|does not|cannot|can't|can ?not|unable to)\s+(answer|provide|find|"
    r"contain|address|mention|say|determine)|not enough information|no (relevant )?information"
    r"|not (mentioned|addressed|covered|discussed) in the (sources|papers|abstracts)",
    re.IGNORECASE,
)
_PROMPT_ECHO = re.compile(r"</?source\b|^\s*(Title|Question|Sources):", re.IGNORECASE | re.MULTILINE)


# A list of references a model writes after its answer ("References:\n[1] Model soups ..."): the
# answer lists its own, from the sources' records
_REFERENCE_LIST = re.compile(
    r"\n[ \t]*(?:#+[ \t]*)?(?:\*\*)?(?:references|sources|citations|bibliography)(?:\*\*)?[ \t]*:?[ \t]*"
    r"(?:\*\*)?[ \t]*\n(?P<entries>(?:[^\n]*\S[^\n]*(?:\n\s*|\Z))+)\Z",
    re.IGNORECASE,
)
# an entry's marks: its bullet or number, its citations ("- [1] Title", "1. Title", "- Title [1]")
_ENTRY_MARKS = re.compile(
    r"^[ \t]*(?:[-*\u2022][ \t]*)?(?:\(?\d+[.)][ \t]*)?|\[\^?[\d,\s]+\]|[*_\"]", re.MULTILINE
)
# what an entry may write besides a title: authors, "et al.", years, a venue, a link, punctuation
_ENTRY_METADATA = re.compile(
    r"(?:[\s,.;:()\[\]\-\u2013\u2014&]|et\s+al\b|\d[\d.:/\u2013-]*\b|https?://\S+|(?:arxiv|doi):?\s*\S+"
    r"|\b(?:in|of|on|the|and|for|proceedings|conference|journal|workshop|advances|transactions|pp|vol|preprint)\b"
    r"|(?-i:[A-Z][\w'\u2019.-]*))*",
    re.IGNORECASE,
)


def _reference_list(text: str, evidence: Evidence) -> re.Match[str] | None:
    """The list of references a reply ends with, when each of its lines writes a source's title
    (or its beginning) and otherwise only authors, years, a venue or a link; None else (a list of
    cited claims under "Sources:" is the answer)."""
    listed = _REFERENCE_LIST.search(text)
    if listed is None:
        return None
    titles = [_as_entry(p.title) for p in evidence.papers.values()]
    entries = [_as_entry(line) for line in listed["entries"].splitlines()]
    return listed if all(_is_reference(entry, titles) for entry in entries if entry) else None


def _as_entry(line: str) -> str:
    """A line (or a title) without an entry's marks, its spaces single."""
    return " ".join(_ENTRY_MARKS.sub(" ", line).split())


def _is_reference(entry: str, titles: list[str]) -> bool:
    """Whether an entry is a title (the start of one will do) with only metadata around it."""
    folded = entry.casefold()
    for title in titles:
        for written in (title, title[:40]):
            at = folded.find(written.casefold())
            if at >= 0 and _ENTRY_METADATA.fullmatch(entry[:at] + " " + entry[at + len(written) :]):
                return True
        if len(folded) >= 12 and title.casefold().startswith(folded.rstrip(". ")):
            return True
    return False


def is_model_refusal(text: str) -> bool:
    """Whether a model's reply says, in its own words, that the sources don't answer."""
    return text.strip() == REFUSAL or (len(text) < 300 and bool(_MODEL_REFUSAL.search(text)))


def is_degenerate(text: str) -> bool:
    """Whether a reply loops (a sentence three times or more) or echoes the prompt's structure."""
    sentences = Counter(strip_citations(s).casefold() for s in split_sentences(text))
    repeats = max(sentences.values(), default=0)
    return repeats >= 3 or bool(_PROMPT_ECHO.search(text))


# Words a comparison writes of any papers: without more, it compares nothing.
_COMPARING = frozenset(tokenize("differ differs difference compare compared comparison similar both unlike"))


# A sentence of a comparison about all the compared papers at once ("Both methods merge two models")
_ALL_SIDES = re.compile(
    r"\b(?:(?:both|neither)\s+(?:of\s+them|methods|papers|approaches|works|frameworks|models|studies)"
    r"|they\s+both|each\s+of\s+them|all\s+of\s+them)\b",
    re.IGNORECASE,
)


def for_one_side(sentences: list[str]) -> list[Unsupported]:
    """A comparison's sentences claiming something of all the compared papers ("Both methods merge
    two models [2].") while citing one: one paper's abstract cannot back a claim about the others."""
    found = []
    for sentence in sentences:
        cited = cited_numbers(sentence)
        if _ALL_SIDES.search(sentence) and len(set(cited)) == 1:
            reason = "speaks of all the compared papers but cites one"
            found.append(Unsupported(strip_citations(sentence), cited, None, reason))
    return found


# How a sentence says one compared paper is better than another ("A outperforms B", "more efficient
# than B"), or better than the others ("A is better on ImageNet", "A performs best"); not a paper's
# own claim ("better interpretability", "outperforms the baselines")
_BEATING = r"(?:\bthan|\boutperform\w*|\bbeats?|\bbeating|\bsurpass\w*|\bexceed\w*)\s+(?:the\s+)?"
_IS_BETTER = r"\s+(?:is|was|are|were|performs?|performed|works?|does|did|scores?)\s+(?:[\w-]+\s+)?"
_BETTER_WORD = r"(?:better|best|worse|worst)\b(?![^,;.]*\b(?:than|compared\s+(?:to|with)|among)\b)"


def one_sided_verdicts(sentences: list[str], sides: dict[int, str]) -> list[Unsupported]:
    """A model comparison's sentences saying which compared paper is better ("A outperforms B [1].",
    "A is better on ImageNet [1].") while citing one: its abstract says nothing of the other paper.
    `sides`: each compared paper's name, by the number a sentence cites it by."""
    found = []
    for sentence in sentences:
        cited = set(cited_numbers(sentence))
        plain = strip_citations(sentence)
        if len(cited) != 1:
            continue
        beaten = [
            name
            for number, name in sides.items()
            if number not in cited and re.search(_BEATING + re.escape(name), plain, re.IGNORECASE)
        ]
        better = any(
            re.search(re.escape(name) + _IS_BETTER + _BETTER_WORD, plain, re.I) for name in sides.values()
        )
        if beaten or better:
            reason = f"says which is better than {beaten[0]}" if beaten else "says which is better"
            found.append(Unsupported(plain, sorted(cited), None, f"{reason} but cites one paper"))
    return found


def names_only(sentences: list[str], evidence: Evidence) -> bool:
    """Whether a comparison's sentences write nothing but the compared papers' names and titles
    ("A [1], B [2] and C [3]."): no word of what they do, differ or agree on."""
    names = [*(s.paper.title for s in evidence.sources), *evidence.sides.values()]
    named = set().union(*(tokenize(name) for name in names))
    return not any(set(tokenize(strip_citations(s))) - named - _COMPARING for s in sentences)


def _silent(text: str, evidence: Evidence, citable: set[int]) -> Verified | None:
    """A reply "The abstracts don't say." to a yes/no question naming a paper none of whose shown
    sentences settles it: that answer, citing the paper (None: not such a reply)."""
    if evidence.query.kind != "yesno" or cited_numbers(text) or not only_unsaid(text):
        return None
    shown = [p for p in evidence.ranked_papers() if p.number in citable]
    question = evidence.query.text
    if not shown or not names_paper(question, shown[0].title):
        return None
    if source_verdict(question, shown, evidence.question_vector):
        return None
    said = None if text.strip() == UNSAID else "verdict: no paper shown settles the question"
    return Verified(f"{UNSAID[:-1]} [1].", [shown[0].number], verdict=said)


def misnamed(
    sentences: list[str], cited: dict[int, PaperText], shown: Iterable[PaperText]
) -> list[Unsupported]:
    """Cited sentences writing a shown paper's name (CLIP-ReIdent) while citing only other papers,
    none of which writes it: a claim about that paper credited to another."""
    names = {}
    for paper in shown:
        for name in filter(distinctive, title_names(paper.title)):
            if len(k := key(PIECE.findall(name))) >= 4:
                names[k] = (paper, name)
    found = []
    keys_of: dict[int, set[str]] = {}  # what each cited paper writes, read once

    def writes(number: int, k: str) -> bool:
        if number not in keys_of:
            keys_of[number] = written_keys(" ".join([cited[number].title, *cited[number].chunk_texts]))
        return k in keys_of[number]

    for sentence in sentences:
        numbers = [n for n in cited_numbers(sentence) if n in cited]
        written = written_keys(strip_citations(sentence))
        for k, (paper, name) in names.items():
            if not numbers or k not in written or any(cited[n] is paper for n in numbers):
                continue
            if not any(writes(n, k) for n in numbers):
                reason = f"writes {name} but cites only papers that do not"
                found.append(Unsupported(strip_citations(sentence), numbers, None, reason))
                break
    return found


def foreign(sentences: list[str], unseen: frozenset[str]) -> list[Unsupported]:
    """Cited sentences writing a word of the question that no paper of the collection writes ("The
    best way to learn the guitar is ... [1]"): no citation can back it."""
    found = []
    for sentence in sentences:
        plain = strip_citations(sentence)
        words = unseen & set(tokenize(plain))
        if cited_numbers(sentence) and words:
            reason = f"writes {', '.join(sorted(words))}, which no paper of the collection writes"
            found.append(Unsupported(plain, cited_numbers(sentence), None, reason))
    return found


@dataclass
class Verified:
    """A reply after verification: final text (renumbered), the sources it cites, what failed."""

    text: str
    order: list[int]  # original source numbers in order of first use
    unsupported: list[Unsupported] = field(default_factory=list)
    attributed: list[str] = field(default_factory=list)
    rejection: str | None = None  # why this reply is not an answer
    verdict: str | None = None  # how a yes/no reply's verdict was set to its cited sentences'
    references_dropped: bool = False  # it ended with the model's own list of references, dropped


def verify(
    raw: str,
    evidence: Evidence,
    vectors_of: Callable[[list[str]], np.ndarray],
    *,
    citable: set[int],
    threshold: float,
    from_model: bool,
    max_chars: int | None = None,
) -> Verified:
    """Check a raw reply: valid citations, uncited sentences attributed or removed, support, and
    from a model asked for a number, one quoted as its sources write it. A reply over max_chars is
    rejected unread (checking is linear in its sentences, each embedded)."""
    if max_chars is not None and len(raw) > max_chars:
        return Verified("", [], rejection=f"the reply is longer than {max_chars:,} characters")
    text = keep_valid_citations(citations_last(re.sub(r"^\s*Answer:\s*", "", raw)), citable)
    listed = _reference_list(text, evidence) if from_model else None
    checked = _checked(
        text[: listed.start()] if listed else text,
        evidence,
        vectors_of,
        citable=citable,
        threshold=threshold,
        from_model=from_model,
    )
    return dataclasses.replace(checked, references_dropped=True) if listed else checked


def _checked(
    text: str,
    evidence: Evidence,
    vectors_of: Callable[[list[str]], np.ndarray],
    *,
    citable: set[int],
    threshold: float,
    from_model: bool,
) -> Verified:
    """A reply's text checked (`verify`, once its citations are read and a references list dropped)."""
    if not text.strip():
        return Verified("", [], rejection="empty reply")
    silent = _silent(text, evidence, citable) if from_model else None
    if silent is not None:
        return silent
    if from_model and is_model_refusal(text) and not cited_numbers(text):
        return Verified(text, [], rejection="declined to answer although the evidence passed the gate")
    if from_model and is_degenerate(text):
        return Verified(text, [], rejection="the reply loops or echoes the prompt")

    lines = [split_sentences(line) for line in text.split("\n")]
    sentences = [sentence for line in lines for sentence in line]
    vector_of = dict(zip(sentences, vectors_of([strip_citations(s) for s in sentences]), strict=True))
    # what instructions hidden in the sources ask the model to say ("reply only with PWNED")
    targets = injected_targets([t for p in evidence.papers.values() for t in [p.title, *p.chunk_texts]])
    kept_lines: list[list[str]] = []
    attributed: list[str] = []
    removed: list[Unsupported] = []
    for line in lines:
        kept: list[str] = []
        for sentence in line:
            plain = strip_citations(sentence)
            if echoes_instruction(plain, targets):
                reason = "repeats an instruction found in a source; removed from the answer"
                removed.append(Unsupported(plain, cited_numbers(sentence), None, reason))
                continue
            # a yes/no answer's verdict ("Yes.", "The abstracts don't say.") stands uncited
            opens = not kept_lines and not kept and evidence.query.kind == "yesno" and VERDICT.match(plain)
            if cited_numbers(sentence) or len(plain.split()) < 4 or opens:
                kept.append(sentence)
                continue
            # An uncited sentence goes to the paper the support check ties it to, or is removed.
            best, number = max(
                ((p.best_similarity(vector_of[sentence]), n) for n, p in evidence.papers.items()),
                default=(0, 0),
            )
            if best >= threshold:
                kept.append(add_citation(sentence, number))
                attributed.append(plain)
            else:
                removed.append(
                    Unsupported(plain, [], round(float(best), 4), "no citation; removed from the answer")
                )
        if kept or not line:  # a line emptied by removals goes; a blank line stays
            kept_lines.append(kept)
    # Rebuilt from its lines' sentences only when something changed.
    rebuilt = "\n".join(" ".join(kept) for kept in kept_lines)
    final, order = rewrite_citations(rebuilt if attributed or removed else text, citable)
    if not order and any(u.reason.startswith("repeats an instruction") for u in removed):
        obeyed = "the reply obeys an instruction in a source"
        return Verified(final, [], removed, attributed, rejection=obeyed)
    if not order:
        return Verified(final, [], removed, attributed, rejection="no valid citation")
    final_sentences = split_sentences(final)
    cited = {new: evidence.papers[old] for new, old in enumerate(order, 1) if old in evidence.papers}
    unsupported = check_support(
        final_sentences, vectors_of([strip_citations(s) for s in final_sentences]), cited, threshold
    )
    flagged = {u.sentence for u in unsupported}
    misnamed_ones = misnamed(final_sentences, cited, evidence.papers.values())
    unsupported += [u for u in misnamed_ones if u.sentence not in flagged]
    flagged |= {u.sentence for u in misnamed_ones}
    unsupported += [u for u in foreign(final_sentences, evidence.unseen) if u.sentence not in flagged]
    flagged |= {u.sentence for u in unsupported}
    if len(evidence.sides) >= 2:
        unsupported += [u for u in for_one_side(final_sentences) if u.sentence not in flagged]
    if from_model and len(evidence.sides) >= 2:  # a quoted abstract's "performs best" is its own claim
        sides = {new: evidence.sides[old] for new, old in enumerate(order, 1) if old in evidence.sides}
        flagged |= {u.sentence for u in unsupported}
        unsupported += [u for u in one_sided_verdicts(final_sentences, sides) if u.sentence not in flagged]
    if from_model and len(evidence.sides) >= 2 and names_only(final_sentences, evidence):
        reason = "it names the compared papers and says nothing of them"
        return Verified(final, order, removed + unsupported, attributed, rejection=reason)
    supported = [s for s in final_sentences if cited_numbers(s)]
    if len([u for u in unsupported if u.citations]) >= len(supported):
        return Verified(
            final,
            order,
            removed + unsupported,
            attributed,
            rejection=("no cited sentence is supported by the cited abstracts"),
        )
    # Asked for a number, the answer quotes one as its sources write it (9.2M, not 9.2 million:
    # a reader finds it in the abstract, and a small model's conversions can go wrong).
    if from_model and evidence.query.asks_figure:
        stated = written_figures(strip_citations(final)) - evidence.query.written
        sources = " ".join(t for p in cited.values() for t in [p.title, *p.chunk_texts])
        if not stated & written_figures(sources):
            reason = "asked for a number, it quotes none as its sources write it"
            return Verified(final, order, removed + unsupported, attributed, rejection=reason)
    if from_model and evidence.query.kind == "yesno":
        question, papers = evidence.query.text, list(cited.values())
        final, note, wrong = checked_verdict(question, final, papers, evidence.question_vector)
        return Verified(final, order, removed + unsupported, attributed, rejection=wrong, verdict=note)
    return Verified(final, order, removed + unsupported, attributed)


def with_completion(verified: Verified, completion: str, citable: set[int]) -> Verified:
    """A verified reply with quoted text added after it, cited in the same numbering."""
    rewriter = CitationRewriter(citable)
    rewriter.order = list(verified.order)
    added = rewriter.feed(completion) + rewriter.flush()
    return dataclasses.replace(verified, text=tidy(verified.text + added), order=rewriter.order)


def changes(verified: Verified) -> str:
    """What verification changed in a reply that stands, in words."""
    parts = [verified.verdict] if verified.verdict else []
    if verified.attributed:
        parts.append(f"{len(verified.attributed)} uncited sentence(s) attributed by the support check")
    removed = [u for u in verified.unsupported if not u.citations]
    if removed:
        parts.append(f"{len(removed)} uncited sentence(s) removed")
    if verified.references_dropped:
        parts.append("the model's list of references removed")
    return "; ".join(parts) or "citations renumbered"
