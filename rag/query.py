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
from .library.names import without_article
from .properties import AskedProperty, parse_property
from .scope import asked_filter
from .topic import acronyms
from .untrusted import without_controls

Kind = Literal["lookup", "list", "figure", "comparison", "yesno", "metadata"]

_QUANTITY = re.compile(
    r"\b(how (many|much|fast|large|big|long|often|accurate)|what (percentage|fraction|share|number|"
    r"accuracy|score|speed-?up|map|f1|bleu)|by how much|"
    # "what aggregate throughput did", "what ImageNet top-1 accuracy does", "what is the largest
    # speed-up CopySpec reports"; not "what is the score function", "what learning rate schedule",
    # "what problem does Score Forgetting Distillation address"
    r"what('s)?(\s+(?!(?:do|does|did)\b)[\w./-]+){0,3}?\s+(accuracy|throughput|auroc|auc|score|speed-?ups?|f1|bleu|rouge|"
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
_METHOD = re.compile(r"^\s*(how (does|do|can|is|are)|what (is|are|does)|what's|explain|describe)\b", re.I)
# "what problem does X address?", "what is the motivation for X?", "why was X proposed?"; "the
# problem they address"
_PROBLEM = re.compile(
    r"\bwhat\s+(?:problems?|challenges?|issues?|gaps?)\s+(?:does|do|did|is|are)\b|\bmotivat(?:ion|es?|ed)\b"
    r"|^\s*why\s+(?:is|was|were|are|did|do|does)\b[^?]*\b(?:needed|necessary|proposed|introduced)\b"
    # "how do X and Y differ in the problem they address?"
    r"|\b(?:problems?|challenges?)\s+(?:they|it|each\s+one)\s+(?:address|tackle|solve)s?\b",
    re.IGNORECASE,
)
# "what are the main approaches", "what are some methods": a list's form when a topic follows
_QUALIFIED = r"(?:(?:main|key|major|different|existing|common|popular|recent)\s+)*"
_APPROACHES = rf"what\s+(?:are|were)\s+(?:the\s+|some\s+)?{_QUALIFIED}(?:approaches|methods|techniques)"
_NAMED_BY_TOPIC = "models|datasets|benchmarks|systems"  # "diffusion models": the topic's own word
_LISTED = rf"papers|works|studies|articles|methods|approaches|techniques|{_NAMED_BY_TOPIC}"
# what a topic written first lists: not "works" or "studies", verbs as often ("which model works best?")
_LISTED_AFTER_TOPIC = rf"papers|articles|methods|approaches|techniques|{_NAMED_BY_TOPIC}"
# words qualifying what is listed before its topic, no topic: "which other methods", "key papers",
# "which three papers" (not "few" nor "common", which open "few shot", "common sense"; a number
# only right before what is listed: "which 3 papers")
_QUALIFIERS = (
    r"other|recent|new|latest|prior|previous|earlier|classic|seminal|main|key|major|different|existing|"
    r"popular|best|top|good|famous|influential|important|notable|relevant|some|any|all|many|several|two|"
    r"three|four|five|six|seven|eight|nine|ten"
)
_QUALIFYING = rf"(?:(?:{_QUALIFIERS})\s+)*(?:\d+\s+(?=(?:{_LISTED})\b))?"
# a verb opening a question, no topic: "what causes language models to ...?", "what made diffusion
# models popular?", "what if ...?"; after "what", any first word ending in a single s is read so
# ("what triggers ...?"), after "which" only these ("which robotics papers" is on robotics)
_VERB_FIRST = (
    r"causes|caused|makes|made|helps|helped|drives|drove|leads|led|improves|improved|limits|limited|"
    r"distinguishes|distinguished|affects|affected|determines|determined|explains|explained|enables|"
    r"enabled|allows|allowed|prevents|prevented|influences|influenced|happens|happened|if|else|exactly|"
    r"gets|got|goes|went|works|worked|matters|mattered|keeps|kept|separates|triggers|triggered|stops|"
    r"stopped|hinders|hindered|slows|slowed|gives|gave|motivates|motivated"
)
# the words of a topic before what is listed ("which quantization methods", "which mixture of experts
# papers"): not asking words ("what do papers find"), a paper's own ("what kind of models"), a verb
# (`_VERB_FIRST`), a qualifier first, nor one work ("which work cleans datasets ...?")
_NOT_TOPIC_WORD = (
    r"do|does|did|is|are|was|were|has|have|had|can|could|would|should|will|the|a|an|this|that|these|"
    r"those|its|their|our|my|your|in|on|for|to|about|by|with|over|than|from|at|as|into|via|against|"
    rf"between|among|kinds?|types?|sorts?|one|ones|{_LISTED}"
)
_TOPIC_WORDS = (
    rf"(?!(?:of|work|paper|study|article|approach|method|\d+|{_QUALIFIERS}|{_VERB_FIRST})\s)"
    rf"(?:(?!(?:{_NOT_TOPIC_WORD})\s)[a-z0-9][\w+-]*\s+){{1,6}}"  # "few-shot" is a topic's word
)
_ASKING_TOPIC = r"(?:which\s+|what\s+(?![a-z]*[^s\W]s\s))"
# "which dataset distillation papers use X?": the topic before what is listed, the rest after it
_TOPIC_FIRST = re.compile(
    rf"^\s*{_ASKING_TOPIC}{_QUALIFYING}(?P<topic>{_TOPIC_WORDS})(?P<listed>{_LISTED_AFTER_TOPIC})\b"
    r"\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_LIST = re.compile(
    rf"^\s*(?:(which|what)\s+{_QUALIFYING}({_LISTED})"
    rf"|{_ASKING_TOPIC}{_QUALIFYING}{_TOPIC_WORDS}({_LISTED_AFTER_TOPIC}))\b"
    r"|\blist (the |all )?(papers|works|methods|approaches)\b"
    r"|^\s*(are there|is there any) (papers|works|studies)\b|^\s*what approaches\b"
    rf"|^\s*{_APPROACHES}\s+(to|for|in|on)\b(?!\s+(this|that|these|those|it|them)\b)"
    r"|^\s*what\s+(approaches|methods|techniques)\s+exist\b"
    r"|^\s*what (work|research) (exists?|is there|has been done) (on|about|in|into|for)\b"
    r"|^\s*what has been done (on|about|in)\b"
    r"|^\s*is there (any |an? )?(paper|work|study|article) (on|about|of)\b"  # not "... that does X?"
    r"|^\s*((are there|is there|show me|find|any|all) )?(the |any |some )?((recent|new|other) )?"
    r"((papers|works|studies) (on|about|that|which|using|combining|(evaluated|tested|trained|benchmarked) on)"
    r"|(work|research|literature) (on|about|into))\b",
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
    rf"^\s*((which|what)\s+{_QUALIFYING}({_LISTED})\s+"
    r"(in (this|the) (collection|corpus)\s+)?"
    r"(?:((does|do|is|are)\s+(the|this|my|our)\s+(collection|corpus|library|store)\s+(have|hold|contain|"
    r"include|offer)\s+(for|on|about|to)?|"
    r"(are|is)\s+there\s+(for|on|about)?|(are|is)\s+(about|on|for)|work\s+on|deal\s+with|focus\s+on|"
    r"(do|does)\s+(you|we|i)\s+have\s+(for|on|about)?|on|about|"
    r"discuss|mention|cover|explore|investigate|examine|talk\s+about|look\s+at|"
    r"study|address|propose|do|use|combine|describe|present|tackle|exist\s+for|"
    # what the papers were evaluated on is the topic ("which papers evaluate on imagenet?"; not "test
    # on-device inference")
    r"(?:evaluate|test|train|experiment|benchmark)\s+on|(?:are|were)\s+(?:evaluated|tested|trained|benchmarked)"
    r"\s+on|report\s+(?:results|numbers|scores|experiments)\s+(?:on|for))(?![\w-]))?"
    rf"|{_APPROACHES}\s+(?:to|for|in|on)"
    r"|what\s+(?:approaches|methods|techniques)\s+exist\s+(?:for|to|in|on)"
    r"|what\s+(?:(?:work|research)\s+(?:exists?|is\s+there|has\s+been\s+done)|has\s+been\s+done)"
    r"\s+(?:on|about|in|into|for)"
    r"|(list\s+|(are there|is there|show me|find|any|all)\s+)?(the\s+|all\s+|any\s+|an?\s+)?"
    r"((recent|new|other)\s+)?((papers?|works?|stud(y|ies)|articles?)\s+(on|about|of|that|which|using|combining"
    r"|(?:evaluated|tested|trained|benchmarked)\s+on)|(research|literature)\s+(on|about|into))"
    # after "that" or "which", what the papers do is no part of the topic ("papers that use lora")
    r"(\s+(are|is)\s+(about|on)|(?<=that|hich)\s+(work\s+on|deal\s+with|focus\s+on"
    r"|(?:(?:are|were)\s+)?(?:evaluat|test|train|benchmark)(?:e|es|ed|s)?\s+on"
    r"|report(?:s|ed)?\s+(?:results|numbers|scores|experiments)\s+(?:on|for)"
    r"|(use|propose|introduce|address|present|tackle|describe|combine)(s|d|es|ed)?|appl(y|ies|ied)|stud(y|ies|ied))"
    r"(?![\w-]))?)\s*",
    re.IGNORECASE,
)


# What is left of "show me all the papers by NAME" once its scope is read: no topic to search.
_NO_TOPIC = {
    "list",
    "show",
    "me",
    "all",
    "every",
    "find",
    "give",
    "paper",
    "work",
    "article",
    "study",
    "publication",
    "preprint",
    "written",
    "wrote",
    "write",
    "published",
    "publish",
    "what",
    "which",
    "any",
    "there",
    "papers",
    "works",
    "articles",
    "studies",
    "publications",
    "preprints",
}
# "which papers by X are indexed?", "... in the collection?": where the papers are, no topic
_IN_STORE = re.compile(
    r"\b(?:(?:are|is|were|was)\s+(?:indexed|stored|available|included|listed|here|there)"
    r"|(?:are|is)?\s*in\s+(?:the|this|my|your)\s+(?:collection|library|store|corpus|index))\s*[?.!]*\s*$",
    re.IGNORECASE,
)


# how "do A and B agree?" ends: "agree", "contradict one another", "agree with each other on quality"
_AGREE_END = (
    r"(?:agree|disagree|contradict)(?:\s+(?:with\s+)?(?:each\s+other|one\s+another))?"
    r"(?:\s+(?:on|about|regarding|in|over)\b.*)?\s*[?.!]*$"
)
_COMPARISON = re.compile(
    r"\b(differ|differs|difference|differences|compare|compared|comparison|versus|vs\.?|contrast)\b"
    r"|\bdifferent(?:\s+(?:from|than|to)\b|\s*[?.!]*$)"  # "how is A different from B?"
    # "how are A and B similar?", "what do A and B have in common?", "how does A stack up against B?"
    r"|^\s*how\s+(?:are|is|were|was)\b.*\bsimilar\s*[?.!]*$|\bin\s+common\b|\b(?:stack|measure)s?\s+up\b"
    rf"|^\s*(?:do|does|did)\s.+\sand\s.+\s{_AGREE_END}",  # "do A and B agree?", not "does X agree with Y?"
    re.IGNORECASE,
)
# Where a comparison writes the things it compares ("how do A and B differ", "A vs B: ..."), and
# what separates them ("A and B", "A, B and C", "A with B").
_COMPARED = (
    re.compile(r"\b(?:differences?|contrast|distinction)\s+between\s+(?P<sides>.+)", re.I),
    re.compile(
        r"^\s*(?:how|in what ways?|where)\s+(?:(?:do|does|did)\s+)?(?P<sides>.+?)"
        r"\s+(?:differ|compare|contrast|stacks?\s+up|measures?\s+up)\b"
        r"(?:\s+(?:with|to|from|against)\s+(?P<other>[^?]+))?",
        re.I,
    ),
    re.compile(
        r"^\s*(?:how\s+)?(?:is|are|was|were)\s+(?P<sides>.+?)\s+different\b"
        r"(?:\s+(?:from|than|to)\s+(?P<other>[^?]+))?",
        re.I,
    ),
    re.compile(
        r"^\s*(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?(?:compare|contrast)\s+(?P<sides>.+)", re.I
    ),
    re.compile(r"^\s*how\s+(?:are|is|were|was)\s+(?P<sides>.+?)\s+(?:similar|alike|related)\b", re.I),
    re.compile(r"^\s*what\s+(?:do|does|did)\s+(?P<sides>.+?)\s+have\s+in\s+common\b", re.I),
    re.compile(rf"^\s*(?:do|does|did)\s+(?P<sides>.+?\s+and\s+.+?)\s+{_AGREE_END}", re.I),
    # the side after "vs" ends where a question goes on ("gptq vs quantease which is better for 3 bit"),
    # or at what it compares them on where no title goes on ("AWQ for 4-bit quantization", "CWCL is
    # either better"; "EAGLE vs One for All", "... vs attention is all you need" are titles)
    re.compile(
        r"^\s*(?:what\s+is\s+|what's\s+)?(?P<sides>.+?\s+(?:vs\.?|versus)\s+[^:?,]+?)"
        r"(?=\s*[:?,]|\s*$|\s+(?:which|what|who|how|why|when|where)\b"
        r"|\s+(?:for|on|at|regarding|in\s+terms\s+of|is|are|does|do|can|should)\s+(?!all\b)(?-i:[a-z\d]))",
        re.I,
    ),
)
_ASPECT = re.compile(
    r"\s*(?:[:?;]|\b(?:in|on|regarding|with respect to|in terms of|when it comes to)\s+"
    r"(?:the|their|how|what|terms)\b|\baccording\s+to\b"
    r"|\b(?:based\s+on|from)\s+(?:the|these|those|your|my)\s+(?:papers|abstracts|sources|collection)\b"
    r"|\bfor\s+(?:me|us|[a-z]+ing)\b).*$",  # "for me", "for merging models": no side's words
    re.I,
)
# what a comparison compares of its sides, written before them ("compare the limitations of A and B")
_COMPARED_OF = re.compile(
    r"^(?:the\s+)?(?:main\s+|key\s+)?(?:limitations?|advantages?|disadvantages?|drawbacks?|strengths?|"
    r"weakness(?:es)?|results?|performance|methods?|approach(?:es)?|architectures?|accuracy|efficiency|"
    r"speed|contributions?|goals?|datasets?|benchmarks?|objectives?|findings?)\s+of\s+",
    re.I,
)
_SIDE_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+(?:and|vs\.?|versus|with|to|against)\s+", re.I)
_NOT_A_SIDE = re.compile(
    r"^(?:it|they|them|each|both|the two|others?)$"
    r"|^(?:this|that|these|those|its|their|prior|previous|existing|other|earlier)\b",
    re.I,
)
MAX_SIDE_WORDS = 8


# Which of two is better: "is A better than B?", "does A outperform B?", "which is better, A or
# B?", "A or B: which ...?", "should I use A or B?", and one measured against another: "what's new
# in A compared to B?", "how does A perform relative to B?". A comparison only when each side names
# a paper of the collection (evidence.resolved: the parse cannot know); else the question it reads as.
_BETTER = r"(?:(?:more|less)\s+(?:[\w-]+\s+)?[\w-]+|(?!other\b|rather\b)[a-z]+er|worse)"
_WHICH_VERB = r"(?:is|was|works|performs|does|scores|runs|seems)"
_COMPARATIVE = (
    r"(?:the\s+)?(?:better|worse|best|worst|(?:more|less|most|least)\s+[\w-]+"
    r"|(?:fast|slow|strong|weak|cheap|small|larg|bigg|high|low|quick|simpl|saf|light|short|long)(?:er|est))\b"
)
_RIVALS = (
    re.compile(
        rf"^\s*(?:is|are|was|were)\s+(?P<sides>.+?)\s+{_BETTER}(?:\s+(?:at|for|on|in)\s+[^?]+?)?"
        r"\s+than\s+(?P<other>[^?]+)",
        re.I,
    ),
    re.compile(
        r"^\s*(?:does|do|did|can|could|would|will)\s+(?P<sides>.+?)\s+(?:outperform|beat|surpass|exceed|"
        r"outdo|improve\s+(?:on|upon|over)|(?:do|work|perform)\s+better\s+than)\s+(?P<other>[^?]+)",
        re.I,
    ),
    re.compile(
        r"^\s*which(?:\s+one)?(?:\s+of\s+(?:the\s+)?two)?\s+(?:is|was|works|performs|does|scores|runs)\b"
        r"[^,:?]*[,:]\s*(?P<sides>[^?]+?\s+or\s+[^?]+)",
        re.I,
    ),
    re.compile(r"^\s*(?P<sides>[^:?,]+?\s+or\s+[^:?,]+?)\s*[:,?]\s*which\b", re.I),
    # "between A and B, which is better?", "which is faster between A and B?", "which of A and B is
    # faster?": the verb followed by a comparative ("which works study X between A and B?" is a list)
    re.compile(
        r"^\s*(?:between|of)\s+(?P<sides>[^:?,]+?)\s+and\s+(?P<other>[^:?,]+?)\s*[:,]?\s*"
        rf"which(?:\s+one)?\s+{_WHICH_VERB}\s+{_COMPARATIVE}",
        re.I,
    ),
    re.compile(
        rf"^\s*which(?:\s+one)?\s+{_WHICH_VERB}\s+{_COMPARATIVE}[^?]*?\bbetween\s+"
        r"(?P<sides>[^?]+?)\s+and\s+(?P<other>[^?]+)",
        re.I,
    ),
    re.compile(
        r"^\s*which(?:\s+one)?\s+of\s+(?!(?:the|these|those|them|all|both)\b)(?P<sides>[^?]+?)\s+and\s+"
        rf"(?P<other>[^?]+?)\s+{_WHICH_VERB}\s+{_COMPARATIVE}",
        re.I,
    ),
    re.compile(
        r"^\s*(?:should\s+(?:i|we)\s+(?:use|choose|pick|prefer)|is\s+it\s+better\s+to\s+use)"
        r"\s+(?P<sides>[^?]+?\s+or\s+[^?]+)",
        re.I,
    ),
    re.compile(
        r"^\s*(?:(?:what(?:'s|\s+is|\s+are)|how)\s+(?:[\w-]+\s+){0,3}?(?:in|about|of|is|are|does|do)\s+"
        r"|(?:is|are|was|were)\s+)?"
        rf"(?P<sides>.+?)\s+(?:(?:do|does|perform|performs|work|works|fare|fares|{_BETTER})\s+)?"
        r"(?:compared|relative|in\s+comparison)\s+(?:to|with)\s+(?P<other>[^?]+?)"
        r"(?:\s+(?:on|in|for|at|when|under)\s+[^?]+)?\s*(?:\?|$)",
        re.I,
    ),
)
# A list's form asking about something's own items: "what datasets does X use?", "which
# benchmarks is X evaluated on?" (not "which papers do X?", nor "what methods are there for X?").
_NO_PAPERS = r"(?!(?:papers|works|studies|articles|publications)\b)"
_OWNED = re.compile(
    rf"^\s*(?:which|what)\s+(?:other\s+)?{_NO_PAPERS}[\w-]+(?:\s+{_NO_PAPERS}[\w-]+){{0,3}}?"
    r"\s+(?:does|did|do|is|was|are|were|has|have)\s+(?P<owner>.+)$",
    re.I,
)
# "what datasets were used to evaluate X?", "which models are used in X?": X's own items, asked passively
_OWNED_PASSIVE = re.compile(
    rf"^\s*(?:which|what)\s+(?:other\s+)?{_NO_PAPERS}[\w-]+(?:\s+{_NO_PAPERS}[\w-]+){{0,3}}?"
    r"\s+(?:is|was|are|were)\s+(?:used|chosen|employed|adopted)\s+"
    r"(?:to\s+(?:evaluate|train|test|benchmark|build|fine-?tune)|by|in|for|with)\s+(?P<owner>.+)$",
    re.I,
)
# "what are the key techniques in X?": X's own methods when X names a paper, else a list on the topic X
_OWNED_METHODS = re.compile(
    rf"^\s*what\s+(?:are|were)\s+(?:the\s+)?{_QUALIFIED}(?:approaches|methods|techniques)\s+in\s+(?P<owner>.+)$",
    re.I,
)
_OWNED_FORMS = (_OWNED_PASSIVE, _OWNED_METHODS, _OWNED)


def _owned(question: str) -> re.Match[str] | None:
    """The first form of a list question asking about something's own items that it matches."""
    return next(filter(None, (form.match(question) for form in _OWNED_FORMS)), None)


# "what models does X fine-tune?", "which datasets is X evaluated on?", "what was it trained on?":
# the things a paper uses, answered by the sentence that names them
_INSTANCES = re.compile(
    rf"^\s*(?:what|which)\s+(?:other\s+)?(?!(?:{_VERB_FIRST})\s)"
    r"(?:(?!(?:are|is|was|were|do|does|did|the|of)\s)[\w-]+\s+){0,3}?"
    r"(?:models|datasets?|data\s?sets?|benchmarks?|tasks|"
    r"languages|baselines|architectures|backbones|domains|modalities|metrics|encoders|llms|corpora|"
    r"environments|applications)\b"
    r"|\b(?:evaluated|tested|trained|applied|benchmarked|validated|pre-?trained|fine-?tuned)\s+(?:on|to|with)\b",
    re.I,
)
_RIVAL_SEPARATOR = re.compile(r"\s*,\s*(?:or\s+)?|\s+or\s+", re.I)


def compared(question: str) -> tuple[str, ...]:
    """The things a comparison names, as written ("how do A and B differ?": A, B); () for none."""
    return _sides(question, _COMPARED, "and", _SIDE_SEPARATOR)


def rivals(question: str) -> tuple[str, ...]:
    """The two (or more) things a question asks which is better of, as written ("is A better than
    B?": A, B); () for none."""
    return _sides(question, _RIVALS, "or", _RIVAL_SEPARATOR)


def _without_article(side: str, question: str) -> str:
    """A side without its article ("the baseline"), unless a capital one opens a name mid-question
    ("... compare to The Need for Speed?")."""
    article = re.match(r"(?:the|a|an)\s+", side, flags=re.I)
    if article is None:
        return side
    named = side[0].isupper() and side[article.end()].isupper() and not question.lstrip().startswith(side)
    return side if named else side[article.end() :]


def _sides(
    question: str, forms: tuple[re.Pattern[str], ...], joint: str, separator: re.Pattern[str]
) -> tuple[str, ...]:
    """The sides the first form matching the question writes ("other": the last one, joined with
    `joint`), each a short phrase and none a pronoun."""
    for form in forms:
        match = form.search(question.strip())
        if not match:
            continue
        other = match.groupdict().get("other")
        written = match.group("sides") + (f" {joint} {other}" if other else "")
        text = _COMPARED_OF.sub("", _ASPECT.sub("", written).strip(" \"'\u201c\u201d."))
        sides = [s.strip(" \"'\u201c\u201d.") for s in separator.split(text)]
        sides = [_without_article(s, question) for s in sides if s]
        if len(sides) >= 2 and all(
            len(s.split()) <= MAX_SIDE_WORDS and not _NOT_A_SIDE.match(s) for s in sides
        ):
            return tuple(dict.fromkeys(sides))
        return ()
    return ()


_YES_NO = re.compile(
    r"^\s*(does|do|did|is|are|was|were|can|could|has|have|had|will|would|should)\b", re.IGNORECASE
)
# a statement asked to be confirmed: "X uses Y, right?", "X uses Y, doesn't it?"
_CONFIRM_TAG = re.compile(
    r",\s*(?:right|correct|true|isn't it|aren't they|doesn't it|don't they|didn't they|no)\s*\?+\s*$", re.I
)
# around the statement a yes/no question asks about: "is it true that ...", "..., right?"
YES_NO_WRAPPING = re.compile(
    r"^\s*(?:is|isn't)\s+it\s+(?:true|the\s+case|correct|right)\s+that\s+|" + _CONFIRM_TAG.pattern, re.I
)
# What a question about a paper's record asks for: one field of the record.
RecordField = Literal["authors", "date", "venue", "doi", "url", "arxiv_id"]
_S = r"(?P<subject>.+?)"
_WAS = r"(?:was|were|is|did|does)"
_RECORD_FORMS: tuple[tuple[RecordField, str], ...] = (
    (
        "authors",
        rf"(?:who|which (?:people|researchers|authors))\s+(?:co-?)?(?:wrote|authored|made|created|developed|"
        rf"proposed|introduced|(?:is|are|were|was)\s+"
        rf"(?:the\s+)?(?:authors?|writers?|behind)(?:\s+(?:of|for))?)\s+{_S}",
    ),
    (
        "authors",
        rf"(?:(?:what|who)\s+(?:is|are|were)\s+|(?:list|name|give me|tell me|show me)\s+)?(?:the\s+)?"
        rf"(?:names?\s+of\s+the\s+)?(?:authors?|writers?)\s+(?:of|for|on)\s+{_S}",
    ),
    ("authors", rf"(?:who|by whom)\s+(?:was|were|is)\s+{_S}\s+(?:written|authored)(?:\s+by)?"),
    ("authors", rf"{_S}(?:'s?)?\s+authors?"),
    (
        "date",
        rf"(?:when|(?:in\s+)?(?:what|which)\s+year|(?:on\s+)?what\s+date)\s+{_WAS}\s+{_S}\s+(?:(?:first\s+)?"
        r"(?:published|released|written|posted|submitted|announced|out)|(?:come|came)\s+out|appear(?:ed)?)",
    ),
    (
        "date",
        rf"(?:(?:what|which)(?:'s|\s+is|\s+was)\s+)?(?:the\s+)?(?:publication\s+)?(?:year|date)\s+(?:of|for)\s+{_S}",
    ),
    ("date", rf"{_S}(?:'s?)?\s+publication\s+(?:year|date)"),
    (
        "venue",
        rf"(?:where|(?:in|at)\s+(?:what|which)\s+(?:venue|conference|journal|workshop))\s+{_WAS}\s+{_S}\s+"
        r"(?:published|presented|accepted|appear(?:ed)?|(?:come|came)\s+out)",
    ),
    (
        "venue",
        rf"(?:what|which)\s+(?:venue|conference|journal|workshop)\s+{_WAS}\s+{_S}\s+(?:(?:published|presented|"
        r"appear(?:ed)?|accepted)\s+)?(?:in|at|to|from)",
    ),
    (
        "venue",
        rf"(?:(?:what|which)(?:'s|\s+is|\s+was)\s+)?(?:the\s+)?(?:venue|journal|conference)\s+(?:of|for)\s+{_S}",
    ),
    ("venue", rf"{_S}(?:'s?)?\s+venue"),
    (
        "doi",
        rf"(?:(?:what|which)(?:'s|\s+is|\s+was)\s+|(?:give|send|show|tell)\s+me\s+)?(?:the\s+)?doi\s+(?:of|for)\s+{_S}",
    ),
    ("doi", rf"{_S}(?:'s?)?\s+doi"),
    (
        "arxiv_id",
        rf"(?:(?:what|which)(?:'s|\s+is|\s+was)\s+|(?:give|tell)\s+me\s+)?(?:the\s+)?arxiv\s+"
        rf"(?:id|number|identifier)\s+(?:of|for)\s+{_S}",
    ),
    (
        "url",
        rf"(?:(?:what|which)(?:'s|\s+is|\s+was)\s+|(?:give|send|show|tell)\s+me\s+)?(?:the\s+|a\s+)?"
        rf"(?:link|url|web\s*page|address|pdf)\s+(?:of|for|to)\s+{_S}",
    ),
    ("url", rf"where\s+can\s+i\s+(?:find|read|get|download)\s+{_S}"),
    ("url", rf"{_S}(?:'s?)?\s+(?:link|url)"),
)
_RECORD_QUESTIONS = tuple((name, re.compile(form, re.IGNORECASE)) for name, form in _RECORD_FORMS)
_POLITE = re.compile(
    r"^(?:(?:can|could) you\s+)?(?:please\s+)?(?:(?:tell|show) me\s+|do you know\s+)?"
    r"(?:(?:what|which)(?:'s|\s+is|\s+are|\s+was|\s+were)\s+(?=the\b|a\b))?",
    re.IGNORECASE,
)
# "who wrote these two papers?" points back at papers already shown; it names none.
_POINTING = re.compile(
    r"^(?:these|those|this|that|both|each|all|them|they|it|its|the (?:two|three|first|second|last))\b", re.I
)
_QUESTION_WORD = re.compile(
    r"^(?:how|why|who|whom|when|where|what|which|is|are|was|were|do|does|did)\b", re.I
)


def opens_question(text: str) -> bool:
    """Whether the text opens as a question does ("what is GPTQ", "how does it work")."""
    return bool(_QUESTION_WORD.match(text.lstrip()))


# What is left around a paper's name: "the ... paper", "the paper called ...", quotes.
_SUBJECT_WRAPPING = re.compile(
    r"^(?:the\s+)?(?:(?:paper|article|work|preprint)\s+(?:called|titled|named|on|about)?\s*)?"
    r"|\s+(?:paper|article|work|preprint)$",
    re.IGNORECASE,
)
# A name as a question writes it: capitals inside a word, letters and digits, or a + (CLIP-ReIdent,
# MoE++, GPT-4, NHR-Edit); plain words in any case are not names.
_NAME = re.compile(
    r"(?<![\w+-])(?=[\w+-]*(?:[a-z][A-Z]|[A-Z]{2}|[A-Za-z]\d|\d[A-Za-z]|\w\+))[\w][\w+.-]*[\w+]"
)


# what an abstract may not state of its paper
Aspect = Literal["limitations", "future work", "advantages", "code", "hardware"]
# code as a paper's artefact, not its topic ("code generation", "code llms", "github issues",
# "code-switching")
CODE_TOPIC = (
    r"(?!-)(?!\s+(?:generation|completion|llms?|models?|language|summari[sz]ation|search|review|synthesis|"
    r"editing|tasks?|snippets?|data|datasets?|reasoning|understanding|benchmarks?|issues?|commits?|"
    r"repositories|users?|from|switching)\b)"
)
_CODE = rf"(?:source\s+code|code(?:base)?|implementation|github|repo(?:sitory)?)\b{CODE_TOPIC}"
_ASPECTS: dict[Aspect, re.Pattern[str]] = {
    "limitations": re.compile(
        r"\b(?:limitations?|weakness(?:es)?|drawbacks?|shortcomings?|downsides?|disadvantages?|"
        r"failure (?:cases|modes)|pitfalls|caveats)\b",
        re.IGNORECASE,
    ),
    "future work": re.compile(
        r"\b(?:future (?:work|research|directions?)|open (?:problems|questions)|next steps)\b", re.IGNORECASE
    ),
    "advantages": re.compile(r"\b(?:advantages?|benefits|strengths|pros)\b", re.IGNORECASE),
    # "is the code for X available?", "where is the code of X?", "does X have code?", "is X open source?"
    "code": re.compile(
        rf"\b{_CODE}(?=.*\b(?:available|availability|release[sd]?|releasing|public(?:ly)?|download|link|url)\b)"
        # "where is the code", "is there any public code" (a few words between, not a paper's name)
        r"|\b(?:where|is\s+there|are\s+there|any)\b(?:\s+(?:is|are|can|could|i|we|do|does|did|find|get|"
        rf"download|the|its|their|any|some|public|open[- ]?source))*\s+{_CODE}"
        rf"|(?:^|\b(?:the|its|their)\s+){_CODE}\s+(?:for|of)\b|'s\s+{_CODE}|\bgithub\b{CODE_TOPIC}"
        r"|\b(?:have|has|provides?|shares?|shared|release[sd]?|releasing|publish(?:es|ed)?)\s+"
        rf"(?:(?:any|the|its|their|public)\s+)*{_CODE}"
        r"|\bopen[- ]?sourc(?:e|ed|ing)\s+(?:(?:its|their|the)\s+)?(?:code|implementation)\b"
        r"|\bopen[- ]?sourced?\s*[?.!]*\s*$",
        re.IGNORECASE,
    ),
    # "what hardware does X run on?", "which GPUs was X trained on?", "what are the hardware
    # requirements of X?" (not "does X run on a GPU?")
    "hardware": re.compile(
        r"^\s*(?:and\s+)?(?:on\s+)?(?:what|which)\s+(?:kinds?\s+of\s+|types?\s+of\s+|sorts?\s+of\s+)?"
        r"(?:hardware|gpus?|tpus?|accelerators?|compute\s+resources)\b"
        r"|^\s*(?:and\s+)?what\s+(?:are|is)\s+(?:the\s+)?hardware\s+(?:requirements?|needs?)\b",
        re.IGNORECASE,
    ),
}
_ASKS_CODE = re.compile(rf"\b{_CODE}", re.IGNORECASE)
# The words asking for an aspect around the paper's name ("what future work do the authors of X
# suggest?", "does X have any drawbacks?"), and for code ("is the code for X available?"): what is
# left once they are cut from either end names the paper ("One for All" keeps its "for").
_ASPECT_ASKING = frozenset(
    "what which are is does do did the any main key major known have has leave leaves suggest suggests "
    "mention mentions discuss discusses state states list lists author authors of in for its their propose "
    "proposes "
    "there what's".split()
)
_CODE_ASKING = _ASPECT_ASKING | frozenset(
    "available availability release released releases releasing public publicly open-source open-sourced "
    "download link url where can could i we find get been made on to provide provides share shares".split()
)


_HARDWARE_ASKING = _ASPECT_ASKING | frozenset(
    "on to use uses used using need needs needed require requires required run runs ran running train "
    "trains trained training support supports be was were requirement requirements".split()
)


def _without_aspect(text: str, aspect: Aspect) -> str:
    """A question without the words asking for the aspect: what is left names the paper."""
    asking = (
        _CODE_ASKING if aspect == "code" else _HARDWARE_ASKING if aspect == "hardware" else _ASPECT_ASKING
    )
    words = _ASPECTS[aspect].sub(" ", text).split()
    bare = [word.strip("?.!,;:\"'") for word in words]
    # a word in mixed case is a name, no asking word ("LiST" is not "list"; "What" and "WHAT" are),
    # and so is a capital article opening one mid-question ("... for The Need for Speed")
    named = [word[1:] != word[1:].casefold() and not word.isupper() for word in bare]
    for at in range(1, len(bare) - 1):
        following = bare[at + 1]
        opens = bare[at] in ("The", "A", "An") and following[:1].isupper()
        named[at] = named[at] or (opens and following.casefold() not in asking)
    cut = [
        not word or (word.casefold() in asking and not name) for word, name in zip(bare, named, strict=True)
    ]
    start, end = 0, len(words)
    while start < end and cut[start]:
        start += 1
    while end > start and cut[end - 1]:
        end -= 1
    return " ".join(words[start:end])


def _without_asking_aspect(sides: tuple[str, ...], aspect: Aspect | None) -> tuple[str, ...]:
    """Compared sides without the words asking for the aspect, in the side that writes them ("what
    hardware does A use" of "what hardware does A use compared to B?": A; "full training" stays)."""
    if aspect is None:
        return sides
    return tuple((_without_aspect(s, aspect) or s) if _ASPECTS[aspect].search(s) else s for s in sides)


def asked_aspect(question: str) -> Aspect | None:
    """The aspect a question asks for ("what are the drawbacks of X?": limitations), if any."""
    return next((aspect for aspect, asked in _ASPECTS.items() if asked.search(question)), None)


def aspect_of_nothing(question: str) -> bool:
    """Whether a question asks for an aspect of no paper it names ("what are the limitations?", "any
    drawbacks?", "future work?"): in a chat, of the paper the last answer is about."""
    aspect = asked_aspect(question)
    if aspect is None:
        return False
    rest = _without_aspect(without_request(question), aspect)
    return not tokenize(
        re.sub(r"'s\b|\b(?:biggest|possible|potential|some|this|approach|method)\b", " ", rest, flags=re.I)
    )


def record_question(question: str) -> tuple[RecordField, str] | None:
    """The record field a question asks for and the paper it names ("who wrote X?": authors, X)."""
    text = _POLITE.sub("", question.replace("\u2019", "'").strip().rstrip("?.! ").strip())
    for name, form in _RECORD_QUESTIONS:
        match = form.fullmatch(text)
        if not match:
            continue
        subject = _SUBJECT_WRAPPING.sub("", match.group("subject").strip(" \"'\u201c\u201d")).strip(
            " \"'\u201c\u201d"
        )
        if name == "url" and _ASKS_CODE.search(subject):
            continue  # "where can i find the code for X?": an aspect of X's abstract, not its record
        if (
            len(subject) >= 3
            and tokenize(subject)  # "the authors?" names no paper
            and not _QUESTION_WORD.match(subject)
            and not _POINTING.match(subject)
        ):
            return name, subject
    return None


def _topic_then_papers(question: str) -> str | None:
    """The topic of "recommender system papers"; None for any other form."""
    match = _TOPIC_PAPERS.match(question)
    if not match or _NOT_A_TOPIC.search(match.group("topic")):
        return None
    return match.group("topic")


# "which papers are similar to X?", "papers like X", "what else is like X?": papers like a paper
_LIKE = re.compile(
    r"^\s*(?:(?:which|what)\s+(?:other\s+)?(?:papers|works|studies|articles)\s+(?:are\s+|is\s+)?"
    r"|(?:(?:find|show\s+me|more|other|any)\s+)?(?:papers|works|studies|articles)\s+(?:that\s+are\s+)?"
    r"|what\s+else\s+is\s+|anything\s+(?:else\s+)?)"
    r"(?:(?:most\s+|very\s+)?similar\s+to|like|related\s+to|close\s+to|resembling)\s+"
    r"[\"'“]?(?P<paper>\S.*?)[\"'”]?\s*[?.!]*\s*$",
    re.IGNORECASE,
)


def papers_like(question: str) -> str:
    """What a question asks for papers like, as written ("which papers are similar to model soups?":
    "model soups"); "" when it asks no such thing. Whether that is a paper, the search tells."""
    match = _LIKE.match(question)
    return match["paper"] if match else ""


_PAPERS = re.compile(r"\b(?:papers?|works|stud(?:y|ies)|articles?|research|literature)\b", re.IGNORECASE)


def asks_for_papers(question: str) -> bool:
    """Whether a question asks for papers as such ("papers that use lora", "which papers ..."), not
    for what a paper has ("which methods came out on top?")."""
    return bool(_PAPERS.search(question))


# What a list's papers must not be on: "papers about clip but not about few-shot learning", "diffusion
# papers that are not about images", "X papers, not Y"; not "without" ("learning without forgetting" is
# a topic), nor "that don't require training" (a property: a training-free paper writes "training")
_NOT_ONLY = r"(?!\s+(?:just|only|merely|necessarily)\b)"  # "lora, not just qlora" excludes nothing
_EXCLUDING = re.compile(
    # a bare "not" only after a comma ("papers on X, not Y"; not "a gallery need not be re-indexed");
    # "that are not" only before what they are about ("data that is not labeled" is a property)
    rf"(?:\s*,\s*not{_NOT_ONLY}|(?:\s*,\s*|\s+)(?:(?:but|and)\s+not{_NOT_ONLY}|excluding|except(?:\s+for)?"
    r"|other\s+than|(?:that|which)\s+(?:are|is|were|was)\s*(?:n't|\s+not)(?=\s+(?:about|on|related\s+to)\b)))"
    r"\s+(?:(?:about|on|using|involving|related\s+to|with)\s+)?(?P<excluded>[^?.,;]+?)\s*[?.!]*\s*$",
    re.IGNORECASE,
)
# what is excluded is a thing named, not a clause ("which methods other than lora reduce memory?")
MAX_EXCLUDED_WORDS = 3


def without_excluded(question: str) -> tuple[str, tuple[str, ...]]:
    """A list question without what its papers must not be on, and that, each side of an "or" apart
    ("quantization papers that are not about llms or vision": "quantization papers", ("llms",
    "vision")); the question and () when it excludes nothing."""
    match = _EXCLUDING.search(question)
    if match is None or not set(tokenize(match["excluded"])) - _NO_TOPIC or papers_like(question):
        return question, ()  # nothing excluded, or a title's words ("papers like Quality, Not Quantity")
    sides = tuple(side.strip() for side in re.split(r"\s+or\s+", match["excluded"]) if side.strip())
    if any(len(side.split()) > MAX_EXCLUDED_WORDS for side in sides):
        return question, ()
    kept = question[: match.start()].strip()
    if not is_list_question(kept) or not set(tokenize(_list_topic(kept))) - _NO_TOPIC:
        return question, ()  # "which papers do not use lora?": no topic left to list
    return kept, sides


def is_list_question(question: str) -> bool:
    """Whether a question asks for several papers or approaches ("which papers ...", "X papers")."""
    return bool(_LIST.search(question)) or _topic_then_papers(question) is not None


# "which is the most recent paper on X?", "what are the latest works about X?", "newest papers on X"
_PAPER_WORDS = r"(?:papers?|works?|stud(?:y|ies)|articles?|publications?|research)"
_NEWEST = re.compile(
    r"^\s*(?:(?:(?:which|what)(?:'s|\s+is|\s+are|\s+was|\s+were)\s+)?(?:the\s+)?(?:most\s+recent|newest|latest)\s+"
    rf"{_PAPER_WORDS}"
    # "which paper is the most recent on X?"
    rf"|(?:which|what)\s+{_PAPER_WORDS}\s+(?:is|are|was|were)\s+(?:the\s+)?(?:most\s+recent|newest|latest)"
    r"(?:\s+(?:one|ones|papers?))?)"
    r"\s+(?:on|about|in|for|into)\s+(?P<topic>[^?]+?)\s*[?.!]*\s*$",
    re.IGNORECASE,
)

# How many papers a list asks for ("give me three papers on X", "name 2 papers", "a couple of papers")
_COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
_COUNTS |= {"nine": 9, "ten": 10, "a couple of": 2, "a pair of": 2}
_HOW_MANY_WORDS = r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|a\s+(?:couple|pair)\s+of)"
# the count among the question's first words, before the papers it asks for ("which papers compare
# against 3 studies?" asks for no number of papers)
_WANTED = re.compile(
    rf"^\s*(?:(?!(?:papers?|works|studies|articles)\b)[\w']+\s+){{0,6}}?(?:top\s+)?(?P<count>{_HOW_MANY_WORDS})\s+"
    r"(?:(?:recent|new|good|relevant|key|important)\s+)?(?:papers?|works|studies|articles|publications)\b",
    re.IGNORECASE,
)


