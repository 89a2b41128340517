"""Import at scale: a synthetic arXiv snapshot of N lines ingested with the real embedder.

For each N (default 10,000 and 20,000): benchmarks/arxiv_snapshot.py writes the snapshot, then a
new process ingests it into a new embedded store (`Assistant.ingest`, as `rag ingest FILE` does;
imports and model load are done before the clock starts) and reports
  papers/s, chunks/s    papers and chunks stored over the ingest's wall time
  peak RSS              the process's maximum resident memory (getrusage), and its RSS after
                        startup, after reading, and at the end
  where the time goes   for each stage, the CPU seconds of the threads that called it (work it
                        hands to native threads, Chroma's or the tokenizer's, is not counted)
                        and its wall seconds summed over calls: parse (reading the file into
                        papers), chunk (sentence splitting, of which count tokens is the
                        tokenizer sizing chunks), tokenize (the model's input ids), model
                        (onnxruntime and pooling), write (Chroma upserts and deletes), keyword
                        index, lookup (the stored papers); and the ingest's wall and CPU seconds
`--read-only` reads the file without ingesting (memory of the reader and the papers it holds).
The arXiv reader is used when this checkout has it, else (or with --jsonl) the same papers as
plain JSON lines through the JSONL reader; the output says which.

Run: python benchmarks/import_scale.py [--lines 10000 20000] [--read-only] [--jsonl] [--keep DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    """This process's resident memory now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


def peak_rss_mb() -> float:
    """This process's peak resident memory so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Stages:
    """CPU and wall seconds spent in wrapped functions, per stage, summed over threads."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.wall: dict[str, float] = defaultdict(float)
        self.chunks_written = 0
        self._lock = threading.Lock()

    def wrap(self, owner: Any, name: str, stage: str) -> None:
        """Time every call of owner.name as the stage."""
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                with self._lock:
                    self.cpu[stage] += time.thread_time() - cpu
                    self.wall[stage] += time.perf_counter() - wall

        setattr(owner, name, timed)

    def timed(self, stage: str, call: Callable[..., Any], *args: Any) -> Any:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return call(*args)
        finally:
            with self._lock:
                self.cpu[stage] += time.thread_time() - cpu
                self.wall[stage] += time.perf_counter() - wall


