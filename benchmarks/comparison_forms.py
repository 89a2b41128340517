"""Comparisons asked the other ways people ask them: each two-paper question of
benchmarks/kinds/comparison.jsonl rewritten in each of FORMS ("how are A and B similar?", "how does A
stack up against B?", ...) with the sides its question names, answered (extractive unless --llm);
reported per form and split: refusals and the answers citing both papers.
Run this script with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/comparison_forms.py [--store DIR] [--llm local] [--out FILE.jsonl]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from kinds import HERE, Row, load, score

from rag.api import Assistant
from rag.config import load_settings
from rag.query import compared

FORMS = {
    "stack up": "how does {a} stack up against {b}?",
    "similar": "how are {a} and {b} similar?",
    "in common": "what do {a} and {b} have in common?",
    "for me": "can you compare {a} and {b} for me?",
    "according to": "what are the differences between {a} and {b} according to the papers?",
}


def rewritten(rows: list[Row]) -> list[tuple[str, Row]]:
    """Each comparison of two papers in each form, with the form's name."""
    forms = []
    for row in rows:
        sides = compared(row.question)
        if len(sides) != 2:
            continue
        for name, form in FORMS.items():
            question = form.format(a=sides[0], b=sides[1])
            forms.append((name, Row(f"{row.id}-{name}", row.kind, row.split, question, row.papers)))
    return forms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None, help="a store of the bundled corpus")
    parser.add_argument("--llm", default="extractive", help="extractive (default) or local")
    parser.add_argument("--out", type=Path, default=None, help="write each answer's score here (JSONL)")
    args = parser.parse_args()
    questions = rewritten(load(HERE / "kinds" / "comparison.jsonl"))
    store = args.store or Path(tempfile.mkdtemp(prefix="rag-forms-"))
    results = []
    with Assistant(load_settings(store_dir=store, log=False)) as assistant:
        if assistant.library.store.count() == 0:
            assistant.ingest(progress=False)
        for form, row in questions:
            started = time.perf_counter()
            answer = assistant.ask(row.question, llm=args.llm)
            results.append({"form": form, **score(row, answer, time.perf_counter() - started)})
    if args.out:
        args.out.write_text("".join(json.dumps(r) + "\n" for r in results))
    print(f"backend: {args.llm}; {len(results)} questions\n")
    print("| form | split | n | refusals | both papers cited |\n|---|---|---|---|---|")
    for form in FORMS:
        for split in ("calibration", "report"):
            chosen = [r for r in results if r["form"] == form and r["split"] == split]
            refused = statistics.fmean(r["refused"] for r in chosen)
            both = statistics.fmean(r["all_named"] for r in chosen)
            print(f"| {form} | {split} | {len(chosen)} | {refused:.3f} | {both:.3f} |")


if __name__ == "__main__":
    main()
