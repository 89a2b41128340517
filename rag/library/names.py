"""Papers' short names, so that a question naming a paper finds it: the title's head before a colon
("ToonTalker", "SF(DA)^2", "One for All") and the acronym an abstract coins for its own method
("we propose ... (OFA)") or for its title's head ("Direct Preference Optimization (DPO)"), matched
whatever their case, hyphens, punctuation and spacing."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .acronyms import DEFINITION, long_form

# A name's pieces: letters and digits, a trailing "+" kept (MoE++ is not MoE).
PIECE = re.compile(r"[^\W_]+\+*")
# The head of a title: what comes before its colon, " -- ", "!" or "?" (at most MAX_WORDS words).
_HEAD = re.compile(r"^\s*(?P<head>[^:!?]+?)\s*(?::|!|\?\s|\s--?\s|,\s+A\s)")
MAX_WORDS = 4
COMMON = 2  # a word more papers than this write is an ordinary word of the collection
MAX_SPAN = 8  # pieces of a question joined into one name at most ("sf(da)^2" is three)
# An abstract coins a name for its own contribution: "we propose X (ABC)", "a method called ABC".
_COINING = re.compile(
    r"\b(propos|introduc|present|develop|design|devis|releas|curat|construct|build|call|dub|term|nam|our)\w*\b",
    re.I,
)
# "called X" ("termed as X") names X when X looks like a name: capitals inside, a digit or a "+" (not
# "named Unknown"); so does "we introduce X, ...", X ending there ("We introduce DMD2, a set of
# techniques", not "we propose REtrieval-Augmented Learning (REAL)", whose acronym is the name)
_NAME_SHAPE = r"(?P<name>(?=[\w+-]*(?:[a-z][A-Z]|[A-Z]{2}|\d|\+))[A-Z][\w+-]*[\w+])"
_CALLED = re.compile(
    rf"\b(?:called|named|dubbed|termed|coined)(?:\s+as)?\s+{_NAME_SHAPE}"
    rf"|\b[Ww]e\s+(?:introduce|present|propose)\s+{_NAME_SHAPE.replace('name', 'introduced')}"
    r"(?=\s*[,:;(]|\s+(?:a|an|which|that)\b)"
)
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z])")
# an acronym with a hyphen, as a method's name is often coined: "Megatron-Turing NLG 530B (MT-NLG)"
_HYPHENATED = re.compile(r"\(([A-Za-z][A-Za-z0-9]{0,9}-[A-Za-z0-9]{1,9})\)")
# A name of ordinary words counts when the question frames it as a name: "what is X?", "tell me
# about X", "the X paper".
_KINDS = (
    r"(?:paper|article|work|method|model|approach|framework|benchmark|dataset|system|technique|algorithm)s?"
)
_FRAME = re.compile(
    r"(?:^|\b(?:what|who)(?:'s|\s+is|\s+are|\s+was)|tell me about|explain|describe|summari[sz]e)(?:\s+the)?$",
    re.I,
)
# ... or as the subject after "does", "did", "do" or a modal verb, a verb in its bare form following:
# "what datasets does five use?", "what did datacomp find?", "can pleas work without data?" (not
# "can one for all tasks be ...?")
_SUBJECT = re.compile(r"\b(?:does|did|do|can|could|will|would|should)$", re.I)
_BARE_VERB = re.compile(r"[a-z]+(?<![^su]s)\b")  # no plural noun ("tasks"): "use", "discuss", "focus"
_QUOTES = "\"'\u201c\u201d\u2018\u2019`"
# the acronym of a title's head, as its abstract defines it ("Direct Preference Optimization: ..."
# and "... Direct Preference Optimization (DPO)"): the paper that named it, however many write it
TITLE_ACRONYM = "title acronym"


# Letters Unicode does not decompose into a base letter and an accent, as their base is spelled
_UNDECOMPOSED = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "\u0131": "i",  # dotless i
        "ŀ": "l",
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)


def fold(text: str) -> str:
    """Lower case without accents ("Ünlü" is "unlu", "Łukasz Østergaard" "lukasz ostergaard")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_UNDECOMPOSED))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def without_article(text: str) -> str:
    """A name or phrase without the article it opens with ("The Need for Speed": "Need for Speed")."""
    return re.sub(r"^(?:the|an?)\s+", "", text.strip(), flags=re.IGNORECASE)


