"""The chat: the session that answers follow-ups (read by rag/followups.py), its commands, and the
REPL loop.

The loop takes its input and output as callables, so tests can script a whole session.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, cast

from .answer import markdown_text
from .answerer import POINTED_NOWHERE
from .backends import check_choice
from .decide import answer_probability, wordpiece_name_test
from .display import Display, PlainDisplay, Write
from .errors import NoMatchError, RagError
from .events import AnswerStream, Event, Notice
from .evidence import RARE_NAME_PAPERS
from .files import write_file
from .followups import (
    Placed,
    Turn,
    about_only,
    asked_again,
    asked_of_each,
    carry_context,
    chose_none,
    compared_in,
    condense,
    counted_again,
    described,
    has_pointer,
    listed_again,
    needs_rewriting,
    nothing_to_compare,
    placed_in,
    points_to_two,
    previous_papers,
    records_in,
    refers_back,
    rivaled_in,
    selection,
    short_name,
    side_name,
    unplaced,
    written_in,
)
from .library.filters import NO_FILTER, Filter
from .library.keyword import tokenize
from .query import (
    PLAIN_NAME,
    asks_for_papers,
    aspect_of_nothing,
    defined_subject,
    lead_in,
    parse,
    without_regarding,
)
from .untrusted import printable, whole_number, without_controls
from .yesno import holds

if TYPE_CHECKING:
    from .api import Assistant
    from .config import SearchMode
    from .evidence import Evidence
    from .library.names import Match
    from .query import Query

ReadLine = Callable[[str], str]
ENTRY = re.compile(r"^@\w+\{", re.MULTILINE)  # a BibTeX entry's first line

PROMPT = "rag> "
HISTORY_LINES = 1000  # the history file keeps the latest questions of every session, up to this many
_LIBEDIT_HEADER = "_HiStOrY_V2_"  # the first line of a history file written by libedit (macOS)
# The contextual search must beat the question as typed by this much (answer probability) to be used.
FOLLOW_UP_MARGIN = 0.1
# A question whose form points back stays on the last answer's papers unless it names another paper
# or the question as typed beats the contextual search by this much, on another paper (a new topic).
NEW_TOPIC_MARGIN = 0.3
# ... or when the question as typed is this much closer (cosine, best chunk) to another paper than
# to any paper of the last answer: "how do they train spiking networks?" after LAION-5B. Placed
# between the calibration half's follow-ups (at most 0.26) and new topics (0.37 and 0.50) of
# benchmarks/followups.jsonl (#22).
NEW_TOPIC_SIMILARITY = 0.3
# A question not pointing back that writes this many words no paper of the collection writes asks
# about something else, whatever the last paper's title carried along finds: the calibration half's
# follow-ups not pointing back write at most one ("came" in "Which methods came out on top?"), its
# off-topic questions of benchmarks/followups.jsonl two to four.
FOREIGN_WORDS = 2
# A question pointing back only by a description ("the dataset of 5 billion image-text pairs")
# describes the paper it finds as typed when that paper writes this many of its words that none of
# the last answer's papers write: of the descriptions in the chats written to design it,
# those of the last paper lacked at most one ("was released", "with flipped images"), those of
# another paper two to four.
DESCRIBED_ELSEWHERE = 2
HELP = """Ask a question, or use a command:
  /help              this help
  /sources           the last answer's papers with their scores
  /show N            the full abstract and metadata of reference N
  /k N               how many papers each answer draws on
  /llm NAME          auto, openai, local or extractive
  /model MODEL       a GGUF file (or a name in the model folder) or an OpenAI model
  /mode MODE         hybrid, dense or keyword retrieval
  /filter            the filter in effect; /filter year=2021..2023 author=NAME category=cs.CL
                     venue=NAME tag=TAG (also since=DATE until=DATE) sets it, /filter off removes it
  /reset             forget the conversation
  /save FILE         the transcript as Markdown, with references (/save! FILE overwrites)
  /bib FILE          BibTeX for every paper cited in the conversation (/bib! FILE overwrites)
  /quit              leave (Ctrl-D works too; Ctrl-C cancels an answer)"""


_POINTING_WORDS = frozenset({"author", "method", "model", "approach", "dataset", "benchmark", "result"})


def _text_of(contextual: Evidence, previous: list[str], *, titles: bool = True) -> str:
    """The text of the last answer's papers as the contextual search fetched them (their titles too)."""
    numbers = [s.number for s in contextual.sources if s.paper.paper_id in previous]
    papers = [contextual.papers[n] for n in numbers if n in contextual.papers]
    return "\n".join(text for p in papers for text in [*([p.title] if titles else []), *p.chunk_texts])