def wanted(question: str) -> int | None:
    """How many papers a question asks for, if it says ("give me three papers on X": 3)."""
    match = _WANTED.search(question)
    if match is None:
        return None
    count = " ".join(match["count"].lower().split())
    number = int(count) if count.isdigit() else _COUNTS[count]
    return number if number >= 1 else None


# A request around what is asked: "tell me about SkillMimic" asks about SkillMimic, "can you explain
# how GPTQ works?" how GPTQ works (no yes/no question).
_REQUEST = re.compile(
    r"^\s*(?:(?:can|could|would) you\s+)?(?:please\s+)?"
    r"(?:(?:tell me(?: more)?|give me an? (?:overview|summary)"
    r"|(?:summari[sz]e|explain|describe)(?=\s+\S))(?:\s+(?:about|of))?\s+"
    # a request for papers: "i'm looking for papers on X", "recommend some papers about X": "papers ..."
    r"|(?:i\s*(?:'m|am)\s+looking\s+for|i\s+(?:want|need)"
    r"(?:\s+to\s+(?:find|read|see))?|(?:give|get|send|show|find)\s+me|recommend(?:\s+me)?|suggest|what\s+are"
    rf"|name|list(?=\s+{_HOW_MANY_WORDS}\s)|do(?:es)?\s+(?:you|it|the\s+(?:collection|corpus|library|store))"
    r"\s+(?:have|hold|contain))"
    rf"\s+(?:(?:some|a\s+few|any|all|the|good|relevant|top|{_HOW_MANY_WORDS})\s+)*"
    r"(?=(?:recent\s+|new\s+)?(?:papers|works|studies|articles)\b"
    r"|(?:work|research|literature)\s+(?:on|about|in|into)\b))",
    re.IGNORECASE,
)


