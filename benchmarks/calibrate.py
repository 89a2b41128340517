"""Calibrate the answer-or-refuse decision on the dev set's calibration half; report both halves.

For every question the pipeline's signals are computed (best chunk similarity, IDF-weighted
share of the question's terms found in a top paper and in its title, agreement of the dense
and keyword rankings). A logistic model is fitted on the questions marked "split":
"calibrate" (class-balanced, light L2), and its refusal rates are reported per kind of
question on both halves, so the "report" half measures questions the weights never saw.
`--write` puts the fitted model into rag/calibration.json (its "decision" entry, with the hash of
the questions it was fitted on and this command); without it the file is left as it is.

Run: .venv/bin/python benchmarks/calibrate.py [--store DIR] [--threshold 0.5] [--json] [--write]
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
from rag.evaluate import Question, load_questions

HERE = Path(__file__).resolve().parent
QUESTIONS = HERE / "dev_questions.jsonl"


def fit(features: np.ndarray, labels: np.ndarray, *, l2: float = 1e-4, steps: int = 50000) -> np.ndarray:
    """Class-balanced logistic regression by gradient descent: [bias, weights...]."""
    x = np.hstack([np.ones((len(features), 1)), features])
    balance = np.where(labels == 1, 0.5 / labels.mean(), 0.5 / (1 - labels.mean()))
    weights = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-x @ weights))
        gradient = x.T @ ((p - labels) * balance) / len(labels) + l2 * np.r_[0, weights[1:]]
        weights -= 1.0 * gradient
    return weights


def refusal_table(
    questions: list[Question], probabilities: list[float], threshold: float
) -> dict[str, dict[str, Any]]:
    """Per split and kind: questions, refused, refusal rate."""
    table: dict[str, dict[str, Any]] = {}
    for q, p in zip(questions, probabilities, strict=True):
        row = table.setdefault(q.split or "-", {}).setdefault(
            q.kind, {"n": 0, "refused": 0, "answerable": q.answerable}
        )
        row["n"] += 1
        row["refused"] += p < threshold
    return table


def fitted_model(
    weights: list[float], names: list[str], fitted_on: list[Question], args: argparse.Namespace
) -> LogisticModel:
    """The "decision" model of calibration.json: [bias, weights...] over the named signals."""
    return LogisticModel(
        name="decision",
        features=dict(zip(names, weights[1:], strict=True)),
        bias=weights[0],
        threshold=args.threshold,
        questions_sha256=questions_sha256(QUESTIONS, [q.id for q in fitted_on]),
        questions=len(fitted_on),
        command=shlex.join(["python", "benchmarks/calibrate.py", *sys.argv[1:]]),
        fitted=datetime.date.today().isoformat(),
        note="The threshold is the one the weights were fitted and reported at; answers use "
        "Settings.refusal_threshold (RAG_REFUSAL_THRESHOLD) instead.",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="a store of the bundled corpus (default: a new one)")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write", action="store_true", help="write the fitted model to rag/calibration.json")
    args = parser.parse_args()
    questions, problems = load_questions(QUESTIONS)
    if problems:
        raise SystemExit(f"bad question file: {problems[0]}")
    store = args.store or tempfile.mkdtemp(prefix="rag-calibrate-")
    assistant = Assistant(load_settings(store_dir=store))
    if assistant.library.store.count() == 0:
        assistant.ingest(progress=False)
    signals = [assistant.gather(q.question).signals for q in questions]
    names = list(signals[0].features())
    features = np.array([[s.features()[name] for name in names] for s in signals])
    labels = np.array([1.0 if q.answerable else 0.0 for q in questions])
    calibrate = np.array([q.split == "calibrate" for q in questions])
    if not calibrate.any():
        raise SystemExit("no question is marked split=calibrate")
    weights = fit(features[calibrate], labels[calibrate])
    fitted = fitted_model(
        [round(float(w), 2) for w in weights],
        names,
        [q for q, c in zip(questions, calibrate, strict=True) if c],
        args,
    )
    in_use = load_calibration().model("decision")
    result: dict[str, Any] = {
        "fitted_weights": {"bias": fitted.bias, **fitted.features},
        "weights_in_use": {"bias": in_use.bias, **in_use.features},
        "threshold": args.threshold,
    }
    for name, model in (("fitted", fitted), ("in_use", in_use)):
        probabilities = [model.probability(s.features()) for s in signals]
        result[name] = refusal_table(questions, probabilities, args.threshold)
    if args.write:
        result["written_to"] = str(write_model(fitted))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print("fitted: " + json.dumps(result["fitted_weights"]))
    print("in use: " + json.dumps(result["weights_in_use"]))
    if args.write:
        print(f"written to {result['written_to']}")
    for name in ("fitted", "in_use"):
        print(f"\nrefusals with the {name} weights (threshold {args.threshold}):")
        for split, kinds in result[name].items():
            for kind, row in sorted(kinds.items()):
                rate = row["refused"] / row["n"]
                what = "false refusals" if row["answerable"] else "refused"
                print(f"  {split:10} {kind:20} {what:15} {row['refused']:3}/{row['n']:<3} ({rate:.0%})")


if __name__ == "__main__":
    main()
