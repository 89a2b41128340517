"""Foundation benchmark: ingest speed, re-ingest, search latency, cold start and recall, in one run.

What is measured (all on the bundled corpus data/*.txt and benchmarks/dev_questions.jsonl):

a. Full ingest into a fresh temporary store (Assistant.ingest, wall time, papers/s, chunks), and
   the raw embedder on exactly the same chunk texts (built with rag.library.ingest.Chunker and
   rag.library.ingest.embedding_text as ingest_corpus builds them; chunking is timed separately and is
   not part of the raw figure), embedded by a fresh OnnxMiniLM in batches of
   settings.embed_batch_size. The two are timed alternately (raw, ingest, raw, ingest, ...; a
   new store for every ingest) and medians are reported. Pipeline overhead is
   (ingest time / raw embed time) - 1, from the medians; it is also given from the minimums
   and from process CPU time, with the 1-minute load average before each run, because on a
   shared 2-core machine other processes make single wall times swing by tens of percent.
   Model load is EXCLUDED from both: each embedder (the raw one, and the Assistant's own one
   before its ingest) first embeds a few texts untimed. The one-time Python imports of chromadb
   and llama_index are also done before any timing. The ingest time therefore includes: reading
   the corpus, opening a new Chroma store, chunking (token counting), embedding, upserting and
   building the keyword index.
b. Re-ingest of the unchanged corpus into the filled store: in process (a fresh Assistant) and
   as a subprocess `rag --store TMP ingest`; each as a ratio to the full ingest time.
c. Warm search latency: one Assistant on the filled store, the first N dev questions, p50/p95
   per mode (hybrid, dense, keyword) after 3 warm-up queries per mode; for reference, the
   time to embed one query alone.
d. Cold wall time of one `rag --store TMP search "QUESTION" -k 5` process (5 runs: median, min),
   and, for reference, `python -c "import llama_index.core"` (and two other imports) once;
   also whether a search process imports llama_index at all.
e. Recall@5, recall@1 and MRR@5 of the gold papers per mode on the answerable dev questions
   (kinds lookup, figure, multi), overall and per kind. Recall of a question is the fraction of
   its gold titles (compared by rag.library.corpus.normalize_title) among its top k papers; MRR@5 uses
   the rank of the first gold paper in the top 5 (0 if none). A multi question has several gold
   papers, so its recall@1 is at most 1/len(gold_titles).

Run (from /work/main; the machine has 2 cores, so run it once, not in a loop):

    .venv/bin/python benchmarks/bench_foundation.py [--json] [--queries 50] [--repeats 2]

Tables go to stdout; with --json they go to stderr and stdout gets one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rag import evaluate
from rag.api import Assistant
from rag.config import SearchMode, Settings, load_settings
from rag.embeddings import OnnxMiniLM
from rag.evaluate import Question, percentile
from rag.library.corpus import normalize_title, read
from rag.library.ingest import Chunker, embedding_text

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"
QUESTIONS_PATH = PROJECT_DIR / "benchmarks" / "dev_questions.jsonl"
# The project as run by the interpreter running this script (not a .venv that may not exist).
RAG = [sys.executable, "-m", "rag"]
PYTHON = sys.executable
MODES: list[SearchMode] = ["hybrid", "dense", "keyword"]
ANSWERABLE_KINDS = ["lookup", "figure", "multi"]
COLD_SEARCH_RUNS = 5
WARMUP_QUERIES = 3


def log(message: str) -> None:
    """Progress messages, always on stderr."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def format_table(title: str, headers: list[str], rows: list[list[str]]) -> str:
    """A plain text table: first column left-aligned, the others right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = [title, "-" * len(title)]
    for row in [headers, *rows]:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(widths[i]) for i, cell in enumerate(row) if i > 0]
        lines.append("  ".join(cells))
        if row is headers:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def quality_rows(prefix: str, quality: dict[str, dict[str, dict[str, float]]]) -> list[list[str]]:
    """Table rows of n, recall@5, recall@1 and MRR for each mode and kind of question."""
    return [
        [
            f"{prefix}{mode} / {group}",
            str(int(v["n"])),
            f"{v['recall@5']:.3f}",
            f"{v['recall@1']:.3f}",
            f"{v['mrr']:.3f}",
        ]
        for mode, groups in quality.items()
        for group, v in groups.items()
    ]


def load_questions(path: Path = QUESTIONS_PATH) -> list[Question]:
    """The dev questions, in file order, read by rag.evaluate; a bad line fails the benchmark."""
    questions, problems = evaluate.load_questions(path)
    if problems:
        raise SystemExit(f"benchmark failed: {problems[0]}")
    return questions


def answerable(questions: list[Question]) -> list[Question]:
    """Questions of the kinds that have gold papers."""
    return [q for q in questions if q.kind in ANSWERABLE_KINDS and q.gold_titles]


def build_chunk_texts(settings: Settings, embedder: OnnxMiniLM) -> list[str]:
    """The texts ingest_corpus embeds for the bundled corpus, in the same order."""
    papers = read([settings.data_dir or DATA_DIR]).papers
    chunker = Chunker(embedder, settings.chunk_size, settings.chunk_overlap)
    texts = []
    for paper in papers:
        for chunk in chunker.chunks(paper):
            texts.append(embedding_text(str(chunk.metadata["title"]), chunk.text))
    return texts


def question_scores(titles: list[str], gold_titles: list[str]) -> dict[str, float]:
    """Recall@5, recall@1 and reciprocal rank (within the given list), by rag.evaluate's metrics."""
    gold = {normalize_title(t) for t in gold_titles}
    found = [normalize_title(t) for t in titles]
    return {
        "recall@5": evaluate.recall_at(found, gold, 5),
        "recall@1": evaluate.recall_at(found, gold, 1),
        "mrr": evaluate.reciprocal_rank(found, gold),
    }


