"""Cold `rag search` processes on one store, for one or more checkouts side by side.

Each run starts `python -m rag search Q --store DIR -k 5` with PYTHONPATH at a checkout (a git
worktree of another commit, or this one), interleaving the checkouts and alternating their order,
over three dev questions; prints the median and every run's wall time per checkout. A run that
exits non-zero or prints no result fails the benchmark.

Run: .venv/bin/python benchmarks/cold_search.py --store DIR [--runs 10] [--checkout PATH ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rag.evaluate import load_questions

HERE = Path(__file__).resolve().parent


def cold_search_seconds(question: str, store: Path, env: dict[str, str], cwd: Path | None = None) -> float:
    """The wall time of one new `rag search` process; a failed one fails the benchmark."""
    command = [sys.executable, "-m", "rag", "search", question, "--store", str(store), "-k", "5"]
    started = time.perf_counter()
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=cwd, stdin=subprocess.DEVNULL
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0 or not result.stdout.startswith("1. "):
        raise SystemExit(
            f"benchmark failed: cold search in {cwd or '.'}: {result.stderr.strip() or result.stdout}"
        )
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=10, help="processes per checkout (default 10)")
    parser.add_argument(
        "--checkout", type=Path, action="append", help="a checkout to run (repeat; default: this one)"
    )
    args = parser.parse_args()
    checkouts = [p.resolve() for p in args.checkout or [HERE.parent]]
    questions = [q.question for q in load_questions(HERE / "dev_questions.jsonl")[0][:3]]
    seconds: dict[Path, list[float]] = {checkout: [] for checkout in checkouts}
    for run in range(args.runs):
        for checkout in checkouts if run % 2 == 0 else checkouts[::-1]:
            env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
            env["PYTHONPATH"] = str(checkout)
            seconds[checkout].append(cold_search_seconds(questions[run % 3], args.store, env, cwd=checkout))
    for checkout, times in seconds.items():
        runs = " ".join(f"{t:.2f}" for t in times)
        print(f"{checkout}: median {statistics.median(times):.2f} s  (runs: {runs})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
