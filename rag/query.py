"""The question parsed once: what to search, what kind of answer it wants, what it names and counts.

Every stage downstream (retrieval, the decision, the writers, verification) reads the `Query`.
Only what needs the store's index is read from its search text there: the index's own terms and
their weights (joined names, IDF), and which of those fall on each side of an "or".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from .citations import figures, written_figures
from .errors import InputError
from .library.filters import NO_FILTER, Filter
from .library.keyword import tokenize
from .topic import acronyms

Kind = Literal["lookup", "list", "figure", "comparison", "yesno", "metadata"]

_QUANTITY = re.compile(
    r"\b(how (many|much|fast|large|big|long|often|accurate)|what (percentage|fraction|share|number|"
    r"accuracy|score|speed-?up|map|f1|bleu)|by how much|"
    # "what aggregate throughput did", "what ImageNet top-1 accuracy does", "what is the largest
    # speed-up CopySpec reports"; not "what is the score function", "what learning rate schedule"
    r"what('s)?(\s+[\w./-]+){0,3}?\s+(accuracy|throughput|auroc|auc|score|speed-?ups?|f1|bleu|rouge|"
    r"perplexity|rate|flops|latency|fid)"
    r"(?=\s+(do|does|did|is|are|was|were|of|on|at|for|in|with|from|has|have|had)\b|\s+(?-i:[A-Z])|\s*[?,.]|\s*$))\b",
    re.IGNORECASE,
)
# The unit a quantity question asks for: a sentence with a number in that unit answers it.
_UNITS = (
    (re.compile(r"often|percentage|fraction|share|accura", re.I), re.compile(r"\d\s*%|\bpercent", re.I)),
    (
        re.compile(r"fast|speed", re.I),
        # a speed-up is written 2.35x, 3 times faster or 53% faster; a speed also 3 seconds, 30 fps
        re.compile(
            r"\d\s*(x|\u00d7)(?!\w)|\btimes (faster|speed)|\d\s*(%|ms\b|s\b|seconds?|minutes?|fps)", re.I
        ),
    ),
)
_RESULTS = re.compile(r"\b(results?|perform\w*|achiev\w*|how well|accuracy|findings?|find|outcomes?)\b", re.I)
_METHOD = re.compile(r"^\s*(how (does|do|can|is|are)|what (is|are|does)|explain|describe)\b", re.IGNORECASE)
_LIST = re.compile(
    r"^\s*(which|what) (other )?(papers|works|studies|articles|methods|approaches|techniques|models|"
    r"datasets|benchmarks|systems)\b|\blist (the |all )?(papers|works|methods|approaches)\b"
    r"|^\s*(are there|is there any) (papers|works|studies)\b|^\s*what approaches\b"
    r"|^\s*((are there|is there|show me|find|any|all) )?(the )?((recent|new|other) )?(papers|works|studies) "
    r"(on|about|that|which|using)\b",
    re.IGNORECASE,
)
# "recommender system papers": a topic, then "papers"; not "who wrote these two papers?"
_TOPIC_PAPERS = re.compile(
    r"^\s*(?P<topic>[\w][\w\s,./+'-]*?)\s+(papers|works|studies)\s*\??\s*$", re.IGNORECASE
)
_NOT_A_TOPIC = re.compile(
    r"^(how|why|who|whom|when|where|what|which|does|do|did|is|are|was|were|can|could|should|would|will)\b"
    r"|\b(the|these|those|this|both|two|three|all|any|some|my|our|your|which|what|of|by|in|from)$",
    re.IGNORECASE,
)


_LIST_PREAMBLE = re.compile(
    r"^\s*((which|what)\s+(other\s+)?(papers|works|studies|articles|methods|approaches|techniques|models|"
    r"datasets|benchmarks|systems)\s+(in (this|the) (collection|corpus)\s+)?"
    r"((are|is)\s+there\s+(for|on|about)?|(are|is)\s+(about|on|for)|work\s+on|deal\s+with|focus\s+on|"
    r"study|address|propose|do|use|describe|present|tackle|exist\s+for)?"
    r"|(list\s+|(are there|is there|show me|find|any|all)\s+)?(the\s+|all\s+)?((recent|new|other)\s+)?"
    r"(papers|works|studies)\s+(on|about|that|which|using)(\s+(are|is)\s+(about|on))?)\s*",
    re.IGNORECASE,
)


_COMPARISON = re.compile(
    r"\b(differ|differs|difference|differences|compare|compared|comparison|versus|vs\.?|contrast)\b",
    re.IGNORECASE,
)
_YES_NO = re.compile(
    r"^\s*(does|do|did|is|are|was|were|can|could|has|have|had|will|would|should)\b", re.IGNORECASE
)
_METADATA = re.compile(
    r"\b(who (wrote|authored|are the authors|is the author)|authors? of|when was\b[^?]*\b(published|released)"
    r"|(what|which) (year|venue|conference|journal))\b",
    re.IGNORECASE,
)
# A name as a question writes it: capitals inside a word, letters and digits, or a + (CLIP-ReIdent,
# MoE++, GPT-4, NHR-Edit); plain words in any case are not names.
_NAME = re.compile(
    r"(?<![\w+-])(?=[\w+-]*(?:[a-z][A-Z]|[A-Z]{2}|[A-Za-z]\d|\d[A-Za-z]|\w\+))[\w][\w+.-]*[\w+]"
)


def _topic_then_papers(question: str) -> str | None:
    """The topic of "recommender system papers"; None for any other form."""
    match = _TOPIC_PAPERS.match(question)
    if not match or _NOT_A_TOPIC.search(match.group("topic")):
        return None
    return match.group("topic")


def is_list_question(question: str) -> bool:
    """Whether a question asks for several papers or approaches ("which papers ...", "X papers")."""
    return bool(_LIST.search(question)) or _topic_then_papers(question) is not None


def _search_text(question: str, listing: bool) -> str:
    """What to search for: a list question's topic without its preamble ("which papers study X?": X)."""
    if not listing:
        return question
    topic = _topic_then_papers(question) or _LIST_PREAMBLE.sub("", question).strip().rstrip("?").strip()
    return topic if len(topic) >= 3 else question