def evaluate_retrieval(
    assistant: Assistant, questions: list[Question], modes: list[SearchMode]
) -> tuple[dict[str, dict[str, dict[str, float]]], dict[str, dict[str, list[str]]]]:
    """Mean recall@5, recall@1 and MRR@5 per mode, overall ('all') and per kind.

    Also returns the top-5 titles per mode and question id, for comparisons between runs.
    """
    results: dict[str, dict[str, dict[str, float]]] = {}
    rankings: dict[str, dict[str, list[str]]] = {}
    for mode in modes:
        per_question = []
        rankings[mode] = {}
        for question in questions:
            hits = assistant.search(question.question, k=5, mode=mode)
            titles = [hit.paper.title for hit in hits]
            rankings[mode][question.id] = titles
            per_question.append((question.kind, question_scores(titles, question.gold_titles or [])))
        results[mode] = {}
        groups = ["all", *[kind for kind in ANSWERABLE_KINDS if any(k == kind for k, _ in per_question)]]
        for group in groups:
            scores = [s for kind, s in per_question if group in ("all", kind)]
            results[mode][group] = {
                "n": len(scores),
                "recall@5": statistics.fmean(s["recall@5"] for s in scores),
                "recall@1": statistics.fmean(s["recall@1"] for s in scores),
                "mrr": statistics.fmean(s["mrr"] for s in scores),
            }
    return results, rankings


def missing_gold_titles(questions: list[Question]) -> list[str]:
    """Gold titles that match no paper of the bundled corpus (a broken question set)."""
    corpus_titles = {normalize_title(p.title) for p in read([DATA_DIR]).papers}
    return [
        title
        for q in questions
        for title in q.gold_titles or []
        if normalize_title(title) not in corpus_titles
    ]


def load_average() -> float:
    """The 1-minute load average: above the core count, other processes competed for the CPU."""
    return os.getloadavg()[0]


def time_raw_embed(texts: list[str], batch_size: int) -> dict[str, float]:
    """Wall and CPU seconds for a fresh OnnxMiniLM to embed the texts in batches (model load excluded)."""
    embedder = OnnxMiniLM()
    embedder.embed(texts[:4])  # warm-up: loads the ONNX session and the tokenizer
    load_before = load_average()
    started = time.perf_counter()
    cpu_started = time.process_time()
    for start in range(0, len(texts), batch_size):
        embedder.embed(texts[start : start + batch_size])
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "load_before": load_before,
    }


def time_ingest(store_dir: Path, warmup_texts: list[str]) -> dict[str, Any]:
    """Wall time of a full ingest into a new store (the Assistant's embedder warmed first)."""
    settings = load_settings(store_dir=store_dir, data_dir=DATA_DIR)
    assistant = Assistant(settings)
    embedder = assistant.library.embedder
    embedder.embed(warmup_texts)  # warm-up: model load excluded from the timing
    embedder.count_tokens(warmup_texts[0])  # and the token-counting tokenizer
    calls_before = getattr(embedder, "calls", 0)
    texts_before = getattr(embedder, "texts_embedded", 0)
    load_before = load_average()
    started = time.perf_counter()
    cpu_started = time.process_time()
    report = assistant.ingest(progress=False)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu_started,
        "load_before": load_before,
        "report_seconds": report.seconds,
        "papers": report.papers,
        "embedded": report.embedded,
        "chunks": report.chunks_embedded,
        "embed_calls": getattr(embedder, "calls", 0) - calls_before,
        "texts_embedded": getattr(embedder, "texts_embedded", 0) - texts_before,
        "problems": report.problems,
    }