def key(pieces: Iterable[str]) -> str:
    """A name's lookup key: its pieces folded and joined, a plural "s" dropped (TTMs: ttm)."""
    joined = "".join(fold(p) for p in pieces)
    return joined[:-1] if len(joined) > 4 and joined.endswith("s") and not joined.endswith("ss") else joined


@dataclass(frozen=True)
class Name:
    """One name of one paper: as written, and where it was read (title or abstract)."""

    paper_id: str
    written: str
    source: str  # "title", "abstract" or TITLE_ACRONYM


def title_head(title: str) -> str:
    """A title's part before its colon (or "!", "?", a spaced dash, ", A "), however long; "" when it
    has none."""
    match = _HEAD.match(title)
    return match.group("head").strip(" " + _QUOTES) if match else ""


def title_names(title: str) -> list[str]:
    """The short names a title gives its paper: its head (and the parts of "X and Y", "X (Y)")."""
    head = title_head(title)
    if not head:
        return []
    parts = [head]
    inner = re.fullmatch(r"(?P<outer>.+?)\s*\((?P<inner>[^()]+)\)", head)  # Tiny Time Mixers (TTMs)
    if inner:
        parts = [inner.group("outer"), inner.group("inner")]
    parts = [p for part in parts for p in (part, *re.split(r"\s+(?:and|&)\s+", part))]
    return [p for p in dict.fromkeys(parts) if p and len(p.split()) <= MAX_WORDS and PIECE.search(p)]


def needed_name(title: str) -> str | None:
    """The name a title writes before "is all you need" ("SuSana Distancia is all you need: ..."),
    when it is no ordinary word; read as an abstract's name is, which names no paper when others
    write it too ("GPT-4 Is All You Need: ...")."""
    head = title_head(title) or title.strip(" " + _QUOTES)
    needed = re.match(r"(?P<name>.+?)\s+(?:is|are)\s+all\s+you\s+need\W*$", head, re.IGNORECASE)
    return needed["name"] if needed and distinctive(needed["name"]) else None


def distinctive(name: str) -> bool:
    """Whether a name is no ordinary word as written: a capital inside a word (ReIdent, CLIP), a
    digit (GPT-4) or a sign (MoE++, SF(DA)^2)."""
    return any(not p.isalpha() or any(c.isupper() for c in p[1:]) for p in PIECE.findall(name)) or bool(
        re.search(r"[+^]", name)
    )


def written_keys(text: str) -> set[str]:
    """The keys of every run of up to MAX_SPAN pieces of a text: where a name's key is looked up."""
    pieces = PIECE.findall(text)
    return {key(pieces[i : i + span]) for i in range(len(pieces)) for span in range(1, MAX_SPAN + 1)}


def coined_names(text: str) -> list[str]:
    """The acronyms and "called X" names an abstract coins for its own contribution."""
    found = [m.group("name") or m.group("introduced") for m in _CALLED.finditer(text)]
    for match in [*DEFINITION.finditer(text), *_HYPHENATED.finditer(text)]:
        short = match.group(1)
        letters = short.replace("-", "")
        if not any(c.isupper() for c in letters[1:]) and not any(c.isdigit() for c in letters):
            continue  # "(Our)", "(see)", "(few-shot)": no acronym
        before = text[max(0, match.start() - 160) : match.start()]
        sentence = _SENTENCE_END.split(before)[-1]
        meaning = long_form(letters, before)
        if meaning and _COINING.search(sentence) and not _a_kind(short, meaning, before, text):
            found.append(short)
    return found


def title_acronyms(title: str, text: str) -> list[str]:
    """The acronyms a text defines for its title's head ("Direct Preference Optimization (DPO)" in
    the abstract of "Direct Preference Optimization: Your Language Model Is ...")."""
    if _SURVEY.search(title):  # "Neural Architecture Search: A Survey" names no NAS of its own
        return []
    heads = {fold(" ".join(PIECE.findall(head))) for head in title_names(title)}
    if not heads:  # no head before a colon (or "!", "?", " -- "): no acronym can spell it
        return []
    found = []
    for match in DEFINITION.finditer(text):
        before = text[max(0, match.start() - 160) : match.start()]
        meaning = long_form(match.group(1), before)
        if not meaning or fold(" ".join(PIECE.findall(meaning))) not in heads:
            continue
        sentence = _SENTENCE_END.split(before)[-1]
        # "which we call ... (DPO)", "we derive ... (CPL)"; not a concept a sentence defines ("Federated
        # learning (FL) is a ...", "we formally define machine unlearning (MU)")
        if _COINING.search(sentence) or _DERIVING.search(sentence):
            found.append(match.group(1))
    return found