# A request for the gist of one paper: "tell me about X", "summarize X", "give me an overview of X",
# "what is X about?" (not "explain how X works": that asks for its method).
_SUMMARY = re.compile(
    r"^\s*(?:(?:can|could|would) you\s+)?(?:please\s+)?"
    r"(?:tell me(?: more)? about|give me an? (?:overview|summary) of|summari[sz]e|describe)\s+"
    r"(?:the\s+paper\s+(?:on|about)\s+)?(?P<subject>[^?]+?)\s*[?.!]?\s*$"
    r"|^\s*what\s+is\s+(?P<about>[^?]+?)\s+about\s*\??\s*$",
    re.IGNORECASE,
)
# "what is gim?", "what's moe++", "what does X propose?", "what are the main contributions of X?",
# "what is the key idea of X?": what a name stands for (a paper's: the sentence presenting it)
_KEY = r"(?:main|key|core|central|big|basic)"
_DEFINITION = re.compile(
    rf"^\s*what(?:\s+are|\s+is|'s)\s+the\s+(?:{_KEY}\s+)?(?:contributions?|ideas?"
    r"|insights?|intuition)\s+(?:of|in|behind)\s+(?P<contributor>[^?]+?)\s*\??\s*$"
    # "GIM: what is the key idea?", as a chat's reader types it after a title
    rf"|^\s*(?P<titled>[^:?]+?)\s*:\s*what(?:\s+is|'s)\s+the\s+{_KEY}\s+"
    r"(?:idea|insight|contribution)\s*\??\s*$"
    r"|^\s*what\s+(?:does|did)\s+(?P<proposer>[^?]+?)\s+(?:propose|introduce|present|contribute)\s*\??\s*$"
    r"|^\s*what(?:\s+is|'s|\s+are)\s+(?P<subject>[^?]+?)\s*\??\s*$",
    re.IGNORECASE,
)
# What a paper found: "what does X find?", "what did they show?", "what are the main findings of X?",
# "what are X's key results?", "what were the results?" (a chat's paper)
# (and the words asking for them: "main findings", "key results", "what does X find?")
_FOUND = (
    r"(?:(?:main|key|major|most\s+important|principal|primary)\s+)?"
    r"(?:findings?|results?|conclusions?|takeaways?|outcomes?)"
)
_FINDS = r"(?:find|demonstrate|conclude|reveal|discover)"
_FINDINGS = re.compile(
    rf"^\s*what\s+(?:does|did|do)\s+(?P<finder>[^?]+?)\s+(?:{_FINDS}|show)\s*[?.!]*\s*$"
    rf"|^\s*what\s+(?:are|were|is|was)\s+(?:the\s+|(?:its|their)\s+|(?P<owner>[^?]+?)'s?\s+)?{_FOUND}"
    r"(?:\s+(?:of|from|in|on|about|for)\s+(?P<source>[^?]+?))?\s*[?.!]*\s*$"
    # "what do papers find about X?", "what have the studies shown on X?": X a topic or a paper
    r"|^\s*what\s+(?:do|did|have)\s+(?:the\s+)?(?:(?:recent|existing|other)\s+)?(?:papers|studies|works)\s+"
    rf"(?:{_FINDS}|found|show|shown|say|said|report|reported)\s+(?:about|on)\s+(?P<topic>[^?]+?)\s*[?.!]*\s*$",
    re.IGNORECASE,
)
# What is no topic when findings are asked "of" it: the chat's paper, its authors ("the findings of
# the authors")
_NO_TOPIC_OF_FINDINGS = re.compile(
    r"^(?:the\s+(?:authors?|paper|work|study|experiments?|ablations?|evaluations?|method|approach|model)\b"
    r"|their\b|its\b)",
    re.IGNORECASE,
)
# How a paper was evaluated: "how is X evaluated?", "how did the authors test X?", "what experiments
# does X run?", "what does X compare against?", "what baselines is X compared to?"
_TESTED = r"(?:evaluated|tested|benchmarked|validated|assessed)"
_TEST = r"(?:evaluate|test|benchmark|validate|assess)"
_BASELINES = r"(?:(?:baselines?|methods?|models?|approaches|works?)\s+)?"
_EVALUATION = re.compile(
    rf"^\s*how\s+(?:is|was|are|were)\s+(?P<tested>[^?]+?)\s+{_TESTED}\s*[?.!]*\s*$"
    rf"|^\s*how\s+(?:do|did|does)\s+(?:the\s+authors|they|the\s+paper)\s+{_TEST}\s+(?P<test>[^?]+?)\s*[?.!]*\s*$"
    r"|^\s*what\s+experiments\s+(?:does|did|do)\s+(?P<experimenter>[^?]+?)\s+(?:run|do|conduct|perform|report)"
    r"\s*[?.!]*\s*$"
    r"|^\s*what\s+experiments\s+(?:are|were)\s+(?:run|done|conducted|performed|reported)\s+(?:in|for|by|on)\s+"
    r"(?P<experimented>[^?]+?)\s*[?.!]*\s*$"
    rf"|^\s*what\s+{_BASELINES}(?:does|did|do)\s+(?P<comparer>[^?]+?)\s+compare\s+(?:itself\s+|themselves\s+)?"
    r"(?:against|to|with)\s*[?.!]*\s*$"
    rf"|^\s*what\s+{_BASELINES}(?:is|was|are|were)\s+(?P<compared>[^?]+?)\s+compared\s+(?:against|to|with)"
    r"\s*[?.!]*\s*$"
    r"|^\s*what\s+(?:are|were)\s+(?:the\s+|(?:its|their)\s+)?baselines(?:\s+(?:used\s+)?(?:of|in|for|by)\s+"
    r"(?P<baselined>[^?]+?))?\s*[?.!]*\s*$"
    r"|^\s*what\s+baselines\s+(?:are|were)\s+used\s*[?.!]*\s*$"
    # "what dataset does X evaluate on?", "which benchmarks was X tested on?"
    r"|^\s*(?:what|which)\s+(?:datasets?|data\s?sets?|benchmarks?)\s+(?:does|did|do|is|was|are|were)\s+"
    rf"(?P<datasetted>[^?]+?)\s+(?:{_TEST}|{_TESTED})\s+(?:on|with|against)\s*[?.!]*\s*$",
    re.IGNORECASE,
)
# What an evaluation question writes that no abstract needs to: "how do the authors evaluate X?",
# "what does X compare against?" (a preposition, as "to" and "with" are; its "evaluated" or "compare"
# stay: what it asks beyond the paper's name weighs its sentences)
_EVALUATION_WORDS = re.compile(
    r"\bthe\s+authors\b|(?<=\bcompare)\s+against\b|(?<=\bcompared)\s+against\b", re.IGNORECASE
)
MAX_DEFINED_WORDS = 4  # "what is X?" names a paper in a few words ("what is the best loss for Y?" does not)
MAX_SUMMARY_SUBJECT_WORDS = 8  # "tell me about X" names a paper in a few words, not a topic in a sentence


