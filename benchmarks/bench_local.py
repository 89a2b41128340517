"""The local model, before and after (issue 9), side by side in one run on the dev set.

For each GGUF model, warm (one question answered first, then the set):
  after:  this checkout, `rag.evaluate.run(..., llm="local")`: the model in a child process,
          the evidence budget, the cached system prompt, verification with fallback.
  before: the same questions through the package at an earlier commit (a git worktree,
          imported by this interpreter), streamed and timed the same way.
Both are scored by `rag.evaluate.summarize`: first-token and answer p50/p95, prompt tokens per
question, share of answered questions with a valid citation, citation precision, refusal
precision and recall, fact accuracy (answer_contains), and how often the model's reply was
replaced. Any failed step stops the benchmark with its error.

Run: .venv/bin/python benchmarks/bench_local.py --model PATH [--model PATH] [--before REV]
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
from rag.evaluate import Outcome, Question, load_questions, run, summarize

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

BEFORE_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from rag.api import Assistant
    from rag.config import Settings
    from rag import answer as compose
    store, model, questions = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    assistant = Assistant(Settings(store_dir=store, local_model=Path(model)))
    assistant.ask(questions[0], llm="local")  # warm: the model is loaded
    for question in questions:
        hits = assistant.search(question)
        sources = [compose.Source(n, h.paper_id, h.title, h.url, h.score, h.evidence, h.sources)
                   for n, h in enumerate(hits, 1)]
        messages = compose.build_messages(assistant.prompts, question, sources)
        started = time.perf_counter()
        first = None
        stream = assistant.stream(question, llm="local")
        for piece in stream:
            if piece and first is None:
                first = time.perf_counter()
        end = time.perf_counter()
        answer = stream.answer.to_dict()
        answer["timings"]["first_token"] = 1000 * ((first or end) - started)
        answer["timings"]["total"] = 1000 * (end - started)
        answer["prompt_tokens"] = sum(len(m["content"]) for m in messages) // 4
        print(json.dumps(answer), flush=True)
    """
)


def _answer(record: dict[str, Any]) -> Answer:
    return Answer(
        question=record["question"],
        text=record["text"],
        citations=[Citation(**c) for c in record["citations"]],
        sources=[Source(**s) for s in record["sources"]],
        backend=record["backend"],
        fallback_reason=record["fallback_reason"],
        refused=record["refused"],
        timings=record["timings"],
        prompt_tokens=record.get("prompt_tokens"),
    )


def before(rev: str, store: Path, model: Path, questions: list[Question], assistant: Assistant) -> dict[str, Any]:
    """The package at an earlier commit, on the same store, model and questions."""
    from rag.evaluate import _gold, _title_index

    with tempfile.TemporaryDirectory(prefix="rag-before-") as tree:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", tree, rev], check=True,
                       capture_output=True)
        try:
            result = subprocess.run(
                [sys.executable, "-c", BEFORE_SCRIPT, str(store), str(model),
                 json.dumps([q.question for q in questions])],
                capture_output=True, text=True, env={"PYTHONPATH": tree, "PATH": "/usr/bin:/bin"},
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
    outcomes = [
        Outcome(q, _gold(q, titles), [s["paper_id"] for s in r["sources"]], r["timings"].get("retrieve", 0.0),
                _answer(r))
        for q, r in zip(questions, records, strict=True)
    ]
    return summarize(outcomes)


def after(assistant: Assistant, model: Path, questions: list[Question], out: Path | None) -> dict[str, Any]:
    """This checkout, warm, through rag.evaluate."""
    assistant.use_model(str(model))
    assistant.ask(questions[0].question, llm="local")  # warm: the model process is started
    return run(questions, assistant=assistant, llm="local", out=out, progress=False)


ROWS = [
    ("first token p50 (ms)", "latency_ms", "first_token_p50"),
    ("first token p95 (ms)", "latency_ms", "first_token_p95"),
    ("answer p50 (ms)", "latency_ms", "answer_p50"),
    ("answer p95 (ms)", "latency_ms", "answer_p95"),
    ("prompt tokens p50", None, "prompt_tokens_p50"),
    ("answers with a valid citation", "answers", "cited_answer_rate"),
    ("citation precision", "answers", "citation_precision"),
    ("refusal precision", "answers", "refusal_precision"),
    ("refusal recall", "answers", "refusal_recall"),
    ("fact accuracy", "answers", "contains_accuracy"),
    ("model reply replaced", "answers", "replaced_rate"),
]


def _value(report: dict[str, Any], group: str | None, key: str) -> float | None:
    value = report.get(key) if group is None else report.get(group, {}).get(key)
    return value if isinstance(value, int | float) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, action="append", required=True, help="a GGUF file (repeat)")
    parser.add_argument("--before", default="4c56645", help="the commit to compare with (default: 4c56645)")
    parser.add_argument("--questions", type=Path, default=HERE / "dev_questions.jsonl")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--store", type=Path, default=None, help="a store of the bundled corpus")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="write per-model reports here")
    args = parser.parse_args()
    questions, problems = load_questions(args.questions)
    if problems:
        raise SystemExit(f"bad question file: {problems[0]}")
    questions = questions[: args.limit]
    store = args.store or Path(tempfile.mkdtemp(prefix="rag-bench-local-"))
    results: dict[str, Any] = {"questions": len(questions), "models": {}}
    with Assistant(load_settings(store_dir=store)) as assistant:
        if assistant.store.count() == 0:
            assistant.ingest(progress=False)
        for model in args.model:
            if not model.is_file():
                raise SystemExit(f"no model file {model}")
            out = args.out / model.stem if args.out else None
            results["models"][model.name] = {
                "before": before(args.before, store, model, questions, assistant),
                "after": after(assistant, model, questions, out),
            }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{len(questions)} dev questions, warm, before = {args.before}, after = this checkout")
    for name, pair in results["models"].items():
        print(f"\n{name}\n{'metric':32} {'before':>10} {'after':>10}")
        for label, group, key in ROWS:
            cells = [_value(pair[side], group, key) for side in ("before", "after")]
            print(f"{label:32} " + " ".join(f"{'-' if c is None else f'{c:.3g}':>10}" for c in cells))


if __name__ == "__main__":
    main()