# a title of a survey, an overview or a tutorial of a field ("Generative Adversarial Networks: An
# Overview", "A Survey of ..."), not a task ("Code Review Automation: Peer Review with LLMs")
_SURVEY = re.compile(
    r"(?::|\s-+)\s*(?:an?\s+)?(?:[\w-]+\s+){0,2}(?:survey|overview|tutorial|primer|introduction)\b"
    r"|(?::|\s-+)\s*(?:an?\s+|(?:systematic|literature|comprehensive)\s+)(?:[\w-]+\s+){0,1}review\b"
    r"|(?::|\s-+)\s*review(?:\s*$|\s*[.:;,?(]|\s+(?:of|on|and|&)\b)"
    r"|^\s*(?:an?\s+)?(?:[\w-]+\s+){0,2}(?:survey|review|overview|tutorial|primer)\s+(?:of|on)\b",
    re.IGNORECASE,
)
_DERIVING = re.compile(r"\bwe\s+(?:\w+\s+)?(?:derive|formulate)\b", re.IGNORECASE)


def _a_kind(short: str, meaning: str, before: str, text: str) -> bool:
    """Whether a hyphenated acronym stands for a kind of thing, not the paper's own: its long form
    written in lower case, and the text writing it as a plural ("a new vision-language LLM (VL-LLM)",
    then "VL-LLMs"; not "the Dual-Stream Network (DS-Net)", then "DS-Nets")."""
    if "-" not in short or not re.search(rf"\b{re.escape(short)}s\b", text):
        return False
    starts = [m.start() for m in re.finditer(rf"\b{re.escape(meaning.split()[0])}", before, re.IGNORECASE)]
    return bool(starts) and before[starts[-1]].islower()  # the long form as the text cases it


class NameCollector:
    """Collects the names of papers as their chunks are read (the title once per paper)."""

    def __init__(self) -> None:
        self._names: list[Name] = []
        self._titled: set[str] = set()

    def add(self, paper_id: str, title: str, text: str) -> None:
        """Note the names one chunk of a paper gives it."""
        if paper_id not in self._titled:
            self._titled.add(paper_id)
            self._names += [Name(paper_id, n, "title") for n in title_names(title)]
            if needed := needed_name(title):
                self._names.append(Name(paper_id, needed, "abstract"))
        self._names += [Name(paper_id, n, "abstract") for n in coined_names(text)]
        self._names += [Name(paper_id, n, TITLE_ACRONYM) for n in title_acronyms(title, text)]

    def index(self) -> NameIndex:
        """The names collected, indexed by key (an acronym of the title's head once, as that)."""
        headed = {(n.paper_id, n.written) for n in self._names if n.source == TITLE_ACRONYM}
        return NameIndex(
            n for n in self._names if n.source != "abstract" or (n.paper_id, n.written) not in headed
        )


@dataclass(frozen=True)
class Match:
    """A paper a question names, and the words of the question that name it."""

    paper_id: str
    written: str  # the name as the paper writes it
    start: int  # where the name starts in the question
    end: int  # where it ends: question[start:end] are the words naming the paper


