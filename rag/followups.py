"""Reading a chat's follow-up against the conversation: the exchanges kept, and the rules that make
a follow-up a question of its own ("how do they differ?", "who wrote the first one?", "which of
them ...?", a paper carried along), with the LLM's rewrite where the rules cannot settle it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from .library.keyword import tokenize
from .library.names import title_names
from .query import (
    PLAIN_NAME,
    as_listed,
    asked_aspect,
    aspect_of_nothing,
    compared_back,
    joined,
    opens_question,
    parse,
    record_question,
    regarded,
    regarding,
    rivals,
    without_regarding,
    written_about,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from .answer import Answer, Citation
    from .api import Assistant
    from .library.names import Match

MAX_PINNED = 3  # a follow-up keeps at most this many of the last answer's papers first
MAX_RECORDS = 10  # "who wrote them?" is answered from each record after a list of up to this many
MAX_COMPARED_BACK = 10  # "how do they differ?" after a longer list compares its first ten papers
MAX_TURNS_BACK = 6  # answers "they" may reach back over for the other of two papers discussed


@dataclass
class Turn:
    """One exchange: what was asked, what was searched for, what was answered."""

    question: str
    standalone: str
    answer: Answer


def cited_titles(previous: Turn) -> list[str]:
    """The titles of the papers the last answer cited, in the order cited."""
    return list(dict.fromkeys(c.paper.title for c in previous.answer.citations if c.paper.title))


def short_name(title: str) -> str:
    """How a paper is called: its title's short name when it has one ("Model soups"), else the title."""
    return (title_names(title) or [title])[0]


def carry_context(question: str, previous: Turn, called: str = "") -> str:
    """Rule-based condensing: the follow-up plus the paper the last answer cited first (by its short
    name; a paper without one by the name the last question `called` it, "persam", else its title),
    else what its question was about (a follow-up's written-in subject, not the follow-up with it:
    each refused follow-up would nest one more)."""
    cited = cited_titles(previous)
    if not cited:
        return regarding(question, regarded(previous.standalone) or previous.standalone)
    return regarding(question, (title_names(cited[0]) or [called or cited[0]])[0])


def written_in(question: str, previous: Turn) -> Placed | None:
    """The follow-up as a question of its own about the one paper the last answer cited (with that
    paper, pointed at), when writing that paper in makes one: a question about its record ("who are
    the authors?") or a comparison with a paper the follow-up names ("how does it differ from
    Twin-Merging?")."""
    titled = {c.paper.paper_id: c.paper.title for c in previous.answer.citations if c.paper.title}
    if len(titled) != 1:  # an untitled paper has no name to write in
        return None
    [(paper, title)] = titled.items()
    name = short_name(title)
    written = written_about(question, name)
    return Placed(written, [paper], [name]) if written else None


# "which one is the most recent?", "which of them came out first?": which of the papers the last
# answer cited is newest or oldest, a question of their records
_RECENCY = re.compile(
    r"^\s*(?:and\s+|so\s+)?(?:which|what)\b.*\b(?:is|was|are|were|came|come|comes|published|appeared)\b"
    r".*\b(?:most\s+recent(?:ly)?|newest|latest|oldest|earliest|first|last)\s*[?.!]*\s*$",
    re.IGNORECASE,
)
# "who wrote them?", "when were they published?", "who are their authors?": the papers the last
# answer cited, pointed at together
_PLURAL_POINTER = re.compile(r"\b(?:they|them|their|these|those|both)\b", re.IGNORECASE)


class Records(NamedTuple):
    """A question about the records of several papers of the conversation ("who wrote them?")."""

    question: str  # with their names written in, as a record question of them reads
    shown: str  # what it is shown searched as
    papers: list[str]  # their ids
    newest_first: bool = False  # it asks which is newest or oldest: their dates, newest first


def records_in(question: str, previous: Turn) -> Records | None:
    """A question about the records of the (two to ten) papers the last answer cited, asked of them
    together ("who wrote them?"), with their names written in ("who wrote PLeaS and Twin-Merging?";
    beyond three, the first one's, and shown as about them all): answered from each one's record."""
    cited = cited_papers(previous)
    newest = bool(_RECENCY.match(question))  # "which one is the most recent?": their dates
    if newest:
        question = "when were they published?"
    if not 2 <= len(cited) <= MAX_RECORDS or not _PLURAL_POINTER.search(question):
        return None
    names = [short_name(title) for title in cited_titles(previous)]
    few = len(cited) <= MAX_PINNED
    written = written_about(question, joined(names if few else names[:1]))
    if not written or not record_question(written):
        return None
    shown = written if few else regarding(question, f"the {len(cited)} papers of the last answer")
    return Records(written, shown, cited, newest)