def _words_of(contextual: Evidence, previous: list[str]) -> set[str]:
    """The words of the last answer's papers as the contextual search fetched them."""
    return set(tokenize(_text_of(contextual, previous)))


def _closer_elsewhere(typed: Evidence, contextual: Evidence, previous: list[str]) -> float:
    """How much closer the question as typed is to its first paper than to the last answer's papers."""

    def closest(evidence: Evidence, ids: set[str]) -> float:
        papers = [
            evidence.papers[s.number]
            for s in evidence.sources
            if s.paper.paper_id in ids and s.number in evidence.papers
        ]
        return max((p.best_similarity(typed.question_vector) for p in papers), default=0.0)

    return closest(typed, {typed.sources[0].paper.paper_id}) - closest(contextual, set(previous))


# an ellipsis asking the last question under another condition ("and on ImageNet?")
_CONDITION = re.compile(r"^\s*and\s+(?:on|in|for|with|at|under|across|without)\b", re.IGNORECASE)


@dataclass
class ChatSession:
    """A conversation with the paper collection."""

    assistant: Assistant
    k: int
    llm: str
    mode: SearchMode
    turns: list[Turn] = field(default_factory=list)
    condense_with_llm: bool = True
    filters: Filter = NO_FILTER  # which papers every question is answered from (/filter)

    def _gather(self, question: str | Query, pinned: list[str] | None = None) -> Evidence:
        pinned = pinned or []
        return self.assistant.gather(
            question, k=max(self.k, len(pinned)), mode=self.mode, filters=self.filters, pinned=pinned
        )

    def _pointing(self, question: str, carried: str) -> Query | str:
        """The follow-up reading of a question pointing back: "what models was it applied to?" asks
        about the paper it points at, not for a list of papers."""
        query = self.assistant.gatherer.parse(carried, self.filters)
        if query.is_list and refers_back(question):
            return replace(query, kind="lookup", search=carried)
        return query

    def _follows(self, question: str, typed: Evidence, contextual: Evidence, previous: list[str]) -> bool:
        """Whether the follow-up reading wins: by the question's form (pointing back, naming no other
        paper, describing none found as typed, and no new topic found as typed), by what "what is
        X?" asks (`_defined_follows`), else by the evidence alone."""
        gain = answer_probability(contextual.signals) - answer_probability(typed.signals)
        words = set(tokenize(question))
        keyword = self.assistant.library.keyword_index()
        if not refers_back(question):
            if typed.query.is_list and asks_for_papers(question):  # papers, not the last answer's
                return False
            settled = self._defined_follows(question, typed, contextual, previous)
            if settled:
                return settled == "follows"
            # The carried title alone can make the contextual search strong; words no paper writes
            # ("the boiling point of nitrogen on Mars" after beehives) make a question of its own,
            # and so do words the last answer's papers never write: in benchmarks/followups.jsonl the
            # calibration half's follow-ups not pointing back share one to three words with their
            # paper, its off-topic questions none ("how to learn the guitar?" after CLIP-ReIdent).
            foreign = keyword.unseen(question)
            return (
                gain >= FOLLOW_UP_MARGIN
                and len(foreign) < FOREIGN_WORDS
                and bool(words & _words_of(contextual, previous))
            )
        named = self.assistant.gatherer.retriever(self.filters).named(question)
        if any(p not in previous for p in named):
            return False
        # An ellipsis points back weakly: it asks about its rarest word. "what about model merging?"
        # after GPTQ (which writes "model", not "merging") asks about a new topic, "and on
        # ImageNet?" after Model soups does not.
        ellipsis = not has_pointer(question) and bool(words)
        written = _words_of(contextual, previous)
        if ellipsis and not holds(written, max(words, key=keyword.idf)):
            return False
        # "The dataset of 5 billion image-text pairs" after ZeroQ describes the paper found as typed,
        # which writes what ZeroQ does not; "the dataset that was released" after LAION-5B, or "the
        # method with flipped images" after FYI, describes the last one.
        unwritten = [w for w in set(tokenize(described(question))) if not (w.isdigit() or holds(written, w))]
        found = typed.sources[0].paper.paper_id if typed.sources else None
        if len(unwritten) >= DESCRIBED_ELSEWHERE and found is not None and found not in previous:
            found_words = _words_of(typed, [found])
            if sum(holds(found_words, w) for w in unwritten) >= DESCRIBED_ELSEWHERE:
                return False
        # A new topic has words of its own ("how do they detect memorized images?"); "who are the
        # authors?" or "and on ImageNet?" has too few to be one.
        own = len(set(tokenize(question)) - _POINTING_WORDS) >= 2
        elsewhere = bool(typed.sources) and typed.sources[0].paper.paper_id not in previous
        if not (own and elsewhere):
            return True
        return (
            -gain < NEW_TOPIC_MARGIN and _closer_elsewhere(typed, contextual, previous) < NEW_TOPIC_SIMILARITY
        )

    def _defined_follows(
        self, question: str, typed: Evidence, contextual: Evidence, previous: list[str]
    ) -> str:
        """Whether "what is X?" asks of the last answer ("follows") or anew ("anew"), by what X is;
        "" when that does not settle it. X the last answer's abstracts write, asked with "the" or
        written by a few papers of the collection, is theirs although the question as typed finds
        another paper first ("what is the generator network?" after ELECTRA, "what is the rank?"
        after a LoRA variant); X many papers write, asked without "the", is asked in general ("what
        is a vit?", "what is imagenet?" after papers that mention them), and so is X that titles the
        paper found first and none of the last answer's; X naming a paper is that paper's."""
        defined = typed.query.defined
        if not defined:
            return ""
        named = self.assistant.gatherer.retriever(self.filters).named(defined)
        if named:
            return "anew" if any(p not in previous for p in named) else ""
        papers = self.assistant.library.keyword_index().papers_writing(defined)
        definite = re.search(rf"\bthe\s+{re.escape(defined)}", question, re.IGNORECASE)
        phrase = re.compile(rf"(?<![\w-]){re.escape(defined)}(?![\w-])", re.IGNORECASE)
        first = typed.sources[0].paper if typed.sources else None
        if first is not None and first.paper_id not in previous:
            titled = [s.paper.title for s in contextual.sources if s.paper.paper_id in previous]
            if not definite and phrase.search(first.title) and not any(phrase.search(t) for t in titled):
                return "anew"  # a paper titled with it is about it
            abstracts = _text_of(contextual, previous, titles=False)  # a title alone defines nothing
            if (definite or papers <= RARE_NAME_PAPERS) and phrase.search(abstracts):
                return "follows"
        return "anew" if papers > RARE_NAME_PAPERS and not definite else ""

    def evidence(self, question: str) -> tuple[Evidence, bool]:
        """The evidence to answer from, and whether it is the follow-up reading: for the question
        as typed, or with the conversation when that evidence is stronger.

        After a list or an answer about one paper, "what about X?" asks the last question of X
        (`asked_again`, `listed_again`), and after a list "how many of them?" asks it again, counted
        (`counted_again`). Otherwise whether a question leans on the conversation is
        decided by retrieval, not by its words ("what is X?" by what X is too, `_defined_follows`):
        the question is searched as typed and with the last answer's first cited paper carried
        along (its cited papers ranked first). A question whose form points back ("they", "the
        authors", "and on ImageNet?") keeps the contextual form unless it names another paper or
        finds, as typed, a clearly stronger answer or a clearly closer paper elsewhere; any other
        keeps it only when its evidence is clearly stronger. With an LLM, a follow-up that leaves it
        something to resolve (`needs_rewriting`) is then written as a standalone question (kept when
        it is one) and searched. A follow-up that becomes a record question or a comparison once the
        last answer's one paper is written in (`written_in`) is asked as that question instead, and
        so is one comparing the papers it cited ("how do they differ?", `compared_in`). A follow-up
        pointing back at the several papers it cited ("what datasets do they use?") is answered for
        each of them (`asked_of_each`). A question opening with a new topic ("different topic: ...")
        is asked anew.
        """
        question, new_topic = lead_in(question)
        if new_topic:
            return self._gather(question), False
        last = self.context
        if last and (rivaled := rivaled_in(question, last, self.turns)):
            return self._gather(self._rival(question, rivaled), rivaled.papers), True
        if last and (chosen := selection(question, last)):
            among, listed = chosen
            query = replace(self.assistant.gatherer.parse(among, self.filters), among=True)
            return self._gather(query, listed).narrowed(listed), True
        if last and (compared := compared_in(question, last, self.turns)):
            return self._gather(self._placed(compared), compared.papers), True
        if placed := placed_in(question, self.turns):
            # "how does it compare to the first one?": "it" the last answer's one paper, written in too
            if (
                last
                and (both := written_in(placed.question, last))
                and not set(both.papers) & set(placed.papers)
            ):
                placed = Placed(both.question, both.papers + placed.papers, both.names + placed.names)
            return self._gather(self._placed(placed), placed.papers), True
        if last and (again := asked_again(question, last, self._named)):  # "what about gptq?" after a paper
            return self._gather(again), True
        if last and (again := listed_again(question, last)):  # "what about knowledge distillation?"
            return self._gather(again), True
        if last and (counted := counted_again(question, last)):  # "how many of them?" after a list
            query = self.assistant.gatherer.parse(counted, self.filters)
            return self._gather(replace(query, counted_as=query.counted_as or counted)), True
        cited_any = any(turn.answer.citations for turn in self.turns)
        if missing := unplaced(question, self.turns) or (not cited_any and nothing_to_compare(question)):
            query = replace(self.assistant.gatherer.parse(question, self.filters), said_instead=missing)
            return self._gather(query), False
        if last and (records := records_in(question, last)):
            query = self.assistant.gatherer.parse(records.question, self.filters)
            query = replace(query, among=True, text=records.shown, newest_first=records.newest_first)
            return self._gather(query, records.papers).narrowed(records.papers), True
        if last and (about := written_in(question, last)):
            return self._gather(self._placed(about), about.papers), True
        # an aspect asked of no paper ("what are the limitations?") has no subject to search as typed
        if (
            last
            and (aspect_of_nothing(question) or (points_to_two(question) and len(previous_papers(last)) == 1))
            and (each := asked_of_each(question, last, self.turns))
            and (asked := self._each(each))
        ):
            return self._gather(asked, each.papers).narrowed(each.papers), True
        typed = self._gather(question)
        if not last:
            return typed, False
        previous = previous_papers(last)
        carried = carry_context(question, last, self._called(last))
        contextual = self._gather(self._pointing(question, carried) if previous else carried, previous)
        if not self._follows(question, typed, contextual, previous):
            return typed, False
        if (each := asked_of_each(question, last, self.turns)) and (asked := self._each(each)):
            return self._gather(asked, each.papers).narrowed(each.papers), True
        if self.condense_with_llm and needs_rewriting(question, last):
            condensed = condense(self.assistant, question, last, llm=self.llm)
            if condensed:
                return self._pointed_at(question, self._gather(condensed, previous), previous), True
        return self._pointed_at(question, contextual, previous), True

    def _placed(self, placed: Placed, *, each: bool = False) -> Query:
        """A follow-up pointing at papers of the conversation, parsed; a comparison of them, or a
        question asked of each (`each`), is answered from those very papers, each a side under its
        name (a title may be too long to be read as one, and a search for it may find another
        paper first)."""
        if each:
            # weighed as typed (the papers' names would weigh in each one's sentences), and not as a
            # list: "which datasets do they use?" asks what each has
            typed = parse(without_regarding(placed.question), self.filters, list_form=False)
            query = replace(typed, text=placed.question)
        else:
            query = self.assistant.gatherer.parse(placed.question, self.filters)
            if len(placed.papers) == 1 and about_only(placed.question, placed.names[0]):
                return self._about(query, placed.names[0])
            if len(placed.papers) == 1:  # "how does the first one differ from GIM?" names its other side
                return self._compared_with(query, placed) or query
            if query.kind != "comparison":
                return query
        return _on_sides(query, placed)

    def _about(self, query: Query, name: str) -> Query:
        """ "what about the second one?": after an answer about one paper, its question asked of this
        one ("how is the first one evaluated?", then "how is Genie evaluated?"), else its gist."""
        last = self.context
        if last and len(cited := last.answer.citations) == 1:
            asked, earlier = without_regarding(last.standalone), short_name(cited[0].paper.title)
            if about_only(asked, earlier):  # "what about the second one?" again: its gist
                return replace(query, kind="lookup", summary=True)
            if earlier in asked:  # the paper was written in by its place too
                return self.assistant.gatherer.parse(asked.replace(earlier, name, 1), self.filters)
            if again := asked_again(f"what about {name}?", last, self._named):
                return self.assistant.gatherer.parse(again, self.filters)
        return replace(query, kind="lookup", summary=True)

    def _compared_with(self, query: Query, placed: Placed) -> Query | None:
        """A comparison of one paper of the conversation with what the follow-up names ("how does
        the first one compare to FYI?"), its sides read with a plain name in the paper's place (a
        long title, or one writing "and", is no side `compared` reads): that paper pinned on its
        side, the others searched; None when it is no comparison."""
        name = placed.names[0]
        plain = parse(placed.question.replace(name, PLAIN_NAME, 1), self.filters)
        if plain.kind != "comparison" or PLAIN_NAME not in plain.sides:
            return None
        sides = tuple(side_name(name) if side == PLAIN_NAME else side for side in plain.sides)
        papers = tuple(placed.papers[0] if side == PLAIN_NAME else "" for side in plain.sides)
        return replace(query, kind="comparison", sides=sides, side_papers=papers, rivals=())

    def _rival(self, typed: str, placed: Placed) -> Query:
        """Which of the papers of the conversation is better ("which one is faster?"), as their
        comparison on results, each paper's sentences weighed against the question as typed (their
        names, written in, drew sentences about the field)."""
        asked = parse(typed, self.filters, list_form=False)
        query = replace(asked, text=placed.question, kind="comparison", rivals=(), wants_result=True)
        return _on_sides(query, placed)

    def _each(self, placed: Placed) -> Query | None:
        """A question asked of each of several papers, answered for each; None for a yes/no one (a
        verdict for each paper is not checked as the verdict for one is), unless it asks for an aspect
        ("is the code available?"), which each abstract states or not."""
        query = self._placed(placed, each=True)
        return None if query.kind == "yesno" and query.aspect is None else query

    def _called(self, turn: Turn) -> str:
        """The name an exchange's question (or the subject written into it) calls the paper its answer
        cited first by ("persam"), if it does."""
        cited = turn.answer.citations[0].paper.paper_id if turn.answer.citations else None
        asked = turn.standalone
        return next((asked[m.start : m.end] for m in self._named(asked) if m.paper_id == cited), "")

    def _named(self, text: str) -> list[Match]:
        """The papers a text calls by their short names (the name index), within the chat's filter."""
        return self.assistant.gatherer.retriever(self.filters).name_matches(text)

    @staticmethod
    def _pointed_at(question: str, evidence: Evidence, previous: list[str]) -> Evidence:
        """A question pointing back is answered from the papers it points at: the carried search finds
        others too, and a model given them cited another paper's ImageNet accuracy for "what accuracy
        do they reach on imagenet?" after Model soups. Narrowed, not searched again."""
        return evidence.narrowed(previous) if refers_back(question) else evidence

    def answer(self, question: str) -> AnswerStream:
        """A chat question's answer as events: a notice when it is read as a follow-up, then the
        answer's; retrieval runs on the first iteration (under a terminal's spinner)."""

        question = without_controls(question).strip()  # as parsing reads it; the rules here too

        def events() -> Iterator[Event]:
            evidence, follow_up = self.evidence(question)
            if follow_up:
                yield Notice(f"(searching for: {evidence.query.text})")
            yield from self.assistant.answer(evidence, llm=self.llm)

        return AnswerStream(events())

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    @property
    def context(self) -> Turn | None:
        """The exchange a follow-up refers to: the last, unless that was a follow-up or "what is X?"
        refused ("and on ImageNet?", "what is imagenet?"; not "what about AWQ?", a name no paper
        writes), chose among the papers of an earlier one and found none of them ("None of the
        papers of the last answer says so."), or pointed at papers the conversation has not got
        ("the fifth one" after four): then "they" are still the papers of the exchange before it."""
        for turn in reversed(self.turns):
            # a follow-up refused ("and on ImageNet?", "and on OntoNotes?" of CrossNER) leaves "it" its
            # paper; one refused for naming what no paper writes ("what about AWQ?") is what "it" is
            refused_follow_up = (
                turn.answer.refused
                and refers_back(turn.question)
                and (bool(_CONDITION.match(turn.question)) or not self._names_unseen(turn.question))
            )
            # so does "what is X?" of a thing the papers write, refused ("what is imagenet?" after
            # Model soups: "who wrote the paper?" is still of Model soups)
            refused_aside = (
                turn.answer.refused
                and bool(defined_subject(turn.question))
                and not self._names_unseen(turn.question)
            )
            if (
                not (refused_follow_up or refused_aside or chose_none(turn))
                and turn.answer.decision != POINTED_NOWHERE
            ):
                return turn
        return self.last

    def _names_unseen(self, question: str) -> bool:
        """Whether a question writes a name no paper of the collection writes ("what about AWQ?")."""
        library = self.assistant.library
        name_like = wordpiece_name_test(library.embedder.count_tokens)
        return any(map(name_like, library.keyword_index().unseen(question)))

    def transcript(self) -> str:
        """The conversation as Markdown, each answer with its references."""
        parts = ["# Conversation", ""]
        for turn in self.turns:
            parts.append(f"## {markdown_text(turn.question)}")
            if turn.standalone != turn.question:
                parts.append(f"*Searched for: {markdown_text(turn.standalone)}*")
            if turn.answer.filters:
                parts.append(f"*Filter: {Filter.parse(turn.answer.filters).describe()}*")
            parts += ["", turn.answer.to_markdown()]
        return "\n".join(parts)


