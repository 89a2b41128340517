"""Answers before and after, side by side in one run, per kind of question and per split.

For the extractive backend, or each GGUF model given (warm: one question answered first):
  after:  this checkout through `rag.evaluate.run`;
  before: the package at an earlier commit (a git worktree imported by this interpreter), the
          same questions on the same store, streamed and timed the same way.
Both are scored by `rag.evaluate.summarize`, for all questions and per kind: false refusals,
refusal recall, cited-paper recall and precision on questions with several gold papers, fact
accuracy (answer_contains), citation precision, answers with a valid citation, how often the
model's reply was replaced, first-token and answer latency, prompt tokens. With --chat, each
side also answers the pairs of benchmarks/followups.jsonl in a chat (the first question, then the
second: its condensing by the model and its answer), timed like the questions. The load average
is printed beside each side's figures (the machine may be shared). Any failed step stops the
benchmark with its error instead of printing figures.

Run: .venv/bin/python benchmarks/bench_answers.py [--model PATH ...] [--before REV] [--split report]
         [--limit N] [--store DIR] [--chat] [--pairs N] [--json] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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

# Run by both sides, each with its own package: the second question of each pair, asked in a chat
# after the first, timed from the question to its first answer token and to the end.
CHAT_CODE = textwrap.dedent(
    """
    import os, time
    from rag.chat import ChatSession, Turn
    from rag.events import Token

    def chat_rows(assistant, llm, pairs):
        rows = []
        for pair in pairs:
            session = ChatSession(assistant, k=assistant.settings.k, llm=llm, mode=assistant.settings.mode)
            for question in (pair["question"], pair["followup"]):
                load = os.getloadavg()[0]
                started = time.perf_counter()
                first = None
                stream = session.answer(question)
                for event in stream:
                    if isinstance(event, Token) and event.text and first is None:
                        first = time.perf_counter()
                end = time.perf_counter()
                session.turns.append(Turn(question, stream.query.text, stream.answer))
            rows.append({
                "id": pair["id"], "kind": pair["kind"], "read_as_follow_up": stream.query.text != question,
                "backend": stream.answer.backend, "refused": stream.answer.refused, "load": load,
                "first_token": 1000 * ((first or end) - started), "total": 1000 * (end - started),
                "searched": stream.query.text, "text": stream.answer.text,
                "on_paper": bool(stream.answer.sources)
                and stream.answer.sources[0].paper.title in pair.get("gold_titles", []),
            })
        return rows
    """
)

BEFORE_SCRIPT = CHAT_CODE + textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from rag.api import Assistant
    from rag.config import Settings
    store, model, questions = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    pairs = json.loads(sys.argv[4])
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
    if pairs:
        print(json.dumps({"chat": chat_rows(assistant, llm, pairs)}), flush=True)
    """
)