class NameIndex:
    """Names by lookup key; finds the papers a question names."""

    def __init__(self, names: Iterable[Name] = ()) -> None:
        self.names: list[Name] = []
        self._by_key: dict[str, list[Name]] = {}
        for name in dict.fromkeys(names):
            k = key(PIECE.findall(name.written))
            if len(k) >= 2:
                self.names.append(name)
                self._by_key.setdefault(k, []).append(name)

    def __len__(self) -> int:
        return len(self.names)

    def lines(self) -> list[str]:
        """The names as tab-separated lines (how the keyword index saves them)."""
        return [f"{n.paper_id}\t{n.source}\t{n.written}" for n in self.names]

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> NameIndex:
        """The index saved by `lines`."""
        fields = (line.split("\t", 2) for line in lines if line.count("\t") >= 2)
        return cls(Name(paper_id, written, source) for paper_id, source, written in fields)

    def find(
        self,
        question: str,
        *,
        is_word: Callable[[str], bool],
        shared: Callable[[str], int],
    ) -> list[Match]:
        """The papers a question names, in the order it names them. A name of ordinary words
        (`is_word` for each) counts only where the question uses it as a name (see `_as_name`);
        `shared(name)` says how many papers write all the words of a name."""
        pieces = list(PIECE.finditer(question))
        matches: list[Match] = []
        position = 0
        while position < len(pieces):
            found = self._longest(question, pieces, position, is_word, shared)
            if found:
                span, names = found
                start, end = pieces[position].start(), pieces[position + span - 1].end()
                matches += [Match(n.paper_id, n.written, start, end) for n in names]
                position += span
            else:
                position += 1
        return list({m.paper_id: m for m in reversed(matches)}.values())[::-1]

    def _longest(
        self,
        question: str,
        pieces: list[re.Match[str]],
        position: int,
        is_word: Callable[[str], bool],
        shared: Callable[[str], int],
    ) -> tuple[int, list[Name]] | None:
        """The longest name starting at this piece of the question that it uses as a name."""
        for span in range(min(MAX_SPAN, len(pieces) - position), 0, -1):
            words = [p.group() for p in pieces[position : position + span]]
            k = key(words)
            start, end = pieces[position].start(), pieces[position + span - 1].end()
            if k not in self._by_key or (span > 1 and len(k) <= 3 and re.search(r"\s", question[start:end])):
                continue  # a short name is written as one (BT^2), not "a b c" run together
            names = [
                n
                for n in self._by_key[k]
                if _as_name(question, start, end, n, len(self._by_key[k]), is_word, shared)
            ]
            if names:  # a title's name before an abstract's (RMT: a title, and another's acronym)
                return span, sorted(names, key=lambda n: n.source != "title")
        return None


def ordinary(written: str, is_word: Callable[[str], bool], shared: Callable[[str], int]) -> bool:
    """Whether a name is made of ordinary words ("One for All", "A New Benchmark", "POINTS"): each
    a word of the vocabulary (`is_word`) or written by more than COMMON papers (`shared`)."""
    pieces = PIECE.findall(written)
    return all(p.isalpha() and (is_word(fold(p)) or shared(p) > COMMON) for p in pieces)


def _as_name(
    question: str,
    start: int,
    end: int,
    name: Name,
    bearers: int,
    is_word: Callable[[str], bool],
    shared: Callable[[str], int],
) -> bool:
    """Whether the question uses these words as the name: always for a name no dictionary has
    (ToonTalker, MoE++, SF(DA)^2); for ordinary words, when written as the paper writes them
    (with its capitals), quoted, framed as a name ("what is X?", "the X paper", "does X use ...?"),
    or when no other paper writes all of the name's words. A name read from an abstract counts only
    if at most one paper besides its own writes it."""
    written = question[start:end]
    widely_written = shared(name.written) > bearers + 1
    if name.source == "abstract" and widely_written:
        return False  # an acronym many papers write (LLM, LoRA) names none of them
    if len(key([written])) <= 2 and _letters(written) != _letters(name.written):
        return False  # two letters name something only as written ("CO", not "co")
    if name.source == TITLE_ACRONYM and widely_written:
        return _framed(question, start, end)  # "what is dpo?", not "does X beat DPO?"
    if not ordinary(name.written, is_word, shared):
        return True
    same = _letters(written) == _letters(name.written) and any(c.isupper() for c in name.written)
    if same and not (start == 0 and name.written[1:].islower() and " " not in name.written):
        return True
    closing = re.match(rf"[.,:;?!]*[{_QUOTES}]", question[end:])
    if start > 0 and question[start - 1] in _QUOTES and closing:
        return True  # quoted whole ("one for all", "one for all."), not the "Zero" of "Zero-Shot"
    if _framed(question, start, end):
        return True
    return len(PIECE.findall(name.written)) > 1 and shared(name.written) <= bearers


def _framed(question: str, start: int, end: int) -> bool:
    """Whether the question frames these words as a name: "what is X?", "the X paper", "does X use"."""
    before, after = question[:start].strip(), question[end:].strip()
    if _FRAME.search(before) and re.fullmatch(r"[?.!]*", after):
        return True
    if re.match(rf"{_KINDS}\b", after, re.I) and re.search(r"\bthe$", before, re.I):
        return True
    return bool(_SUBJECT.search(before) and _BARE_VERB.match(after))  # "what datasets does five use?"


def _letters(text: str) -> str:
    """Letters and digits of a text as written (case kept)."""
    return "".join(PIECE.findall(text))
