"""A property asked of a name the abstracts write (size, count, license, open source, maker, date,
training time, beats another), answered or not (`properties.jsonl`, written by reading the corpus
before any run: "calibration" the first set, "report" the second, written blind to the code).

Scores each answer: for a question no abstract answers, whether it is honest (refused, or saying
the papers found or the abstract don't state it); for one an abstract answers, whether it cites that
paper and quotes the sentence stating it (its first 45 characters), cites it with another sentence,
says it is unstated (wrong), or cites another paper. Extractive unless --llm.

Run: .venv/bin/python benchmarks/properties.py [--store DIR] [--llm local] [--split report] [--show]
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from rag.api import Assistant
from rag.config import load_settings

HERE = Path(__file__).resolve().parent
# an answer saying the papers don't state what was asked (unstated.py, aspects.py, yesno.py)
HONEST = re.compile(r"don't state|does not state|don't say|states? no\b|does not mention")


def judged(question: dict[str, Any], refused: bool, text: str, cited: list[str]) -> str:
    """One answer's outcome (see the module's docstring)."""
    honest = refused or bool(HONEST.search(text))
    if question["label"] == "unanswered":
        return "honest" if honest else "answers"
    if honest:
        return "said unstated"
    title = (question["expected_title"] or "")[:40]
    if not any(c[:40] == title for c in cited):
        return "other paper"
    return "right" if (question["expected_sentence"] or "")[:45] in text else "other sentence"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None, help="a store of the bundled corpus")
    parser.add_argument("--llm", default="extractive", help="extractive (default), local or openai")
    parser.add_argument("--split", choices=("calibration", "report"), default=None, help="one half only")
    parser.add_argument("--out", type=Path, default=None, help="write each answer and its outcome here")
    parser.add_argument("--show", action="store_true", help="print every answer that is not right")
    args = parser.parse_args()
    questions = [json.loads(line) for line in (HERE / "properties.jsonl").read_text().splitlines() if line]
    questions = [q for q in questions if args.split in (None, q["split"])]
    store = args.store or Path(tempfile.mkdtemp(prefix="rag-properties-"))
    rows = []
    with Assistant(load_settings(store_dir=store, log=False)) as assistant:
        if assistant.library.store.count() == 0:
            assistant.ingest(progress=False)
        for q in questions:
            answer = assistant.ask(q["question"], llm=args.llm)
            cited = [c.paper.title for c in answer.citations]
            outcome = judged(q, answer.refused, answer.text, cited)
            rows.append({**q, "outcome": outcome, "text": answer.text, "cited": cited})
            if args.show and outcome not in ("honest", "right"):
                print(f"{q['id']} [{outcome}] {q['question']}\n    {answer.text[:200]!r}")
    if args.out:
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    for split in ("calibration", "report"):
        for label in ("unanswered", "answered"):
            outcomes = Counter(r["outcome"] for r in rows if r["split"] == split and r["label"] == label)
            if outcomes:
                counts = ", ".join(f"{name} {n}" for name, n in outcomes.most_common())
                print(f"{split:11} {label:10} {sum(outcomes.values()):3d}: {counts}")


if __name__ == "__main__":
    main()
