"""The fast embedder (RAG_EMBEDDER=minilm-int8-fast) against the shipped one, side by side: `rag
ingest` of the bundled corpus into a new store, each embedder's bare embedding of the same 768
chunks (runs alternated, medians), and how near its vectors are (cosine per chunk).

Run: .venv/bin/python benchmarks/fast_embedder.py [--runs 3] [--json]
Answers on stores of each: `rag eval benchmarks/dev_questions.jsonl --store S --llm extractive`
with RAG_EMBEDDER set as the store was made, then `rag eval --compare A.json B.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from ingest_speed import chunk_texts

from rag.embeddings import FastMiniLM, OnnxMiniLM

RAG = str(Path(sys.executable).with_name("rag"))
EMBEDDERS = ("minilm-int8", "minilm-int8-fast")


def ingest_seconds(embedder: str, model_dir: Path, work: Path) -> float:
    """Wall seconds of `rag ingest` of the bundled corpus into a new store."""
    store = work / f"store-{embedder}"
    shutil.rmtree(store, ignore_errors=True)
    env = {**os.environ, "RAG_EMBEDDER": embedder, "RAG_MODEL_DIR": str(model_dir), "RAG_LOG": "0"}
    started = time.perf_counter()
    subprocess.run([RAG, "ingest", "--store", str(store)], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rag-fast-embedder-") as folder:
        work = Path(folder)
        shipped, fast = OnnxMiniLM(), FastMiniLM(work / "models")
        texts = chunk_texts(shipped)
        fast.embed(texts[:2])  # the model is built here, not in a timed run
        ingest: dict[str, list[float]] = {e: [] for e in EMBEDDERS}
        bare: dict[str, list[float]] = {e: [] for e in EMBEDDERS}
        vectors: dict[str, np.ndarray] = {}
        for run in range(args.runs):
            order = EMBEDDERS if run % 2 == 0 else EMBEDDERS[::-1]
            for name in order:
                ingest[name].append(ingest_seconds(name, work / "models", work))
                model = shipped if name == "minilm-int8" else fast
                started = time.perf_counter()
                vectors[name] = model.embed(texts)
                bare[name].append(time.perf_counter() - started)
    cosine = (vectors["minilm-int8"] * vectors["minilm-int8-fast"]).sum(axis=1)
    result: dict[str, Any] = {
        "chunks": len(texts),
        "runs": args.runs,
        "ingest_s": {e: statistics.median(v) for e, v in ingest.items()},
        "bare_embed_s": {e: statistics.median(v) for e, v in bare.items()},
        "cosine_min": float(cosine.min()),
        "cosine_median": float(np.median(cosine)),
        "load_average_end": os.getloadavg()[0],
    }
    for key in ("ingest_s", "bare_embed_s"):
        result[key]["speedup"] = result[key]["minilm-int8"] / result[key]["minilm-int8-fast"]
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{len(texts)} chunks, {args.runs} runs each, alternated (medians)")
    for key, label in (("ingest_s", "rag ingest"), ("bare_embed_s", "bare embedding")):
        figures = result[key]
        print(
            f"{label:16} shipped {figures['minilm-int8']:.1f} s, fast {figures['minilm-int8-fast']:.1f} s, "
            f"{figures['speedup']:.2f}x"
        )
    low, middle = result["cosine_min"], result["cosine_median"]
    print(f"cosine of each chunk's vectors: min {low:.4f}, median {middle:.4f}")


if __name__ == "__main__":
    main()