def _named_papers(turn: Turn) -> tuple[list[str], list[str]]:
    """The ids and short names of the (first `MAX_COMPARED_BACK`) titled papers an answer cited."""
    titles = {c.paper.paper_id: c.paper.title for c in turn.answer.citations if c.paper.title}
    papers = list(titles)[:MAX_COMPARED_BACK]
    return papers, [short_name(titles[paper]) for paper in papers]


def compared_in(question: str, previous: Turn, turns: list[Turn]) -> Placed | None:
    """A follow-up comparing the papers the last answer cited ("how do they differ?") as the
    comparison it asks, their short names written in, with their ids; after an answer about one of
    them ("tell me more about the first one"), they are the papers of the answer that cited it among
    others."""
    own_side = bool(_OWN_SIDE.search(question))  # "how do they compare with the baselines?"
    papers, names = _compared_papers(turns, previous, reach=not own_side)
    written = compared_back(question, names)
    return Placed(written, papers, names) if written else None


# a comparison with a side of its own: "they" are the last answer's papers alone
_OWN_SIDE = re.compile(
    r"\b(?:compare[sd]?|differ|differs|stacks?\s+up)\s+(?:with|to|from|against)\s+"
    r"(?!each\s+other\b|one\s+another\b)\w",
    re.I,
)


# "which one is better on ImageNet?", "which of them runs faster?", "which one is the fastest?": which one
# of the papers the last answer cited is better, a comparison of them; not "which of them use fewer
# parameters?" (a verb of several: which of them do, a choice), nor "which one is the most recent?",
# nor a plural noun before its verb ("which layers are more sensitive?"). A superlative only where
# one of them is chosen ("which one (of them) is the fastest?", "which is the fastest?"), not
# "which components contributed most?"
_WHICH = r"^\s*(?:and\s+|so\s+)?which"
_OF_THEM = (
    r"\s+of\s+(?:them|these|those|the\s+(?:two|three|four|papers))(?:\s+(?:two|three|four))?"
    r"(?:\s+(?:papers|ones|methods|models|approaches))?"
)
_CHOOSING = rf"(?:\s+one(?:{_OF_THEM})?|{_OF_THEM})"
_ONE = r"(?:\s+(?:paper|method|model|approach))?\s+(?!(?:papers|studies|methods|models|approaches|ones)\b)"
_PLURAL_VERB = (
    r"are|were|is|was|do|does|did|have|has|had|can|could|show|get|give|perform|work|need|seem|tend|"
    r"contribute|matter|yield|achieve|reach|lead|produce|require|benefit|remain|become|appear|help|fail"
)
_VERB = r"(?:is|was|does|did|has|can|could|would|[a-z]*[^s\W]s)\b"
_BETTER_WORDS = (
    r"better|worse|best|worst|faster|slower|higher|lower|stronger|weaker|more|less|fewer|outperforms|beats"
)
_MOST_WORDS = r"fastest|slowest|highest|lowest|strongest|weakest|smallest|largest|cheapest|most|least|fewest"
_WHICH_BETTER = re.compile(
    rf"{_WHICH}{_CHOOSING}{_ONE}(?=[^?]*\b(?:{_BETTER_WORDS}|{_MOST_WORDS})\b){_VERB}"
    rf"|{_WHICH}{_ONE}(?=[^?]*\b(?:{_BETTER_WORDS})\b){_VERB}(?!\s+(?:{_PLURAL_VERB})\b)"
    rf"|{_WHICH}(?:\s+(?:paper|method|model|approach))?\s+(?:is|was)\b(?=[^?]*\b(?:{_MOST_WORDS})\b)",
    re.IGNORECASE,
)
# a side of "which is faster, A or B?" that is no side ("which one is faster compared to the baseline?")
_ASKING_SIDE = re.compile(r"^\s*which\b", re.IGNORECASE)


def rivaled_in(question: str, previous: Turn, turns: list[Turn]) -> Placed | None:
    """A follow-up asking which of the papers the last answer cited is better ("which one is better
    on ImageNet?") as the question of which of them is ("...: Model soups or Twin-Merging?"), with
    their ids, to be answered as their comparison (asked among them as a list, no sentence says
    "better" of itself). After an answer about one of them, they are those of the answer citing it;
    after two answers about one paper each, those two. None when it names sides of its own ("which
    is better, lora or full fine-tuning?"), unless they are the two papers' places ("the former or
    the latter"); places among more papers are `placed_in`'s."""
    if _RECENCY.match(question) or not _WHICH_BETTER.match(question):
        return None
    sides = [side for side in rivals(question) if not _ASKING_SIDE.match(side)]
    if len(sides) >= 2 and not all(_BY_PLACE.search(f"the {side}") for side in sides):  # "former": the former
        return None
    papers, names = _compared_papers(turns, previous)
    if len(papers) < 2 or (len(sides) >= 2 and len(papers) > 2):
        return None
    labels = [side_name(name) for name in names]
    written = f"{question.strip().rstrip('?.! ')}: {', '.join(labels[:-1])} or {labels[-1]}?"
    return Placed(written, papers, names)


