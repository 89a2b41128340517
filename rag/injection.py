"""Instructions hidden in abstracts (prompt injection): recognised, withheld from prompts, and
caught when a reply obeys them."""

from __future__ import annotations

import re

from .citations import split_sentences

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
