"""Calibrate which retrieved papers a "which papers ..." answer lists; report both halves.

For every list question of the dev set with several gold papers, the pipeline retrieves as it
does for an answer (three times k) and `rag.extractive.list_features` describes each retrieved
paper: its best sentence below the best paper's, its coverage of the topic's terms below the
best coverage, its place in the ranking. A logistic
model is fitted on the "calibrate" half (Newton's method, light L2). The threshold is the lowest
probability (in steps of 0.05) at which leave-one-question-out cross-validation on that half
lists papers 85% relevant; at it, the cross-validated figures and the "report" half give
cited-paper recall and precision. `--write` puts the fitted model and threshold into
rag/calibration.json (its "list" entry, with the hash of the questions it was fitted on and this
command); without it the file is left as it is.

`--depth N` retrieves N papers instead of three times k, to see whether a wider pool would help;
"ceiling" is the share of each question's gold papers the pool holds (the best recall possible).

Run: .venv/bin/python benchmarks/calibrate_lists.py [--store DIR] [--depth N] [--json] [--write]
"""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from rag.api import Assistant
from rag.calibration import LogisticModel, load_calibration, questions_sha256, write_model
from rag.config import load_settings
from rag.evaluate import _gold, _title_index, load_questions
from rag.evidence import gather, resolved
from rag.extractive import list_features, ranked_sentences
from rag.query import parse
from rag.sentences import add_sentences

HERE = Path(__file__).resolve().parent
Sample = tuple[str, str, int, np.ndarray, np.ndarray]  # id, split, gold count, features, labels


def fit(features: np.ndarray, labels: np.ndarray, *, l2: float = 1e-3) -> np.ndarray:
    """Logistic regression by Newton's method: [bias, weights...]."""
    x = np.hstack([np.ones((len(features), 1)), features])
    weights = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ weights))
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + l2 * np.eye(len(weights))
        weights -= np.linalg.solve(hessian, x.T @ (p - labels) + l2 * weights)
    return weights


PRECISION_GOAL = 0.85


def listed(features: np.ndarray, weights: np.ndarray, threshold: float) -> np.ndarray:
    """Which papers the model lists (at least the most probable one), as `list_members` does."""
    p = 1 / (1 + np.exp(-(weights[0] + features @ weights[1:])))
    chosen = p >= threshold
    if not chosen.any():
        chosen[np.argmax(p)] = True
    return chosen


def score(samples: list[Sample], weights_for: Any, threshold: float) -> dict[str, float]:
    """Mean cited-gold recall per question, pooled precision, and the recall the pool allows."""
    recalls, ceilings, right, cited = [], [], 0, 0
    for sample in samples:
        _, _, gold, features, labels = sample
        chosen = listed(features, weights_for(sample), threshold)
        recalls.append(labels[chosen].sum() / gold)
        ceilings.append(labels.sum() / gold)
        right += int(labels[chosen].sum())
        cited += int(chosen.sum())
    return {
        "questions": len(samples),
        "recall": float(np.mean(recalls)),
        "precision": right / max(cited, 1),
        "ceiling": float(np.mean(ceilings)),
    }


def collect(assistant: Assistant, questions_path: Path, depth: int) -> tuple[list[Sample], list[str]]:
    """The features and labels of every retrieved paper of every list question, and the features' names."""
    questions, _ = load_questions(questions_path)
    titles = _title_index(assistant)
    samples = []
    names: list[str] = []
    for q in questions:
        gold = _gold(q, titles)
        query = parse(q.question)
        if not query.is_list or len(gold) < 2:
            continue
        gatherer = assistant.gatherer
        retriever = gatherer.retriever()
        query = resolved(query, retriever, assistant.settings.mode)  # as Gatherer.gather does
        evidence = gather(
            query,
            retriever=retriever,
            store=assistant.library.store,
            embedder=gatherer.embedder,
            papers=depth,
            mode=assistant.settings.mode,
        )
        papers = evidence.ranked_papers()
        add_sentences(papers, assistant.library.embedder)
        ranked = ranked_sentences(query, evidence.question_vector, papers)
        features = list_features(ranked, papers)
        ids = {s.number: s.paper.paper_id for s in evidence.sources}
        numbers = sorted(features)
        names = names or [name for n in numbers[:1] for name in features[n]]
        samples.append(
            (
                q.id,
                q.split or "-",
                len(gold),
                np.array([[features[n][name] for name in names] for n in numbers]),
                np.array([float(ids[n] in gold) for n in numbers]),
            )
        )
    return samples, names


