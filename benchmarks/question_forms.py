"""Questions asked the other ways people ask them. --kind comparison (the default): each two-paper
question of benchmarks/kinds/comparison.jsonl rewritten in each of COMPARISON_FORMS ("how are A and B
similar?", "how does A stack up against B?", ...) with the sides its question names; reported per
form and split: refusals and the answers citing both papers. --kind list: each question of
benchmarks/kinds/list.jsonl, as written ("as asked") and with its topic in each of LIST_FORMS ("i'm
looking for papers about X", "what work exists on X?", ...); reported: refusals, cited-paper
recall and precision. --kind yesno: each "Does X use Y?" of benchmarks/kinds/yesno.jsonl as asked
and as the statement it asks about in each of YESNO_FORMS ("is it true that X uses Y?", "X uses Y,
right?"); reported: refusals and yes/no right. Extractive unless --llm.
Run this script with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/question_forms.py [--kind comparison|list|yesno] [--store DIR] [--llm local]
         [--out FILE.jsonl]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from kinds import HERE, Row, load, score

from rag.api import Assistant
from rag.config import load_settings
from rag.query import compared, parse

COMPARISON_FORMS = {
    "stack up": "how does {a} stack up against {b}?",
    "similar": "how are {a} and {b} similar?",
    "in common": "what do {a} and {b} have in common?",
    "for me": "can you compare {a} and {b} for me?",
    "according to": "what are the differences between {a} and {b} according to the papers?",
    "on a benchmark": "compare the results of {a} and {b} on imagenet",
}
LIST_FORMS = {
    "looking for": "i'm looking for papers about {topic}",
    "give me": "give me papers on {topic}",
    "recommend": "can you recommend some papers on {topic}?",
    "what are some": "what are some papers on {topic}?",
    "work exists": "what work exists on {topic}?",
    "discuss": "which papers discuss {topic}?",
    "are there": "which papers on {topic} are there?",
    "do you have": "what papers do you have on {topic}?",
    "how many": "how many papers are about {topic}?",
    "main approaches": "what are the main approaches to {topic}?",
}

YESNO_FORMS = {
    "is it true": "is it true that {statement}?",
    "right": "{statement}, right?",
    "doesn't it": "{statement}, doesn't it?",
}
_ASKED_VERB = re.compile(r"^Does\s+(?P<subject>.+?)\s+(?P<verb>use|work|require)\s+(?P<rest>[^?]+)\?$")


def yesnos(rows: list[Row]) -> list[tuple[str, Row]]:
    """Each "Does X use Y?" as asked and as the statement "X uses Y" in each form."""
    forms = []
    for row in rows:
        match = _ASKED_VERB.match(row.question)
        if not match:
            continue
        forms.append(("as asked", row))
        statement = f"{match['subject']} {match['verb']}s {match['rest']}"
        for name, form in YESNO_FORMS.items():
            question = form.format(statement=statement)
            forms.append((name, replace(row, id=f"{row.id}-{name}", question=question)))
    return forms


def comparisons(rows: list[Row]) -> list[tuple[str, Row]]:
    """Each comparison of two papers in each form, with the form's name."""
    forms = []
    for row in rows:
        sides = compared(row.question)
        if len(sides) != 2:
            continue
        for name, form in COMPARISON_FORMS.items():
            question = form.format(a=sides[0], b=sides[1])
            forms.append((name, replace(row, id=f"{row.id}-{name}", question=question)))
    return forms


def lists(rows: list[Row]) -> list[tuple[str, Row]]:
    """Each list question as asked and, with its topic, in each form."""
    forms = [("as asked", row) for row in rows]
    for row in rows:
        topic = parse(row.question).search
        for name, form in LIST_FORMS.items():
            question = form.format(topic=topic)
            forms.append((name, replace(row, id=f"{row.id}-{name}", question=question)))
    return forms


def table(results: list[dict[str, Any]], kind: str) -> None:
    """Per form and split: refusals, and both papers cited (comparisons) or recall and precision."""
    measures = {"comparison": ("all_named",), "list": ("recall", "precision"), "yesno": ("verdict_right",)}[
        kind
    ]
    print("| form | split | n | refusals | " + " | ".join(measures) + " |")
    print("|---|---|---|---|" + "---|" * len(measures))
    for form in dict.fromkeys(r["form"] for r in results):
        for split in ("calibration", "report"):
            chosen = [r for r in results if r["form"] == form and r["split"] == split]
            cells = [statistics.fmean(r["refused"] for r in chosen)]
            for measure in measures:
                values = [float(r[measure]) for r in chosen if r.get(measure) is not None]
                cells.append(statistics.fmean(values) if values else 0.0)
            print(f"| {form} | {split} | {len(chosen)} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("comparison", "list", "yesno"), default="comparison")
    parser.add_argument("--store", type=Path, default=None, help="a store of the bundled corpus")
    parser.add_argument("--llm", default="extractive", help="extractive (default) or local")
    parser.add_argument("--out", type=Path, default=None, help="write each answer's score here (JSONL)")
    args = parser.parse_args()
    rewrite = {"comparison": comparisons, "list": lists, "yesno": yesnos}[args.kind]
    questions = rewrite(load(HERE / "kinds" / f"{args.kind}.jsonl"))
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
    table(results, args.kind)


if __name__ == "__main__":
    main()
