"""'what are the advantages of NAME?' for every bundled paper whose title has a short name.

Reported: the paper cited first; with --out, the answers as JSON; with --diff FILE (an --out of an
earlier checkout, run with PYTHONPATH set to it), the answers that differ, side by side.

Run: .venv/bin/python benchmarks/advantages.py [--store DIR] [--out FILE] [--diff FILE]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from rag.api import Assistant
from rag.config import load_settings
from rag.library.names import title_names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="a store of the bundled corpus (default: a new one)")
    parser.add_argument("--out", type=Path, help="write the answers here (JSON)")
    parser.add_argument("--diff", type=Path, help="answers of another checkout (--out) to compare with")
    args = parser.parse_args()
    assistant = Assistant(load_settings(store_dir=args.store or tempfile.mkdtemp(prefix="rag-adv-")))
    if assistant.library.store.count() == 0:
        assistant.ingest()
    answers: dict[str, str] = {}
    first = 0
    for paper_id, meta in sorted(assistant.library.store.papers().items()):
        title = str(meta["title"])
        if ":" not in title or not title_names(title):
            continue
        question = f"what are the advantages of {title_names(title)[0]}?"
        answer = assistant.ask(question, llm="extractive")
        answers[question] = answer.text
        first += bool(answer.citations) and answer.citations[0].paper.paper_id == paper_id
    print(f"{len(answers)} questions: the paper cited first {first}")
    if args.out:
        args.out.write_text(json.dumps(answers, indent=1))
    if args.diff:
        other = json.loads(args.diff.read_text())
        changed = [q for q in answers if other.get(q) != answers[q]]
        print(f"{len(changed)} answers differ")
        for question in changed:
            print(f"\n{question}\n  other: {other.get(question)}\n  this:  {answers[question]}")


if __name__ == "__main__":
    main()