def _kind(question: str, listing: bool, quantity: bool) -> Kind:
    if listing:
        return "list"
    if quantity:
        return "figure"
    if _METADATA.search(question):
        return "metadata"
    if _COMPARISON.search(question):
        return "comparison"
    if _YES_NO.match(question):
        return "yesno"
    return "lookup"


@dataclass(frozen=True)
class Query:
    """A question as the stages use it."""

    text: str  # as asked
    search: str  # what is searched: a list's topic without its preamble
    kind: Kind
    names: tuple[str, ...]  # the names it writes (CLIP-ReIdent, MoE++)
    terms: frozenset[str]  # its keyword terms
    quantity: bool  # it asks for an amount (a list may too: "which papers report how many ...")
    unit: re.Pattern[str] | None  # a number in this unit answers it ("how much faster": 2.35x)
    counted: frozenset[str]  # what "how many X" counts: a number next to these words answers it
    wants_result: bool  # "how well", "what results": a sentence reporting a result answers it
    wants_method: bool  # "how does", "what is": the sentence presenting the method answers it
    given: frozenset[float]  # the values of the numbers it states itself (no answer to it)
    written: frozenset[str]  # those numbers as written (358k)
    # what its searched phrases would be as acronyms (NAS), with their terms (derived from search)
    acronyms: dict[str, set[str]] = field(compare=False)
    filters: Filter = NO_FILTER  # which papers it may be answered from (--year, --author ...)

    @property
    def is_list(self) -> bool:
        """Whether it asks for several papers ("which papers ...", "X papers")."""
        return self.kind == "list"

    @property
    def asks_figure(self) -> bool:
        """Whether it asks for a number and is no list ("how much faster ...")."""
        return self.kind == "figure"


def parse(question: str, filters: Filter = NO_FILTER) -> Query:
    """Parse a question once for every stage that follows (searched within the filter's papers)."""
    listing = is_list_question(question)
    match = _QUANTITY.search(question)
    asked_for = question[match.start() : match.end() + 12] if match else ""  # "how much faster"
    unit = next((u for asked, u in _UNITS if asked.search(asked_for)), None) if match else None
    counted = frozenset(tokenize(question[match.end() : match.end() + 40])[:2]) if match else frozenset()
    search = _search_text(question, listing)
    return Query(
        text=question,
        search=search,
        kind=_kind(question, listing, bool(match)),
        names=tuple(dict.fromkeys(_NAME.findall(question))),
        terms=frozenset(tokenize(question)),
        quantity=bool(match),
        unit=unit,
        counted=counted,
        wants_result=bool(_RESULTS.search(question)) and not match,
        wants_method=bool(_METHOD.match(question)) and not match,
        given=frozenset(figures(question)),
        written=frozenset(written_figures(question)),
        acronyms=acronyms(search),
        filters=filters,
    )


def parse_question(
    question: str, *, max_chars: int, notify: Callable[[str], None], filters: Filter = NO_FILTER
) -> Query:
    """A question as typed, parsed: stripped, an empty one an InputError, a long one cut (saying so)."""
    question = question.strip()
    if not question:
        raise InputError("the question is empty")
    if len(question) > max_chars:
        notify(
            f"The question ({len(question):,} characters) was cut to its first {max_chars:,} "
            "(RAG_MAX_QUESTION_CHARS)."
        )
        question = question[:max_chars]
    return parse(question, filters)
