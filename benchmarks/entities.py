"""Questions about well-known work (models, methods, datasets, benchmarks) over the bundled corpus:
benchmarks/entities.jsonl, 109 questions labelled by a helper who read the abstracts and never ran the
tool, split by entity (all questions about GPT-2..5 in one half). Each has a "case":
  about     a paper of the corpus is the entity: right when one of its "papers" is cited first or second
  answers   no paper is it, but a sentence says what is asked: right when one of its "papers" is cited
  mentions  papers write the entity (its version too: GPT-4, not GPT-3), none says what is asked:
            honest when refused or when the answer says the papers don't say; else "quotes mention"
  absent    no abstract writes it (a part of its words may appear: "attention" of flash attention):
            right when refused
Reported per split and case; --show prints every answer not right. Run with PYTHONPATH set to an
earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/entities.py [--store DIR] [--show]
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from store_args import opened

HERE = Path(__file__).resolve().parent
# what says the papers do not tell, as the product words it ("The abstract of [1] states no number of
# images.", "The papers found state no number of parameters for gpt-4; ...")
_HONEST = re.compile(
    r"don't say|does not mention|do not say|doesn't say|don't answer|never mention|no indexed paper"
    r"|no paper found"
    r"|\bstates? no\b",
    re.I,
)
_RIGHT = {"right", "refused as it should", "honest"}


def judged(row: dict[str, object], refused: bool, cited: list[str], text: str) -> str:
    """The verdict on one answer (the module's docstring says how)."""
    case, papers = row["case"], row["papers"]
    honest = refused or bool(_HONEST.search(text[:300]))
    if case in ("about", "answers"):
        if refused:
            return "refused"
        return "right" if any(title in papers for title in cited[:2]) else "wrong paper"  # type: ignore[operator]
    if case == "mentions":
        return "honest" if honest else "quotes mention"
    return "refused as it should" if refused else ("honest" if honest else "answered")


def main() -> None:
    assistant, show = opened(__doc__.splitlines()[0], "rag-entities-", "print every answer not right")
    rows = [json.loads(line) for line in (HERE / "entities.jsonl").read_text().splitlines() if line]
    counts: dict[str, Counter[tuple[str, str]]] = {"calibration": Counter(), "report": Counter()}
    for row in rows:
        answer = assistant.ask(row["question"], llm="extractive")
        verdict = judged(row, answer.refused, [c.paper.title for c in answer.citations], answer.text)
        counts[row["split"]][(row["case"], verdict)] += 1
        if show and verdict not in _RIGHT:
            print(f"{row['id']} {row['case']} {verdict}: {row['question']} -> {answer.text[:160]!r}")
    for split, counted in counts.items():
        for case in ("about", "answers", "mentions", "absent"):
            total = sum(n for (c, _), n in counted.items() if c == case)
            right = sum(n for (c, v), n in counted.items() if c == case and v in _RIGHT)
            others = ", ".join(
                f"{v} {n}" for (c, v), n in sorted(counted.items()) if c == case and v not in _RIGHT
            )
            print(f"{split:<12} {case:<9} right {right}/{total}" + (f" ({others})" if others else ""))


if __name__ == "__main__":
    main()
