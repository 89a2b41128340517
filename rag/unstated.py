"""Whether the papers found state what a question asks of a name (`properties.py`): a sentence
writing the name (any of the abstract of the paper the name is, which says "we") that states it.
When none does, the answer says so and cites a paper that mentions the name, rather than quoting a
sentence that only mentions it ("how big is jft?": "... web-scale datasets (ImageNet, JFT)");
when no paper found writes the name, the question is refused."""

from __future__ import annotations

import re

from .aspects import written_name
from .citations import PaperText
from .embeddings import Embedder
from .evidence import LINK, Evidence
from .extractive import is_own_name, named_paper
from .library.keyword import tokenize
from .library.names import title_head
from .properties import AskedProperty, Property
from .record_answer import named_source
from .sentences import add_sentences
from .yesno import UNSAID

_YES_NO = ("open", "beats")  # answered "Yes." or "No." when stated; else the abstracts don't say

# How a sentence states each property. A size or count is a number: the name's own digits
# ("LAION-5B") are taken out of the sentence first.
_NUMBER = (
    r"(?:\d[\d.,]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?|dozens?)"
)
_STATED: dict[Property, re.Pattern[str]] = {
    "size": re.compile(
        r"(?<![\w.])(?:\d[\d.,]*|hundreds|thousands|millions|billions|trillions)(?!\s*%|\.\d|\w*\s*(?:points?|pp)\b)",
        re.IGNORECASE,
    ),
    "license": re.compile(
        r"licen[cs]|creative\s+commons|\bcc[\s-]by\b|(?-i:\bMIT\b)|\bapache\b", re.IGNORECASE
    ),
    "open": re.compile(
        r"open[\s-]*sourc|\b(?:publicly|freely|openly)\s+(?:available|released?|accessible|shared)"
        r"|\brelease[sd]?\b|\bavailable\s+(?:at|on|from)\b|\bopen[\s-]+(?:weights?|models?|access)\b"
        r"|\bclosed(?:[\s-]+source)?\b|\bproprietary\b",  # stated as not open
        re.IGNORECASE,
    ),
    "date": re.compile(r"\b(?:19|20)\d\d\b(?!\s*%)"),
    # a time, not an amount of data ("50 hours of videos"); the word before the unit has no digits
    "training": re.compile(
        r"(?<![\w.])\d[\d.,]*\s*(?:[a-z-]+\s+)?(?:gpu[\s-]*|tpu[\s-]*)?(?:hours?|days?|weeks?|months?|minutes?)"
        r"\b(?!\s+of\b)",
        re.IGNORECASE,
    ),
}
# a comparison's words: a sentence writing both names without one compares nothing ("models like
# BERT and RoBERTa")
_COMPARES = re.compile(
    r"outperform|\bbeats?\b|surpass|exceed|better|worse|superior|inferior|compar|\bvs\.?\b|versus|"
    r"\bthan\b|rival|on\s+par|competitive|match(?:es|ing)?\b|(?:improvements?|gains?|advantages?|lead)\s+over",
    re.IGNORECASE,
)
_MADE = r"created|developed|made|built|released|introduced|proposed|invented|designed|trained|published"


def _asked(evidence: Evidence) -> AskedProperty | None:
    """The property asked, for a question about one thing (not a list, nor two papers compared)."""
    query = evidence.query
    if query.asked_property is None or query.is_list or query.among or len(evidence.sides) >= 2:
        return None
    return query.asked_property


def _own_papers(asked: AskedProperty, papers: list[PaperText]) -> list[PaperText]:
    """The papers found that the subject is the name of (ZeroQ for "zeroq"; "open images" for "The
    Open Images Dataset V4: ..."; two when two coin it), the one the question names first; not a
    paper whose title only uses it ("OmniSSR: ... using Stable Diffusion")."""
    named = named_paper(papers)
    first = [named] if named is not None and (named.called or is_own_name(asked.subject, named)) else []
    return first + [
        p
        for p in papers
        if p is not named and (is_own_name(asked.subject, p) or _heads(asked.subject, p.title))
    ]


# what a title's head may call the thing besides its name ("The Open Images Dataset V4")
_KIND_WORDS = frozenset(tokenize("dataset data corpus benchmark model family suite collection"))
_VERSION = re.compile(r"^(?:v\d+|\d+(?:\.\d+)?)$")


def _heads(subject: str, title: str) -> bool:
    """Whether a title's head is the subject's words and at most the kind of thing it is, and a
    version ("google landmarks dataset" of "Google Landmarks Dataset v2")."""
    terms, head = set(tokenize(subject)), set(tokenize(title_head(title)))
    extra = head - terms - _KIND_WORDS
    return bool(terms) and terms <= head and all(_VERSION.match(term) for term in extra)


def _texts(paper: PaperText) -> list[str]:
    """A paper's title and sentences (split from its chunks if not yet), links left out."""
    return [LINK.sub(" ", t) for t in [paper.title, *paper.all_sentences()]]


def unwritten_subject(evidence: Evidence) -> str | None:
    """The name a property is asked of, when no paper found writes any of its words nor is called by
    it ("how big is the c4 dataset?" of dataset papers that never write C4): the question is then
    refused; else None."""
    asked = _asked(evidence)
    papers = evidence.ranked_papers()
    if asked is None or not papers or _own_papers(asked, papers) or any(p.called for p in papers):
        return None
    # none of its words but numbers and kinds: not "the datacomp candidate pool", a description whose
    # words a paper writes apart, nor "the released nhr-edit instruction-based image-editing dataset"
    distinctive = {t for t in tokenize(asked.subject) if not t.replace(".", "").isdigit()} - _KIND_WORDS
    written = set(tokenize(" ".join(t for p in papers for t in _texts(p))))
    return asked.subject if distinctive and not distinctive & written else None


