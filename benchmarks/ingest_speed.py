"""Ingest of the bundled corpus, this checkout against an earlier commit, and against the bare embedder.

Each run is a new process with PYTHONPATH at one checkout (this one, or `git archive REV` unpacked
in a temporary directory), which imports everything, loads its embedder and warms up an ingest
(a record of a few chunks into a store of its own, so that what an ingest imports and loads on first
use, Chroma's Rust bindings and the sentence splitter's model among it, is not timed; `--cold`
leaves that out), all untimed, then times:
  ingest   `Assistant.ingest(data/)` into a new store (read, chunk, embed, write, keyword index)
  bare     a new embedder of the same checkout (warmed up) embedding exactly the texts ingest embeds,
           in calls of embed_batch_size texts as ingest makes them ("bare"), and in one call
           holding all of them ("bare1")
`--first` times each on its first use instead, in a process of its own: the ingest with a new
embedder, no warm-up and nothing it imports on first use imported (its model loads in the time, as
do nltk and Chroma's Rust bindings), the bare embedder with its model loading in the time too.
Wall and CPU seconds of each. The checkouts are interleaved, their order alternating run by run,
and the bare embedder goes first in every other run; medians are reported, with the speed-up of
papers per second and the ingest's time over the bare embedder's. `--stages` adds, for this
checkout, one run of each stage on its own (read, chunk, embed, upsert, keyword index).

Run: python benchmarks/ingest_speed.py [--before REV] [--runs 3] [--cold | --first] [--stages] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT / "data"


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> dict[str, float]:
    return {"wall": time.perf_counter() - start[0], "cpu": time.process_time() - start[1]}


def chunk_texts(embedder: Any) -> list[str]:
    """The texts ingest embeds for the bundled corpus, in its order, made by the checkout's code."""
    from rag.config import Settings
    from rag.library.corpus import read
    from rag.library.ingest import Chunker, embedding_text

    settings = Settings()
    chunker = Chunker(embedder, settings.chunk_size, settings.chunk_overlap)
    return [
        embedding_text(str(c.metadata["title"]), c.text)
        for paper in read([DATA]).papers
        for c in chunker.chunks(paper)
    ]


def child(steps: list[str], warm_up: bool, first_use: bool = False) -> dict[str, Any]:
    """One measurement in this process (run with PYTHONPATH at the checkout measured): the steps
    ("bare", "ingest") in that order; first_use: the embedder's model is not loaded before either."""
    import chromadb  # noqa: F401  (imports are not what is measured)
    from llama_index.core.node_parser import SentenceSplitter  # noqa: F401

    from rag.api import Assistant
    from rag.config import Settings
    from rag.embeddings import OnnxMiniLM

    batch = Settings().embed_batch_size
    result: dict[str, Any] = {}

    def ingest() -> None:
        embedder = OnnxMiniLM()
        if not first_use:
            embedder.embed(["warm up the model"])
        with tempfile.TemporaryDirectory() as tmp:
            if warm_up:  # what an ingest imports and loads on first use, into a store of its own
                warm_up_file = Path(tmp) / "warm-up.jsonl"
                sentences = " ".join(f"Sentence {n} of the warm-up says little." for n in range(60))
                record = {"id": "w", "title": "Warm up", "abstract": sentences}
                warm_up_file.write_text(json.dumps(record) + "\n")
                Assistant(
                    Settings(store_dir=Path(tmp) / "warm-up"), embedder=embedder, notify=lambda m: None
                ).ingest([warm_up_file], progress=False)
            assistant = Assistant(
                Settings(store_dir=Path(tmp) / "store"), embedder=embedder, notify=lambda m: None
            )
            start = _clock()
            report = assistant.ingest([DATA], progress=False)
            result["ingest"] = _since(start)
        result["papers"], result["chunks"] = report.embedded, report.chunks_embedded

    def bare() -> None:
        embedder = OnnxMiniLM()
        if not first_use:
            embedder.embed(["warm up the model"])
        texts = chunk_texts(embedder)  # counting tokens does not load the model
        start = _clock()
        for at in range(0, len(texts), batch):
            embedder.embed(texts[at : at + batch])
        result["bare"] = _since(start)
        start = _clock()
        embedder.embed(texts)
        result["bare1"] = _since(start)
        result["texts"] = len(texts)

    for step in steps:
        {"bare": bare, "ingest": ingest}[step]()
    result["load"] = os.getloadavg()[0]
    return result


def stages() -> dict[str, dict[str, float]]:
    """Each stage of an ingest of the bundled corpus on its own, with this checkout's code."""
    from rag.config import Settings
    from rag.embeddings import OnnxMiniLM
    from rag.library.corpus import read
    from rag.library.ingest import Chunker, build_keyword_index, embedding_text
    from rag.library.store import Store

    settings = Settings()
    embedder = OnnxMiniLM()
    embedder.embed(["warm up the model"])
    embedder.count_tokens("warm up the tokenizer")
    out: dict[str, dict[str, float]] = {}
    start = _clock()
    papers = read([DATA]).papers
    out["read"] = _since(start)
    chunker = Chunker(embedder, settings.chunk_size, settings.chunk_overlap)
    start = _clock()
    chunks = [c for p in papers for c in chunker.chunks(p)]
    out["chunk"] = _since(start)
    texts = [embedding_text(str(c.metadata["title"]), c.text) for c in chunks]
    tokenizer = embedder._tokenizer
    assert tokenizer is not None
    start = _clock()
    tokenizer.encode_batch(texts)
    out["tokenize"] = _since(start)
    size = settings.embed_batch_size
    start = _clock()
    vectors = [embedder.embed(texts[at : at + size]) for at in range(0, len(texts), size)]
    out["embed"] = _since(start)
    with tempfile.TemporaryDirectory() as tmp:
        spec = {
            "embedder": embedder.name,
            "dimension": embedder.dimension,
            "chunk_size": 200,
            "chunk_overlap": 30,
        }
        store = Store.open(path=tmp, url=None, name="papers", spec=spec)
        start = _clock()
        for at, block in zip(range(0, len(chunks), size), vectors, strict=True):
            store.upsert(chunks[at : at + size], block)
        out["upsert"] = _since(start)
        start = _clock()
        build_keyword_index(store, Path(tmp) / "keyword.npz", store.bump_revision())
        out["keyword index"] = _since(start)
    return out


