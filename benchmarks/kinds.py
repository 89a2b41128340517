"""Answers per kind of question (benchmarks/kinds/*.jsonl), per split, for the extractive backend or
a local model: refusals, first paper right, every named paper cited (comparisons), yes/no correct,
cited-paper recall and precision, facts found.

Each line of a kinds file: {"id", "kind", "split": "calibration"|"report", "question", "papers":
[titles that answer it; for a comparison (or a comparative: which is better) the papers it
names], "answer": "yes"|"no"|"unsaid"
(yes/no only), "facts": [phrases a correct answer contains] (optional)}.

Run: .venv/bin/python benchmarks/kinds.py [--llm local] [--split report] [--kind comparison ...]
         [--store DIR] [--limit N] [--out FILE.jsonl] [--json]
(--llm local answers with RAG_LOCAL_MODEL, e.g. ~/.cache/rag-models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf)
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.answer import Answer
from rag.api import Assistant
from rag.config import load_settings
from rag.library.corpus import normalize_title

HERE = Path(__file__).resolve().parent
KINDS = (
    "name",
    "comparison",
    "comparative",
    "yesno",
    "overview",
    "list",
    "figure",
    "detail",
    "lookup",
    "unanswerable",
)
_VERDICT = re.compile(r"^\W*(yes|no)\b", re.IGNORECASE)
_UNSAID = re.compile(r"^\W*the abstracts? (don't|do not|does not|doesn't) say", re.IGNORECASE)


@dataclass
class Row:
    """One question of a kinds file."""

    id: str
    kind: str
    split: str
    question: str
    papers: list[str]
    answer: str | None = None
    facts: tuple[str, ...] = ()


def load(path: Path) -> list[Row]:
    """The questions of a kinds file; a bad line stops with its file, line and field."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            row = Row(
                id=str(record["id"]),
                kind=str(record["kind"]),
                split=str(record["split"]),
                question=str(record["question"]),
                papers=[str(t) for t in record.get("papers", [])],
                answer=record.get("answer"),
                facts=tuple(str(f) for f in record.get("facts", [])),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f"{path}:{number}: bad question line ({exc})") from None
        if row.kind not in KINDS or row.split not in ("calibration", "report"):
            raise SystemExit(f"{path}:{number}: unknown kind {row.kind!r} or split {row.split!r}")
        rows.append(row)
    return rows


def verdict(text: str) -> str:
    """The yes/no an answer opens with; "unsaid" when it gives none."""
    match = _VERDICT.match(text)
    return match.group(1).lower() if match else "unsaid"


def score(row: Row, answer: Answer, seconds: float) -> dict[str, Any]:
    """What one answer got right."""
    gold = {normalize_title(t) for t in row.papers}
    cited = [normalize_title(c.paper.title) for c in answer.citations]
    found = set(cited) & gold
    result: dict[str, Any] = {
        "id": row.id,
        "kind": row.kind,
        "split": row.split,
        "refused": answer.refused,
        "backend": answer.backend,
        "fallback_reason": answer.fallback_reason,
        "unsupported": [{"sentence": u.sentence, "reason": u.reason} for u in answer.unsupported],
        "seconds": round(seconds, 2),
        "text": answer.text,
        "cited": [c.paper.title for c in answer.citations],
    }
    if gold:
        result["first_right"] = bool(cited) and cited[0] in gold
        result["recall"] = len(found) / len(gold)
        result["precision"] = len(set(cited) & gold) / len(set(cited)) if cited else None
    if row.kind in ("comparison", "comparative"):
        result["all_named"] = found == gold
    if row.answer:
        said = "unsaid" if answer.refused else verdict(answer.text)
        result["verdict"] = said
        result["verdict_right"] = said == row.answer
    if row.facts:
        text = answer.text.casefold()
        result["facts"] = sum(f.casefold() in text for f in row.facts) / len(row.facts)
    return result


def _mean(values: Sequence[float | bool | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return round(statistics.fmean(present), 3) if present else None


def summary(results: list[dict[str, Any]], llm: str) -> dict[str, dict[str, Any]]:
    """Per kind and split: n and the mean of each measure over the questions it applies to (replaced:
    answers an LLM backend's reply was withdrawn from, for the extractive one)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        groups.setdefault(f"{r['kind']} {r['split']}", []).append(r)
    table = {}
    for name in sorted(groups):
        members = groups[name]
        table[name] = {
            "n": len(members),
            "refusals": _mean([r["refused"] for r in members]),
            "first right": _mean([r.get("first_right") for r in members]),
            "all named cited": _mean([r.get("all_named") for r in members]),
            "yes/no right": _mean([r.get("verdict_right") for r in members]),
            "recall": _mean([r.get("recall") for r in members]),
            "precision": _mean([r.get("precision") for r in members]),
            "facts": _mean([r.get("facts") for r in members]),
            "replaced": _mean([r["backend"] == "extractive" for r in members if not r["refused"]])
            if llm != "extractive"
            else None,
            "answer s p50": round(statistics.median(r["seconds"] for r in members), 2),
        }
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm", default="extractive", help="extractive (default) or local")
    parser.add_argument("--split", default=None, help="calibration or report (default: both)")
    parser.add_argument("--kind", action="append", help="only these kinds (repeat)")
    parser.add_argument("--dir", type=Path, default=HERE / "kinds")
    parser.add_argument("--store", type=Path, default=None, help="a store of the bundled corpus")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions of each kind")
    parser.add_argument("--out", type=Path, default=None, help="write each answer's score here (JSONL)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows: list[Row] = []
    for path in sorted(args.dir.glob("*.jsonl")):
        chosen = [r for r in load(path) if args.split in (None, r.split)]
        chosen = [r for r in chosen if not args.kind or r.kind in args.kind]
        rows.extend(chosen[: args.limit])
    if not rows:
        raise SystemExit("no questions selected")
    store = args.store or Path(tempfile.mkdtemp(prefix="rag-kinds-"))
    results = []
    with Assistant(load_settings(store_dir=store, log=False)) as assistant:
        if assistant.library.store.count() == 0:
            assistant.ingest(progress=False)
        assistant.ask(rows[0].question, llm=args.llm)  # warm: a local model is loaded
        for number, row in enumerate(rows, 1):
            started = time.perf_counter()
            answer = assistant.ask(row.question, llm=args.llm)
            results.append(score(row, answer, time.perf_counter() - started))
            print(f"\r{number}/{len(rows)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    if args.out:
        args.out.write_text("".join(json.dumps(r) + "\n" for r in results))
    table = summary(results, args.llm)
    if args.json:
        print(json.dumps(table, indent=2))
        return
    columns = list(next(iter(table.values())))
    print(f"backend: {args.llm}; {len(rows)} questions\n")
    print("| kind split | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name, cells in table.items():
        shown = ["-" if v is None else str(v) for v in cells.values()]
        print(f"| {name} | " + " | ".join(shown) + " |")


if __name__ == "__main__":
    main()
