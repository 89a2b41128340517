"""Papers looked up by their short names: is the named paper ranked first, and is it answered?

The question set (benchmarks/kinds/names.jsonl, written by --write from the bundled corpus) has,
for every paper whose title has a head of one to four words before its colon (the rule; no paper is
picked by hand), two questions naming the paper by that head in the forms users write: lower case,
without hyphens or punctuation, run together, inside a longer question. A name of ordinary words
only ("One for All": every word one token of the embedder's vocabulary or written by more than two
papers; `rag.library.names.ordinary`) is written as the title
writes it, or in lower case where the question frames it as a name ("what is X?", "the X paper").
Papers whose heads are one name (case, hyphens and spacing aside) are all gold for its questions.
Papers are split by a hash of their title: calibration and report halves.

Reported per split, before (the name index switched off: retrieval as at the previous commit) and
after, side by side in one run: the first paper right (one of the named papers ranked first),
every named paper among the first (as many as are named), and refusals (extractive answers).

Run: .venv/bin/python benchmarks/names.py [--store DIR] [--write] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from rag.api import Assistant
from rag.config import load_settings
from rag.library.names import key, ordinary
from rag.retrieve import Retriever

HERE = Path(__file__).resolve().parent
QUESTIONS = HERE / "kinds" / "names.jsonl"
TEMPLATES = (
    "what are the main results of {n}?",
    "how does {n} work?",
    "what problem does {n} address?",
    "which datasets is {n} evaluated on?",
    "can you summarize the {n} paper?",
    "what are the limitations of {n}?",
    "{n}: what is the key idea?",
    "what does {n} propose?",
    "tell me about {n}",
    "how well does {n} perform compared to earlier methods?",
)
FRAMED = ("what is {n}?", "can you summarize the {n} paper?", "tell me about {n}")
_PIECE = re.compile(r"[^\W_]+\+*")


def _digest(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def head(title: str) -> str | None:
    """The benchmark's rule: the title's part before its first colon, of one to four words."""
    if ":" not in title:
        return None
    part = title.split(":", 1)[0].strip()
    return part if 1 <= len(part.split()) <= 4 else None


def forms(name: str, ordinary: bool) -> list[tuple[str, bool]]:
    """How users write a name, each with whether it must be framed as a name (ordinary words)."""
    if ordinary:
        return [(name, False), (name.lower(), True)]
    lower = name.lower()
    spaced = " ".join(_PIECE.findall(lower))  # "clip reident", "sf da 2"
    joined = "".join(_PIECE.findall(lower))  # "clipreident", "sfda2"
    return list(dict.fromkeys([(name, False), (lower, False), (spaced, False), (joined, False)]))


def write(assistant: Assistant) -> int:
    """Write the question set from the titles of the store's papers; how many questions."""
    titles = sorted({str(c.metadata.get("title", "")) for c in assistant.library.store.all_chunks()})
    retriever: Retriever = assistant.gatherer.retriever()
    named = {t: h for t in titles if (h := head(t))}
    by_key: dict[str, list[str]] = defaultdict(list)
    for title, name in named.items():
        by_key[key(_PIECE.findall(name))].append(title)
    lines = []
    for title, name in sorted(named.items()):
        plain = ordinary(name, retriever.is_word, retriever.keyword.shared)
        digest = _digest(title)
        split = "calibration" if digest % 2 == 0 else "report"
        choices = forms(name, plain)
        for i in range(2):
            written, framed = choices[(digest // 7 + i) % len(choices)]
            templates = FRAMED if framed else TEMPLATES
            template = templates[(digest // 3 + 5 * i) % len(templates)]
            lines.append(
                {
                    "id": f"name-{len(lines) + 1:03d}",
                    "kind": "name",
                    "split": split,
                    "question": template.format(n=written),
                    "papers": sorted(by_key[key(_PIECE.findall(name))]),
                }
            )
    QUESTIONS.parent.mkdir(parents=True, exist_ok=True)
    QUESTIONS.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return len(lines)


def measure(assistant: Assistant, questions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per split: first paper right, every named paper first, refused; and the misses."""
    results: dict[str, dict[str, Any]] = {}
    for question in questions:
        evidence = assistant.gather(question["question"])
        ranked = [s.paper.title for s in evidence.sources]
        gold = set(question["papers"])
        stream = assistant.answer(evidence, llm="extractive")
        for _ in stream:
            pass
        answer = stream.answer
        assert answer is not None
        row = results.setdefault(
            question["split"], {"n": 0, "first": 0, "all": 0, "refused": 0, "misses": []}
        )
        row["n"] += 1
        row["first"] += bool(ranked) and ranked[0] in gold
        row["all"] += gold <= set(ranked[: len(gold)])
        row["refused"] += bool(answer.refused)
        if not (ranked and ranked[0] in gold):
            row["misses"].append(f"{question['question']!r}: {ranked[0] if ranked else None!r}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--store", default=None, help="a store holding the bundled corpus (default: a new temp one)"
    )
    parser.add_argument("--write", action="store_true", help="write benchmarks/kinds/names.jsonl first")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    assistant = Assistant(load_settings(store_dir=args.store or tempfile.mkdtemp(prefix="rag-names-")))
    if assistant.library.store.count() == 0:
        assistant.ingest()
    if args.write:
        print(f"wrote {write(assistant)} questions to {QUESTIONS}")
    questions = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line]
    after = measure(assistant, questions)
    named = Retriever.named
    Retriever.named = lambda self, query: []  # type: ignore[method-assign]
    try:
        before = measure(assistant, questions)
    finally:
        Retriever.named = named  # type: ignore[method-assign]
    if args.json:
        print(json.dumps({"before": before, "after": after}, indent=2))
        return
    for split in sorted(after):
        b, a = before[split], after[split]
        print(
            f"{split:12} n={a['n']}  first paper right {b['first']}/{b['n']} -> {a['first']}/{a['n']}"
            f"  all named first {b['all']} -> {a['all']}  refused {b['refused']} -> {a['refused']}"
        )
    for split in sorted(after):
        for miss in after[split]["misses"]:
            print(f"  miss ({split}): {miss}")


if __name__ == "__main__":
    main()
