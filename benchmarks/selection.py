"""'Which of them ...?' after a list in a chat: are the listed papers that do it the ones chosen?

Each case of benchmarks/selection.jsonl asks a list question in a chat, then a question choosing
among the papers the answer listed ("which of them use CLIP?"). Gold: the listed papers whose
abstract says they do it, judged by reading each abstract (title prefixes; written for #22 in the
fourteenth session; the calibration half was looked at while the rule was written, the report half
after it was written, sel-17's answer before the rule on capitals). Reported per split: precision
and recall of the papers chosen (gold papers the list did not list are not counted), and how many
cases with no gold paper among the listed are refused. The list is answered extractively, the
choice by --llm (extractive unless said).
Run this script with PYTHONPATH set to an earlier checkout for the "before" figures.

`--form any` asks each question as "do any of them ...?" ("are any of them ...?"), `--form they` as
"do they ...?".

Run: .venv/bin/python benchmarks/selection.py [--store DIR] [--llm local] [--form any|they] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from rag.api import Assistant
from rag.chat import ChatSession, Turn
from rag.config import load_settings

HERE = Path(__file__).resolve().parent


def _matching(titles: list[str], prefixes: list[str]) -> set[str]:
    return {t for t in titles if any(t.startswith(p) for p in prefixes)}


def asked_as(question: str, form: str) -> str:
    """A case's question ("which of them use CLIP?") in another form: "any" ("do any of them use
    CLIP?", "are any of them training-free?") or "they" ("do they use CLIP?")."""
    if form == "which":
        return question
    match = re.match(r"which\s+(?:ones|of\s+(?:them|these|those))\s+(?P<rest>.+)", question, re.I)
    assert match is not None, question
    rest = match["rest"]
    verb, _, tail = rest.partition(" ")
    subject = "any of them" if form == "any" else "they"
    return f"are {subject} {tail}" if verb.casefold() in ("are", "is") else f"do {subject} {rest}"


def run_case(assistant: Assistant, case: dict[str, Any], llm: str, form: str = "which") -> dict[str, Any]:
    """One chat of two turns: the list (extractive), then the choice among its papers (by `llm`)."""
    session = ChatSession(assistant, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
    stream = session.answer(case["list"])
    listed = stream.finish(None)
    assert stream.query is not None
    session.turns.append(Turn(case["list"], stream.query.text, listed))
    session.llm = llm
    chosen = session.answer(asked_as(case["question"], form)).finish(None)
    titles = list(dict.fromkeys(c.paper.title for c in listed.citations))
    picked = set(dict.fromkeys(c.paper.title for c in chosen.citations))
    gold = _matching(titles, case["gold"])
    return {
        "id": case["id"],
        "split": case["split"],
        "listed": len(titles),
        "gold": sorted(gold),
        "chosen": sorted(picked),
        "right": len(picked & gold),
        "wrong": len(picked - gold),
        "missed": len(gold - picked),
        "refused_right": None if gold else chosen.refused,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="a store holding the bundled corpus (default: new)")
    parser.add_argument("--llm", default="extractive", help="the backend of the second answer")
    parser.add_argument(
        "--form",
        choices=["which", "any", "they"],
        default="which",
        help='ask "which of them ...?" (default), "do any of them ...?" or "do they ...?"',
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    assistant = Assistant(load_settings(store_dir=args.store or tempfile.mkdtemp(prefix="rag-sel-")))
    if assistant.library.store.count() == 0:
        assistant.ingest()
    cases = [json.loads(line) for line in (HERE / "selection.jsonl").read_text().splitlines() if line]
    rows = [run_case(assistant, case, args.llm, args.form) for case in cases]
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print("| split | cases | chosen right | chosen wrong | missed | precision | recall | no gold: refused |")
    print("|---|---|---|---|---|---|---|---|")
    for split in ("calibration", "report"):
        part = [r for r in rows if r["split"] == split]
        right, wrong, missed = (sum(r[k] for r in part) for k in ("right", "wrong", "missed"))
        empty = [r["refused_right"] for r in part if r["refused_right"] is not None]
        precision = right / (right + wrong) if right + wrong else 0.0
        recall = right / (right + missed) if right + missed else 0.0
        print(
            f"| {split} | {len(part)} | {right} | {wrong} | {missed} | {precision:.2f} | {recall:.2f} "
            f"| {sum(empty)}/{len(empty)} |"
        )
    for r in rows:
        print(f"  {r['id']}: chose {r['chosen']}; gold {r['gold']}")


if __name__ == "__main__":
    main()
