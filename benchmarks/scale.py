"""Scale: ingest, store size, search latency, cold search and memory for N synthetic papers.

The corpus is synthetic but made of real text: each paper is 6 to 10 sentences drawn from the
bundled abstracts, under a bundled title made unique. Every distinct bundled sentence is embedded
once with the real all-MiniLM-L6-v2 model; a chunk's vector is the normalized mean of its
sentences' vectors, so ingest measures chunking, the store and the keyword index rather than the
embedder (which runs at about 100 chunks/s on 2 cores: see bench_foundation.py). Searches use
the real embedder for the question, as a user's search does.

Measured, in one run: `ingest_s` (Assistant.ingest of the JSONL corpus), `store_mb` (the store
directory, or the server's data directory), `search_ms` {dense, keyword, hybrid}: {p50, p95}
over the dev questions in a warm process, `cold_search_s` (median of 3 new `rag search`
processes, each opening the store and loading the keyword index), `peak_rss_mb` (the largest
resident memory of this process, which ingests and searches, and of the search processes).
`--server` runs the same against a `chroma run` server on 127.0.0.1 (its data in a temp dir):
the keyword index is then built from the server's documents and cached locally.

Any failed step (a non-zero exit, no search result) stops the benchmark with its error.

Run: .venv/bin/python benchmarks/scale.py --papers 10000 [--server] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
from cold_search import cold_search_seconds

from rag.api import Assistant
from rag.citations import split_sentences
from rag.config import Settings
from rag.embeddings import OnnxMiniLM
from rag.evaluate import load_questions
from rag.library.corpus import read

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


class SentenceVectors(OnnxMiniLM):
    """The real tokenizer and model name, with vectors averaged from precomputed sentence vectors."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.vectors = vectors

    def embed(self, texts: list[str]) -> np.ndarray:  # type: ignore[override]
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            found = [self.vectors[s] for s in split_sentences(text) if s in self.vectors]
            mean = np.mean(found, axis=0) if found else np.ones(self.dimension, dtype=np.float32)
            out[row] = mean / np.linalg.norm(mean)
        return out


def fail(step: str, detail: str) -> None:
    raise SystemExit(f"scale.py: {step} failed: {detail.strip()[-2000:]}")


def synthetic_corpus(path: Path, papers: int, seed: int) -> dict[str, np.ndarray]:
    """Write N synthetic papers as JSONL; return the vectors of the sentences they are made of."""
    bundled = read([ROOT / "data"]).papers
    sentences = sorted({s for p in bundled for s in split_sentences(p.abstract) if len(s.split()) >= 5})
    embedder = OnnxMiniLM()
    vectors = embedder.embed(sentences)
    rng = random.Random(seed)
    titles = [p.title for p in bundled]
    with path.open("w", encoding="utf-8") as f:
        for i in range(papers):
            abstract = " ".join(rng.sample(sentences, rng.randint(6, 10)))
            record = {"id": f"syn-{i}", "title": f"{rng.choice(titles)} (variant {i})", "abstract": abstract}
            f.write(json.dumps(record) + "\n")
    return dict(zip(sentences, vectors, strict=True))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A real `chroma run` on 127.0.0.1, once its heartbeat answers."""
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    if not chroma.exists():
        fail("starting chroma", f"no {chroma}")
    server = subprocess.Popen(
        [str(chroma), "run", "--path", str(data), "--port", str(port)],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2)
            return server, url
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                fail("starting chroma", log.read_text())
            time.sleep(0.3)


def directory_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=10000)
    parser.add_argument("--server", action="store_true", help="against a `chroma run` server")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the embedded store: move it to DIR")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rag-scale-") as tmp_name:
        tmp = Path(tmp_name)
        corpus = tmp / "papers.jsonl"
        vectors = synthetic_corpus(corpus, args.papers, args.seed)
        server = None
        store_dir = tmp / "store"
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
        settings: dict[str, Any] = {"store_dir": store_dir}
        if args.server:
            server, url = start_server(tmp / "server-data", tmp / "server.log")
            settings["chroma_url"] = url
            env["RAG_CHROMA_URL"] = url
        try:
            started = time.perf_counter()
            report = Assistant(
                Settings(**settings), embedder=SentenceVectors(vectors), notify=lambda m: None
            ).ingest([corpus], progress=False)
            ingest_s = time.perf_counter() - started
            if report.embedded != args.papers:
                fail("ingest", f"{report.embedded} of {args.papers} papers embedded: {report.problems[:3]}")

            questions, _ = load_questions(HERE / "dev_questions.jsonl")
            queries = [q.question for q in questions[: args.queries]]
            assistant = Assistant(Settings(**settings), notify=lambda m: None)
            search_ms: dict[str, dict[str, float]] = {}
            for mode in ("dense", "keyword", "hybrid"):
                for q in queries[:3]:
                    assistant.search(q, mode=mode)  # warm-up
                times = []
                for q in queries:
                    begin = time.perf_counter()
                    hits = assistant.search(q, mode=mode)
                    times.append((time.perf_counter() - begin) * 1000)
                    if not hits and mode != "keyword":
                        fail(f"{mode} search", f"no result for {q!r}")
                search_ms[mode] = percentiles(times)

            cold = [cold_search_seconds(q, store_dir, env) for q in queries[:3]]
            store_mb = directory_mb(tmp / "server-data" if args.server else store_dir)
            # this process (ingest, warm searches) and the search processes; not the server's
            peak_kb = max(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            )
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
        result_line = {
            "papers": args.papers,
            "mode": "server" if args.server else "embedded",
            "chunks": report.chunks_embedded,
            "ingest_s": round(ingest_s, 1),
            "store_mb": round(store_mb, 1),
            "search_ms": search_ms,
            "cold_search_s": round(statistics.median(cold), 2),
            "peak_rss_mb": round(peak_kb / 1024),
            "keyword_index_mb": round(
                sum(p.stat().st_size for p in store_dir.glob("keyword-*.npz")) / 2**20, 1
            ),
        }
        if args.keep and not args.server:
            shutil.move(store_dir, args.keep)
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(result_line))
    else:
        for key, value in result_line.items():
            print(f"{key:18} {value}")


if __name__ == "__main__":
    main()