def run_process(command: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall time of a subprocess run from the project directory, and its result."""
    started = time.perf_counter()
    result = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    if result.returncode != 0:  # a failed step fails the benchmark, never a figure
        failure = result.stderr.strip()[-2000:]
        raise SystemExit(f"bench_foundation.py: `{' '.join(command)}` exited {result.returncode}: {failure}")
    return time.perf_counter() - started, result


def bench_ingest(tmp: Path, repeats: int) -> tuple[dict[str, Any], Path]:
    """Part a: raw embedder vs full ingest, alternately. Returns the results and a filled store."""
    settings = load_settings(data_dir=DATA_DIR)
    log("importing chromadb and llama_index (untimed)")
    import chromadb  # noqa: F401
    import llama_index.core.node_parser  # noqa: F401

    log("building the chunk texts")
    started = time.perf_counter()
    texts = build_chunk_texts(settings, OnnxMiniLM())
    chunking_seconds = time.perf_counter() - started

    raw_runs: list[dict[str, float]] = []
    ingest_runs: list[dict[str, Any]] = []
    store_dir = tmp / "store-0"
    for i in range(repeats):
        log(f"raw embed run {i + 1}/{repeats}")
        raw_runs.append(time_raw_embed(texts, settings.embed_batch_size))
        store_dir = tmp / f"store-{i}"
        log(f"full ingest run {i + 1}/{repeats} into {store_dir}")
        ingest_runs.append(time_ingest(store_dir, texts[:4]))

    raw_seconds = [run["seconds"] for run in raw_runs]
    ingest_seconds = [run["seconds"] for run in ingest_runs]
    raw_cpu = [run["cpu_seconds"] for run in raw_runs]
    ingest_cpu = [run["cpu_seconds"] for run in ingest_runs]
    raw_median = statistics.median(raw_seconds)
    ingest_median = statistics.median(ingest_seconds)
    last = ingest_runs[-1]
    result = {
        "model_load": "excluded from both (warm-up embed of 4 texts before timing)",
        "repeats": repeats,
        "papers": last["papers"],
        "chunks": last["chunks"],
        "raw_texts": len(texts),
        "embed_batch_size": settings.embed_batch_size,
        "chunking_seconds": chunking_seconds,
        "raw_embed_seconds": raw_seconds,
        "ingest_seconds": ingest_seconds,
        "ingest_report_seconds": [run["report_seconds"] for run in ingest_runs],
        "raw_embed_cpu_seconds": raw_cpu,
        "ingest_cpu_seconds": ingest_cpu,
        "raw_embed_load_before": [run["load_before"] for run in raw_runs],
        "ingest_load_before": [run["load_before"] for run in ingest_runs],
        "raw_embed_median_seconds": raw_median,
        "ingest_median_seconds": ingest_median,
        "raw_embed_min_seconds": min(raw_seconds),
        "ingest_min_seconds": min(ingest_seconds),
        "raw_embed_median_cpu_seconds": statistics.median(raw_cpu),
        "ingest_median_cpu_seconds": statistics.median(ingest_cpu),
        "ingest_papers_per_second": last["papers"] / ingest_median,
        "ingest_chunks_per_second": last["chunks"] / ingest_median,
        "raw_texts_per_second": len(texts) / raw_median,
        "pipeline_overhead": ingest_median / raw_median - 1,
        "pipeline_overhead_min": min(ingest_seconds) / min(raw_seconds) - 1,
        "pipeline_overhead_cpu": statistics.median(ingest_cpu) / statistics.median(raw_cpu) - 1,
        "pipeline_embed_calls": last["embed_calls"],
        "pipeline_texts_embedded": last["texts_embedded"],
        "raw_embed_calls": -(-len(texts) // settings.embed_batch_size),
        "problems": last["problems"],
    }
    return result, store_dir


def bench_reingest(store_dir: Path, full_seconds: float) -> dict[str, Any]:
    """Part b: re-ingest of the unchanged corpus, in process and as a `rag ingest` process."""
    log("re-ingest in process")
    started = time.perf_counter()
    assistant = Assistant(load_settings(store_dir=store_dir, data_dir=DATA_DIR))
    report = assistant.ingest(progress=False)
    in_process = time.perf_counter() - started

    log("re-ingest as a subprocess")
    wall, result = run_process([*RAG, "--store", str(store_dir), "ingest"])
    lines = result.stdout.strip().splitlines()
    return {
        "in_process_seconds": in_process,
        "in_process_ratio": in_process / full_seconds,
        "in_process_embedded": report.embedded,
        "in_process_unchanged": report.unchanged,
        "subprocess_seconds": wall,
        "subprocess_ratio": wall / full_seconds,
        "subprocess_exit_code": result.returncode,
        "subprocess_summary": lines[-1] if lines else result.stderr.strip()[-300:],
    }


def bench_latency(store_dir: Path, questions: list[str]) -> dict[str, dict[str, float | None]]:
    """Part c: warm per-query latency of Assistant.search, per mode."""
    assistant = Assistant(load_settings(store_dir=store_dir, data_dir=DATA_DIR))
    results: dict[str, dict[str, float | None]] = {}
    for mode in MODES:
        log(f"warm search latency, mode {mode}")
        for question in questions[:WARMUP_QUERIES]:
            assistant.search(question, k=5, mode=mode)
        times = []
        for question in questions:
            started = time.perf_counter()
            assistant.search(question, k=5, mode=mode)
            times.append((time.perf_counter() - started) * 1000)
        results[mode] = {
            "n": len(times),
            "p50_ms": percentile(times, 50),
            "p95_ms": percentile(times, 95),
            "mean_ms": statistics.fmean(times),
        }
    # Reference: the query embedding alone, which every dense and hybrid search pays.
    times = []
    for question in questions:
        started = time.perf_counter()
        assistant.library.embedder.embed([question])
        times.append((time.perf_counter() - started) * 1000)
    results["embed query only"] = {
        "n": len(times),
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "mean_ms": statistics.fmean(times),
    }
    return results


def bench_cold(store_dir: Path, question: str) -> dict[str, Any]:
    """Part d: wall time of whole `rag search` processes, and of some imports for reference."""
    times = []
    exit_codes = []
    for i in range(COLD_SEARCH_RUNS):
        log(f"cold `rag search` run {i + 1}/{COLD_SEARCH_RUNS}")
        wall, result = run_process([*RAG, "--store", str(store_dir), "search", question, "-k", "5"])
        times.append(wall)
        exit_codes.append(result.returncode)
    imports = {}
    for label, code in [
        ("pass", "pass"),
        ("import llama_index.core", "import llama_index.core"),
        ("import chromadb", "import chromadb"),
    ]:
        log(f"reference: {label}")
        wall, _ = run_process([PYTHON, "-c", code])
        imports[label] = wall
    # Does a search process import llama_index at all? (It should not need to.)
    probe = (
        "import sys; from rag.cli import main; "
        f"main(['--store', {str(store_dir)!r}, 'search', 'diffusion', '-k', '1']); "
        "print('LLAMA', 'llama_index' in sys.modules)"
    )
    _, result = run_process([PYTHON, "-c", probe])
    return {
        "question": question,
        "runs_seconds": times,
        "median_seconds": statistics.median(times),
        "min_seconds": min(times),
        "exit_codes": exit_codes,
        "imports_seconds": imports,
        "search_imports_llama_index": "LLAMA True" in result.stdout,
    }


def print_tables(results: dict[str, Any], out: Any) -> None:
    """The readable report."""
    a = results["ingest"]
    rows = [
        ["raw embedder (OnnxMiniLM.embed)"]
        + [f"{x:.2f}" for x in a["raw_embed_seconds"]]
        + [
            f"{a['raw_embed_median_seconds']:.2f}",
            f"{a['raw_embed_min_seconds']:.2f}",
            f"{a['raw_embed_median_cpu_seconds']:.2f}",
            f"{a['raw_texts']}",
            f"{a['raw_texts_per_second']:.1f}",
            "",
        ],
        ["full ingest (Assistant.ingest)"]
        + [f"{x:.2f}" for x in a["ingest_seconds"]]
        + [
            f"{a['ingest_median_seconds']:.2f}",
            f"{a['ingest_min_seconds']:.2f}",
            f"{a['ingest_median_cpu_seconds']:.2f}",
            f"{a['chunks']}",
            f"{a['ingest_chunks_per_second']:.1f}",
            f"{a['ingest_papers_per_second']:.1f}",
        ],
    ]
    headers = ["what"]
    headers += [f"run {i + 1} s" for i in range(a["repeats"])]
    headers += ["median s", "min s", "median cpu s", "texts", "texts/s", "papers/s"]
    print(
        format_table("a. Full ingest of the bundled corpus (wall s; rates from the medians)", headers, rows),
        file=out,
    )
    loads = " ".join(
        f"raw {r:.1f} / ingest {i:.1f}"
        for r, i in zip(a["raw_embed_load_before"], a["ingest_load_before"], strict=True)
    )
    print(
        f"papers {a['papers']}, chunks {a['chunks']} (raw texts {a['raw_texts']}); "
        f"embed calls: pipeline {a['pipeline_embed_calls']}, raw {a['raw_embed_calls']} "
        f"(batch size {a['embed_batch_size']})\n"
        f"pipeline overhead = ingest / raw - 1: {a['pipeline_overhead'] * 100:+.1f}% (medians), "
        f"{a['pipeline_overhead_min'] * 100:+.1f}% (minimums), "
        f"{a['pipeline_overhead_cpu'] * 100:+.1f}% (process CPU time)\n"
        f"1-min load average before each run (2 cores; above 2 = other processes competing): {loads}\n"
        f"chunking alone (read + Chunker, not in the raw figure): {a['chunking_seconds']:.2f} s\n"
        f"model load: {a['model_load']}\n",
        file=out,
    )

    b = results["reingest"]
    rows = [
        [
            "in process (fresh Assistant)",
            f"{b['in_process_seconds']:.2f}",
            f"{b['in_process_ratio'] * 100:.1f}%",
            f"embedded {b['in_process_embedded']}, unchanged {b['in_process_unchanged']}",
        ],
        [
            "subprocess `rag --store TMP ingest`",
            f"{b['subprocess_seconds']:.2f}",
            f"{b['subprocess_ratio'] * 100:.1f}%",
            f"exit {b['subprocess_exit_code']}",
        ],
    ]
    headers = ["way", "wall s", "of full ingest", "result"]
    print(format_table("b. Re-ingest of the unchanged corpus", headers, rows), file=out)
    print(f"rag ingest said: {b['subprocess_summary']}\n", file=out)

    c = results["latency"]
    rows = [
        [mode, str(int(v["n"])), f"{v['p50_ms']:.1f}", f"{v['p95_ms']:.1f}", f"{v['mean_ms']:.1f}"]
        for mode, v in c.items()
    ]
    headers = ["mode", "queries", "p50 ms", "p95 ms", "mean ms"]
    print(format_table("c. Warm search latency (k=5, one Assistant)", headers, rows), file=out)

    d = results["cold"]
    rows = [
        [
            f"`rag search` x{len(d['runs_seconds'])}",
            f"{d['median_seconds']:.2f}",
            f"{d['min_seconds']:.2f}",
            " ".join(f"{s:.2f}" for s in d["runs_seconds"]),
        ]
    ]
    rows += [[f"python -c '{label}'", f"{s:.2f}", "", "(once)"] for label, s in d["imports_seconds"].items()]
    headers = ["process", "median s", "min s", "runs s"]
    print(format_table("d. Cold process wall time", headers, rows), file=out)
    print(
        f"exit codes {d['exit_codes']}; a search process imports llama_index: "
        f"{d['search_imports_llama_index']}\n",
        file=out,
    )

    rows = quality_rows("", results["retrieval"])
    headers = ["mode / kind", "n", "recall@5", "recall@1", "MRR@5"]
    print(format_table("e. Retrieval quality on answerable dev questions", headers, rows), file=out)
    if results["missing_gold_titles"]:
        print(f"gold titles not in the corpus: {results['missing_gold_titles']}\n", file=out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object (tables go to stderr)")
    parser.add_argument("--queries", type=int, default=50, help="dev questions timed per mode (default 50)")
    parser.add_argument(
        "--repeats", type=int, default=2, help="alternating raw-embed/ingest runs (default 2)"
    )
    args = parser.parse_args()

    questions = load_questions()
    gold_questions = answerable(questions)
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": load_settings(data_dir=DATA_DIR).model_dump(mode="json"),
        "missing_gold_titles": missing_gold_titles(gold_questions),
    }
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        results["ingest"], store_dir = bench_ingest(Path(tmp), args.repeats)
        results["store"] = str(store_dir)
        results["reingest"] = bench_reingest(store_dir, results["ingest"]["ingest_median_seconds"])
        timed = [q.question for q in questions[: args.queries]]
        results["latency"] = bench_latency(store_dir, timed)
        results["cold"] = bench_cold(store_dir, questions[0].question)
        log("retrieval quality")
        assistant = Assistant(load_settings(store_dir=store_dir, data_dir=DATA_DIR))
        results["retrieval"], _ = evaluate_retrieval(assistant, gold_questions, MODES)

    print_tables(results, sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
