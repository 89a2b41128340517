"""Answers before and after, side by side in one run, per kind of question and per split.

For the extractive backend, or each GGUF model given (warm: one question answered first):
  after:  this checkout through `rag.evaluate.run`;
  before: the package at an earlier commit (a git worktree imported by this interpreter), the
          same questions on the same store, streamed and timed the same way.
Both are scored by `rag.evaluate.summarize`, for all questions and per kind: false refusals,
refusal recall, cited-paper recall and precision on questions with several gold papers, fact
accuracy (answer_contains), citation precision, answers with a valid citation, how often the
model's reply was replaced, first-token and answer latency, prompt tokens. Any failed step
stops the benchmark with its error instead of printing figures.

Run: .venv/bin/python benchmarks/bench_answers.py [--model PATH ...] [--before REV] [--split report]
         [--limit N] [--store DIR] [--json] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from rag.answer import Answer, Citation, Source
from rag.api import Assistant
from rag.config import load_settings
from rag.evaluate import Outcome, Question, _gold, _title_index, load_questions, run, summarize

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

BEFORE_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from rag.api import Assistant
    from rag.config import Settings
    store, model, questions = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    llm = "local" if model else "extractive"
    settings = Settings(store_dir=store, **({"local_model": Path(model)} if model else {}))
    assistant = Assistant(settings)
    assistant.ask(questions[0], llm=llm)  # warm: the model is loaded
    for question in questions:
        started = time.perf_counter()
        first = None
        stream = assistant.stream(question, llm=llm)
        for piece in stream:
            if piece and first is None:
                first = time.perf_counter()
        end = time.perf_counter()
        answer = stream.answer.to_dict()
        answer["timings"]["first_token"] = 1000 * ((first or end) - started)
        answer["timings"]["total"] = 1000 * (end - started)
        answer.setdefault("prompt_tokens", None)  # an Answer records them since the pipeline split
        print(json.dumps(answer), flush=True)
    """
)

QUALITY = [
    ("false refusals", "false_refusal_rate"),
    ("refusal recall", "refusal_recall"),
    ("list recall", "list_recall"),
    ("list precision", "list_precision"),
    ("fact accuracy", "contains_accuracy"),
    ("citation precision", "citation_precision"),
    ("answers citing", "cited_answer_rate"),
    ("reply replaced", "replaced_rate"),
]
SPEED = [
    ("prompt tokens p50", "prompt_tokens_p50"),
    ("first token p50 ms", "first_token_p50"),
    ("first token p95 ms", "first_token_p95"),
    ("answer p50 ms", "answer_p50"),
    ("answer p95 ms", "answer_p95"),
]


def _answer(record: dict[str, Any]) -> Answer:
    return Answer(
        question=record["question"],
        text=record["text"],
        citations=[Citation.from_dict(c) for c in record["citations"]],
        sources=[Source.from_dict(s) for s in record["sources"]],
        backend=record["backend"],
        fallback_reason=record["fallback_reason"],
        refused=record["refused"],
        timings=record["timings"],
        prompt_tokens=record.get("prompt_tokens"),
    )


