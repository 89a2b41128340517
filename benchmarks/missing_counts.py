"""Counts asked of a named paper, to read: "how many NOUN does NAME use?" for 12 papers with a short
name (drawn with a fixed seed) and four nouns (parameters, datasets, images, tasks). Prints each
answer with the sentences of the paper's abstract writing the noun, so a reader can judge whether
"The abstract of [1] states no number of NOUN." is right, and whether an answer quoting a sentence
quotes the count; then how many answers say the count is missing. Extractive unless --llm.

Run: .venv/bin/python benchmarks/missing_counts.py [--store DIR] [--llm local] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
from pathlib import Path

from rag.api import Assistant
from rag.config import PROJECT_DIR, load_settings
from rag.library.corpus import read

NOUNS = ("parameters", "datasets", "images", "tasks")
PAPERS = 12


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None, help="a store of the bundled corpus")
    parser.add_argument("--llm", default="extractive", help="extractive (default) or local")
    parser.add_argument("--seed", type=int, default=7, help="which papers are drawn")
    args = parser.parse_args()
    named = [
        p for p in read([PROJECT_DIR / "data"]).papers if ":" in p.title and len(p.title.split(":")[0]) <= 14
    ]
    papers = random.Random(args.seed).sample(named, PAPERS)
    store = args.store or Path(tempfile.mkdtemp(prefix="rag-counts-"))
    missing = 0
    with Assistant(load_settings(store_dir=store, log=False)) as assistant:
        if assistant.library.store.count() == 0:
            assistant.ingest(progress=False)
        for paper in papers:
            for noun in NOUNS:
                question = f"how many {noun} does {paper.title.split(':')[0]} use?"
                answer = assistant.ask(question, llm=args.llm)
                missing += "states no number of" in answer.text
                print(f"## {question}\n  answer: {answer.text}")
                for sentence in re.split(r"(?<=[.!?])\s+", paper.abstract):
                    if re.search(noun[:-1], sentence, re.IGNORECASE):
                        print(f"  abstract: {sentence}")
    print(f"\n{missing} of {PAPERS * len(NOUNS)} answers say the abstract states no such number")


if __name__ == "__main__":
    main()
