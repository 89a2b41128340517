"""Sources into prompts: the evidence that matters within a token budget, instructions defused."""

from __future__ import annotations

import math
import re

import numpy as np

from .answer import Source
from .citations import PaperText, figures, split_sentences
from .embeddings import Embedder
from .keyword import tokenize
from .prompts import Prompts

Messages = list[dict[str, str]]

# Sentences that address the model rather than describe research: the phrasings of public
# prompt-injection collections (PromptInject, deepset/prompt-injections, garak, Tensor Trust),
# written so that abstracts about prompts, instructions or forgetting are not caught.
_INSTRUCTION = re.compile(
    "|".join(
        [
            r"\b(ignore|disregard|forget|override|bypass)\b[^.]{0,40}\b(previous|prior|above|earlier|"
            r"preceding|all|any|your|these|those|following)\b[^.]{0,25}\b(instructions?|prompts?|rules|"
            r"directions|directives|guidelines|context|messages?)\b",
            r"\bforget (everything|all|what)\b[^.]{0,30}\b(told|said|above|before|learned)\b",
            r"\b(from now on|henceforth|starting now)\b[^.]{0,40}"
            r"\b(you|respond|reply|answer|say|act|output)\b",
            r"\b(respond|reply|answer|output|print|say|write)\s+(only|just|exclusively)\b",
            r"\b(just|only|simply) (print|say|output|reply|respond|write)\b",
            r"\byou are now\b|\b(you|please) act as\b|\bact as if you\b|\bpretend (to be|you are|that you)\b",
            r"\b(new|updated|real|actual|secret) (instructions?|task|rules|directive)\s*:",
            r"\byour (new|real|actual|true|only) (task|instructions?|goal|purpose|job) (is|are)\b",
            r"\b(reveal|print|show|repeat|output|leak|disclose)\b[^.]{0,30}\b(system prompt|initial "
            r"instructions|hidden (prompt|instructions)|(instructions|text|prompt|words) above)\b",
            r"^\W*(system|assistant)\s*:|<\|im_start\|>|\[/?INST\]|<</?SYS>>",
            r"\b(do anything now|developer mode|jailbreak(ed)? mode)\b",
            r"\byou (must|should|will|have to) (now )?(reply|answer|say|respond|output|ignore|obey|comply|"
            r"follow these)\b",
            r"\binstead,? (say|reply|respond|write|print|output|answer)\b|\binstead of answering\b",
            r"\bstop (what you are doing|everything)\b",
            r"\b(never ?mind|belay that|just kidding|i('ve| have) changed my mind)\b",
            r"\binstead,? (please|i (want|need) you to)\b|\byou should instead\b",
            r"\b(disregard|erase|forget) everything\b|\bhighest precedence\b",
            r"^\W*\[(system|assistant|inst)\]|\brole-?play as\b",
            r"\b(when|if) (summari[sz]ing|answering|asked about|you (summari[sz]e|answer))\b[^.]{0,60}"
            r"\b(say|reply|respond|answer|state|claim)\b",
            r"\bno (content policy|restrictions|filters|guidelines)\b[^.]{0,30}\b(apply|you)\b",
        ]
    ),
    re.IGNORECASE,
)
WITHHELD = "[sentence withheld: it reads as an instruction to the model]"
# what an instruction asks to be said: a quoted phrase, or a capitalized token (PWNED2)
_TARGET = re.compile(r"[\"\u201c\u2018']([^\"\u201d\u2019']{2,40})[\"\u201d\u2019']|\b([A-Z][A-Z0-9]{2,})\b")


def looks_like_instruction(sentence: str) -> bool:
    """Whether a source sentence tries to instruct the model (a prompt injection)."""
    return bool(_INSTRUCTION.search(sentence))


def defuse(text: str) -> str:
    """A source text with instruction-like sentences withheld."""
    return " ".join(WITHHELD if looks_like_instruction(s) else s for s in split_sentences(text))


