"""Details asked as follow-ups in a chat: is the fact still quoted?

Each question of benchmarks/kinds/detail.jsonl names its paper by its short name ("how fast is
magic 1-for-1?"); here it is asked in a chat the way a researcher continues one: first "what is
NAME?", then the question with "it" for the name ("how fast is it?"), through `ChatSession.answer`
(the chat's own condensing, no LLM), answered extractively. Reported per split: the share of the
question's facts the answer quotes.
Run this script with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/detail_followups.py [--store DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
from pathlib import Path

from rag.api import Assistant
from rag.chat import ChatSession
from rag.config import load_settings
from rag.followups import Turn, short_name

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="a store of the bundled corpus (default: a new one)")
    args = parser.parse_args()
    assistant = Assistant(load_settings(store_dir=args.store or tempfile.mkdtemp(prefix="rag-df-")))
    if assistant.library.store.count() == 0:
        assistant.ingest()
    rows = [json.loads(line) for line in (HERE / "kinds" / "detail.jsonl").read_text().splitlines() if line]
    found: dict[str, list[float]] = {}
    for row in rows:
        name = short_name(row["papers"][0])
        written = re.search(re.escape(name), row["question"], re.IGNORECASE)
        if not written:
            continue
        follow_up = row["question"][: written.start()] + "it" + row["question"][written.end() :]
        session = ChatSession(assistant, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
        opening = f"what is {name}?"
        session.turns.append(Turn(opening, opening, assistant.ask(opening, llm="extractive")))
        text = session.answer(follow_up).finish().text.casefold()
        share = sum(fact.casefold() in text for fact in row["facts"]) / len(row["facts"])
        found.setdefault(row["split"], []).append(share)
    print("| split | follow-ups | facts |\n|---|---|---|")
    for split, shares in sorted(found.items()):
        print(f"| {split} | {len(shares)} | {statistics.mean(shares):.3f} |")


if __name__ == "__main__":
    main()