# "which of the two papers released code?", "do both release code?": the two papers discussed
# (not "does it use both text and images?")
_THE_TWO = re.compile(
    r"\b(?:the|these|those)\s+two\s+(?:papers|works|studies|ones)\b"
    r"|\bof\s+(?:the|these|those)\s+two\b(?!\s+[a-z]+s\b)"  # "which of the two released code?", not "losses"
    r"|\bboth\s+(?:of\s+them|papers|works|studies)\b"
    # "do both release code?" (a verb after "both"), not "do both stages need labels?"
    r"|^\s*(?:do|did|can|could|would)\s+both\s+(?:use|release|report|need|require|support|train|evaluate|"
    r"work|beat|outperform|agree|share|mention|provide|open|rely|improve|test)\w*\b",
    re.IGNORECASE,
)


def points_to_two(question: str) -> bool:
    """Whether a question points at two papers of the conversation ("which of the two papers ...?",
    "do both release code?")."""
    return bool(_THE_TWO.search(question))


def asked_of_each(question: str, previous: Turn, turns: list[Turn] | None = None) -> Placed | None:
    """A follow-up asking the same of each paper the last answer cited ("what datasets do they
    use?" after a list): written with what it is about, with their ids and names. After an answer
    about one paper, "they" are its authors: not this, unless it says "the two papers" or "both"
    after answers about one paper each (`turns`: the chat's), which are those two. An aspect asked
    of no paper ("what are the limitations?") is asked of each too."""
    two = points_to_two(question)
    if not (_PLURAL_POINTER.search(question) or two or aspect_of_nothing(question)):
        return None
    papers, names = _named_papers(previous)
    if len(papers) < 2 and two and turns:
        papers, names = _compared_papers(turns, previous)
        if len(papers) != 2:  # "the two papers" after a list, then one of it: which two is unsaid
            return None
    if len(papers) < 2:
        return None
    about = joined(names) if len(names) <= MAX_PINNED else f"the {len(names)} papers of the last answer"
    return Placed(regarding(question, about), papers, names)