def injected_targets(texts: list[str]) -> set[str]:
    """What instructions hidden in these texts ask the model to say: quoted words and capitalized
    tokens of their instruction-like sentences ("reply only with PWNED2": pwned2)."""
    targets: set[str] = set()
    for text in texts:
        for sentence in split_sentences(text):
            if looks_like_instruction(sentence):
                for quoted, capital in _TARGET.findall(sentence):
                    word = (quoted or capital).strip().casefold()
                    if word not in {"system", "assistant", "user", "inst", "sys", "ai"}:
                        targets.add(word)
    return targets


def echoes_instruction(sentence: str, targets: set[str]) -> bool:
    """Whether an answer sentence obeys an injected instruction: it says what one asked for,
    or is itself an instruction."""
    folded = sentence.casefold()
    return looks_like_instruction(sentence) or any(
        re.search(rf"(?<!\w){re.escape(t)}(?!\w)", folded) for t in targets
    )


def estimate_tokens(text: str) -> int:
    """An LLM token count estimate: about four characters a token for English text."""
    return math.ceil(len(text) / 4)


def add_sentences(papers: list[PaperText], embedder: Embedder) -> None:
    """Split each paper's chunks into distinct sentences and embed all that lack vectors in one call."""
    todo = [p for p in papers if p.sentence_vectors is None]
    for paper in todo:
        seen: dict[str, None] = {}
        for text in paper.chunk_texts:
            seen.update(dict.fromkeys(split_sentences(text)))
        paper.sentences = list(seen)
    vectors = embedder.embed([s for p in todo for s in p.sentences])
    start = 0
    for paper in todo:
        paper.sentence_vectors = vectors[start : start + len(paper.sentences)]
        start += len(paper.sentences)


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
_RESULT_SENTENCE = re.compile(
    r"\b(outperform\w*|achiev\w*|improv\w*|state-of-the-art|surpass\w*|reach\w*|gains?)\b|\d", re.I
)
_METHOD_SENTENCE = re.compile(
    r"\b(we (propose|introduce|present|develop|design)|is an? |framework|approach|method)\b", re.I
)
_BOILERPLATE = re.compile(
    r"https?://|github\.com|\b(code|models?|data(sets?)?|weights|checkpoints?)\b[^.]{0,40}\b(is|are|will be)"
    r"\s+(made\s+)?(publicly\s+)?(available|released|open-sourced)|project page",
    re.IGNORECASE,
)
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


def _topic_then_papers(question: str) -> str | None:
    """The topic of "recommender system papers"; None for any other form."""
    match = _TOPIC_PAPERS.match(question)
    if not match or _NOT_A_TOPIC.search(match.group("topic")):
        return None
    return match.group("topic")


def is_list_question(question: str) -> bool:
    """Whether a question asks for several papers or approaches ("which papers ...", "X papers")."""
    return bool(_LIST.search(question)) or _topic_then_papers(question) is not None


def search_query(question: str) -> str:
    """What to search for: a list question's topic without its preamble ("which papers study X?": X)."""
    if not is_list_question(question):
        return question
    topic = _topic_then_papers(question) or _LIST_PREAMBLE.sub("", question).strip().rstrip("?").strip()
    return topic if len(topic) >= 3 else question


_AMOUNT = re.compile(r"\d[\d.,]*\s*(?:[kmb]|million|billion|thousand)?\s+([a-z]+)(?![-\w])", re.IGNORECASE)


def asks_for_figure(question: str) -> bool:
    """Whether a question asks for a number ("how much faster ...", "what top-1 accuracy ...")."""
    return bool(_QUANTITY.search(question)) and not is_list_question(question)


def _counts(sentence: str, counted: set[str]) -> bool:
    """Whether the sentence gives a number of the counted thing ("9.2M images", not "30.1M image-level")."""
    return any(set(tokenize(match.group(1))) & counted for match in _AMOUNT.finditer(sentence))


