"""What a paper's named work is, over the bundled corpus: for every paper whose title has a short name
("GIM" of "GIM: Learning ..."), asked in each of FORMS ("what is NAME?", ...). An answer is scored
"defines" when it cites that paper first and a sentence it quotes writes the name and introduces the
work, by the judge below, written for this benchmark and kept apart from the product's rules: it says
what the paper proposes, builds or releases ("we propose X", "we introduce X", "we identify an
architecture, named X", "we release X"), or defines the name ("X, a framework ...", "X is a ..."). It
is strict: a sentence naming what the one before it described ("We dub the dataset as X.") does not
count, even after that one. "result" when every sentence it quotes reports a result (a figure,
"outperforms", "achieves", "state-of-the-art", "experiments") and none introduces the work;
"background" when it quotes a sentence opening with the field or earlier work ("However, ...",
"Existing ...") or the abstract's first sentence; "not first" when it cites another paper first;
"other" else. Reported per form and split (a paper's split by its id); --show prints every answer not
scored "defines". Run with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/definitions.py [--store DIR] [--show]
"""

from __future__ import annotations

import re
from collections.abc import Callable

from findings import CITED, OPENING, ask_forms, named_papers
from store_args import opened

FORMS = {
    "what is": "what is {name}?",
    "what's": "what's {name}",
    "exactly": "what exactly is {name}?",
    "exactly after": "what is {name} exactly?",
}
_INTRODUCES = re.compile(
    r"\b(?:we|this (?:paper|work|study)|here)\b[^.]{0,60}?\b(?:propos|introduc|present|develop|design|build"
    r"|built|construct|creat|curat|collect|releas|identif|establish|formulat|devis)\w*"
    r"|\b(?:is|are)\s+(?:proposed|introduced|presented)\b",
    re.IGNORECASE,
)
_RESULT = re.compile(
    r"\b(?:outperform\w*|surpass\w*|state-of-the-art|sota|experiments?|results?|achiev\w*|improv\w*"
    r"|competitive|superior)\b|\d+(?:\.\d+)?\s*(?:%|x\b|times)",
    re.IGNORECASE,
)


def defined(name: str, sentence: str) -> bool:
    """Whether a sentence writes the name and introduces the work ("we propose X ...") or defines the
    name ("X, a ...", "X is a ...")."""
    named = re.escape(name)
    if not re.search(named, sentence, re.IGNORECASE):
        return False
    apposition = re.search(rf"{named}\W{{0,2}},\s+an?\s|{named}\s+(?:is|are)\s+(?:an?|the)\s", sentence, re.I)
    return bool(_INTRODUCES.search(sentence) or apposition)


def judge_for(names: dict[str, str]) -> Callable[[str, str], str]:
    """The judge of an answer's quotes against the abstract of the paper (`names`: abstract -> its
    name) asked about (see the module's text)."""

    def judged(answer_text: str, abstract: str) -> str:
        quoted = [s.strip() for s in CITED.split(answer_text) if s.strip()]
        if not quoted:
            return "other"
        first = abstract.strip()[:60]
        if any(OPENING.search(s) or s[:60] == first for s in quoted):
            return "background"
        if any(defined(names[abstract], s) for s in quoted):
            return "defines"
        return "result" if all(_RESULT.search(s) for s in quoted) else "other"

    return judged


def main() -> None:
    shown = "print every answer not scored 'defines'"
    assistant, show = opened(__doc__.splitlines()[0], "rag-define-", shown)
    named = named_papers(assistant)
    judge = judge_for({abstract: name for name, (_, abstract) in named.items()})
    kinds = ("result", "background", "other", "refused")
    ask_forms(assistant, named, FORMS, judge, "defines", show, kinds=kinds)


if __name__ == "__main__":
    main()
