"""Answer quality and speed (issue 3), side by side in one run.

1. Extractive backend on the dev set: fraction of figure questions whose answer contains
   the expected figure; refusal precision and recall; citation validity (cited papers that
   were retrieved) and citation precision (cited papers that are gold).
2. Local backend (bundled SmolLM2-135M GGUF): time to first token and tokens/s through
   `Assistant.stream`, against llama-cpp-python's own timing of the same prompt on the
   same loaded model (create_chat_completion, streamed) in the same run.
3. Warm `ask()` latency per stage (retrieve, prompt, generate, check), p50, extractive.

Run: .venv/bin/python benchmarks/bench_answers.py [--store DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from rag.answer import Source, build_messages
from rag.api import Assistant
from rag.config import load_settings
from rag.corpus import normalize_title

HERE = Path(__file__).resolve().parent


def quality(assistant: Assistant, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Extractive answers on the dev set."""
    figure_hits = figure_total = 0
    refused_right = refused_total = unanswerable = 0
    cited = cited_valid = cited_gold = 0
    stages: dict[str, list[float]] = {}
    for q in questions:
        answer = assistant.ask(q["question"], llm="extractive")
        for stage, ms in answer.timings.items():
            stages.setdefault(stage, []).append(ms)
        gold = {normalize_title(t) for t in q["gold_titles"]}
        if not gold:
            unanswerable += 1
            refused_right += answer.refused
        refused_total += answer.refused
        if q["kind"] == "figure":
            figure_total += 1
            figure_hits += any(s in answer.text for s in q["answer_contains"])
        retrieved = {s.paper_id for s in answer.sources}
        for c in answer.citations:
            cited += 1
            cited_valid += c.paper_id in retrieved
            cited_gold += normalize_title(c.title) in gold
    return {
        "figure_contains": figure_hits / figure_total,
        "figure_questions": figure_total,
        "refusal_precision": refused_right / refused_total if refused_total else None,
        "refusal_recall": refused_right / unanswerable,
        "citation_validity": cited_valid / cited if cited else None,
        "citation_precision": cited_gold / cited if cited else None,
        "stage_p50_ms": {k: round(statistics.median(v), 1) for k, v in stages.items()},
    }


def local_speed(assistant: Assistant, questions: list[str]) -> dict[str, Any]:
    """Time to first token and tokens/s: our stream against llama-cpp-python on the same prompt."""
    llm = assistant.llm("local")
    model = llm._load()  # type: ignore[attr-defined]
    ours_ttft, ours_rate, raw_ttft, raw_rate = [], [], [], []
    for question in questions:
        hits = assistant.search(question)
        sources = [
            Source(n, h.paper_id, h.title, h.url, h.score, h.evidence, h.sources)
            for n, h in enumerate(hits, 1)
        ]
        messages = build_messages(assistant.prompts, question, sources)

        model.reset()  # no KV-cache prefix reuse between the two runs of one prompt
        started = time.perf_counter()
        first = None
        pieces = 0
        for chunk in model.create_chat_completion(
            messages=messages,
            max_tokens=assistant.settings.max_answer_tokens,
            temperature=0.1,
            seed=0,
            stream=True,
        ):
            if chunk["choices"][0]["delta"].get("content"):
                first = first or time.perf_counter()
                pieces += 1
        end = time.perf_counter()
        raw_ttft.append((first or end) - started)
        raw_rate.append(pieces / max(end - (first or end), 1e-9))

        model.reset()
        started = time.perf_counter()
        first = None
        pieces = 0
        stream = assistant.stream(question, llm="local")
        for _ in stream:
            first = first or time.perf_counter()
            pieces += 1
        end = time.perf_counter()
        ours_ttft.append((first or end) - started)
        ours_rate.append(pieces / max(end - (first or end), 1e-9))
    return {
        "ours_ttft_ms": round(1000 * statistics.median(ours_ttft)),
        "llama_cpp_ttft_ms": round(1000 * statistics.median(raw_ttft)),
        "ours_pieces_per_s": round(statistics.median(ours_rate), 1),
        "llama_cpp_tokens_per_s": round(statistics.median(raw_rate), 1),
        "note": "ours includes retrieval and the support check; a 'piece' is a streamed text piece "
        "after citation rewriting (about one token)",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--store", default=None, help="a store with the bundled corpus (default: a new temp one)"
    )
    parser.add_argument("--local-questions", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    store = args.store or tempfile.mkdtemp(prefix="rag-bench-")
    assistant = Assistant(load_settings(store_dir=store))
    if assistant.store.count() == 0:
        assistant.ingest()
    questions = [json.loads(line) for line in (HERE / "dev_questions.jsonl").read_text().splitlines() if line]
    assistant.ask(questions[0]["question"], llm="extractive")  # warm-up
    result = {"extractive": quality(assistant, questions)}
    answerable = [q["question"] for q in questions if q["gold_titles"]][: args.local_questions]
    result["local"] = local_speed(assistant, answerable)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for section, values in result.items():
            print(section)
            for key, value in values.items():
                print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
