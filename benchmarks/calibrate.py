"""Calibrate the refusal threshold (and look at the support threshold) on the dev question set.

Refusal: for every dev question, the confidence is the best cosine similarity between the
question and any chunk of the retrieved papers. The threshold that best separates answerable
from unanswerable questions (balanced accuracy) is printed.

Support: for the answerable questions, the similarity of each extractive answer sentence to
the chunks of the paper it cites (correct) and of another retrieved paper (wrong citation).

Run: .venv/bin/python benchmarks/calibrate.py [--store DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np

from rag.api import Assistant
from rag.citations import split_sentences, strip_citations
from rag.config import load_settings

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None)
    args = parser.parse_args()
    assistant = Assistant(load_settings(store_dir=args.store, refusal_threshold=0.0, support_threshold=0.0))
    questions = [json.loads(line) for line in (HERE / "dev_questions.jsonl").read_text().splitlines() if line]

    answerable, unanswerable, right, wrong = [], [], [], []
    for q in questions:
        answer = assistant.ask(q["question"], llm="extractive")
        target = unanswerable if not q["gold_titles"] else answerable
        target.append((answer.confidence or 0.0, q["kind"], q["id"]))
        if not q["gold_titles"] or len(answer.sources) < 2:
            continue
        hits = assistant.search(q["question"])
        texts = assistant._paper_texts(hits)
        for sentence in split_sentences(answer.text):
            vector = assistant.embedder.embed([strip_citations(sentence)])[0]
            cited = answer.citations[0].paper_id if answer.citations else None
            for number, hit in enumerate(hits, 1):
                if number not in texts:
                    continue
                best = float((texts[number].chunk_vectors @ vector).max())
                (right if hit.paper_id == cited else wrong).append(best)
            break

    print("confidence, answerable:  ", _summary([c for c, _, _ in answerable]))
    print("confidence, unanswerable:", _summary([c for c, _, _ in unanswerable]))
    for c, kind, qid in sorted(unanswerable, reverse=True)[:5]:
        print(f"   highest unanswerable {qid} {kind}: {c:.3f}")
    for c, kind, qid in sorted(answerable)[:5]:
        print(f"   lowest answerable {qid} {kind}: {c:.3f}")
    best = max(
        (float(t) for t in np.arange(0.2, 0.8, 0.005)),
        key=lambda t: (
            sum(c >= t for c, _, _ in answerable) / len(answerable)
            + sum(c < t for c, _, _ in unanswerable) / len(unanswerable)
        ),
    )
    recall = sum(c < best for c, _, _ in unanswerable) / len(unanswerable)
    kept = sum(c >= best for c, _, _ in answerable) / len(answerable)
    print(
        f"best refusal threshold {best:.3f}: refuses {recall:.0%} of unanswerable, "
        f"answers {kept:.0%} of answerable"
    )
    print("support, sentence vs cited paper:", _summary(right))
    print("support, sentence vs other paper:", _summary(wrong))


def _summary(values: list[float]) -> str:
    if not values:
        return "n=0"
    q = statistics.quantiles(values, n=10) if len(values) > 1 else values * 9
    return (
        f"n={len(values)} min={min(values):.3f} p10={q[0]:.3f} "
        f"median={statistics.median(values):.3f} p90={q[-1]:.3f} max={max(values):.3f}"
    )


if __name__ == "__main__":
    main()
