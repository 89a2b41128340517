"""An accuracy asked of a named paper: "what accuracy does NAME reach?" for every paper whose title
has a short name. The judge, written for this benchmark: the abstract gives an accuracy when one of
its sentences writes a digit and "accura...", "acc", "top-1/5" or a per cent sign. Counted per split
(a paper's split by its id): answers saying "The abstract of [1] states no accuracy figure." where
the abstract gives none (right) or gives one (wrong), and answers quoting sentences where it gives
one (the figure, if quoted) or none (nothing to quote: the answer misleads). --show prints the
answers judged wrong or misleading. Run with PYTHONPATH set to an earlier checkout for "before".

Run: .venv/bin/python benchmarks/missing_metrics.py [--store DIR] [--show]
"""

from __future__ import annotations

import re

from findings import named_papers, split_of
from store_args import opened

from rag.citations import split_sentences

_GIVES = re.compile(r"accura\w*|\bacc\b|\btop-?[15]\b|%", re.IGNORECASE)
KINDS = ("said missing, right", "said missing, wrong", "quoted, has one", "quoted, has none")


def gives_accuracy(abstract: str) -> bool:
    """Whether an abstract writes an accuracy figure (by this benchmark's judge)."""
    return any(_GIVES.search(s) and re.search(r"\d", s) for s in split_sentences(abstract))


def main() -> None:
    assistant, show = opened(__doc__.splitlines()[0], "rag-metrics-", "print the answers judged wrong")
    counts: dict[tuple[str, str], int] = {}
    for name, (paper_id, abstract) in sorted(named_papers(assistant).items()):
        answer = assistant.ask(f"what accuracy does {name.casefold()} reach?", llm="extractive")
        has = gives_accuracy(abstract)
        said = "states no accuracy" in answer.text
        kind = KINDS[(0 if not has else 1) if said else (2 if has else 3)]
        key = (kind, split_of(paper_id))
        counts[key] = counts.get(key, 0) + 1
        if show and kind in (KINDS[1], KINDS[3]):
            print(f"{kind}: {name!r}: {answer.text[:200]!r}")
    print("| answer | calibration | report |\n|---|---|---|")
    for kind in KINDS:
        print(f"| {kind} | {counts.get((kind, 'calibration'), 0)} | {counts.get((kind, 'report'), 0)} |")


if __name__ == "__main__":
    main()