# Papers of the last answer pointed at by their place or number: "the first one", "the second
# paper", "the latter", "[2]", "paper 2", "the first two"; not "the first model to ...", "the first
# method that ..."
_ORDINALS = {
    "first": 1, "former": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip
_PLACES = "|".join(word for word in _ORDINALS if word != "former") + r"|\d{1,2}(?:st|nd|rd|th)"
_COUNTS = {"two": 2, "three": 3, "four": 4, "2": 2, "3": 3, "4": 4}
_BY_PLACE = re.compile(
    # "the first paper on model merging" is the earliest one, no pointer ("the third one about X" is)
    rf"\bthe\s+(?:(?P<place>{_PLACES}|last)\s+(?:one|(?:paper|study|article)"
    r"(?!\s+(?:on|about)\s+(?!(?:in|it|its|this|that)\b)\w)|method|model|"
    r"approach)|(?P<either>former|latter)(?:\s+(?:one|paper|method|model|approach))?"
    r"|(?P<end>first|last|top)\s+(?P<count>two|three|four|[234])"
    # a noun of papers, or nothing ("compare the first two", "how do the first two differ?"), not
    # "the first two years"
    r"(?:\s+(?:ones|papers|works|studies|methods|models|approaches)|(?=\s*(?:[?.!,;]|$|\s+differ\b))))\b"
    r"(?!\s+(?:to|that|which|who|ever)\b)"
    r"|\[(?P<number>\d{1,2})\]|\b(?:paper|reference|source)\s+(?P<named>\d{1,2})\b",
    re.IGNORECASE,
)


class Placed(NamedTuple):
    """A follow-up pointing at papers of the conversation (by place, number or pronoun), with them
    written in by name."""

    question: str
    papers: list[str]  # their ids
    names: list[str]  # as written in


def side_name(name: str) -> str:
    """A paper's name as a comparison labels its side: the title up to a question or exclamation
    mark, which would end the label's sentence ("Give Me BF16 or Give Me Death" of '"Give Me BF16 or
    Give Me Death"? Accuracy-Performance Trade-Offs ...')."""
    return re.split(r"[?!]", name, maxsplit=1)[0].strip(" \"'\u201c\u201d") or name


# "what about the other one?" after an answer citing one of the two papers an earlier one cited
_OTHER = re.compile(r"\bthe\s+other\s+(?:one|paper|study|method|model|approach)\b", re.IGNORECASE)


# "and the fifth?", "what about the second?": the last question again, of the paper at that place
_BARE_PLACE = re.compile(
    rf"^\s*(?:(?:and|so|ok|okay)[,\s]+)?(?:(?:what|how)\s+about\s+)?the\s+(?P<place>{_PLACES}|last)"
    r"(?:\s+one)?\s*[?.!]*\s*$",
    re.IGNORECASE,
)


def _bare_place(question: str, turns: list[Turn]) -> str:
    """A follow-up naming only a place ("and the fifth?") as the last question asked of the paper at
    that place ("what does the fifth one propose?" after "what does the third one propose?"), or as
    "what about the fifth one?"; any other question as it is."""
    bare = _BARE_PLACE.match(question)
    if bare is None:
        return question
    pointer = f"the {bare['place']} one"
    before = turns[-1].question if turns else ""
    if (previous := _BY_PLACE.search(before)) and (previous["place"] or previous["either"]):
        return before[: previous.start()] + pointer + before[previous.end() :]
    return f"what about {pointer}?"


def placed_in(question: str, turns: list[Turn]) -> Placed | None:
    """The follow-up with the papers it points at by place or number ("who wrote the first one?",
    "what does [2] propose?", "compare the first two") written in by name ("who wrote PLeaS?"), and
    their ids, from the latest answer that has a paper at each place (after "who wrote the first
    one?", "the second one" is still the list's); "the other one" is the other of two papers an
    earlier answer cited, when the last cited one of them; "and the fifth?" is the last question
    asked of the fifth (`_bare_place`). None when it points at none."""
    question = _bare_place(question, turns)
    if _OTHER.search(question):
        other = _the_other(turns)
        if other is None:
            return None
        name = short_name(other.paper.title)
        return Placed(_OTHER.sub(name, question), [other.paper.paper_id], [name])
    for previous in reversed(turns):
        if (placed := _placed(question, previous)) is not None:
            return placed
    # "the first one" after a list of one paper, when no answer listed more
    if not turns or not _BY_PLACE.search(question):  # no pointer: the last question need not be parsed
        return None
    return _placed(question, turns[-1], alone=True) if parse(turns[-1].standalone).is_list else None


# "what about the second one?", "tell me about the first one": the gist of one paper, whatever its name
_ABOUT_ONLY = re.compile(
    rf"^\s*(?:(?:and|so)\s+)?(?:(?:what|how)\s+about|tell\s+me(?:\s+more)?\s+about)\s+{PLAIN_NAME}\s*[?.!]*\s*$",
    re.IGNORECASE,
)


def about_only(question: str, name: str) -> bool:
    """Whether a follow-up with a paper's name written in asks about nothing but that paper."""
    return bool(_ABOUT_ONLY.match(question.replace(name, PLAIN_NAME, 1)))


def unplaced(question: str, turns: list[Turn]) -> str | None:
    """What to say to a follow-up pointing at a place that no answer of the conversation has ("who
    wrote the fifth one?" after a list of four), once one answer listed papers; else None. Searched
    as typed, it would be answered from whatever paper the search finds first."""
    match = _BY_PLACE.search(question := _bare_place(question, turns))
    if match is None or not any(len(cited_papers(turn)) >= 2 for turn in turns):
        return None
    if placed_in(question, turns) is not None:
        return None
    most = max(len(cited_papers(turn)) for turn in turns)
    return f'No answer in this conversation has "{match[0]}": the most papers one cited is {most}.'


def nothing_to_compare(question: str) -> str | None:
    """What to say to "how do they differ?" (a comparison of the papers an answer cited) asked before
    any answer; None for any other question. Searched as typed, it finds some two papers."""
    if compared_back(question, [PLAIN_NAME, "Beta"]) is None:
        return None
    return "There is no answer in this conversation yet whose papers it could compare."


def _placed(question: str, previous: Turn, *, alone: bool = False) -> Placed | None:
    cited = list({c.paper.paper_id: c for c in previous.answer.citations}.values())
    numbered = {c.number: c for c in cited}
    chosen: dict[str, str] = {}  # id: name

    def name(match: re.Match[str]) -> str:
        papers = _pointed(match, cited, numbered, alone=alone)
        if not papers:
            raise LookupError(match[0])
        names = [short_name(c.paper.title) for c in papers]
        chosen.update(zip((c.paper.paper_id for c in papers), names, strict=True))
        return joined(names)

    try:
        written = _BY_PLACE.sub(name, question)
    except LookupError:
        return None
    return Placed(written, list(chosen), list(chosen.values())) if chosen else None


def _the_other(turns: list[Turn]) -> Citation | None:
    """The other of the two papers the latest answer citing the last answer's one paper among
    others cited."""
    earlier = _citing_among(turns, turns[-1]) if turns else None
    if earlier is None:
        return None
    cited = {c.paper.paper_id: c for c in earlier.answer.citations}
    others = [c for paper_id, c in cited.items() if paper_id not in cited_papers(turns[-1])]
    return others[0] if len(others) == 1 else None


def _compared_papers(turns: list[Turn], last: Turn, *, reach: bool = True) -> tuple[list[str], list[str]]:
    """The ids and short names of the papers "they" or "which one" compare after `last`: those it
    cited; after an answer about one of several papers an earlier answer cited, those; after two
    answers about one paper each ("what is CLOOB?", "what about CWCL?"), their two papers, with
    `reach` past follow-ups about the last one too."""
    if citing := _citing_among(turns, last):
        return _named_papers(citing)
    before = turns[: next((i for i, turn in enumerate(turns) if turn is last), len(turns))]
    if len(cited_papers(last)) == 1:
        # the latest earlier answer about one other paper, past answers about this one ("what is
        # DNA-GPT?", "what is CopySpec?", "what datasets did they use?", then "how do they differ?")
        for earlier_turn in reversed(before[-(MAX_TURNS_BACK if reach else 1) :]):
            earlier_cited = cited_papers(earlier_turn)
            if earlier_cited == cited_papers(last):
                continue
            if len(earlier_cited) == 1:
                (earlier, earlier_name), (latest, latest_name) = (
                    _named_papers(earlier_turn),
                    _named_papers(last),
                )
                return earlier + latest, earlier_name + latest_name
            break
    return _named_papers(last)


def _citing_among(turns: list[Turn], last: Turn) -> Turn | None:
    """The latest exchange before `last` whose answer cited the one paper `last` cited among
    others; None when `last` cited another number of papers."""
    cited = cited_papers(last)
    if len(cited) != 1:
        return None
    before = turns[: next((i for i, turn in enumerate(turns) if turn is last), len(turns))]
    return next(
        (t for t in reversed(before) if cited[0] in cited_papers(t) and len(cited_papers(t)) > 1), None
    )


def _pointed(
    match: re.Match[str], cited: list[Citation], numbered: dict[int, Citation], *, alone: bool = False
) -> list[Citation]:
    """The cited papers one match of `_BY_PLACE` points at; none when the answer has no such place
    (`alone`: "the first one" of an answer citing one paper is that paper)."""
    if match["number"] or match["named"]:
        citation = numbered.get(int(match["number"] or match["named"]))
        return [citation] if citation else []
    if match["count"]:
        count = _COUNTS[match["count"].lower()]
        if len(cited) < count:
            return []
        return cited[-count:] if match["end"].lower() == "last" else cited[:count]
    word = (match["place"] or match["either"]).lower()
    if word in ("last", "latter"):
        return cited[-1:] if len(cited) >= 2 else []
    place = _ORDINALS.get(word) or int(word[:-2])  # "ninth", "9th"
    # "the first model" of one paper is no paper
    only = (
        alone
        and place == 1
        and len(cited) == 1
        and re.search(r"\b(?:one|paper|study|article)$", match[0], re.I)
    )
    return [cited[place - 1]] if len(cited) >= max(2, place) or only else []


def cited_papers(previous: Turn) -> list[str]:
    """Every paper the last answer cited (ids, in the order cited)."""
    return list(dict.fromkeys(c.paper.paper_id for c in previous.answer.citations))


def previous_papers(previous: Turn) -> list[str]:
    """The first papers the last answer cited: where a follow-up stays."""
    return cited_papers(previous)[:MAX_PINNED]


# "which of them ...", "which of these papers ...", "which ones ...": which of the papers the last
# answer cited do something
_OF_THEM = r"of\s+(?:them|these|those|the\s+(?:above|papers|works|studies))"
_CHOSEN = r"(?:\s+(?:papers|works|studies|methods|models))?\b"  # "which of them methods ..."
_SELECTION = re.compile(rf"^\s*(?:and|so)?\s*(?:which|what)\s+(?:ones?|{_OF_THEM}){_CHOSEN}", re.IGNORECASE)

# "how many of them use CLIP?": which of them do, counted (what follows as in _SELECTION)
_HOW_MANY_OF_THEM = re.compile(rf"^\s*(?:and|so)?\s*how\s+many\s+{_OF_THEM}{_CHOSEN}", re.IGNORECASE)

# "do any of them use CLIP?", "are they training-free?", "has either of them released code?": a
# yes/no question of the several papers the last answer cited, answered by those that do
_ANY_OF_THEM = re.compile(
    r"^\s*(?:and|so)?\s*(?P<verb>do|does|did|are|is|were|was|have|has|can|could)\s+"
    r"(?:(?:any|some|all|either|each|one|both)\s+of\s+(?:them|these|those|the\s+(?:above|papers|works|studies))"
    r"|they|these(?:\s+papers)?|those(?:\s+papers)?)\b",
    re.IGNORECASE,
)
_AS_LISTED = {"are": " are", "is": " are", "were": " are", "was": " are", "have": " have", "has": " have"}
_AS_LISTED |= {"can": " can", "could": " can"}  # do, does, did: the verb that follows says it
# "are they similar?", "do they differ?", "are they better than X?" ask of them together
_TOGETHER = re.compile(
    r"\b(?:differ\w*|compar\w*|similar\w*|same|alike|related|relate|versus|vs|contrast\w*|than)\b", re.I
)


def chosen_form(question: str) -> str | None:
    """The list question a choice among the last answer's papers asks ("which of them use CLIP?",
    "do any of them use CLIP?": "which papers use CLIP?"); None for any other question."""
    if _RECENCY.match(question):  # a question of their records
        return None
    if match := _SELECTION.match(question):
        return "which papers" + question[match.end() :]
    if match := _HOW_MANY_OF_THEM.match(question):  # a choice that says how many it lists
        counted = "how many papers" + question[match.end() :]
        return counted if as_listed(counted) else None  # not "how many of them are there?"
    match = _ANY_OF_THEM.match(question)
    if match is None or _TOGETHER.search(question):
        return None
    return "which papers" + _AS_LISTED.get(match.group("verb").casefold(), "") + question[match.end() :]


def chose_none(turn: Turn) -> bool:
    """Whether an exchange chose among the papers of an earlier one ("which of them ...?") and
    cited none of them."""
    return not turn.answer.citations and chosen_form(turn.question) is not None


def _asks_each(question: str) -> bool:
    """Whether a choice's form asks for what each abstract states or not ("do they release code?",
    "which of them have drawbacks?"), not which of them do something ("which of them offer advantages
    over LoRA?" chooses; "how many of them release code?" counts)."""
    aspect = asked_aspect(question)
    return aspect not in (None, "advantages") and not _HOW_MANY_OF_THEM.match(question)


def selection(question: str, previous: Turn) -> tuple[str, list[str]] | None:
    """A question choosing among the several papers the last answer cited ("which of them use a
    generative model?", "do any of them use ...?") as the list question it asks of them ("which
    papers use a generative model?"), and their ids. After a choice that cited fewer than two,
    "them" are still the papers that choice was made among (its sources)."""
    asked = chosen_form(question)
    if asked is None or _asks_each(question):
        return None
    papers = cited_papers(previous)
    if len(papers) < 2 and chosen_form(previous.question) is not None:
        papers = [s.paper.paper_id for s in previous.answer.sources]
    return (asked, papers) if len(papers) >= 2 else None


# A question pointing back at the last answer's papers: a word standing for them (a pronoun or
# possessive, "this paper", "the authors"), or an ellipsis ("and on ImageNet?", "what about ...").
# Not the "it" of "is it possible", nor "this collection", nor "this year".
_POINTER = re.compile(
    r"\b(?:they|them|their|theirs|its|it|the same|this|these|those"
    r"|the\s+(?:paper|papers|work|study|method|model|approach|technique|framework|dataset|benchmark|"
    r"system|authors?|proposed))\b",
    re.IGNORECASE,
)
# words ending in -est that are no superlative ("the test one")
_NOT_SUPERLATIVE = (
    r"(?:te|intere|reque|conte|fore|hone|mode|gue|ne|re|we|dige|sugge|prote|manife|harve|que|che|cre|arre"
    r"|inve|inge|be)st\b"
)
# what a question may call the last answer ("the best one on that list", "... in your answer")
_LAST_ANSWER = r"(?:the|that|this|your|my)\s+(?:list|answer|reply|ones?|papers?)\b|more\s+detail"
# "how big is the largest one?", "the best one on that list", "the fastest one that you mentioned":
# one of the things the last answer named; not "the best ones for X", "the newest ones in the
# field", "the smallest ones that run on a phone" (a list asked anew), nor "the test one"
_SUPERLATIVE_ONE = re.compile(
    rf"\bthe\s+(?:(?!{_NOT_SUPERLATIVE})[a-z]+est|best|worst|(?:most|least)\s+[a-z]+)\s+ones?"
    r"(?!\s+(?:that|which|who)\b"
    r"(?!\s+(?:you|we)\s+(?:mentioned|listed|cited|named|gave|showed|found|discussed|said)\b)"
    rf"|\s+(?:for|on|about|in|of|among|regarding|with|at)\s+(?!{_LAST_ANSWER})[a-z\d])\b",
    re.IGNORECASE,
)
_ELLIPSIS = re.compile(r"^\s*(?:and|also|what about|how about|same for|what of)\b", re.IGNORECASE)
_NOT_BACK = re.compile(
    r"\b(?:this|these|the)\s+(?:collection|corpus|library|field|area|topic|list)\b"
    r"|\b(?:this|these|that)\s+(?:year|month|week|day|decade|time)s?\b"
    r"|\b(?:(?:is|was)\s+it|it\s+(?:is|was))\s+(?:possible|true|known|necessary|feasible)\b",
    re.IGNORECASE,
)


# "what about knowledge distillation?", "and model merging?", "how about for speech?": after a list,
# the same list on another topic; after an answer about a paper, the same question of another
_ANOTHER_TOPIC = re.compile(
    r"^\s*(?:(?:and\s+)?(?:what|how)\s+about|and)\s+(?:(?:for|on|in|with)\s+)?(?P<topic>[^?]+?)\s*[?.!]*\s*$",
    re.IGNORECASE,
)
MAX_SWITCHED_WORDS = 5  # a topic in a few words, not a question of its own


def _switched_to(question: str) -> str:
    """What "what about X?" ("and X?") switches to: X, unless it points back ("what about their
    code?", "and the first one?") or asks an aspect; "" for any other question."""
    match = _ANOTHER_TOPIC.match(question)
    topic = match["topic"].strip(" \"'") if match else ""
    if not topic or len(topic.split()) > MAX_SWITCHED_WORDS or refers_back(topic) or asked_aspect(topic):
        return ""
    if opens_question(topic):  # "and what is GPTQ?": a question of its own
        return ""
    return "" if _BY_PLACE.search(topic) or _OTHER.search(topic) else topic


def listed_again(question: str, previous: Turn) -> str | None:
    """After a list, "what about X?" ("and X?") as that list on X: its question with X for its topic
    ("papers on knowledge distillation" after "papers on dataset distillation"); None for any other
    follow-up (`_switched_to`)."""
    topic = _switched_to(question)
    if not topic:
        return None
    listed = without_regarding(previous.standalone)
    last = parse(listed)
    if not last.is_list or last.like or last.among:
        return None
    # a list's form asked of one paper ("which datasets did the authors evaluate on? (regarding: CAFA)")
    # is no list on a topic: "what about model soups accuracy on imagenet" is no "which datasets ...?"
    if regarded(previous.standalone):
        return None
    # "papers on dataset distillation": "papers on knowledge distillation"; not "which gans are there?"
    # for "which diffusion models are there?"
    again = listed.replace(last.search, topic, 1) if last.search in listed else ""
    return again if again and parse(again).is_list else f"which papers are about {topic}?"


# "how many of them?", "how many are there?", "how many did you find?": how many papers the last list
# holds, with no topic of its own ("how many papers are there?" asks of the whole collection)
_HOW_MANY_LISTED = re.compile(
    rf"^\s*(?:(?:and|so)\s+)?how\s+many(?:\s+{_OF_THEM}{_CHOSEN})?"
    r"(?:\s+(?:are|were|is)\s+(?:there|that|listed)|\s+(?:did|do)\s+you\s+(?:find|see|know|have)"
    r"|\s+(?:in\s+)?(?:total|all))?\s*[?.!]*\s*$",
    re.IGNORECASE,
)


def counted_again(question: str, previous: Turn) -> str | None:
    """After a list, "how many of them?" ("how many are there?") as that list's question, to be
    answered with how many it lists; None for any other follow-up."""
    if not _HOW_MANY_LISTED.match(question):
        return None
    listed = without_regarding(previous.standalone)
    last = parse(listed)
    return listed if last.is_list and not last.like and not last.among else None


def asked_again(question: str, previous: Turn, named: Callable[[str], list[Match]]) -> str | None:
    """After an answer about one paper, "what about X?" ("and X?") as the last question asked of X
    ("how is zeroq evaluated?", then "what about gptq?": "how is gptq evaluated?"), when X is, as a
    whole, another paper's name (`named`: the name index's matches in a text); None for any other
    follow-up (`_switched_to`; "what about imagenet?" asks about the last paper), after a list on a
    topic (`listed_again`; a list's form asking what the paper has is asked again), and when the
    last question writes neither its paper's name nor a chat's subject to put X in place of."""
    topic = _switched_to(question)
    cited = {c.paper.paper_id for c in previous.answer.citations}
    last = parse(without_regarding(previous.standalone))
    # a list's form asking what one paper has ("what datasets was it trained on?", "what datasets
    # does gptq use?") is about that paper, as no list on a topic is
    of_one = bool(last.owner) and (
        regarded(previous.standalone) or any(m.start == 0 for m in named(last.owner))
    )
    if not topic or len(cited) != 1 or (last.is_list and not of_one):
        return None
    if not any(m.start == 0 and m.end == len(topic) and m.paper_id not in cited for m in named(topic)):
        return None
    asked = previous.standalone
    if regarded(asked):  # "how is it evaluated? (regarding: ZeroQ)"
        return regarding(without_regarding(asked), topic)
    written = next((m for m in named(asked) if m.paper_id in cited), None)  # "model soup" too
    return f"{asked[: written.start]}{topic}{asked[written.end :]}" if written else None


def refers_back(question: str) -> bool:
    """Whether a question's form points back at the previous answer (a pronoun, "the authors", an
    ellipsis)."""
    return has_pointer(question) or bool(_ELLIPSIS.match(question))


# "the dataset of 5 billion image-text pairs", "the method that averages weights": which one it is
_DESCRIBED = re.compile(
    r"\bthe\s+(?:work|study|method|model|approach|technique|framework|dataset|benchmark|system)"
    r"\s+(?:that|which|with|of|based\s+on|called|named)\s+(?P<description>(?:[^?.!,;]|(?<=\d)[.,](?=\d))+)",
    re.IGNORECASE,
)


def described(question: str) -> str:
    """What a question pointing back only by describing a thing says of it ("5 billion image-text
    pairs" of "what is the dataset of 5 billion image-text pairs?"); "" when it points otherwise."""
    descriptions = [m["description"] for m in _DESCRIBED.finditer(question)]
    if not descriptions or any(has_pointer(text) for text in [_DESCRIBED.sub(" ", question), *descriptions]):
        return ""
    return " ".join(descriptions)


def has_pointer(question: str) -> bool:
    """Whether a question has a word standing for the last answer's papers ("they", "the authors")."""
    return bool(_POINTER.search(_NOT_BACK.sub(" ", question)) or _SUPERLATIVE_ONE.search(question))


def needs_rewriting(question: str, previous: Turn) -> bool:
    """Whether a follow-up leaves an LLM something to resolve. A word standing for the one paper the
    last answer cited ("they", "its", "the authors") is resolved by carrying that paper along; an
    ellipsis ("and on ImageNet?") lacks what it asks, a question with no such word does not say what
    it is about, and several cited papers leave "they" open. Rewriting takes Qwen2.5-1.5B 2.2-2.9 s
    on 2 cores, the whole of a follow-up's extra time (benchmarks/README, #22)."""
    one_paper = len(previous_papers(previous)) == 1
    return not (has_pointer(question) and one_paper) or bool(_ELLIPSIS.match(question))


# How a follow-up is rewritten by an LLM: a short reply, and only a reply that reads as a question of
# a sensible length counts; a last answer citing nothing shows its first characters instead.
CONDENSE_ANSWER_CHARS = 400
CONDENSE_MAX_TOKENS = 64
CONDENSE_MAX_CHARS = 300
# the words of a follow-up that a standalone question replaces with what they point at
_POINTING_TERMS = frozenset(
    tokenize(
        "they them their theirs it its this that these those paper papers author authors work study one ones"
    )
)


def condensing_context(previous: Turn) -> str:
    """The last exchange as the condensing prompt shows it: the question searched and the titles of
    the papers its answer cited, which name what "they" stands for in fewer tokens than the answer."""
    cited = "; ".join(cited_titles(previous)[:MAX_PINNED]) or previous.answer.text[:CONDENSE_ANSWER_CHARS]
    return f"User: {previous.standalone}\nAnswered from: {cited}"


def condense(assistant: Assistant, question: str, previous: Turn, *, llm: str | None = None) -> str | None:
    """A follow-up rewritten by the LLM as a standalone question; None when no LLM gives one.

    The request opens with the answers' system message: a local model reuses the prefix it last
    evaluated, so neither this request nor the answer after it evaluates the system prompt again.
    The last exchange suffices: its question was itself made standalone."""
    from .citations import strip_citations
    from .llm import EXTRACTIVE, LLMUnavailable
    from .prompting import system_message

    prompt = assistant.prompts.condense.format(history=condensing_context(previous), question=question)
    for name in assistant.chain(llm):
        if name == EXTRACTIVE:
            return None
        try:
            llm_of = assistant.llm(name)
            messages = [system_message(assistant.prompts), {"role": "user", "content": prompt}]
            reply = "".join(llm_of.stream(messages, max_tokens=CONDENSE_MAX_TOKENS, temperature=0.0))
        except LLMUnavailable:
            continue
        first = reply.strip().splitlines()[0].strip().strip('"') if reply.strip() else ""
        first = strip_citations(first).strip('"')  # the system prompt asks for citations; a question has none
        # A small model often answers instead of rewriting, or repeats the follow-up, or drops what it
        # asks ("and on imagenet?" as "what is DMD2?"): only a question adding words of its own (the
        # paper it refers to) and keeping the follow-up's own counts.
        adds = set(tokenize(first)) - set(tokenize(question))
        # (a pronoun's question may be reworded: "who wrote it?" as "who are the authors of X?")
        keeps = not _ELLIPSIS.match(question) or set(tokenize(question)) - _POINTING_TERMS <= set(
            tokenize(first)
        )
        fits = first.endswith("?") and 3 <= len(first) <= CONDENSE_MAX_CHARS
        return first if fits and adds and keeps else None
    return None