def used_by_title(evidence: Evidence) -> bool:
    """Whether "who developed X?" would be answered from the record of a paper whose title only uses
    X ("OmniSSR: ... using Stable Diffusion"), which did not make it: then it is asked as a property."""
    asked = _asked(evidence)
    if asked is None or asked.property not in ("maker", "date"):
        return False
    source = named_source(evidence)
    return source is not None and not any(
        p.number == source.number for p in _own_papers(asked, evidence.ranked_papers())
    )


def before_aspects(evidence: Evidence) -> bool:
    """Whether a property other than a count (`aspects.missing_count` says those) is asked of a name
    that no paper found is ("is stable diffusion open source?" of "OmniSSR: ... using Stable
    Diffusion"): checked before any rule on the paper the title names."""
    asked = _asked(evidence)
    return (
        asked is not None and asked.property != "count" and not _own_papers(asked, evidence.ranked_papers())
    )


def unstated_property(evidence: Evidence, embedder: Embedder) -> tuple[str, list[int]] | None:
    """When the papers found write the name a property is asked of but no sentence writing it (or
    of its own paper) states the property: that they don't, citing the first paper writing it;
    None when one states it (then it is answered as any question), or when none writes it."""
    asked = _asked(evidence)
    if asked is None:
        return None
    papers = evidence.ranked_papers()
    add_sentences(papers, embedder)
    own = _own_papers(asked, papers)
    if own and asked.property in ("maker", "date"):
        return None  # its authors and its date are its record's; its abstract presents it as theirs
    name = written_name(asked.subject)
    about: dict[int, list[str]] = {}  # by paper number: its sentences about the name
    for paper in papers:
        texts = _texts(paper)
        about[paper.number] = texts if any(paper is o for o in own) else [t for t in texts if name.search(t)]
        other = _other_name(asked.other, about[paper.number])
        if any(_stated(asked, name, other, text) for text in about[paper.number]):
            return None
    writing = [n for n, sentences in about.items() if sentences]
    if not writing:
        return None
    shown = _as_written(name, [t for n in writing for t in about[n]]) or asked.subject
    other_shown = asked.other and (
        _as_written(written_name(asked.other), [t for p in papers for t in _texts(p)]) or asked.other
    )
    described = asked.described(shown, other_shown)
    verdict = f"{UNSAID} " if asked.property in _YES_NO else ""
    if own:
        return f"{verdict}The abstract of [{own[0].number}] does not state {described}.", [own[0].number]
    first = writing[0]
    return f"{verdict}The papers found don't state {described}; [{first}] mentions {shown}.", [first]


def _other_name(other: str, texts: list[str]) -> re.Pattern[str] | None:
    """The other name of a comparison as texts write it, or by the acronym of its words where they
    write them in full ("SAM" where "Sharpness-Aware Minimization" is written)."""
    if not other:
        return None
    written = written_name(other)
    words = [w for w in re.split(r"[\s-]+", other) if w]
    if len(words) < 2 or not any(written.search(t) for t in texts):
        return written
    acronym = "".join(w[0] for w in words).upper()
    return re.compile(rf"{written.pattern}|(?-i:(?<![\w-]){acronym}(?![a-z]))", re.IGNORECASE)


def _stated(asked: AskedProperty, name: re.Pattern[str], other: re.Pattern[str] | None, text: str) -> bool:
    """Whether a sentence about the name states the property: for a comparison, the other name with a
    comparison's words; a maker, who made the name; a count, a number of the thing counted; else
    the property's pattern, outside the name ("LAION-5B" is no number)."""
    if asked.property == "beats":
        return other is not None and bool(other.search(name.sub(" ", text))) and bool(_COMPARES.search(text))
    if asked.property == "maker":
        return bool(_made_by(name).search(text))
    if asked.property == "count":
        return bool(_number_of(asked.counted).search(name.sub(" ", text)))
    return bool(_STATED[asked.property].search(name.sub(" ", text)))


def _made_by(name: re.Pattern[str]) -> re.Pattern[str]:
    """Who made a name, as a sentence writes it: "Anthropic's Claude 3 Opus", "X, developed by Y";
    not "Primer's gains over Transformer"."""
    written = f"(?i:{name.pattern})"
    return re.compile(
        rf"\b[A-Z][\w-]*['\u2019]s\s+(?:[\w-]+\s+)?{written}|{written}[^.;]{{0,60}}?\b(?:{_MADE})\s+by\b"
    )


def _number_of(counted: str) -> re.Pattern[str]:
    """A number of the thing counted ("1.65M examples", "70B-parameter", "nine tasks"); not a rate
    ("2 bits per parameter"), nor another word that starts alike ("images": not "ImageNet")."""
    noun = counted.split()[-1].lower() if counted.split() else ""
    stem = re.sub(r"(?<=\w{3})(?:es|s)$", "", noun)
    return re.compile(
        rf"(?<![\w.]){_NUMBER}\s*[kmb]?(?:\s+(?:(?!per\b)[\w-]+\s+){{0,2}}?|-){re.escape(stem)}\w{{0,3}}\b",
        re.IGNORECASE,
    )


def _as_written(name: re.Pattern[str], texts: list[str]) -> str:
    """The name as the first text writing it writes it ("COCO" for "coco"), else ""."""
    return next((m.group(0) for t in texts if (m := name.search(t))), "")