def fitted_model(
    weights: list[float], threshold: float, names: list[str], questions: Path, fitted_on: list[Sample]
) -> LogisticModel:
    """The "list" model of calibration.json: [bias, weights...] over the named features."""
    return LogisticModel(
        name="list",
        features=dict(zip(names, weights[1:], strict=True)),
        bias=weights[0],
        threshold=threshold,
        questions_sha256=questions_sha256(questions, [s[0] for s in fitted_on]),
        questions=len(fitted_on),
        command=shlex.join(["python", "benchmarks/calibrate_lists.py", *sys.argv[1:]]),
        fitted=datetime.date.today().isoformat(),
        note=f"The threshold is the lowest probability, in steps of 0.05, at which the listed papers "
        f"were {PRECISION_GOAL:.0%} relevant, cross-validated leave-one-question-out on these questions.",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="a store of the bundled corpus (default: a new one)")
    parser.add_argument("--questions", default=str(HERE / "dev_questions.jsonl"))
    parser.add_argument("--depth", type=int, default=None, help="papers to choose from (default: 3 x k)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write", action="store_true", help="write the fitted model to rag/calibration.json")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        Assistant(load_settings(store_dir=Path(args.store or tmp), llm="extractive")) as assistant,
    ):
        if not args.store:
            assistant.ingest(None)
        samples, names = collect(assistant, Path(args.questions), args.depth or 3 * assistant.settings.k)
    calibrate = [s for s in samples if s[1] == "calibrate"]
    report = [s for s in samples if s[1] == "report"]
    weights = fit(np.vstack([s[3] for s in calibrate]), np.concatenate([s[4] for s in calibrate]))

    def without(held: Sample) -> np.ndarray:
        rest = [s for s in calibrate if s is not held]
        return fit(np.vstack([s[3] for s in rest]), np.concatenate([s[4] for s in rest]))

    held_out = {s[0]: without(s) for s in calibrate}
    thresholds = [round(0.05 * step, 2) for step in range(4, 20)]
    precision = {t: score(calibrate, lambda s: held_out[s[0]], t)["precision"] for t in thresholds}
    threshold = next((t for t in thresholds if precision[t] >= PRECISION_GOAL), thresholds[-1])
    fitted = fitted_model(
        [round(float(w), 2) for w in weights], threshold, names, Path(args.questions), calibrate
    )
    current = load_calibration().model("list")
    current_weights = np.array([current.bias, *(current.features[name] for name in names)])
    result: dict[str, Any] = {
        "weights": {"bias": fitted.bias, **fitted.features},
        "threshold": threshold,
        "current": {"bias": current.bias, **current.features, "threshold": current.threshold},
        "calibrate_cross_validated": score(calibrate, lambda s: held_out[s[0]], threshold),
        "report": score(report, lambda _: weights, threshold),
        "report_current": score(report, lambda _: current_weights, current.threshold),
    }
    if args.write:
        result["written_to"] = str(write_model(fitted))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"fitted: {json.dumps(result['weights'])}, threshold {threshold}")
    print(f"in use: {json.dumps(result['current'])}")
    if args.write:
        print(f"written to {result['written_to']}")
    for name in ("calibrate_cross_validated", "report", "report_current"):
        r = result[name]
        print(f"{name:27} {r['questions']:3d} questions  recall {r['recall']:.3f}", end="  ")
        print(f"precision {r['precision']:.3f}  ceiling {r['ceiling']:.3f}")


if __name__ == "__main__":
    main()
