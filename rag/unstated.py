"""Whether the papers found state what a question asks of a name (`properties.py`): a sentence
writing the name (any of the abstract of the paper the name is, which says "we") that states it.
When none does, the answer says so and cites a paper that mentions the name, rather than quoting a
sentence that only mentions it ("how big is jft?": "... web-scale datasets (ImageNet, JFT)");
when no paper found writes any word of the name, the question is refused."""

from __future__ import annotations

import re

from .aspects import written_name
from .citations import PaperText
from .contribution import own_names
from .embeddings import Embedder
from .evidence import LINK, Evidence
from .extractive import is_own_name, named_paper
from .library.keyword import tokenize
from .library.names import title_head
from .mentioned import names_own_work, written_as_a_name
from .properties import MADE, AskedProperty, Property
from .record_answer import named_source
from .sentences import add_sentences
from .yesno import UNSAID

_YES_NO = ("open", "beats")  # asked yes or no: an answer that they are not stated opens with UNSAID

# How a sentence states each property. A size or count is a number: the name's own digits
# ("LAION-5B") are taken out of the sentence first.
_NUMBER = (
    r"(?:\d[\d.,]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?|dozens?)"
)
_STATED: dict[Property, re.Pattern[str]] = {
    # digits not a year nor a share, or a magnitude ("a thousand", "one billion", "millions")
    "size": re.compile(
        r"(?<![\w.])(?!(?:19|20)\d\d\b)\d[\d.,]*(?!\s*%|\.\d|\w*\s*(?:points?|pp)\b)"
        r"|\b(?:hundreds|thousands|millions|billions|trillions)\b"
        r"|\b(?:a|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:hundred|thousand|million|billion|trillion)\b",
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
    r"out-?perform|\bbeats?\b|surpass|exceed|better|worse|superior|inferior|compar|\bvs\.?\b|versus|"
    r"\bthan\b|rival|on\s+par|competitive|match(?:es|ing)?\b|\bover\b|\bupon\b|relative\s+to|behind",
    re.IGNORECASE,
)
# a thing counted, shortened as people type it
_SHORTENED = {
    "params": "parameters",
    "param": "parameter",
    "imgs": "images",
    "img": "image",
    "toks": "tokens",
}


def _asked(evidence: Evidence) -> AskedProperty | None:
    """The property asked, for a question about one thing (not a list, nor two papers compared)."""
    query = evidence.query
    if query.asked_property is None or query.is_list or query.among or len(evidence.sides) >= 2:
        return None
    return query.asked_property


def _own_papers(asked: AskedProperty, papers: list[PaperText]) -> list[PaperText]:
    """The papers found that the subject is the name of (ZeroQ for "zeroq"; "open images" for "The
    Open Images Dataset V4: ..."; two when two coin it), the one the question names first; not a
    paper whose title only uses it ("OmniSSR: ... using Stable Diffusion"), nor the rival's."""
    named = named_paper(papers)
    rival = named is not None and bool(asked.other) and is_own_name(asked.other, named)  # B of "A beats B?"
    first = (
        [named] if named is not None and not rival and (named.called or _is_own(asked.subject, named)) else []
    )
    own = first + [p for p in papers if p is not named and _is_own(asked.subject, p)]
    if own:
        return own
    # a name only one paper found writes, which it gives its own work ("our newly created dataset,
    # MT-Redundant"); not one many write ("our standardized CLIP training code")
    name = written_name(asked.subject)
    writing = [p for p in papers if any(name.search(t) for t in _texts(p))]
    if len(writing) == 1 and any(
        names_own_work(s, name, own_names(writing[0])) for s in writing[0].all_sentences()
    ):
        return writing
    return []


def _is_own(subject: str, paper: PaperText) -> bool:
    """Whether a paper is the one a name is: one of its names or its title's head."""
    return is_own_name(subject, paper) or _heads(subject, paper.title)


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
        owned = any(paper is o for o in own)
        about[paper.number] = texts if owned else [t for t in texts if name.search(t)]
        others = _other_names(asked.other, about[paper.number])
        if owned and any(o.search(t) for o in others for t in texts):
            return None  # its own abstract writes the rival: what it says of it is quoted
        if any(_stated(asked, name, others, text) for text in about[paper.number]):
            return None
    writing = [n for n, sentences in about.items() if sentences]
    # of a name the papers only mention, only a name: not a topic ("open-source llms", "instruction
    # tuning"), which no sentence need write whole
    if not writing or not (own or _names_written(asked, [t for n in writing for t in about[n]], papers)):
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


def _names_written(asked: AskedProperty, about: list[str], papers: list[PaperText]) -> bool:
    """Whether the papers write the subject (and a comparison's rivals they write) as names are
    written: a capital inside or a digit, or a capital first where no sentence begins."""
    titles = {p.title for p in papers}  # a title's capitals are its style ("... with Commercial Models")
    if not written_as_a_name(written_name(asked.subject), [t for t in about if t not in titles]):
        return False
    texts = [LINK.sub(" ", s) for p in papers for s in p.all_sentences()]
    rivals = _other_names(asked.other, texts) if asked.other else []
    # a rival none of them writes is compared with nothing, whatever it is
    return all(written_as_a_name(o, texts) or not any(o.search(t) for t in texts) for o in rivals)


def _other_names(other: str, texts: list[str]) -> list[re.Pattern[str]]:
    """A comparison's rivals as texts may write them, leniently: each of "blip-2 and flamingo"; a
    rival of words written in full also by its acronym ("SAM" where "Sharpness-Aware Minimization"
    is written), or its last word ("CLIP" of "openai clip"); a word in another form ("ensemble")."""
    names = []
    for rival in (r for r in re.split(r"\s*(?:,|\band\b|\bor\b)\s*", other, flags=re.IGNORECASE) if r):
        forms = [written_name(rival).pattern]
        words = [w for w in re.split(r"[\s-]+", rival) if w]
        if len(words) >= 2 and any(re.search(forms[0], t, re.IGNORECASE) for t in texts):
            forms.append(rf"(?-i:(?<![\w-]){''.join(w[0] for w in words).upper()}(?![a-z]))")
        if len(words) >= 2 and len(words[-1]) >= 3:  # "OpenAI's CLIP" for "openai clip"
            forms.append(written_name(words[-1]).pattern)
        if len(words) == 1 and rival.isalpha() and len(rival) > 6:  # "ensemble" for "ensembling"
            forms.append(rf"\b{re.escape(rival[: max(5, len(rival) - 4)])}\w*")
        names.append(re.compile("|".join(forms), re.IGNORECASE))
    return names


def _stated(asked: AskedProperty, name: re.Pattern[str], others: list[re.Pattern[str]], text: str) -> bool:
    """Whether a sentence about the name states the property: for a comparison, the other name with a
    comparison's words; a maker, who made the name; a count, a number of the thing counted; else
    the property's pattern, outside the name ("LAION-5B" is no number)."""
    if asked.property == "beats":
        rest = name.sub(" ", text)
        return any(o.search(rest) for o in others) and bool(_COMPARES.search(text))
    if asked.property == "maker":
        return bool(_made_by(name).search(text))
    if asked.property == "count":
        return bool(_number_of(asked.counted).search(name.sub(" ", text)))
    return bool(_STATED[asked.property].search(name.sub(" ", text)))


def _made_by(name: re.Pattern[str]) -> re.Pattern[str]:
    """Who made a name, as a sentence writes it: "Anthropic's Claude 3 Opus", "X, developed by Y",
    "from OpenAI, including X"; not "Primer's gains over Transformer"."""
    written = f"(?i:{name.pattern})"
    return re.compile(
        rf"\b[A-Z][\w-]*['\u2019]s\s+(?:[\w-]+\s+)?{written}|{written}[^.;]{{0,60}}?\b(?:{MADE})\s+by\b"
        rf"|\bfrom\s+[A-Z][\w-]+[^.;]{{0,60}}?{written}"  # "LLMs from OpenAI, including text-davinci-003"
    )


def _number_of(counted: str) -> re.Pattern[str]:
    """A number of the thing counted ("1.65M examples", "70B-parameter", "nine tasks"); not a rate
    ("2 bits per parameter"), nor another word that starts alike ("images": not "ImageNet")."""
    noun = counted.split()[-1].lower() if counted.split() else ""
    noun = _SHORTENED.get(noun, noun)
    stem = re.sub(r"(?<=\w{3})(?:es|s)$", "", noun)
    return re.compile(
        rf"(?<![\w.]){_NUMBER}\s*[kmb]?(?:\s+(?:(?!per\b)[\w-]+\s+){{0,2}}?|-){re.escape(stem)}\w{{0,3}}\b",
        re.IGNORECASE,
    )


def _as_written(name: re.Pattern[str], texts: list[str]) -> str:
    """The name as the first text writing it writes it ("COCO" for "coco"), else ""."""
    return next((m.group(0) for t in texts if (m := name.search(t))), "")
