"""The embedding model's runs: the shipped file against the lean model the default embedder runs.

Four sessions of one onnxruntime thread each, run interleaved on the same random batch (2 texts of
180 tokens, the size of a run at ingest): the shipped file and the lean one (rag/model_files.py),
each with onnxruntime's default graph optimizations and with SkipLayerNormFusion disabled (as
`OnnxMiniLM` runs it). Prints each one's median milliseconds a run and the largest difference of
its token states from the shipped file's; `--ops` adds onnxruntime's profile of where a run's time
goes, per operator, for the shipped file as shipped and for the default embedder's session.

Run: .venv/bin/python benchmarks/model_ops.py [--runs 30] [--ops]
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from rag.config import default_model_dir
from rag.embeddings import OnnxMiniLM, shipped_model
from rag.model_files import lean_model


def session(path: Path, disabled: tuple[str, ...], profile: bool = False) -> Any:
    """A one-thread session as OnnxMiniLM makes it, with these optimizers disabled."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if profile:
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(tempfile.mkdtemp()) / "ort")
    return ort.InferenceSession(
        str(path), options, providers=["CPUExecutionProvider"], disabled_optimizers=list(disabled)
    )


def feeds() -> dict[str, np.ndarray]:
    """Two texts of 180 random word pieces each."""
    ids = np.random.RandomState(0).randint(1000, 20000, size=(2, 180)).astype(np.int64)
    return {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}


def operators(path: Path, disabled: tuple[str, ...], runs: int = 20) -> dict[str, float]:
    """Milliseconds a run per operator type, from onnxruntime's profile."""
    profiled = session(path, disabled, profile=True)
    for _ in range(runs):
        profiled.run(None, feeds())
    events = json.loads(Path(profiled.end_profiling()).read_text())
    totals: collections.Counter[str] = collections.Counter()
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            totals[event["args"]["op_name"]] += event["dur"] / 1000 / runs
    return dict(totals.most_common())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="runs of each session (default 30)")
    parser.add_argument("--ops", action="store_true", help="also the time per operator type")
    args = parser.parse_args()
    lean, fused = lean_model(default_model_dir()), ()
    unfused = OnnxMiniLM.disabled_optimizers
    variants = {
        "shipped": (shipped_model(), fused),
        f"shipped, {', '.join(unfused)} disabled": (shipped_model(), unfused),
        "lean": (lean, fused),
        f"lean, {', '.join(unfused)} disabled (the default embedder)": (lean, unfused),
    }
    sessions = {name: session(path, disabled) for name, (path, disabled) in variants.items()}
    reference = sessions["shipped"].run(None, feeds())[0]
    times: dict[str, list[float]] = {name: [] for name in sessions}
    for n in range(args.runs):
        for name in list(sessions) if n % 2 == 0 else list(sessions)[::-1]:
            start = time.perf_counter()
            sessions[name].run(None, feeds())
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["shipped"])
    for name, session_ in sessions.items():
        median = statistics.median(times[name])
        difference = float(np.abs(session_.run(None, feeds())[0] - reference).max())
        speed = f"{median * 1000:.1f} ms a run, {base / median:.2f}x"
        print(f"{name}: {speed}; token states differ by {difference:.1e}")
    if args.ops:
        for name, (path, disabled) in (("shipped", variants["shipped"]), ("default", (lean, unfused))):
            ops = operators(path, disabled)
            total = sum(ops.values())
            shown = ", ".join(f"{op} {ms:.1f} ({ms / total:.0%})" for op, ms in list(ops.items())[:8])
            print(f"{name}: {total:.1f} ms a run: {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