def sentence_scores(question: str, question_vector: np.ndarray, paper: PaperText) -> list[float]:
    """How well each of a paper's sentences answers the question: similarity plus shared words,
    more for the paper whose title the question names, plus what the question asks for (a number
    for a quantity, a result for results, the method for "how does"); boilerplate (code links,
    availability notes) never counts."""
    assert paper.sentence_vectors is not None
    terms = set(tokenize(question))
    # The paper the question names (its title has the question's rare words) is the one to quote.
    named = 0.15 * paper.named
    quantity = _QUANTITY.search(question)
    wants_number = bool(quantity)
    # "how many pathology tiles": a number next to those words beats a number about something else
    counted = set(tokenize(question[quantity.end() : quantity.end() + 40])[:2]) if quantity else set()
    asked_for = question[quantity.start() : quantity.end() + 12] if quantity else ""  # "how much faster"
    unit = next((u for asked, u in _UNITS if asked.search(asked_for)), None) if quantity else None
    wants_result = bool(_RESULTS.search(question)) and not wants_number
    wants_method = bool(_METHOD.match(question)) and not wants_number
    given = figures(question)  # "Claude 3 Opus": a number the question states is no answer
    scores = []
    for sentence, similarity in zip(paper.sentences, paper.sentence_vectors @ question_vector, strict=True):
        overlap = len(terms & set(tokenize(sentence))) / len(terms) if terms else 0.0
        score = float(similarity) + 0.2 * overlap + named
        if wants_number and figures(sentence) - given:  # "Magic141" states no figure
            in_unit = bool(unit and unit.search(sentence))
            score += 0.2 if in_unit or _counts(sentence, counted) else 0.05
        if wants_result and _RESULT_SENTENCE.search(sentence):
            score += 0.05
        if wants_method and _METHOD_SENTENCE.search(sentence):
            score += 0.05
        if _BOILERPLATE.search(sentence):
            score -= 1.0  # never the answer
        scores.append(score)
    return scores


def select_evidence(
    question: str,
    question_vector: np.ndarray,
    papers: list[PaperText],
    titles: dict[int, str],
    *,
    budget: int,
    margin: float,
) -> dict[int, str]:
    """The sentences that answer the question, by paper (in their original order), within a budget.

    Sentences are taken best first while they score within `margin` of the best one and fit the
    token budget, which also pays for each chosen paper's title; instruction-like sentences are
    never chosen. Papers with no sentence chosen are left out of the prompt.
    """
    scored: list[tuple[float, int, int]] = []  # (score, paper number, sentence position)
    for paper in papers:
        for position, score in enumerate(sentence_scores(question, question_vector, paper)):
            if not looks_like_instruction(paper.sentences[position]):
                scored.append((score, paper.number, position))
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    by_number = {p.number: p for p in papers}
    chosen: dict[int, set[int]] = {}
    spent = 0
    for score, number, position in scored:
        if score < scored[0][0] - margin:
            break
        cost = estimate_tokens(by_number[number].sentences[position])
        if number not in chosen:
            cost += estimate_tokens(titles.get(number, "")) + 12  # the title and the source tags
        if spent and spent + cost > budget:
            continue
        chosen.setdefault(number, set()).add(position)
        spent += cost
    return {
        number: " ".join(by_number[number].sentences[i] for i in sorted(positions))
        for number, positions in sorted(chosen.items())
    }


def _escape(text: str) -> str:
    # Angle brackets become look-alike quotes so no source can close its <source> tag.
    return text.replace("<", "\u2039").replace(">", "\u203a")


def format_sources(sources: list[Source], evidence: dict[int, str] | None = None) -> str:
    """The numbered sources in <source> tags (they read as data): the chosen evidence, if any,
    of the papers it names; else every source with its best chunk."""
    blocks = []
    for s in sources:
        if evidence is not None and s.number not in evidence:
            continue
        text = s.evidence if evidence is None else evidence[s.number]
        title = _escape(defuse(s.title) if s.title else "(untitled)")
        blocks.append(f'<source id="{s.number}">\nTitle: {title}\n{_escape(defuse(text))}\n</source>')
    return "\n\n".join(blocks)


def build_messages(
    prompts: Prompts, question: str, sources: list[Source], evidence: dict[int, str] | None = None
) -> Messages:
    """The chat messages: the system rules (a fixed prefix the model caches), then sources and
    question, in the list template for a "which papers ..." question, the figure template for one
    asking for a number."""
    template = prompts.answer
    if is_list_question(question):
        template = prompts.list
    elif asks_for_figure(question):
        template = prompts.figure
    return [
        {"role": "system", "content": prompts.system.format()},
        {
            "role": "user",
            "content": template.format(sources=format_sources(sources, evidence), question=question),
        },
    ]
