"""Papers like a given one: "which papers are similar to NAME?" for each paper of a topic group of
benchmarks/kinds/ (the gold papers of an overview or list question with at least two), NAME its
title's head before a colon, else its whole title. The papers counted as related are the other
papers of every group it belongs to; the groups are one topic each, so a paper similar in another
respect counts as wrong and precision is a lower bound. Reported per split (the group's): the answers
listing the paper itself, refusals, and recall and precision of the papers listed. Extractive unless
--llm. Run this script with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/similar_papers.py [--store DIR] [--llm local] [--out FILE.jsonl]
         [--form "papers like {name}"]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from pathlib import Path

from rag.api import Assistant
from rag.config import load_settings

HERE = Path(__file__).resolve().parent


def related_papers() -> tuple[dict[str, set[str]], dict[str, str]]:
    """Each grouped paper's title with the titles of the other papers of its groups, and its split."""
    related: dict[str, set[str]] = defaultdict(set)
    split: dict[str, str] = {}
    for kind in ("overview", "list"):
        for line in (HERE / "kinds" / f"{kind}.jsonl").read_text().splitlines():
            question = json.loads(line)
            for title in question["papers"] if len(question["papers"]) >= 2 else []:
                related[title] |= set(question["papers"]) - {title}
                split.setdefault(title, question["split"])
    return related, split


def name_of(title: str) -> str:
    """What a user would call a paper: its title's head before a colon, else the title."""
    head = title.split(":", 1)[0].strip()
    return head if ":" in title and len(head) >= 2 else title


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None, help="a store of the bundled corpus")
    parser.add_argument("--llm", default="extractive", help="extractive (default) or local")
    parser.add_argument("--form", default="which papers are similar to {name}?", help="the question")
    parser.add_argument("--out", type=Path, default=None, help="write each answer here (JSONL)")
    args = parser.parse_args()
    related, split = related_papers()
    store = args.store or Path(tempfile.mkdtemp(prefix="rag-similar-"))
    results = []
    with Assistant(load_settings(store_dir=store, log=False)) as assistant:
        if assistant.library.store.count() == 0:
            assistant.ingest(progress=False)
        for title in sorted(related):
            question = args.form.format(name=name_of(title))
            answer = assistant.ask(question, llm=args.llm)
            listed = list(dict.fromkeys(c.paper.title for c in answer.citations))
            results.append(
                {
                    "title": title,
                    "split": split[title],
                    "question": question,
                    "refused": answer.refused,
                    "itself": title in listed,
                    "listed": listed,
                    "related": sorted(related[title]),
                }
            )
    if args.out:
        args.out.write_text("".join(json.dumps(r) + "\n" for r in results))
    print(f"backend: {args.llm}; {len(results)} questions ({args.form})\n")
    print("| split | n | itself listed | refused | recall | precision | papers listed, mean |")
    print("|---|---|---|---|---|---|---|")
    for name in ("calibration", "report"):
        rows = [r for r in results if r["split"] == name]
        others = [[t for t in r["listed"] if t != r["title"]] for r in rows]
        found = sum(len(set(o) & set(r["related"])) for o, r in zip(others, rows, strict=True))
        wanted = sum(len(r["related"]) for r in rows)
        listed = sum(len(o) for o in others)
        print(
            f"| {name} | {len(rows)} | {sum(r['itself'] for r in rows) / len(rows):.3f} "
            f"| {sum(r['refused'] for r in rows) / len(rows):.3f} | {found / wanted:.3f} "
            f"| {found / max(1, listed):.3f} | {listed / len(rows):.2f} |"
        )


if __name__ == "__main__":
    main()