def run_child(checkout: Path, bare_first: bool, warm_up: bool, first_use: bool = False) -> dict[str, Any]:
    """One measurement in a new process importing the checkout's package (first_use: each step
    in a process of its own)."""
    steps = ["bare", "ingest"] if bare_first else ["ingest", "bare"]
    if first_use:
        return {k: v for step in steps for k, v in _child_process(checkout, [step], "--first").items()}
    return _child_process(checkout, steps, *([] if warm_up else ["--cold"]))


def _child_process(checkout: Path, steps: list[str], *flags: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env["PYTHONPATH"] = str(checkout)
    with tempfile.TemporaryDirectory() as cwd:  # no rag.toml of ours
        result = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", ",".join(steps), *flags],
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
        )
    if result.returncode != 0:
        raise SystemExit(f"benchmark failed in {checkout}: {result.stderr.strip()[-2000:]}")
    measured: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return measured


def summary(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Medians over runs: wall and CPU seconds, papers per second, ingest over bare."""
    median = statistics.median
    return {
        "papers": runs[0]["papers"],
        "chunks": runs[0]["chunks"],
        "ingest_s": median(r["ingest"]["wall"] for r in runs),
        "ingest_cpu_s": median(r["ingest"]["cpu"] for r in runs),
        "bare_s": median(r["bare"]["wall"] for r in runs),
        "bare1_s": median(r["bare1"]["wall"] for r in runs),
        "bare_cpu_s": median(r["bare"]["cpu"] for r in runs),
        "papers_per_s": median(r["papers"] / r["ingest"]["wall"] for r in runs),
        "ingest_over_bare": median(r["ingest"]["wall"] / r["bare"]["wall"] for r in runs),
        "ingest_over_bare1": median(r["ingest"]["wall"] / r["bare1"]["wall"] for r in runs),
        "load": median(r["load"] for r in runs),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="an earlier commit to run side by side")
    parser.add_argument("--runs", type=int, default=3, help="runs per checkout (default 3)")
    parser.add_argument("--stages", action="store_true", help="also time each stage on its own")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument(
        "--cold", action="store_true", help="no warm-up ingest: time the first use's imports too"
    )
    parser.add_argument(
        "--first",
        action="store_true",
        help="each in a process of its own, its model loading in the time: the first use of both",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measured = (
            stages()
            if args.child == "stages"
            else child(args.child.split(","), warm_up=not (args.cold or args.first), first_use=args.first)
        )
        print(json.dumps(measured))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        checkouts = {"after": ROOT}
        if args.before:
            before = Path(tmp) / "before"
            before.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.before], capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", str(before)], input=archive.stdout, check=True)
            checkouts = {"before": before, "after": ROOT}
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in checkouts}
        for n in range(args.runs):
            for name in list(checkouts) if n % 2 == 0 else list(checkouts)[::-1]:
                runs[name].append(
                    run_child(checkouts[name], n % 2 == 1, warm_up=not args.cold, first_use=args.first)
                )
                print(
                    f"[ingest_speed] run {n + 1} {name}: {json.dumps(runs[name][-1])}",
                    file=sys.stderr,
                    flush=True,
                )
    out: dict[str, Any] = {name: summary(r) for name, r in runs.items()}
    out["runs"] = runs
    if "before" in out:
        out["speedup"] = out["after"]["papers_per_s"] / out["before"]["papers_per_s"]
    if args.stages:
        out["stages"] = json.loads(
            subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--child", "stages"],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            ).stdout
        )
    if args.json:
        print(json.dumps(out))
        return 0
    for name in checkouts:
        s = out[name]
        print(
            f"{name}: ingest {s['ingest_s']:.2f} s ({s['papers_per_s']:.2f} papers/s, {s['papers']} papers, "
            f"{s['chunks']} chunks, CPU {s['ingest_cpu_s']:.1f} s); bare embedder {s['bare_s']:.2f} s "
            f"(one call {s['bare1_s']:.2f} s, CPU {s['bare_cpu_s']:.1f} s); "
            f"ingest / bare {s['ingest_over_bare']:.3f}, / one call {s['ingest_over_bare1']:.3f}; "
            f"load {s['load']:.1f}"
        )
    if "speedup" in out:
        print(f"papers per second, after / before: {out['speedup']:.2f}x")
    for stage, t in out.get("stages", {}).items():
        print(f"  {stage:14s} {t['wall']:7.2f} s wall  {t['cpu']:7.2f} s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