def before(
    rev: str, store: Path, model: Path | None, questions: list[Question], assistant: Assistant
) -> list[Outcome]:
    """The package at an earlier commit, on the same store, model and questions."""
    with tempfile.TemporaryDirectory(prefix="rag-before-") as tree:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", tree, rev],
            check=True,
            capture_output=True,
        )
        try:
            command = [sys.executable, "-c", BEFORE_SCRIPT, str(store), str(model or "")]
            result = subprocess.run(
                [*command, json.dumps([q.question for q in questions])],
                capture_output=True,
                text=True,
                env={"PYTHONPATH": tree, "PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
                cwd=tree,
            )
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", tree], check=True)
    if result.returncode != 0:
        raise SystemExit(f"the 'before' run failed (exit {result.returncode}): {result.stderr[-2000:]}")
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    if len(records) != len(questions):
        raise SystemExit(f"the 'before' run answered {len(records)} of {len(questions)} questions")
    titles = _title_index(assistant)
    return [
        Outcome(q, _gold(q, titles), [s["paper_id"] for s in r["sources"]], 0.0, _answer(r))
        for q, r in zip(questions, records, strict=True)
    ]


def after(
    assistant: Assistant, model: Path | None, questions: list[Question], out: Path | None
) -> list[Outcome]:
    """This checkout, warm, through rag.evaluate."""
    llm = "extractive"
    if model:
        llm = assistant.use_model(str(model))
    assistant.ask(questions[0].question, llm=llm)  # warm: the model process is started
    outcomes: list[Outcome] = []
    run(questions, assistant=assistant, llm=llm, out=out, progress=False, collect=outcomes)
    assistant.close()
    if len(outcomes) != len(questions):
        raise SystemExit(f"the 'after' run answered {len(outcomes)} of {len(questions)} questions")
    return outcomes


def by_kind(outcomes: list[Outcome]) -> dict[str, dict[str, Any]]:
    """The summary of all outcomes, of each split and of each kind, flattened to metric: value."""
    groups = {"all": outcomes}
    for outcome in outcomes:
        groups.setdefault(f"split {outcome.question.split}", []).append(outcome)
    for outcome in outcomes:
        groups.setdefault(outcome.question.kind, []).append(outcome)
    flat = {}
    for name, members in groups.items():
        summary = summarize(members)
        flat[name] = {"n": summary["n"], **summary["answers"], **summary["latency_ms"]}
    return flat


def changed(earlier: list[Outcome], later: list[Outcome]) -> list[dict[str, Any]]:
    """The questions whose answer differs between the two sides: text, backend or cited papers."""

    def key(outcome: Outcome) -> tuple[str, str, list[str]]:
        answer = outcome.answer
        return answer.text, answer.backend, [c.paper.paper_id for c in answer.citations]

    return [
        {"id": a.question.id, "before": key(a), "after": key(b)}
        for a, b in zip(earlier, later, strict=True)
        if key(a) != key(b)
    ]


def _cell(value: Any) -> str:
    if not isinstance(value, int | float):
        return "-"
    return f"{value:.0f}" if value >= 100 else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", type=Path, action="append", help="a GGUF file (repeat); default: extractive"
    )
    parser.add_argument(
        "--before", default="4c56645", help="the commit to compare with (default: 4c56645; 'none': skip)"
    )
    parser.add_argument("--questions", type=Path, default=HERE / "dev_questions.jsonl")
    parser.add_argument("--split", default=None, help="only questions of this split (calibrate or report)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--store", type=Path, default=None, help="a store of the bundled corpus")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="write the after side's reports here")
    args = parser.parse_args()
    questions, problems = load_questions(args.questions)
    if problems:
        raise SystemExit(f"bad question file: {problems[0]}")
    questions = [q for q in questions if args.split in (None, q.split)][: args.limit]
    if not questions:
        raise SystemExit("no questions selected")
    store = args.store or Path(tempfile.mkdtemp(prefix="rag-bench-answers-"))
    results: dict[str, Any] = {
        "questions": len(questions),
        "split": args.split,
        "before": args.before,
        "runs": {},
    }
    with Assistant(load_settings(store_dir=store)) as assistant:
        if assistant.store.count() == 0:
            assistant.ingest(progress=False)
        for model in args.model or [None]:
            if model is not None and not model.is_file():
                raise SystemExit(f"no model file {model}")
            name = model.name if model else "extractive"
            out = args.out / (model.stem if model else "extractive") if args.out else None
            skip = args.before == "none"
            earlier = [] if skip else before(args.before, store, model, questions, assistant)
            later = after(assistant, model, questions, out)
            results["runs"][name] = {
                "before": by_kind(earlier) if earlier else {},
                "after": by_kind(later),
                "changed": changed(earlier, later) if earlier else [],
            }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"{len(questions)} questions (split: {args.split or 'all'}); "
        f"before = {args.before}, after = this checkout"
    )
    for name, pair in results["runs"].items():
        print(f"\n## {name} (before / after)\n")
        print("| kind | n | " + " | ".join(label for label, _ in QUALITY) + " |")
        print("|---|---|" + "---|" * len(QUALITY))
        for kind, after_row in pair["after"].items():
            earlier = pair["before"].get(kind, {})
            cells = [f"{_cell(earlier.get(key))} / {_cell(after_row.get(key))}" for _, key in QUALITY]
            print(f"| {kind} | {after_row['n']} | " + " | ".join(cells) + " |")
        print()
        for label, key in SPEED:
            first, second = (_cell(pair[side].get("all", {}).get(key)) for side in ("before", "after"))
            print(f"{label:20} {first:>8} / {second}")
        if pair["before"]:
            differ = pair["changed"]
            print(f"\nanswers that differ (text, backend or cited papers): {len(differ)} of {len(questions)}")
            for row in differ:
                print(f"  {row['id']}:\n    before: {row['before']}\n    after:  {row['after']}")


if __name__ == "__main__":
    main()