def asks_summary(question: str) -> bool:
    """Whether a question asks for the gist of what it names ("tell me about model soups")."""
    match = _SUMMARY.match(question)
    subject = (match.group("subject") or match.group("about")) if match else ""
    return bool(subject) and len(subject.split()) <= MAX_SUMMARY_SUBJECT_WORDS


_REGARDING = re.compile(r"\s*\(regarding: (?P<topic>[^()]*)\)\s*$")


def regarding(question: str, topic: str) -> str:
    """A follow-up with what it is about written in ("does it use X? (regarding: MoE++)")."""
    return f"{question} (regarding: {topic})"


def without_regarding(question: str) -> str:
    """A question as asked, without what a chat wrote in (`regarding`)."""
    return _REGARDING.sub("", question)


def regarded(question: str) -> str:
    """What a chat wrote in as a follow-up's subject (`regarding`), or ""."""
    match = _REGARDING.search(question)
    return match["topic"] if match else ""


def _chat_subject_as_words(text: str) -> str:
    """The text with what a chat wrote in as its words alone ("... (GIM)"): "regarding" is no word
    of the question, to be searched or weighed in a sentence."""
    return _REGARDING.sub(lambda match: f" ({match['topic']})", text)


# The words asking for findings, which no abstract needs to write ("main findings", "key results")
_FINDING_WORDS = re.compile(rf"\b{_FOUND}\b|\b{_FINDS}\s*(?=[?.!]*\s*(?:\(|$))", re.IGNORECASE)


