"""llama-index's RetrieverEvaluator through `Assistant.as_retriever()`, next to `rag eval`.

On the answerable dev questions (gold papers mapped to paper ids by rag.evaluate), llama-index's
own evaluator computes hit rate and MRR over the top k nodes of `as_retriever(k, mode)`; the same
questions go through `rag.evaluate.run` (what `rag eval` runs), whose MRR is over its top-10
ranking and whose hit rate is computed here from the same outcomes. The two should agree: the
retriever is the same search, seen through llama-index.

Run: .venv/bin/python benchmarks/llamaindex_eval.py --store DIR [--k 10] [--mode hybrid] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from llama_index.core.evaluation import RetrieverEvaluator

from rag import evaluate
from rag.api import Assistant
from rag.config import load_settings

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="a store holding the bundled corpus")
    parser.add_argument("--k", type=int, default=10, help="nodes retrieved (default 10, as rag eval ranks)")
    parser.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "keyword"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    questions, problems = evaluate.load_questions(HERE / "dev_questions.jsonl")
    if problems:
        raise SystemExit(f"benchmark failed: {problems[0]}")
    assistant = Assistant(load_settings(store_dir=args.store), notify=lambda message: None)
    assistant.library.require()
    titles = evaluate._title_index(assistant)
    answerable = [q for q in questions if q.answerable]
    gold = {q.id: evaluate._gold(q, titles) for q in answerable}
    if not all(gold.values()):
        missing = [qid for qid, ids in gold.items() if not ids]
        raise SystemExit(f"benchmark failed: no gold paper in the store for {missing[:5]}")

    evaluator = RetrieverEvaluator.from_metric_names(
        ["hit_rate", "mrr"], retriever=assistant.as_retriever(k=args.k, mode=args.mode)
    )
    llama: dict[str, list[float]] = {"hit_rate": [], "mrr": []}
    for question in answerable:
        evaluated = evaluator.evaluate(query=question.question, expected_ids=sorted(gold[question.id]))
        for name in llama:
            llama[name].append(evaluated.metric_vals_dict[name])

    outcomes: list[evaluate.Outcome] = []
    report = evaluate.run(
        answerable, assistant=assistant, llm="extractive", mode=args.mode, progress=False, collect=outcomes
    )
    ours_hit = statistics.fmean(1.0 if set(o.ranked[: args.k]) & o.gold else 0.0 for o in outcomes)
    result = {
        "questions": len(answerable),
        "k": args.k,
        "mode": args.mode,
        "llama_index_evaluator": {name: round(statistics.fmean(v), 4) for name, v in llama.items()},
        "rag_eval": {
            "hit_rate": round(ours_hit, 4),
            "mrr": round(report["retrieval"]["mrr"], 4),
            "recall@5": round(report["retrieval"]["recall@5"], 4),
        },
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{len(answerable)} answerable dev questions, k={args.k}, mode={args.mode}")
        print(f"{'':24} {'hit rate':>9} {'MRR':>7}")
        for name, values in (
            ("llama-index evaluator", result["llama_index_evaluator"]),
            ("rag eval", result["rag_eval"]),
        ):
            print(f"{name:24} {values['hit_rate']:>9.3f} {values['mrr']:>7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