def _on_sides(query: Query, placed: Placed) -> Query:
    """The query with the papers pointed at as its sides, each under its name, pinned by id."""
    sides = tuple(side_name(name) for name in placed.names)
    return replace(query, sides=sides, side_papers=tuple(placed.papers))


def _command(session: ChatSession, line: str, display: Display) -> bool:
    """Run a /command; return False when the session should end."""
    write = display.text
    name, _, argument = line[1:].partition(" ")
    argument = argument.strip()
    last = session.last
    if name in ("quit", "exit", "q"):
        return False
    if name == "help":
        write(HELP + "\n")
    elif name == "sources":
        if last is None:
            write("No answer yet.\n")
        for source in last.answer.sources if last else []:
            found = source.paper
            cited = (
                next((c.number for c in last.answer.citations if c.paper.paper_id == found.paper_id), None)
                if last
                else None
            )
            mark = f"[{cited}]" if cited else "   "
            write(f"{mark} {source.score:.4f}  {found.title or '(untitled)'}  ({found.paper_id})\n")
    elif name == "show":
        citations = last.answer.citations if last else []
        number = whole_number(argument)
        if number is None or not 1 <= number <= len(citations):
            write(
                f"/show takes a reference number from the last answer (1-{len(citations)}).\n"
                if citations
                else "No references to show.\n"
            )
        else:
            paper = session.assistant.paper(citations[number - 1].paper.paper_id)
            display.heading(paper["title"] or "(untitled)")
            keys = ("paper_id", "authors", "year", "date", "venue", "doi", "arxiv_id", "url")
            for key in (*keys, "categories", "keywords", "tags", "links", "sources"):
                value = paper.get(key)
                if value:
                    display.note(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
            write(paper["abstract"] + "\n")
    elif name == "k":
        k = whole_number(argument)
        if k is not None and k >= 1:
            session.k = session.assistant.gatherer.cap(k)  # no more than the store holds, saying so
            write(f"Answers now draw on {session.k} papers.\n")
        else:
            write("/k takes a number of papers, e.g. /k 5\n")
    elif name == "llm":
        if argument in ("auto", "openai", "local", "extractive"):
            check_choice(session.assistant.settings, argument)  # openai without a key: an error now
            session.llm = argument
            write(f"Answers now come from: {argument}.\n")
        else:
            write("/llm takes auto, openai, local or extractive\n")
    elif name == "model":
        if not argument:
            write("/model takes a GGUF file or an OpenAI model name (see `rag models`)\n")
        else:
            session.llm = session.assistant.use_model(argument)
            write(f"Answers now come from the {session.llm} backend: {argument}.\n")
    elif name == "mode":
        if argument in ("hybrid", "dense", "keyword"):
            session.mode = cast("SearchMode", argument)
            write(f"Retrieval mode: {argument}.\n")
        else:
            write("/mode takes hybrid, dense or keyword\n")
    elif name == "filter":
        _filter(session, argument, write)
    elif name == "reset":
        session.turns.clear()
        write("Conversation forgotten.\n")
    elif name in ("save", "save!"):
        _write_file(
            write,
            name,
            argument,
            example="notes.md",
            content=lambda: printable(session.transcript()),  # a file people cat
            done=lambda text: f"Saved {len(session.turns)} exchanges to {argument}.\n",
        )
    elif name in ("bib", "bib!"):
        cited_papers = [c.paper for turn in session.turns for c in turn.answer.citations]
        if argument and not cited_papers:
            write("No papers cited yet.\n")
        else:
            from .bibtex import to_bibtex

            _write_file(
                write,
                name,
                argument,
                example="refs.bib",
                content=lambda: to_bibtex(cited_papers),
                done=lambda text: f"Wrote {len(ENTRY.findall(text))} BibTeX entries to {argument}.\n",
            )
    else:
        write(f"Unknown command /{name}: type /help for the commands.\n")
    return True


def _filter(session: ChatSession, argument: str, write: Write) -> None:
    """/filter: show the filter in effect, replace it (checked against the store first), or remove it."""
    if not argument:
        shown = (
            f"Filter: {session.filters.describe()}"
            if session.filters
            else "No filter: every paper is searched"
        )
        write(f"{shown}. /filter year=2021..2023 author=NAME ... sets it, /filter off removes it.\n")
    elif argument in ("off", "none", "clear"):
        session.filters = NO_FILTER
        write("Filter removed: every paper is searched.\n")
    else:
        wanted = Filter.from_words(argument)  # an unusable value is an InputError: one line, nothing changed
        try:
            scope = session.assistant.gatherer.scope(wanted)
        except NoMatchError as exc:
            message = str(exc)
            write(f"{message[:1].upper()}{message[1:]}; the filter is unchanged.\n")
            return
        session.filters = wanted
        write(f"Filter: {scope.describe() if scope else wanted.describe()}.\n")


def _answer(session: ChatSession, question: str, display: Display) -> None:
    stream = session.answer(question)
    try:
        display.stream(stream)
    except KeyboardInterrupt:
        display.text("\n")
        display.note("[answer cancelled]")
        return
    answer, query = stream.answer, stream.query
    assert answer is not None and query is not None
    display.text("\n")
    if answer.refused and answer.closest:
        display.note(answer.closest_line())
    if answer.citations:
        display.references(answer.references())
    for item in answer.unsupported:  # each named, as `rag ask` names them
        display.note(f"(not supported by the cited abstracts: {item.sentence} ({item.reason}))")
    if answer.fallback_reason:
        display.note(f"(answered by {answer.backend}: {answer.fallback_reason})")
    session.turns.append(Turn(question, query.text, answer))


def _write_file(
    write: Write,
    command: str,
    argument: str,
    *,
    example: str,
    content: Callable[[], str],
    done: Callable[[str], str],
) -> None:
    """/save and /bib: write FILE, but never over an existing one unless the command ends in "!"."""
    plain = command.rstrip("!")
    if not argument:
        write(f"/{plain} takes a file name, e.g. /{plain} {example}\n")
        return
    target = Path(argument).expanduser()
    exists = f"{argument} exists: /{plain}! {argument} overwrites it.\n"
    if not command.endswith("!") and target.exists():
        write(exists)
        return
    text = content()
    try:
        write_file(target, text, overwrite=command.endswith("!"))
        write(done(text))
    except FileExistsError:
        write(exists)
    except OSError as exc:
        write(f"Cannot write {argument}: {exc.strerror}\n")


def repl(session: ChatSession, read_line: ReadLine, write: Write, *, display: Display | None = None) -> int:
    """Run the chat until /quit or end of input; errors and Ctrl-C never end the session.

    Output goes to `display` (rich on a terminal), else as plain text through `write`.
    """
    display = display or PlainDisplay(write)
    display.note("Ask about the indexed papers. /help for commands, Ctrl-D to leave.")
    while True:
        try:
            line = read_line(PROMPT).strip()
        except EOFError:
            display.text("\n")
            return 0
        except KeyboardInterrupt:
            display.text("\n")
            continue
        if not line:
            continue
        try:
            if line.startswith("/"):
                if not _command(session, line, display):
                    return 0
            else:
                _answer(session, line, display)
        except RagError as exc:
            display.text(f"error: {exc}\n")
        except KeyboardInterrupt:
            display.text("\n")
            display.note("[cancelled]")


def load_history(path: Path) -> int:
    """Read the history file into readline (line editing, arrow keys); how many lines it held."""
    import readline

    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(-1)  # the file is capped, not the session: new lines are counted
    return int(readline.get_current_history_length())


def save_history(path: Path, loaded: int) -> None:
    """Append this session's lines to the history file, whose other sessions' lines stay, and cap
    it at its last HISTORY_LINES lines; a file that cannot be written is a note on stderr."""
    import fcntl
    import readline

    new = readline.get_current_history_length() - loaded
    if new <= 0:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # questions may be private
        with os.fdopen(fd, "r+", encoding="utf-8", errors="surrogateescape") as f:
            fcntl.flock(f, fcntl.LOCK_EX)  # two sessions ending at once append in turn
            readline.append_history_file(new, str(path))
            _cap(f)
        path.chmod(0o600)
    except OSError as exc:
        print(f"rag: note: the chat history was not saved ({path}: {exc.strerror})", file=sys.stderr)


def _cap(f: TextIO) -> None:
    """Keep the last HISTORY_LINES lines of an open history file (and libedit's header line)."""
    f.seek(0)
    lines = f.readlines()
    header = lines[:1] if lines and lines[0].strip() == _LIBEDIT_HEADER else []
    body = lines[len(header) :]
    if len(body) <= HISTORY_LINES:
        return
    f.seek(0)
    f.writelines(header + body[-HISTORY_LINES:])
    f.truncate()