def _asks_of_a_name(form: re.Pattern[str], question: str) -> bool:
    """Whether a question has the form, what it names (the form's first group written) in a few
    words: a paper's name, not a topic in a sentence."""
    match = form.match(without_regarding(question))
    subject = next(filter(None, match.groups()), "") if match else ""
    return match is not None and len(subject.split()) <= MAX_SUMMARY_SUBJECT_WORDS


def _without_asking(words: re.Pattern[str], search: str) -> str:
    """A search without the words asking (which no abstract needs to write), when others are left."""
    left = re.sub(r"\s+([?.!])", r"\1", re.sub(r"\s+", " ", words.sub(" ", search))).strip()
    return left if tokenize(left) else search


def asks_findings(question: str) -> bool:
    """Whether a question asks what a paper found ("what does GIM find?", "what were its results?");
    not when what it names is a topic in a sentence, no paper's name."""
    return _asks_of_a_name(_FINDINGS, question)


def findings_subject(question: str) -> str:
    """What a findings question asks the findings in, when it may be a topic rather than a paper
    ("the main findings on dataset distillation", "what do papers find about model merging?");
    "" when it names its paper otherwise ("what does X find?", "what are X's results on Y?", a chat's
    written-in paper) or points back."""
    match = _FINDINGS.match(without_regarding(question))
    if match is None or match["owner"] or regarded(question):
        return ""
    subject = match["source"] or match["topic"] or ""
    return "" if _POINTING.match(subject) or _NO_TOPIC_OF_FINDINGS.match(subject) else subject