LOADS = "load average at start, between the sides, at the end"
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
    rev: str,
    store: Path,
    model: Path | None,
    questions: list[Question],
    assistant: Assistant,
    pairs: list[dict[str, Any]],
) -> tuple[list[Outcome], list[dict[str, Any]]]:
    """The package at an earlier commit, on the same store, model and questions (and chat pairs)."""
    with tempfile.TemporaryDirectory(prefix="rag-before-") as tree:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", tree, rev],
            check=True,
            capture_output=True,
        )
        try:
            command = [sys.executable, "-c", BEFORE_SCRIPT, str(store), str(model or "")]
            result = subprocess.run(
                [*command, json.dumps([q.question for q in questions]), json.dumps(pairs)],
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
    chat = records.pop()["chat"] if pairs else []
    if len(records) != len(questions):
        raise SystemExit(f"the 'before' run answered {len(records)} of {len(questions)} questions")
    titles = _title_index(assistant)
    outcomes = [
        Outcome(q, _gold(q, titles), [s["paper_id"] for s in r["sources"]], 0.0, _answer(r))
        for q, r in zip(questions, records, strict=True)
    ]
    return outcomes, chat


def after(
    assistant: Assistant,
    model: Path | None,
    questions: list[Question],
    out: Path | None,
    pairs: list[dict[str, Any]],
) -> tuple[list[Outcome], list[dict[str, Any]]]:
    """This checkout, warm, through rag.evaluate (and the chat pairs)."""
    llm = "extractive"
    if model:
        llm = assistant.use_model(str(model))
    assistant.ask(questions[0].question, llm=llm)  # warm: the model process is started
    outcomes: list[Outcome] = []
    run(questions, assistant=assistant, llm=llm, out=out, progress=False, collect=outcomes)
    chat: list[dict[str, Any]] = []
    if pairs:
        code: dict[str, Any] = {}
        exec(CHAT_CODE, code)  # the code the 'before' side runs with its own package
        chat = code["chat_rows"](assistant, llm, pairs)
    assistant.close()
    if len(outcomes) != len(questions):
        raise SystemExit(f"the 'after' run answered {len(outcomes)} of {len(questions)} questions")
    return outcomes, chat


def chat_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The chat pairs' second questions: how many were read as follow-ups, answered by which
    backend, and the latency (p50 over the answered ones) of those read as follow-ups."""
    answered = [r for r in rows if not r["refused"]]
    followed = [r for r in answered if r["read_as_follow_up"]]

    def p50(values: list[float]) -> float | None:
        return statistics.median(values) if values else None

    return {
        "pairs": len(rows),
        "read as follow-ups": len([r for r in rows if r["read_as_follow_up"]]),
        "follow-ups on their paper": len([r for r in rows if r["kind"] == "follow-up" and r.get("on_paper")]),
        "new topics on theirs": len([r for r in rows if r["kind"] == "new-topic" and r.get("on_paper")]),
        "answered by the model": len([r for r in answered if r["backend"] not in ("extractive", "none")]),
        "follow-up first token p50 ms": p50([r["first_token"] for r in followed]),
        "follow-up answer p50 ms": p50([r["total"] for r in followed]),
        "first token p50 ms (all answered)": p50([r["first_token"] for r in answered]),
        "answer p50 ms (all answered)": p50([r["total"] for r in answered]),
        "load average p50": p50([r["load"] for r in rows]),
    }


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
    if isinstance(value, int):
        return str(value)
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
    parser.add_argument(
        "--chat", action="store_true", help="also time the follow-ups of benchmarks/followups.jsonl in a chat"
    )
    parser.add_argument("--pairs", type=int, default=None, help="the first N chat pairs (default: --limit)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="write the after side's reports here")
    args = parser.parse_args()
    questions, problems = load_questions(args.questions)
    if problems:
        raise SystemExit(f"bad question file: {problems[0]}")
    questions = [q for q in questions if args.split in (None, q.split)][: args.limit]
    if not questions:
        raise SystemExit("no questions selected")
    pairs = []
    if args.chat:
        lines = (HERE / "followups.jsonl").read_text(encoding="utf-8").splitlines()
        pairs = [json.loads(line) for line in lines if line.strip()][: args.pairs or args.limit]
    store = args.store or Path(tempfile.mkdtemp(prefix="rag-bench-answers-"))
    results: dict[str, Any] = {
        "questions": len(questions),
        "split": args.split,
        "before": args.before,
        "runs": {},
    }
    with Assistant(load_settings(store_dir=store)) as assistant:
        if assistant.library.store.count() == 0:
            assistant.ingest(progress=False)
        for model in args.model or [None]:
            if model is not None and not model.is_file():
                raise SystemExit(f"no model file {model}")
            name = model.name if model else "extractive"
            out = args.out / (model.stem if model else "extractive") if args.out else None
            skip = args.before == "none"
            loads = [os.getloadavg()[0]]
            earlier, earlier_chat = (
                ([], []) if skip else before(args.before, store, model, questions, assistant, pairs)
            )
            loads.append(os.getloadavg()[0])
            later, later_chat = after(assistant, model, questions, out, pairs)
            loads.append(os.getloadavg()[0])
            results["runs"][name] = {
                "before": by_kind(earlier) if earlier else {},
                "after": by_kind(later),
                "changed": changed(earlier, later) if earlier else [],
                "chat changed": [
                    {"id": a["id"], "before": (a["searched"], a["text"]), "after": (b["searched"], b["text"])}
                    for a, b in zip(earlier_chat, later_chat, strict=False)
                    if (a.get("searched"), a.get("text")) != (b["searched"], b["text"])
                ],
                "chat": {
                    "before": chat_summary(earlier_chat) if earlier_chat else {},
                    "after": chat_summary(later_chat) if later_chat else {},
                },
                "load average at start, between the sides, at the end": loads,
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
        print(
            f"{'load average':20} "
            + " / ".join(f"{load:.1f}" for load in pair[LOADS])
            + " (start / between / end)"
        )
        if pair["chat"]["after"]:
            print("\nchat (the second question of each pair):")
            for key, value in pair["chat"]["after"].items():
                print(f"  {key:36} {_cell(pair['chat']['before'].get(key)):>8} / {_cell(value)}")
        if pair["before"]:
            differ = pair["changed"]
            print(f"\nanswers that differ (text, backend or cited papers): {len(differ)} of {len(questions)}")
            for row in differ:
                print(f"  {row['id']}:\n    before: {row['before']}\n    after:  {row['after']}")
        if pair["chat"]["before"]:
            differ = pair["chat changed"]
            print(f"\nfollow-ups searched or answered differently: {len(differ)} of {len(pairs)}")
            for row in differ:
                print(f"  {row['id']}:\n    before: {row['before']}\n    after:  {row['after']}")


if __name__ == "__main__":
    main()
