"""Yes/no questions asked as follow-ups in a chat: is the verdict still given, and right?

Each question of benchmarks/kinds/yesno.jsonl that names its paper by its short name right after
its verb ("Does CLIP-ReIdent use InfoNCE?") is asked in a chat the way a researcher continues one:
first "what is NAME?", then the question with "it" for the name ("does it use InfoNCE?"), through
`ChatSession.answer` (the chat's own condensing, no LLM), answered extractively. Reported per split:
the verdict right (Yes./No./none for "unsaid") and how many answers give a verdict at all.
Run this script with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/yesno_followups.py [--store DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from pathlib import Path

from rag.api import Assistant
from rag.chat import ChatSession
from rag.config import load_settings
from rag.followups import Turn, short_name

HERE = Path(__file__).resolve().parent
_VERB = r"(does|do|did|is|are|was|were|can|has)"


def verdict(text: str) -> str:
    """The verdict an answer opens with: yes, no, or unsaid."""
    return "yes" if text.startswith("Yes.") else "no" if text.startswith("No.") else "unsaid"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="a store of the bundled corpus (default: a new one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    assistant = Assistant(load_settings(store_dir=args.store or tempfile.mkdtemp(prefix="rag-ynf-")))
    if assistant.library.store.count() == 0:
        assistant.ingest()
    rows = [json.loads(line) for line in (HERE / "kinds" / "yesno.jsonl").read_text().splitlines() if line]
    tally: dict[str, dict[str, int]] = {}
    for row in rows:
        name = short_name(row["papers"][0])
        asked = re.match(rf"^{_VERB}\s+{re.escape(name)}\s+(.*)$", row["question"], re.IGNORECASE)
        if not asked:
            continue
        session = ChatSession(assistant, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
        opening = f"what is {name}?"
        session.turns.append(Turn(opening, opening, assistant.ask(opening, llm="extractive")))
        said = verdict(session.answer(f"{asked[1].lower()} it {asked[2]}").finish().text)
        counts = tally.setdefault(row["split"], {"questions": 0, "right": 0, "verdict given": 0})
        counts["questions"] += 1
        counts["right"] += said == row["answer"]
        counts["verdict given"] += said != "unsaid"
    if args.json:
        print(json.dumps(tally, indent=2))
        return
    print("| split | follow-ups | verdict right | verdict given |\n|---|---|---|---|")
    for split, c in sorted(tally.items()):
        n = c["questions"]
        print(f"| {split} | {n} | {c['right'] / n:.3f} | {c['verdict given']}/{n} |")


if __name__ == "__main__":
    main()