def asks_evaluation(question: str) -> bool:
    """Whether a question asks how a paper was evaluated ("how is GIM evaluated?", "what does GIM
    compare against?"); not when what it names is a topic in a sentence, no paper's name."""
    return _asks_of_a_name(_EVALUATION, question)


# How fast: "how fast is X?", "is X fast?", "which one is faster?", "X's speedup", "its latency",
# "how long does X take?", "is X quick?", "how much time ...?", "how many GPU hours ...?"; not "fast
# adaptation", "a quick overview", "how long does the context get?", "how many hours of video"
# (a name in lower case, "the need for speed", is not told apart)
_PREDICATE = r"(?=\s*(?:[?.!,]|$|(?:enough|at|on|in|for|when|than|compared|or|and|to)\b))"  # "is X fast?"
_SPEED = re.compile(
    r"\b(?:how\s+(?:fast|quick(?:ly)?)|how\s+long\s+(?:does|do|did|will|would)\b[^?]*\b(?:take|took)"
    r"|how\s+long\s+(?:it|[\w-]+)\s+(?:takes|took)|how\s+much\s+time"
    r"|how\s+many\s+(?:gpu\s+)?(?:hours|minutes|seconds|days)\b(?!\s+of\b)"  # not "hours of video"
    rf"|fast{_PREDICATE}|quick(?=\s*(?:[?.!]|$|(?:enough|at|to)\b))|faster|fastest|slow(?:er|est)?"
    r"|speed(?:s|up|ups|-up)?|quicker|quickest|latency|throughput|run\s*time|runtime"
    r"|(?:inference|training)\s+time|wall-clock)\b",
    re.IGNORECASE,
)


# "what is the speed of X?" asks no definition, as "what is the need for speed?" does
_SPEED_OF = re.compile(
    r"\b(?:speed(?:up)?s?|latency|throughput|run\s*time|runtime)\s+(?:of|for)\b"
    r"|'s\s+(?:[\w-]+\s+)?(?:speed(?:up)?s?|latency|throughput|run\s*time|runtime|inference\s+time)\b",
    re.IGNORECASE,
)


def asks_speed(question: str) -> bool:
    """Whether a question asks how fast something runs or how long it takes; a word in capitals past
    the question's start is a name's ("how does GIM compare to The Need for Speed?")."""
    asked = without_regarding(question).strip()
    return any(m.start() == 0 or m.group()[0].islower() for m in _SPEED.finditer(asked))


def defined_subject(question: str) -> str:
    """What a question asks the definition of, without an article ("gim paper" of "what is the gim
    paper?", "GIM" of "what is the key idea of GIM?"); "" when it asks none (its words but the kind
    of work it is too many), or asks what the thing was made from, used for or good at ("what is X
    trained on?")."""
    match = _DEFINITION.match(question)
    if match is None:
        return ""
    subject = match["subject"] or match["proposer"] or match["contributor"] or match["titled"]
    named = KIND_OF_WORK.sub("", subject) or subject
    if len(named.split()) > MAX_DEFINED_WORDS or asks_summary(question) or _MADE_OF.search(subject):
        return ""
    return without_article(subject)


def without_kind(subject: str) -> list[str]:
    """A subject as asked and, when it ends with one, without the kind of work it is ("gim paper":
    also "gim"; "consistency models" is also a name as asked)."""
    return list(dict.fromkeys([subject, KIND_OF_WORK.sub("", subject) or subject]))


# what kind of work a name is, after it ("the mmlu benchmark", "the gim paper"): no part of the name
KIND_OF_WORK = re.compile(
    r"\s+(?:dataset|benchmark|model|architecture|framework|method|algorithm|library|corpus|network"
    r"|approach|technique|system|paper|toolkit|module|mechanism|strategy|loss|pipeline|scheme)s?$",
    re.IGNORECASE,
)
# what may end a question's subject that asks of a thing other than what it is ("what is X trained
# on?", "what is X used for?", "what is X good at?")
_MADE_OF = re.compile(
    r"\s(?:(?:pre-?|fine-?)?train(?:ed)?|(?:fine-?)?tuned|used|evaluated|tested|applied|built|made|designed"
    r"|based|developed|implemented|good|bad|better|worse|best|known|capable)(?:\s+(?:on|for|to|with|in|from|by|at))?$",
    re.IGNORECASE,
)
# "what exactly is X?", "what is X exactly?": "exactly" asks nothing
_EXACTLY = re.compile(r"^(\s*what)\s+exactly\b|\s+exactly(?=\s*[?.!]*\s*$)", re.IGNORECASE)


def plainly(question: str) -> str:
    """A question without the "exactly" of "what exactly is X?" ("what is X?")."""
    return _EXACTLY.sub(lambda m: m[1] or "", question)


def without_request(question: str) -> str:
    """The question without a request around it ("tell me about X": X); itself when nothing is left."""
    asked = _REQUEST.sub("", question, count=1).strip()
    return asked if len(asked) >= 3 else question


# what may end a list question after its topic: "which papers on X are there?", "... do you have?"
_LIST_SUFFIX = re.compile(
    r"(?:^|\s+)(?:(?:are|is)\s+there|exists?|(?:do|does)\s+(?:you|we|i)\s+have|(?:are|is)(?=\s+in\b))"
    r"(?:\s+in\s+(?:the|this|my|your)\s+(?:collection|corpus|library|store))?\s*$",
    re.IGNORECASE,
)


def _list_topic(question: str) -> str:
    """A list question's topic, without its preamble and ending ("which papers on X are there?": X)."""
    if (first := _TOPIC_FIRST.match(question)) and not _topic_then_papers(question):
        listed = first["listed"] if re.fullmatch(_NAMED_BY_TOPIC, first["listed"], re.I) else ""
        rest = _list_topic(f"which papers {first['rest']}") if first["rest"].strip("?") else ""
        rest = re.sub(r"^(?:are|is|were|was)\s+", "", rest)  # "which quantization methods are lossless?"
        return " ".join(filter(None, (first["topic"].strip(), listed, rest)))
    topic = _topic_then_papers(question) or _LIST_PREAMBLE.sub("", question).strip().rstrip("?").strip()
    return _LIST_SUFFIX.sub("", topic)


# A list asking for papers that combine things: "which papers combine LoRA and MoE?", "papers that
# use both CLIP and diffusion models", "papers combining X with Y", "X together with Y"
_COMBINING = re.compile(
    r"\b(?:combin(?:e|es|ed|ing)|both|together\s+with|in\s+combination\s+with)\b", re.IGNORECASE
)
_JOINT_SEPARATOR = re.compile(
    r"\s*,\s*(?:and\s+)?|\s+(?:and|with|plus|together\s+with|combined\s+with|in\s+combination\s+with)\s+",
    re.IGNORECASE,
)
MAX_JOINED = 3  # "A, B and C": more is a sentence, not things to combine


def combined(question: str, topic: str) -> tuple[str, ...]:
    """The things a list asks its papers to combine ("which papers combine LoRA and mixture of
    experts?": LoRA, mixture of experts), each a paper must be on; () when it asks for none."""
    if not _COMBINING.search(question):
        return ()
    # what the papers do before the things combined is none of them ("evaluate on both X and Y")
    topic = re.sub(r"^.*?\b(?:combin\w*|both)\s+", "", topic, count=1, flags=re.IGNORECASE)
    sides = tuple(side.strip() for side in _JOINT_SEPARATOR.split(topic) if tokenize(side))
    return sides if 2 <= len(sides) <= MAX_JOINED else ()


def _search_text(question: str, listing: bool) -> str:
    """What to search for: a list question's topic without its preamble ("which papers study X?": X)."""
    if not listing:
        return question
    topic = _list_topic(question)
    return topic if len(topic) >= 3 else question


# "how many papers are there?", "how many papers do you have?": the size of the collection, no topic
_COLLECTION_SIZE = re.compile(
    r"^\s*(?:(?:and|so)\s+)?how\s+many\s+(?:papers|works|articles|abstracts|documents|publications)"
    r"(?:\s+(?:(?:are|is)\s+there|do\s+(?:you|we|i)\s+have|(?:are|is)\s+(?:indexed|stored)|(?:are|is)(?=\s+in\b)"
    r"|(?:does|do)\s+(?:the|this|my|your)\s+(?:collection|corpus|store|library|index)\s+(?:have|hold|contain)))?"
    r"(?:\s+in\s+(?:the|this|my|your)\s+(?:collection|corpus|store|library|index))?(?:\s+in\s+total)?"
    r"\s*[?.!]*\s*$",
    re.IGNORECASE,
)
# "how many papers are about X?", "how many of the papers use lora?", "count the papers on X", "number
# of papers on X": a list that says how many it lists
_HOW_MANY_PAPERS = re.compile(
    r"^\s*(?:(?:and|so)\s+)?(?:how\s+many\s+(?:of\s+(?:the|these|those|my|your)\s+)?"
    r"|count\s+(?:(?:all\s+)?the\s+|all\s+)?|(?:(?:what\s+is|what's)\s+)?the\s+number\s+of\s+|number\s+of\s+)"
    r"(?P<papers>papers|works|studies|articles|publications)\b",
    re.IGNORECASE,
)


# "how do the quantization papers differ?", "compare the distillation papers", "what do the video
# generation papers have in common?": the papers on a topic, a line each (as "how do they differ?"
# after a list); not two papers named ("how do the GPTQ and AWQ papers differ?") nor a chat's ("these")
_KINDS_OF_WORK = r"(?:papers|works|studies|methods|approaches|techniques|variants)"
_TOPIC_COMPARED = re.compile(
    rf"^\s*(?:how\s+do\s+(?:all\s+)?the\s+(?P<differ>.+?)\s+{_KINDS_OF_WORK}\s+(?:differ|compare|vary)"
    r"(?:\s+from\s+(?:each\s+other|one\s+another))?"
    rf"|how\s+do\s+(?:all\s+)?the\s+{_KINDS_OF_WORK}\s+(?:on|about)\s+(?P<on>.+?)\s+(?:differ|compare|vary)"
    rf"|(?:compare|contrast)\s+(?:all\s+)?the\s+(?P<compare>.+?)\s+{_KINDS_OF_WORK}"
    rf"|what\s+do\s+(?:all\s+)?the\s+(?P<common>.+?)\s+{_KINDS_OF_WORK}\s+have\s+in\s+common"
    rf"|(?:what\s+are\s+)?the\s+differences\s+(?:between|among)\s+the\s+(?P<between>.+?)\s+{_KINDS_OF_WORK})"
    r"\s*[?.!]*\s*$",
    re.IGNORECASE,
)
# what points at papers of a chat or a list rather than naming a topic ("the cited papers", "the top 3")
_NOT_ONE_TOPIC = re.compile(
    r"\b(?:and|or|vs\.?|versus|both|these|those|them|they|their|its|this|that|other|others|\d+"
    r"|one|two|three|four|five|six|seven|eight|nine|ten|several|many|all|same|cited|retrieved|found|listed"
    r"|previous|above|below|top|first|last|existing|following|mentioned|remaining|rest|such|above-mentioned)\b",
    re.I,
)


