"""Yes/no questions asking what a paper's own sentence writes with words between ("does NAME VERB
OBJ?"), over the bundled corpus: for every paper whose title has a short name, its first sentence
about its own work ("we", "our", or its name) writing "VERBs the OBJ" (or "its"/"their" OBJ) or
"VERBs A and OBJ", VERB one of VERBS, asked as "does NAME VERB OBJ?" (gold: "Yes.", citing that
paper first); and, for a control, each paper asked with another paper's VERB and OBJ its abstract
never writes (gold: no verdict). Reported per split (a paper's split by its id): right / asked.
--show prints every answer. Run with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/yesno_phrases.py [--store DIR] [--show]
"""

from __future__ import annotations

import re

from findings import named_papers, split_of
from store_args import opened

from rag.citations import split_sentences

VERBS = (
    r"improves?|accelerates?|reduces?|enables?|outperforms?|supports?|boosts?|enhances?|preserves?"
    r"|simplifies|eliminates?|generates?|captures?"
)
_STOP = r"(?:of|for|in|on|by|with|to|from|while|without|across|than|through|via|at|as|and|or|which|that)"
_PHRASE = re.compile(
    rf"\b(?P<verb>{VERBS})\s+(?:(?:the|its|their)\s+(?P<object>\w[\w-]*(?:\s+(?!{_STOP}\b)\w[\w-]*)?)"
    r"|\w[\w-]*\s+and\s+(?:the\s+)?(?P<joined>\w[\w-]*))",
    re.IGNORECASE,
)
_NO_OBJECT = {"a", "an", "the", "model", "models", "method", "it"}


def _bare(verb: str) -> str:
    verb = verb.casefold()
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    return verb[:-1] if verb.endswith("s") and not verb.endswith("ss") else verb


def phrase_cases(named: dict[str, tuple[str, str]]) -> list[tuple[str, str, str, str, str]]:
    """(name, paper id, verb, object, form) of each paper whose own sentence writes such a phrase."""
    cases = []
    for name, (paper_id, abstract) in sorted(named.items()):
        for sentence in split_sentences(abstract):
            match = _PHRASE.search(sentence)
            if not match or not re.search(rf"\b(we|our)\b|{re.escape(name)}", sentence, re.IGNORECASE):
                continue
            obj = (match["object"] or match["joined"]).strip()
            if obj.casefold() in _NO_OBJECT:
                continue
            cases.append(
                (name, paper_id, _bare(match["verb"]), obj, "article" if match["object"] else "joined")
            )
            break
    return cases


def main() -> None:
    assistant, show = opened(__doc__.splitlines()[0], "rag-yesno-phrases-", "print every answer")
    named = named_papers(assistant)
    cases = phrase_cases(named)
    controls = [
        (name, paper_id, other[2], other[3], "control")
        for i, (name, paper_id, *_) in enumerate(cases)
        if (other := cases[(i + 7) % len(cases)])[3].casefold() not in named[name][1].casefold()
    ]
    counts: dict[tuple[str, str], list[int]] = {}
    for name, paper_id, verb, obj, form in cases + controls:
        question = f"does {name.casefold()} {verb} {obj.casefold()}?"
        answer = assistant.ask(question, llm="extractive")
        said = next((v for v in ("Yes.", "No.") if answer.text.startswith(v)), "")
        first = bool(answer.citations) and answer.citations[0].paper.paper_id == paper_id
        right = said == "" if form == "control" else said == "Yes." and first
        tally = counts.setdefault((form, split_of(paper_id)), [0, 0])
        tally[0] += right
        tally[1] += 1
        if show:
            print(f"{form:8} {right!s:5} {question!r}: {answer.text[:160]!r}")
    print("| form | calibration | report |\n|---|---|---|")
    for form in ("article", "joined", "control"):
        cells = [f"{r} / {n}" for r, n in (counts.get((form, s), [0, 0]) for s in ("calibration", "report"))]
        print(f"| {form} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
