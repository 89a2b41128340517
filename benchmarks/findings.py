"""What a paper finds, over the bundled corpus: for every paper whose title has a short name ("GIM"
of "GIM: Learning ..."), asked in each of FORMS ("what does NAME find?", "what are the main
findings of NAME?", ...). An answer is scored "finding" when it cites that paper first and a
sentence it quotes reports something the paper found or achieved by the judge below, written for
this benchmark and kept apart from the product's rules: "we show/find/observe ...", "results
show ...", "outperforms", "achieves", a figure. "background" when it quotes a sentence opening
with the field or earlier work ("However, ...", "Existing ...", "Recently, ...") or the abstract's
first sentence; "not first" when it cites another paper first; "other" else. Reported per form
and split (a paper's split by its id); --show prints every answer not scored "finding". Run this
script with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/findings.py [--store DIR] [--show]
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable

from store_args import opened

from rag.api import Assistant
from rag.library.names import title_names

FORMS = {
    "find": "what does {name} find?",
    "findings": "what are the main findings of {name}?",
    "results": "what are the key results of {name}?",
    "show": "what did {name} show?",
    "owned": "what are {name}'s key results?",
}
_FOUND = re.compile(
    r"\b(show|shows|showed|shown|find|finds|found|observe[sd]?|reveal\w*|demonstrat\w*|indicat\w*|suggest\w*"
    r"|confirm\w*|outperform\w*|surpass\w*|achiev\w*|improv\w*|state-of-the-art|results?)\b|\d",
    re.IGNORECASE,
)
OPENING = re.compile(
    r"^\W*(recent(ly)?|in recent years|nowadays|however|existing|traditional(ly)?|prior|previous(ly)?"
    r"|conventional(ly)?|current(ly)?|despite|although|while)\b",
    re.IGNORECASE,
)
CITED = re.compile(r"\s*\[\d+\]")


def split_of(paper_id: str) -> str:
    """A paper's half, fixed by its id."""
    return "calibration" if hashlib.sha256(paper_id.encode()).digest()[0] % 2 == 0 else "report"


def judge_by(reports: Callable[[str, str], bool], scored: str) -> Callable[[str, str], str]:
    """A judge of an answer's quotes against the paper's abstract: "background" when a quoted
    sentence sets the scene (its opening, or the abstract's first sentence), else `scored` when one
    reports what is asked (`reports(sentence, opening of the abstract)`), else "other"."""

    def judged(answer_text: str, abstract: str) -> str:
        quoted = [s.strip() for s in CITED.split(answer_text) if s.strip()]
        if not quoted:
            return "other"
        first = abstract.strip()[:60]
        if any(OPENING.search(s) or s[:60] == first for s in quoted):
            return "background"
        return scored if any(reports(s, first) for s in quoted) else "other"

    return judged


judged = judge_by(lambda sentence, first: bool(_FOUND.search(sentence)), "finding")


def named_papers(
    assistant: Assistant, keep: Callable[[str], bool] | None = None
) -> dict[str, tuple[str, str]]:
    """Each paper whose title has a short name ("GIM" of "GIM: Learning ..."), by that name: its id
    and abstract; only those whose abstract `keep` accepts, when given."""
    named = {}
    for paper_id, meta in assistant.library.store.papers().items():
        title = str(meta["title"])
        abstract = str(assistant.paper(paper_id).get("abstract", ""))
        if ":" in title and title_names(title) and (keep is None or keep(abstract)):
            named[title_names(title)[0]] = (paper_id, abstract)
    return named


def ask_forms(
    assistant: Assistant,
    named: dict[str, tuple[str, str]],
    forms: dict[str, str],
    judge: Callable[[str, str], str],
    scored: str,
    show: bool,
    heading: str = "",
    kinds: tuple[str, ...] = ("background", "other"),
) -> None:
    """Ask each form of each named paper, judge the answers citing it first (`judge(text, abstract)`,
    one of `scored` and `kinds`, or "refused" when `kinds` has it) and print how many of each kind per
    form and split, under `heading`; `show` prints every answer not `scored` first."""
    counts: dict[tuple[str, str, str], int] = {}
    for (name, (paper_id, abstract)), (form, template) in itertools.product(
        sorted(named.items()), forms.items()
    ):
        answer = assistant.ask(template.format(name=name), llm="extractive")
        first = bool(answer.citations) and answer.citations[0].paper.paper_id == paper_id
        kind = judge(answer.text, abstract) if first else "not first"
        kind = "refused" if answer.refused and "refused" in kinds else kind
        key = (form, split_of(paper_id), kind)
        counts[key] = counts.get(key, 0) + 1
        if show and kind != scored:
            print(f"{kind:10} {template.format(name=name)!r}: {answer.text[:200]!r}")
    columns = (scored, *kinds, "not first")
    if heading:
        print(heading)
    print("| form | split | " + " | ".join(columns) + " |\n|---|---|" + "---|" * len(columns))
    for form, split in itertools.product(forms, ("calibration", "report")):
        row = [counts.get((form, split, kind), 0) for kind in columns]
        print(f"| {form} | {split} | " + " | ".join(map(str, row)) + " |")


def main() -> None:
    assistant, show = opened(
        __doc__.splitlines()[0], "rag-findings-", "print every answer not scored 'finding'"
    )
    ask_forms(assistant, named_papers(assistant), FORMS, judged, "finding", show)


if __name__ == "__main__":
    main()