def topic_compared(question: str) -> str | None:
    """A question comparing the papers on a topic as the list question it asks ("how do the
    quantization papers differ?": "which papers are about quantization?"); None for any other."""
    match = _TOPIC_COMPARED.match(question)
    if match is None:
        return None
    topic = next(group for group in match.groups() if group)
    if _NOT_ONE_TOPIC.search(topic) or not set(tokenize(topic)) - _NO_TOPIC:
        return None
    return f"which papers are about {topic}?"


def as_listed(question: str) -> str | None:
    """A question counting papers as the list question it asks ("how many papers use lora?": "which
    papers use lora?"); None for any other question."""
    match = _HOW_MANY_PAPERS.match(question)
    if match is None:
        return None
    listed = f"which {match['papers'].casefold()}{question[match.end() :]}"
    topic = _list_topic(listed)
    # a topic the list's preamble reads ("are about X", "use X"), not "how many papers?" nor "how many
    # studies were included in the meta-analysis?" (a figure of one paper)
    read = topic.casefold() != question[match.end() :].strip(" ?.!").casefold()
    return listed if read and set(tokenize(topic)) - _NO_TOPIC else None


PLAIN_NAME = "Alpha"  # a paper's name as any comparison's form reads it: one side

# The words by which a follow-up names the paper of the last answer, and their possessives.
_BACK_SUBJECT = re.compile(
    r"\b(?:it|they|them|(?:this|that|the)\s+(?:paper|work|article|study|preprint)|(?:this|that)\s+one)\b",
    re.I,
)
# "similar papers?", "more like this": papers like the one the last answer is about
_LIKE_LAST = re.compile(
    r"^\s*(?:(?:find|show\s+me|give\s+me|any|more|other)\s+)?(?:similar|related)\s+(?:papers|works|studies|work)\s*$"
    r"|^\s*(?:(?:find|show\s+me)\s+)?more\s+(?:papers\s+)?like\s+(?:this|that|it)(?:\s+one)?\s*$",
    re.I,
)
_BACK_POSSESSIVE = re.compile(r"\b(?:its|their)\b", re.I)
_LEADING_AND = re.compile(r"^\s*(?:and|also|what about|how about)\s+", re.I)


def written_about(question: str, name: str) -> str | None:
    """A follow-up made a question of its own by writing in the paper it is about: about the paper's
    record ("who are the authors?": "who are the authors of Model soups?", "when was it published?"),
    comparing it with a paper it names ("how does it differ from Twin-Merging?", "is it better
    than Twin-Merging?") or asking for papers like it ("which papers are similar to it?"). None for
    any other question, and for one that names its own subject."""
    text = _LEADING_AND.sub("", question.strip().rstrip("?.! "))
    if record_question(text):
        return None
    in_place = _BACK_SUBJECT.sub(lambda _: name, text)
    like = papers_like(text)
    if like and papers_like(in_place) != like:  # "papers like it"
        return f"{in_place}?"
    if _LIKE_LAST.match(text):
        return f"which papers are similar to {name}?"
    if aspect_of_nothing(text):  # "what are the limitations?", "does it have any?": of the paper
        return f"{in_place}?" if in_place != text else f"{_BACK_POSSESSIVE.sub('the', text)} of {name}?"
    # "how does it differ from X?" (read with a plain name: a long title, or one writing "and", is
    # no side `compared` reads), "is it better than X?"
    plain = _BACK_SUBJECT.sub(PLAIN_NAME, text)
    if in_place != text and compared(text) == () and len(compared(plain)) >= 2:
        return f"{in_place}?"
    if in_place != text and rivals(text) == () and len(rivals(in_place)) >= 2:
        return f"{in_place}?"
    for candidate in (in_place, f"{_BACK_POSSESSIVE.sub('the', text)} of {name}"):
        found = record_question(candidate)
        if found and found[1].casefold() == name.casefold():
            return f"{candidate}?"
    return None


_BACK_PLURAL = re.compile(
    r"\b(?:they|them|(?:these|those|the)\s+(?:two|three|four)(?:\s+papers)?|(?:these|those)(?:\s+papers)?"
    r"|both(?:\s+(?:of\s+them|papers))?)\b",
    re.I,
)


