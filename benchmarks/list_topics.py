"""Lists of papers on short topics, present in the bundled corpus or not: "which papers are about
speech recognition?" over a collection with no paper on speech recognition should say so, not list
papers sharing a word ("part-of-speech ... named entity recognition") or writing the topic in their
background ("crucial for applications such as autonomous driving").

benchmarks/list_topics.jsonl holds 121 topics, each labelled `present` when at least one abstract of
the corpus is about it or evaluates on it (read by hand), else absent; 28 of the present ones are
`broad`: a field many papers of the corpus are on ("clip", "language models", "pruning"). The split
is fixed by a hash of the topic. Each topic is asked in one of FORMS, in turn. Reported per split:
for absent topics, the share refused (nothing listed); for present ones, narrow and broad, the
share answered. Extractive unless --llm.
Run this script with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/list_topics.py [--store DIR] [--llm local] [--out FILE.jsonl] [--show]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from rag.api import Assistant
from rag.config import load_settings

HERE = Path(__file__).resolve().parent
FORMS = (
    "which papers are about {topic}?",
    "papers on {topic}",
    "what approaches does the collection have for {topic}?",
    "i'm looking for papers about {topic}",
    "any work on {topic}?",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None, help="a store of the bundled corpus")
    parser.add_argument("--llm", default="extractive", help="extractive (default) or local")
    parser.add_argument("--out", type=Path, default=None, help="write each answer here (JSONL)")
    parser.add_argument("--show", action="store_true", help="print each question and what it listed")
    args = parser.parse_args()
    topics = [json.loads(line) for line in (HERE / "list_topics.jsonl").read_text().splitlines() if line]
    store = args.store or Path(tempfile.mkdtemp(prefix="rag-topics-"))
    results = []
    with Assistant(load_settings(store_dir=store, log=False)) as assistant:
        if assistant.library.store.count() == 0:
            assistant.ingest(progress=False)
        for position, topic in enumerate(topics):
            question = FORMS[position % len(FORMS)].format(topic=topic["topic"])
            answer = assistant.ask(question, llm=args.llm)
            listed = [c.paper.title for c in answer.citations]
            results.append(
                {**topic, "question": question, "refused": answer.refused or not listed, "listed": listed}
            )
            if args.show:
                print(f"{'present' if topic['present'] else 'absent '} {question} -> {listed or 'refused'}")
    if args.out:
        args.out.write_text("".join(json.dumps(r) + "\n" for r in results))
    print(f"backend: {args.llm}; {len(results)} questions\n")
    print("| split | absent topics refused | present topics answered | broad topics answered |")
    print("|---|---|---|---|")
    for split in ("calibration", "report"):
        rows = [r for r in results if r["split"] == split]
        absent = [r["refused"] for r in rows if not r["present"]]
        present = [not r["refused"] for r in rows if r["present"] and not r.get("broad")]
        broad = [not r["refused"] for r in rows if r.get("broad")]
        print(f"| {split} | {share(absent)} | {share(present)} | {share(broad)} |")


def share(outcomes: list[bool]) -> str:
    """How many of the outcomes are true, of how many, and the share."""
    return f"{sum(outcomes)}/{len(outcomes)} = {sum(outcomes) / max(1, len(outcomes)):.3f}"


if __name__ == "__main__":
    main()
