"""How a paper's method works, over the bundled corpus: for every paper whose title has a short name
("GIM" of "GIM: Learning ..."), asked in each of FORMS ("how does NAME work?", ...). An answer is
scored "method" when it cites that paper first and a sentence it quotes says how the method works by
the judge below, written for this benchmark and kept apart from the product's rules: what the paper
proposes or does ("propose", "introduce", "based on", "by ...ing", "consists of", "leverages", "a
framework", "first ... then"), not what it achieves (a figure, "outperforms", "improves",
"state-of-the-art", "experiments"). "result" when it quotes only sentences reporting results;
"background" when it quotes a sentence opening with the field or earlier work ("However, ...",
"Existing ...") or the abstract's first sentence without "we", "our" or "this paper"; "not first"
when it cites another paper first; "other" else. Reported per form and split (a paper's split by
its id); --show prints every answer not scored "method". Run with PYTHONPATH set to an earlier
checkout for the "before" figures.

Run: .venv/bin/python benchmarks/how_it_works.py [--store DIR] [--show]
"""

from __future__ import annotations

import re

from findings import CITED, OPENING, ask_forms, named_papers
from store_args import opened

FORMS = {
    "how work": "how does {name} work?",
    "what method": "what method does {name} use?",
    "explain how": "explain how {name} works",
    "approach": "what is the approach of {name}?",
}
_METHOD = re.compile(
    r"\b(propos\w*|introduc\w*|present\w*|develop\w*|design\w*|coin\w*|based on|by \w+ing|consists? of|"
    r"compris\w*|leverag\w*|employ\w*|utiliz\w*|relies on|builds? (up)?on|incorporat\w*|integrat\w*|"
    r"framework|architecture|mechanism|module|pipeline|algorithm|objective|loss|first \w+s?|then \w+s?)\b",
    re.IGNORECASE,
)
_OWN = re.compile(r"\b(we|our|this (paper|work))\b", re.IGNORECASE)
_RESULT = re.compile(
    r"\b(outperform\w*|surpass\w*|state-of-the-art|sota|experiments?|results?|achiev\w*|improv\w*|"
    r"competitive|superior)\b|\d+(\.\d+)?\s*(%|x\b|times)",
    re.IGNORECASE,
)


def judged(answer_text: str, abstract: str) -> str:
    """ "method", "result", "background" or "other" for an answer's quotes (see the module's text)."""
    quoted = [s.strip() for s in CITED.split(answer_text) if s.strip()]
    if not quoted:
        return "other"
    first = abstract.strip()[:60]
    if any(OPENING.search(s) or (s.startswith(first) and not _OWN.search(s)) for s in quoted):
        return "background"
    if any(_METHOD.search(s) and not _RESULT.search(s) for s in quoted):
        return "method"
    return "result" if all(_RESULT.search(s) for s in quoted) else "other"


def main() -> None:
    assistant, show = opened(__doc__.splitlines()[0], "rag-method-", "print every answer not scored 'method'")
    kinds = ("result", "background", "other")
    ask_forms(assistant, named_papers(assistant), FORMS, judged, "method", show, kinds=kinds)


if __name__ == "__main__":
    main()