def joined(names: list[str]) -> str:
    """Names as a sentence writes them: 'A', 'A and B', 'A, B and C'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def compared_back(question: str, names: list[str]) -> str | None:
    """A follow-up comparing the papers the last answer cited, with their names written in ("how do
    they differ?": "how do PLeaS and Twin-Merging differ?"); None for any other question, and when
    fewer than two papers were cited. The question's form decides, read with two plain names in
    place of "they": a title long or writing "and" is no side `compared` would read."""
    if len(names) < 2:
        return None
    text = _LEADING_AND.sub("", question.strip().rstrip("?.! "))
    plain = _BACK_PLURAL.sub(f"{PLAIN_NAME} and Beta", text, count=1)
    if plain == text or compared(text) != () or len(compared(plain)) < 2:
        return None
    return f"{_BACK_PLURAL.sub(lambda _: joined(names), text, count=1)}?"


def _kind(question: str, listing: bool, quantity: bool, record: bool) -> Kind:
    if record:
        return "metadata"
    if listing:
        return "list"
    if quantity:
        return "figure"
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
    record_field: RecordField | None = None  # the field of a paper's record it asks for (authors)
    # the author and years its own words restrict its papers to ("papers by NAME from 2023"), part
    # of `filters`; a filter given for the same field replaces the question's
    asked: Filter = NO_FILTER
    # it asks for the papers of its scope, without a topic ("papers by NAME"); with no filter, for
    # how many the collection holds ("how many papers are there?")
    catalogue: bool = False
    # it asks which paper is the newest: a chat's "which one is the most recent?" (their records,
    # newest first), "what is the latest paper on X?" (X's papers, the one their records date last)
    newest_first: bool = False
    sides: tuple[str, ...] = ()  # what a comparison compares, as written ("A vs B": A, B)
    # the papers the sides are (ids, a side each), when a chat knows them ("how do they differ?")
    side_papers: tuple[str, ...] = ()
    # what "is A better than B?" asks which is better of; a comparison once each names a paper
    rivals: tuple[str, ...] = ()
    # what a list's form asks about ("what datasets does Panda-70M use?": "Panda-70M use?"); a
    # question about one paper once it starts with that paper's name
    owner: str = ""
    # asked of given papers in a chat: a list chosen among them ("which of them ...?"), where a paper
    # is listed when a sentence of it settles the topic as a yes/no question would
    # (extractive.settling_sentences); a record question of each of them ("who wrote them?")
    among: bool = False
    aspect: Aspect | None = None  # what it asks of one paper that its abstract may not state
    # what it asks of a name the papers may only mention ("how big is c4?", "what license does coco use?")
    asked_property: AskedProperty | None = None
    summary: bool = False  # it asks for the gist of what it names ("tell me about X")
    findings: bool = False  # it asks what a paper found ("what does X find?", "what are its main results?")
    # what it asks the findings in, a paper or a topic ("what are the main findings on X?": X)
    findings_of: str = ""
    evaluation: bool = False  # it asks how a paper was evaluated ("how is X evaluated?", "its baselines?")
    # it asks how fast something runs ("how fast is X?", "which one is faster?", "how long does X take?")
    speed: bool = False
    # it asks how a paper's method works ("how does X work?", "explain how X works", "what is the
    # approach of X?")
    mechanism: bool = False
    # "what problem does X address?", "how do X and Y differ in the problem they address?": the
    # problem it sets out to solve
    wants_problem: bool = False
    instances: bool = False  # "what models does X fine-tune?": the things a paper uses, by name
    definition: bool = False  # "what is gim?": what a name stands for
    defined: str = ""  # what it asks the definition of ("gim", "gim paper")
    # a list of the papers most like the paper this names, when it is one ("papers like model soups")
    like: str = ""
    # the things a list asks its papers to combine ("which papers combine LoRA and MoE?"): each listed
    # paper is on every one of them
    joint: tuple[str, ...] = ()
    # what a list's papers must not be on ("quantization papers that are not about llms": llms)
    excluded: tuple[str, ...] = ()
    stands_for: str = ""  # the name it asks what it stands for ("what does GIM stand for?": GIM)
    # a list asked as "how many papers ...?", as the list question it is ("which papers ..."): its
    # answer says how many it lists
    counted_as: str = ""
    # what a chat says instead of answering a follow-up pointing at what it has not got ("the fifth
    # one" after four papers, "how do they differ?" before any answer)
    said_instead: str = ""
    wanted: int | None = None  # how many papers a list asks for, if it says ("name three papers on X")
    # what of its own filter is not applied, said ("No paper in the store records a year: ...")
    unapplied: str = ""

    @property
    def is_list(self) -> bool:
        """Whether it asks for several papers ("which papers ...", "X papers")."""
        return self.kind == "list"

    @property
    def asks_figure(self) -> bool:
        """Whether it asks for a number and is no list ("how much faster ...")."""
        return self.kind == "figure"


# "what does GIM stand for?", "what is LoRA short for?", "what does the acronym MoE mean?"
_STANDS_FOR = re.compile(
    r"^\s*what\s+(?:does|do|did)\s+(?:the\s+(?:acronym|abbreviation|name)\s+)?(?P<name>[^?]+?)\s+"
    r"(?:stand\s+for|abbreviate)\s*[?.!]*\s*$"
    r"|^\s*what\s+(?:does|do)\s+the\s+(?:acronym|abbreviation)\s+(?P<acronym>[^?]+?)\s+mean\s*[?.!]*\s*$"
    r"|^\s*what\s+is\s+(?P<short>[^?]+?)\s+(?:short|an?\s+(?:acronym|abbreviation))\s+for\s*[?.!]*\s*$"
    r"|^\s*(?P<bare>[^?]+?)\s+stands\s+for\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_WHATS = re.compile(r"^(\s*)whats\b", re.IGNORECASE)  # "whats gptq", as typed in a hurry


def parse(question: str, filters: Filter = NO_FILTER, *, list_form: bool = True) -> Query:
    """Parse a question once for every stage that follows (searched within the filter's papers);
    `list_form=False` reads a question in a list's form as about one paper (evidence.resolved)."""
    if (sentence := asked_sentence(lead_in(question)[0])) != question:
        return parse(sentence, filters, list_form=list_form)
    record = record_question(question)
    plain = _WHATS.sub(r"\1what's", plainly(without_request(question)).replace("\u2019", "'"))
    # "is it true that X uses Y?", "X uses Y, right?": a yes/no question about "X uses Y"
    confirming = bool(YES_NO_WRAPPING.search(plain))
    plain = YES_NO_WRAPPING.sub("", plain).strip() or plain
    whole = bool(_COLLECTION_SIZE.match(plain))  # "how many papers are there?"
    listed_as = None if whole else as_listed(plain)
    plain = listed_as or (None if whole else topic_compared(plain)) or plain
    plain, excluded = (plain, ()) if whole or record else without_excluded(plain)
    newest = None if record else _NEWEST.match(plain)  # "what is the latest paper on X?": X's, newest first
    plain = f"papers on {newest['topic']}" if newest else plain
    written_like = "" if record else papers_like(plain)
    asked, rest = (NO_FILTER, plain) if record else asked_filter(plain)
    rival = () if record or written_like else rivals(plain)
    listing = bool(asked) or (list_form and is_list_question(plain) and not record and not rival)
    owned = _owned(plain) if listing and not asked else None
    match = None if record else _QUANTITY.search(rest)
    asked_for = rest[match.start() : match.end() + 12] if match else ""  # "how much faster"
    unit = next((u for asked, u in _UNITS if asked.search(asked_for)), None) if match else None
    counted = frozenset(tokenize(rest[match.end() : match.end() + 40])[:2]) if match else frozenset()
    like = "" if asked else written_like  # with a filter in its words ("from 2023"): a topic list
    listing = listing or bool(like)
    search = _chat_subject_as_words(record[1] if record else like or _search_text(rest, listing))
    kind = _kind(plain, listing, bool(match), bool(record))
    stands = _STANDS_FOR.match(plain) if kind == "lookup" else None
    stands_for = next(filter(None, stands.group("name", "acronym", "short", "bare")), "") if stands else ""
    stands_for = re.sub(r"^the\s+", "", stands_for.strip(" \"'"), flags=re.I)
    search = stands_for or search  # searched by the name: it ranks its paper first
    kind = "yesno" if confirming and kind == "lookup" else kind
    findings = kind == "lookup" and asks_findings(plain)
    findings_of = findings_subject(plain) if findings else ""
    search = _without_asking(_FINDING_WORDS, search) if findings else search
    # "what does X compare against?" asks for X's baselines: one paper's, no comparison of two
    evaluation = kind in ("lookup", "comparison") and asks_evaluation(plain)
    kind = "lookup" if evaluation else kind
    search = _without_asking(_EVALUATION_WORDS, search) if evaluation else search
    aspect = asked_aspect(plain) if kind in ("lookup", "yesno", "comparison") else None
    sides = _without_asking_aspect(compared(plain), aspect) if kind == "comparison" else ()
    # searched by the paper it names: no abstract needs to write "drawbacks" (advantages, which an
    # abstract may state or not, and hardware, which it writes as such, are searched as asked)
    if aspect and aspect not in ("advantages", "hardware"):
        named = _without_aspect(search, aspect).strip(" ?.!")
        # "is the paper open source?" names no paper to search by: as asked
        search = named if named and not (_POINTING.match(named) or _PAPERS.fullmatch(named)) else search
    summary = kind == "lookup" and asks_summary(question)
    definitive = kind == "lookup" and not (findings or evaluation or _SPEED_OF.search(plain))
    defined = defined_subject(plain) if definitive else ""
    speed = kind != "list" and asks_speed(plain) and not summary  # "tell me about the need for speed"
    # the papers of its scope, without a topic ("papers by NAME"), or the whole collection's size
    catalogue = (bool(asked) and not set(tokenize(_IN_STORE.sub("", search))) - _NO_TOPIC) or whole
    return Query(
        text=question,
        search=search,
        kind=kind,
        names=tuple(dict.fromkeys(_NAME.findall(question))),
        terms=frozenset(tokenize(search if listing else _chat_subject_as_words(plain))),
        quantity=bool(match),
        unit=unit,
        counted=counted,
        wants_result=bool(_RESULTS.search(plain)) and not match,
        wants_method=bool(_METHOD.match(plain)) and not match and not evaluation,
        given=frozenset(figures(question)),
        written=frozenset(written_figures(question)),
        acronyms=acronyms(search),
        filters=asked.override(filters),
        record_field=record[0] if record else None,
        asked=asked,
        catalogue=catalogue,
        sides=sides,
        rivals=()
        if sides
        else _without_asking_aspect(
            rival, aspect
        ),  # "A compared to B" is a comparison's kind without its sides
        # "which models were trained on it? (regarding: LAION-5B)" asks what LAION-5B has too
        owner=(regarded(plain) or owned["owner"]) if owned else "",
        aspect=aspect,
        asked_property=None if listing else parse_property(plain),
        summary=summary,
        findings=findings,
        findings_of=findings_of,
        evaluation=evaluation,
        speed=speed,
        newest_first=bool(newest),
        wanted=wanted(question) if kind == "list" else None,
        mechanism=kind == "lookup" and bool(_MECHANISM.match(without_regarding(plain))),
        wants_problem=kind in ("lookup", "comparison") and bool(_PROBLEM.search(plain)),
        instances=kind == "lookup" and bool(_INSTANCES.search(plain)),
        definition=bool(defined),
        defined=defined,
        like=like,
        stands_for=stands_for,
        counted_as=listed_as if listed_as and kind == "list" else "",
        joint=combined(plain, search) if kind == "list" else (),
        excluded=excluded if kind == "list" else (),
    )


# "how does X work?", "(explain) how X works", "what is the approach of X?", "how is X implemented?",
# "what method does X use?"
_MECHANISM = re.compile(
    r"^\s*(?:(?:and|so)\s+)?(?:"
    r"how\s+(?:does|do|did|can|would)\s+.+?\s+(?:work|function|operate)s?"
    r"|(?:(?:explain|describe)\s+)?how\s+.+?\s+(?:works|functions|operates)"  # "explain" is a request
    r"|what\s+is\s+the\s+(?:approach|method|mechanism|technique|algorithm)\s+(?:of|behind|in|used\s+(?:by|in))\s+[^?]+"
    r"|how\s+(?:is|was|are|were)\s+.+?\s+(?:implemented|built|designed|constructed)"
    r"|what\s+(?:method|approach|technique|algorithm)\s+(?:does|did)\s+.+?\s+(?:use|propose|take|follow)"
    r")\s*[?.!]*\s*$",
    re.IGNORECASE,
)


# a sentence's end: not after an abbreviation ("Dr.", "e.g.", "et al.", "vs.") or an initial ("A.")
_SENTENCE_BREAK = re.compile(
    r"(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bSt\.)(?<!\bvs\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bal\.)"
    r"(?<!\bProf\.)(?<!\b[A-Z]\.)(?<=[.!?])\s+(?=[A-Z\"'])"
)
# what in a last sentence points back at the sentences before it ("that paper", "the two", "each")
_BACK_REFERENCE = re.compile(
    r"\b(?:each|both|ones|same|former|latter)\b"
    r"|\b(?:the|that|this)\s+(?:paper|method|approach|model|study|work|two|three|authors?)\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"\b(?:it|its|they|them|their|this|these|those)\b", re.IGNORECASE)
# capitals a researcher's context writes that name no paper ("for one GPU", "my PhD")
_COMMON_CAPITALS = frozenset(
    "gpu gpus cpu cpus tpu tpus ram phd ok api us usa uk eu pytorch tensorflow jax cuda ieee acm".split()
)
# a paper's name ("GPTQ", "PLeaS", "BioASQ") or a year, in the sentences before the question
_NAMED = re.compile(r"\b(?:[A-Za-z]*(?:[a-z][A-Z]|[A-Z]{2})[\w+-]*|(?:19|20)\d\d)\b")


# what a question may open with before it asks: a word of conversation ("ok,", "so what ...") or a
# new topic announced ("different topic:", "new question.")
_ASKING = (
    r"what|which|how|why|who|whom|when|where|is|are|was|were|does|do|did|can|could|would|should|will|has|have"
    r"|tell|list|give|show|find|any|compare|explain|describe|summari[sz]e"
)
_CONVERSATION = re.compile(
    r"^(?:ok(?:ay)?|alright|all\s+right|right|so|well|hmm+|hi|hello|hey|thanks|thank\s+you|great|cool|nice"
    rf"|good|now|then|next|also|anyway|besides)(?:\s*[,.:;!]+\s*|\s+-+\s+"
    rf"|\s+(?=(?:{_ASKING}|different|new|another|unrelated|separate|chang\w*|switch\w*|moving|so|now|then|anyway)\b))",
    re.IGNORECASE,
)
_NEW_TOPIC = re.compile(
    r"^(?:(?:(?:a|an|one)\s+)?(?:different|new|another|other|next|unrelated|separate)\s+(?:topic|question|subject)"
    r"|(?:chang|switch)\w*\s+(?:the\s+|of\s+)?(?:topic|subject)|moving\s+on|on\s+another\s+note)"
    r"(?:\s*[,.:;!]+\s*|\s+-+\s+|\s+(?=(?:" + _ASKING + r")\b))",
    re.IGNORECASE,
)


def lead_in(question: str) -> tuple[str, bool]:
    """The question without the words of conversation it opens with ("ok, what methods exist for
    X?": a list asked, not a lookup of "ok"), and whether they announce a new topic ("different
    topic: ..."; a chat then asks it anew)."""
    asked, announced = question.strip(), False
    while match := _CONVERSATION.match(asked) or _NEW_TOPIC.match(asked):
        announced = announced or match.re is _NEW_TOPIC
        asked = asked[match.end() :]
    return (asked, announced) if asked else (question, False)


def asked_sentence(question: str) -> str:
    """The question a text of several sentences asks, when its last sentence is a question of its
    own ("I compress models for one GPU. Which methods quantize LLMs to 2 bits?"); else
    the text as it is: when the last sentence points back ("What does that paper use?"), another
    sentence asks a question too, or one before names a paper or a year the last does not write."""
    sentences = _SENTENCE_BREAK.split(question.strip())
    last, before = sentences[-1], " ".join(sentences[:-1])
    opening = " ".join(last.split()[:4])  # "What does it use?", "How do they differ?": the subject
    if len(sentences) < 2 or not last.endswith("?") or len(last.split()) < 5:
        return question
    if _BACK_REFERENCE.search(last) or _PRONOUN.search(opening) or "?" in before:
        return question
    names = [n for n in _NAMED.findall(before) if n.casefold() not in _COMMON_CAPITALS]
    return question if any(name not in last for name in names) else last


def parse_question(
    question: str, *, max_chars: int, notify: Callable[[str], None], filters: Filter = NO_FILTER
) -> Query:
    """A question as typed, parsed: stripped of controls (a pasted "\x1b[31mGIM\x1b[0m" is "GIM"),
    an empty one an InputError, a long one cut (saying so)."""
    question = without_controls(question).strip()
    if not question:
        raise InputError("the question is empty")
    if note := cut_note(question, max_chars):
        notify(note)
        question = question[:max_chars]
    return parse(question, filters)


def cut_note(question: str, max_chars: int) -> str:
    """What is said of a question over max_chars (cut to them), or ""."""
    if len(question) <= max_chars:
        return ""
    return (
        f"The question ({len(question):,} characters) was cut to its first {max_chars:,} "
        "(RAG_MAX_QUESTION_CHARS)."
    )
