"""What a question asks of a thing the papers may only mention: its size, a count of it, its
license, whether it is open, who made it, when, how long it took to train, whether it beats
another ("how big is c4?", "what license does coco use?", "does mistral outperform llama 2?"),
read once with the question; `unstated.py` checks whether a sentence found states it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Property = Literal["size", "count", "license", "open", "maker", "date", "training", "beats"]

MAX_SUBJECT_WORDS = 4  # a name ("claude 3 opus"), not a description


@dataclass(frozen=True)
class AskedProperty:
    """A property a question asks of a subject (as typed), with what it counts, the rival, the verb."""

    property: Property
    subject: str
    counted: str = ""  # "how many images are in coco?": images
    other: str = ""  # "does X beat Y?": Y
    verb: str = ""  # "who created X?", "when was X released?": created, released

    def described(self, subject: str, other: str = "") -> str:
        """What the papers would have to state, in words ("the license of COCO"), the names as shown."""
        verb = _PAST.get(self.verb, self.verb) or "released"
        return {
            "size": f"the size of {subject}",
            "count": f"the number of {self.counted} in {subject}",
            "license": f"the license of {subject}",
            "open": f"whether {subject} is open source",
            "maker": f"who {verb} {subject}",
            "date": f"when {subject} was {verb}",
            "training": f"how long {subject} took to train",
            "beats": f"a comparison of {subject} with {other}",
        }[self.property]


_ARTICLE = r"(?:the\s+|a\s+|an\s+)?"
# the kind of thing a name is, written after it ("the c4 dataset"): not part of the name
_KIND = (
    r"(?:\s+(?:dataset|data\s*set|corpus|benchmark|model|models|llm|family|architecture|method|paper|"
    r"network|system|framework|suite|collection|weights|checkpoints))?"
)
_SUBJECT = rf"{_ARTICLE}(?P<subject>[\w.+-]+(?:\s+[\w.+-]+){{0,{MAX_SUBJECT_WORDS - 1}}}?){_KIND}"
_TAIL = r"[?.!\s]*$"
# what making a thing is called ("who created X?", "developed by Y")
MADE = r"created|developed|made|built|released|introduced|proposed|invented|designed|trained|published"
_MAKES = r"creates|develops|makes|builds|releases|maintains|publishes|owns"
_PAST = {"come out": "released", "appear": "released"}  # "when did X come out?": when X was released

_FORMS_WRITTEN: list[tuple[Property, str]] = [
    ("size", rf"^\s*how\s+(?:big|large)\s+(?:is|are|was|were)\s+{_SUBJECT}{_TAIL}"),
    ("size", rf"^\s*what(?:'s|\s+is|\s+was)\s+the\s+(?:size|scale)\s+of\s+{_SUBJECT}{_TAIL}"),
    (
        "count",
        r"^\s*how\s+many\s+(?P<counted>[\w-]+(?:\s+[\w-]+)?)\s+(?:are|were|is)\s+(?:there\s+)?"
        rf"(?:in|on)\s+{_SUBJECT}{_TAIL}",
    ),
    (
        "count",
        r"^\s*what(?:'s|\s+is|\s+was)\s+the\s+(?:number\s+of\s+(?P<counted>[\w-]+(?:\s+[\w-]+)?)\s+(?:in|of)"
        rf"|(?P<kind>parameter|token|image|sample|example)\s+count\s+of)\s+{_SUBJECT}{_TAIL}",
    ),
    (
        "count",
        r"^\s*how\s+many\s+(?P<counted>[\w-]+(?:\s+[\w-]+)?)\s+(?:does|do|did)\s+"
        rf"{_SUBJECT}\s+(?:have|contain|include|hold){_TAIL}",
    ),
    (
        "count",
        r"^\s*how\s+many\s+(?P<counted>[\w-]+(?:\s+[\w-]+)?)\s+(?:was|were|is|are)\s+"
        rf"{_SUBJECT}\s+(?:pre-?)?trained\s+(?:on|with){_TAIL}",
    ),
    (
        "license",
        rf"^\s*(?:what|which)\s+(?:kind\s+of\s+|type\s+of\s+)?licen[cs]es?\s+(?:does|do|did|is|are|was)\s+"
        rf"{_SUBJECT}\s+(?:use|have|come\s+with|(?:(?:released|distributed|licen[cs]ed|shared)\s+)?under)"
        rf"{_TAIL}",
    ),
    ("license", rf"^\s*what(?:'s|\s+is)\s+the\s+licen[cs]e\s+(?:of|for)\s+{_SUBJECT}{_TAIL}"),
    ("license", rf"^\s*what(?:'s|\s+is)\s+{_SUBJECT}['\u2019]s?\s+licen[cs]e{_TAIL}"),
    (
        "license",
        rf"^\s*(?:what|which)\s+licen[cs]es?\s+(?:covers?|appl(?:y|ies)\s+to|governs?)\s+{_SUBJECT}{_TAIL}",
    ),
    (
        "license",
        rf"^\s*under\s+(?:what|which)\s+licen[cs]e\s+(?:is|are|was|were)\s+{_SUBJECT}"
        r"(?:\s+(?:released|distributed|available|shared))?"
        rf"{_TAIL}",
    ),
    (
        "open",
        rf"^\s*(?:is|are|was|were)\s+{_SUBJECT}\s+(?:open[\s-]*sourced?|(?:publicly|freely|openly)\s+"
        rf"(?:available|released)|open[\s-]+weights?|released\s+(?:publicly|openly)){_TAIL}",
    ),
    ("maker", rf"^\s*who\s+(?P<verb>{MADE}|{_MAKES})\s+{_SUBJECT}{_TAIL}"),
    (
        "maker",
        r"^\s*which\s+(?:company|lab|organi[sz]ation|group|team|institution|university)\s+"
        rf"(?P<verb>{MADE}|{_MAKES})\s+{_SUBJECT}{_TAIL}",
    ),
    (
        "date",
        rf"^\s*(?:when|(?:in\s+)?what\s+year|in\s+which\s+year)\s+(?:was|were|did)\s+{_SUBJECT}\s+"
        rf"(?:first\s+)?(?P<verb>{MADE}|come\s+out|appear){_TAIL}",
    ),
    ("training", rf"^\s*how\s+long\s+(?:did|does|do)\s+it\s+take\s+to\s+train\s+{_SUBJECT}{_TAIL}"),
    ("training", rf"^\s*how\s+long\s+(?:did|does|do)\s+{_SUBJECT}\s+take\s+to\s+train{_TAIL}"),
    ("training", rf"^\s*how\s+long\s+(?:was|were|is)\s+{_SUBJECT}\s+trained(?:\s+for)?{_TAIL}"),
]
_FORMS = [(prop, re.compile(form, re.IGNORECASE)) for prop, form in _FORMS_WRITTEN]

# "does X outperform Y (on Z)?", "is X better than Y?": X, Y
_OTHER = r"(?P<other>[\w.+-]+(?:\s+[\w.+-]+){0,3}?)"
_ON = r"(?:\s+(?:on|in|at|for|when|with)\s+[^?]+)?"
_BEATS = [
    re.compile(form, re.IGNORECASE)
    for form in [
        rf"^\s*(?:does|do|did|can|will)\s+{_SUBJECT}\s+(?:outperform|beat|surpass|exceed)\s+{_ARTICLE}{_OTHER}"
        rf"{_KIND}{_ON}{_TAIL}",
        rf"^\s*(?:is|are|was|were)\s+{_SUBJECT}\s+(?:better|faster|stronger|more\s+accurate|superior)\s+"
        rf"(?:than|to)\s+{_ARTICLE}{_OTHER}{_KIND}{_ON}{_TAIL}",
    ]
]
# a subject that is no name but a pointer or a description ("it", "this method", "their model")
_NO_NAME = re.compile(
    r"^(?:it|its|they|them|this|that|these|those|their|there|our|your|one|each|any|all|both|proposed|new|"
    r"same|the\s+(?:paper|papers|authors|method|model|approach)s?)(?=\s|$)",
    re.IGNORECASE,
)


# what a comparison may be with that is no name ("sota baselines", "its counterparts", "tr-based")
_NO_RIVAL = re.compile(
    r"^(?:the\s+|its\s+|their\s+)?(?:sota|state[\s-]+of[\s-]+the[\s-]+art|existing|prior|previous|current|"
    r"other|others|respective|strong|competing|standard|conventional|all|best|baselines?|counterparts?|"
    r"ones?|competitors?|alternatives?|methods?|approaches|models?)\b|-based$",
    re.IGNORECASE,
)


def parse_property(question: str) -> AskedProperty | None:
    """The property a question asks of a name it writes, if it asks for one in these forms."""
    text = question.replace("\u2019", "'").strip()
    for beats in _BEATS:
        if (match := beats.match(text)) and _names(match["subject"], match["other"]):
            if _NO_RIVAL.search(_name(match["other"])):
                return None  # asked against what the paper beats, not another name
            return AskedProperty("beats", _name(match["subject"]), other=_name(match["other"]))
    for prop, form in _FORMS:
        if (match := form.match(text)) and _names(match["subject"]):
            groups = match.groupdict()
            counted = groups.get("counted") or (f"{groups['kind']}s" if groups.get("kind") else "")
            verb = groups.get("verb") or ""
            return AskedProperty(
                prop, _name(match["subject"]), counted=counted, verb=" ".join(verb.lower().split())
            )
    return None


def _names(*subjects: str) -> bool:
    """Whether each subject could be a name: a letter or digit in it, no pronoun or pointer."""
    return all(re.search(r"[^\W_]", s) and not _NO_NAME.match(_name(s)) for s in subjects)


def _name(subject: str) -> str:
    """A subject as typed, without the end of the sentence ("jft." of "how big is jft.")."""
    return subject.strip().rstrip(".")