class _TimedTokenizer:
    """The model's tokenizer with encode_batch timed as 'tokenize'."""

    def __init__(self, inner: Any, stages: Stages) -> None:
        self._inner = inner
        self._stages = stages

    def encode_batch(self, texts: list[str]) -> Any:
        return self._stages.timed("tokenize", self._inner.encode_batch, texts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def instrument(stages: Stages) -> None:
    """Wrap the functions of each stage of an ingest (this checkout's names)."""
    from rag.embeddings import OnnxMiniLM
    from rag.library import corpus, ingest
    from rag.library.store import Store

    stages.wrap(corpus, "read", "parse")
    stages.wrap(ingest.Chunker, "chunks", "chunk")
    stages.wrap(OnnxMiniLM, "count_tokens", "count tokens")
    stages.wrap(OnnxMiniLM, "_run", "model")
    stages.wrap(Store, "upsert", "write")
    stages.wrap(Store, "delete_chunks", "write")
    stages.wrap(Store, "papers", "lookup")
    stages.wrap(ingest, "build_keyword_index", "keyword index")
    upsert = Store.upsert

    def counted(self: Any, chunks: Any, embeddings: Any) -> None:
        upsert(self, chunks, embeddings)
        stages.chunks_written += len(chunks)

    Store.upsert = counted  # type: ignore[method-assign]


def child_ingest(path: Path) -> dict[str, Any]:
    """Ingest the file into a new store in this process, instrumented; the figures as a dict."""
    import chromadb  # noqa: F401
    from llama_index.core.node_parser import SentenceSplitter  # noqa: F401

    from rag.api import Assistant
    from rag.config import Settings
    from rag.embeddings import OnnxMiniLM

    stages = Stages()
    instrument(stages)
    embedder = OnnxMiniLM()
    embedder.embed(["warm up the model"])
    embedder._tokenizer = _TimedTokenizer(embedder._tokenizer, stages)  # type: ignore[assignment]
    memory = {"startup_mb": rss_mb()}
    from rag.library import corpus

    read = corpus.read

    def read_and_measure(*args: Any, **kwargs: Any) -> Any:
        papers = read(*args, **kwargs)
        memory["after_read_mb"] = rss_mb()
        return papers

    corpus.read = read_and_measure  # type: ignore[assignment]
    samples: list[tuple[float, int, float]] = []
    done = threading.Event()
    started = time.perf_counter()

    def sample() -> None:
        while not done.wait(2.0):
            samples.append((time.perf_counter() - started, stages.chunks_written, rss_mb()))
            if len(samples) % 30 == 0:
                print(f"[import_scale] {samples[-1]}", file=sys.stderr, flush=True)

    threading.Thread(target=sample, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(store_dir=Path(tmp) / "store")
        assistant = Assistant(settings, embedder=embedder, notify=lambda m: None)
        cpu = time.process_time()
        report = assistant.ingest([path], progress=False)
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
        done.set()
        memory["end_mb"] = rss_mb()
        memory["peak_mb"] = peak_rss_mb()
        store_mb = sum(f.stat().st_size for f in (Path(tmp) / "store").rglob("*") if f.is_file()) / 2**20
    return {
        "file": str(path),
        "formats": sorted({f.format for f in report.files}),
        "entries": report.entries,
        "papers": report.embedded,
        "chunks": report.chunks_embedded,
        "problems": report.problems[:3],
        "wall_s": wall,
        "cpu_s": cpu,
        "papers_per_s": report.embedded / wall,
        "chunks_per_s": report.chunks_embedded / wall,
        "stages_cpu_s": dict(stages.cpu),
        "stages_wall_s": dict(stages.wall),
        "memory_mb": memory,
        "rss_samples": samples[:: max(1, len(samples) // 20)],
        "store_mb": store_mb,
        "threads": embedder.threads,
    }


def child_read(path: Path) -> dict[str, Any]:
    """Read the file without ingesting: time and memory of the reader and the papers it holds."""
    from rag.library.corpus import read

    startup = rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    report = read([path])
    return {
        "file": str(path),
        "formats": sorted({f.format for f in report.files}),
        "entries": report.entries,
        "papers": len(report.papers),
        "wall_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu,
        "memory_mb": {"startup_mb": startup, "end_mb": rss_mb(), "peak_mb": peak_rss_mb()},
    }


def has_arxiv_reader() -> bool:
    """Whether this checkout reads the arXiv snapshot."""
    sys.path.insert(0, str(ROOT))
    try:
        from rag.library.formats import READERS  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return False
    return "arxiv" in READERS


def run_child(mode: str, path: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env["PYTHONPATH"] = str(ROOT)
    with tempfile.TemporaryDirectory() as cwd:
        result = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", mode, str(path)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,
        )
    if result.returncode != 0:
        raise SystemExit(f"benchmark failed on {path} (exit {result.returncode})")
    measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return measured


def describe(result: dict[str, Any]) -> str:
    memory = result["memory_mb"]
    text = (
        f"{result['entries']:,} entries ({', '.join(result['formats'])}), {result['papers']:,} papers"
        + (f", {result['chunks']:,} chunks" if "chunks" in result else "")
        + f": {result['wall_s']:.1f} s wall, {result['cpu_s']:.1f} s CPU"
    )
    if "papers_per_s" in result:
        text += f"; {result['papers_per_s']:.2f} papers/s, {result['chunks_per_s']:.2f} chunks/s"
    after_read = f", after reading {memory['after_read_mb']:.0f} MB" if "after_read_mb" in memory else ""
    text += (
        f"\n  RSS: startup {memory['startup_mb']:.0f} MB{after_read}, end {memory['end_mb']:.0f} MB, "
        f"peak {memory['peak_mb']:.0f} MB"
    )
    if "stages_cpu_s" in result:
        total = result["cpu_s"]
        for stage, seconds in sorted(result["stages_cpu_s"].items(), key=lambda kv: -kv[1]):
            wall = result["stages_wall_s"][stage]
            text += f"\n  {stage:14s} {seconds:8.1f} s CPU ({seconds / total:6.1%}), {wall:8.1f} s wall"
        text += f"\n  store on disk {result['store_mb']:.0f} MB; {result['threads']} embedding threads"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[10_000, 20_000])
    parser.add_argument("--read-only", action="store_true", help="read the file, do not ingest it")
    parser.add_argument("--jsonl", action="store_true", help="plain JSON lines through the JSONL reader")
    parser.add_argument("--keep", type=Path, help="write (or reuse) the snapshots in this directory")
    parser.add_argument("--json", action="store_true", help="one JSON object per size on stdout")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, path = args.child
        print(json.dumps(child_read(Path(path)) if mode == "read" else child_ingest(Path(path))))
        return 0
    sys.path.insert(0, str(HERE))
    import arxiv_snapshot

    jsonl = args.jsonl or not has_arxiv_reader()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for n in args.lines:
            name = f"arxiv-synthetic-{n}.jsonl" if jsonl else f"arxiv-metadata-oai-snapshot-{n}.json"
            path = folder / name
            if not path.exists():
                arxiv_snapshot.write(path, n, as_jsonl=jsonl)
            result = run_child("read" if args.read_only else "ingest", path)
            result["lines"], result["reader"] = n, "jsonl" if jsonl else "arxiv"
            result["file_mb"] = path.stat().st_size / 2**20
            if args.json:
                print(json.dumps(result), flush=True)
            else:
                print(
                    f"{n:,} lines, {result['file_mb']:.0f} MB, {result['reader']} reader: {describe(result)}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
