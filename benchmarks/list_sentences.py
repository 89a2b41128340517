"""What the items of list and overview answers quote: a contribution, other own work, background or
an availability note, counted per kind and split from `benchmarks/kinds.py --out FILE` answers.

An item's sentence is an availability note when it is a code link or says what is available
(`rag.sentences.is_boilerplate`); a contribution when it says what "we" / "this paper" propose,
find or achieve (`rag.contribution.CONTRIBUTION`); other own work when it writes we, our, this
paper, or a name in the paper's title (its head before a colon, or a word with capitals inside or
digits: ZeroQ, GPTQ, LAION-5B); background otherwise. The markers are deliberately plain (a
sentence describing the paper's method without "we" counts as background here): read the
background items it prints with --show.

Run: .venv/bin/python benchmarks/list_sentences.py ANSWERS.jsonl [...] [--show]
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

from rag.contribution import CONTRIBUTION
from rag.sentences import is_boilerplate

_OWN = re.compile(
    r"\b(we|our|ours|us|here|this (paper|work|study|article|report)|the (proposed|present))\b", re.I
)
_CITATION = re.compile(r"\s*\[\d+\]\s*$")


def title_names(title: str) -> set[str]:
    """The names a title gives its paper: its short head before a colon, words like ZeroQ or GPTQ."""
    head = title.split(":")[0].strip() if ":" in title else ""
    names = {head} if head and len(head.split()) <= 4 else set()
    names |= {w for w in re.findall(r"[\w+-]+", title) if len(w) > 2 and re.search(r"[A-Z].*[A-Z]|\d", w[1:])}
    return names


def classify(sentence: str, title: str) -> str:
    """availability, contribution, own or background."""
    if is_boilerplate(sentence):
        return "availability"
    if CONTRIBUTION.search(sentence):
        return "contribution"
    named = any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", sentence) for n in title_names(title))
    return "own" if _OWN.search(sentence) or named else "background"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("answers", type=Path, nargs="+", help="JSONL written by benchmarks/kinds.py --out")
    parser.add_argument("--show", action="store_true", help="print the background and availability items")
    args = parser.parse_args()
    for path in args.answers:
        counts: Counter[tuple[str, str, str]] = Counter()
        for line in path.read_text(encoding="utf-8").splitlines():
            answer = json.loads(line)
            if answer["kind"] not in ("list", "overview") or answer["refused"]:
                continue
            items = [item[2:] for item in answer["text"].splitlines() if item.startswith("- ")]
            for item, title in zip(items, answer["cited"], strict=False):
                kind = classify(_CITATION.sub("", item), title)
                counts[(answer["kind"], answer["split"], kind)] += 1
                if args.show and kind in ("background", "availability"):
                    print(f"  {answer['id']} {kind}: {title[:50]} | {item[:140]}")
        print(f"{path}:")
        for group in sorted({(k, s) for k, s, _ in counts}):
            total = sum(n for (k, s, _), n in counts.items() if (k, s) == group)
            classes = ("contribution", "own", "background", "availability")
            shown = ", ".join(f"{c} {counts[(*group, c)]}" for c in classes)
            print(f"  {group[0]} {group[1]}: {total} items: {shown}")


if __name__ == "__main__":
    main()
