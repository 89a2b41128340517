"""Side-by-side performance: this project ("ours") against a plain llama-index + Chroma pipeline ("peer").

Both run in ONE invocation on the bundled corpus (data/, 364 papers) and benchmarks/dev_questions.jsonl,
with the same embedding model (all-MiniLM-L6-v2 int8 on onnxruntime, rag.embeddings.OnnxMiniLM) and
the same chunk size and overlap (Settings.chunk_size / chunk_overlap, in that model's WordPiece tokens).

ours (rag.api.Assistant on a fresh temporary store):
  - ingest: Assistant.ingest of the bundled corpus, wall time and papers/s, against the raw embedder on
    exactly the same chunk texts (bench_foundation.bench_ingest, one raw run then one ingest; model load
    and the chromadb / llama_index imports excluded from both);
  - warm search: Assistant.search (hybrid, k=5) over the first N dev questions, p50/p95, after 3 warm-up
    queries; warm answer: Assistant.ask(question, llm="extractive"), p50/p95 of the wall time per call;
  - cold start: wall time of one `rag --store DIR search "Q" -k 5` process and of one
    `rag --store DIR ask --llm extractive "Q"` process on the filled store, 3 runs each, median;
  - peak memory: ru_maxrss of this process after ours' warm runs (it also covers the raw-embedder run
    and the ingest), and of each cold process (run under /usr/bin/time, which reports its own child);
  - recall@5 (and recall@1, MRR@5) of the gold papers on the answerable dev questions, hybrid
    (bench_foundation.evaluate_retrieval).

peer (llama-index 0.14 + llama-index-vector-stores-chroma, the `bench` extra):
  - one Document per paper (rag.library.ingest.embedding_text(title, abstract): "Title. Abstract", read by
    rag.library.corpus.read like ours), the paper's normalized title in its metadata (kept out of the embedded
    and LLM text); SentenceSplitter(chunk_size, chunk_overlap, tokenizer=embedder.count_tokens);
    VectorStoreIndex over a ChromaVectorStore on a chromadb.PersistentClient in its own temporary
    directory (default collection settings, L2 distance: on unit vectors it ranks as cosine does);
    the embedder is OnnxMiniLM wrapped as a llama_index BaseEmbedding (embed batch size as ours);
  - ingest: reading the corpus + VectorStoreIndex.from_documents, wall time and papers/s (model load
    excluded: the wrapped embedder is warmed first);
  - search: index.as_retriever(similarity_top_k=20), then the first 5 distinct papers (by normalized
    title), p50/p95; answer: CitationQueryEngine over the same retriever, keeping the nodes of those 5
    papers (a node postprocessor), p50/p95 of query() per call;
  - cold start: a `python benchmarks/perf.py --peer-cold-start DIR Q` process that opens the persisted
    collection, builds VectorStoreIndex.from_vector_store and retrieves the 5 papers for one question
    (it imports chromadb, llama_index and rag.embeddings only), 3 runs, median, with its peak memory;
  - recall@5 (recall@1, MRR@5) on the same questions, scored by the same code.

CAVEAT, the peer's LLM: CitationQueryEngine needs an LLM and nothing here may use the network, so the
peer runs with llama_index.core.llms.MockLLM, which returns the prompt it is given without generating.
The peer's answer latency therefore measures its pipeline without generation (retrieval, citation
chunking, prompt packing), as our extractive mode answers without an LLM; the two answer texts are not
comparable, only the time. Ours also embeds the top papers' sentences and checks support; ours may refuse
(a low-confidence question stops after retrieval), the peer never does; refusals are counted.

This process runs both pipelines, ours first: the peer's in-process peak memory is that of the whole
process so far (it includes ours); the cold processes give the clean per-pipeline memory comparison.
The cold runs alternate (ours search, ours ask, peer) to spread the load of other work on the machine.

Run (from /work/main; the machine has 2 cores, so run it once, not in a loop):

    .venv/bin/pip install -e '.[bench]'      # once: llama-index-vector-stores-chroma
    .venv/bin/python benchmarks/perf.py [--json] [--queries 50]

A table goes to stdout; with --json the table goes to stderr and stdout gets exactly one JSON object
{"ours": {...}, "peer": {...}, "ratios": {"recall@5", "search_p50", "cold_start"}}, each ratio ours / peer
(cold_start: ours' `rag search` process median over the peer's cold process median).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Only what the peer's cold process needs is imported at module level: that process runs this file,
# and must not pay for importing the ours-side modules (bench_foundation, rag.api), which are imported
# inside the functions that use them.
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle

from rag.embeddings import OnnxMiniLM
from rag.evaluate import Question
from rag.library.corpus import normalize_title

if TYPE_CHECKING:
    from llama_index.core.indices.vector_store import VectorStoreIndex
    from llama_index.core.retrievers import BaseRetriever

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"
# The project as run by the interpreter running this script (not a .venv that may not exist).
RAG = [sys.executable, "-m", "rag"]
PYTHON = sys.executable
TIME_BIN = "/usr/bin/time"  # GNU time: the peak memory of a cold process (see run_measured)
K = 5  # papers per search, as `rag search` and Assistant.ask default to
PEER_NODES = 20  # nodes the peer retrieves to find K distinct papers
COLD_RUNS = 3
PEER_COLLECTION = "papers"
TITLE_KEY = "title_norm"  # the peer's metadata key holding the paper's normalized title
MOCK_LLM_NOTE = (
    "peer answers use llama_index MockLLM (no generation, no network): its answer latency is its "
    "pipeline without an LLM, like our extractive mode"
)


def log(message: str) -> None:
    """Progress messages, always on stderr."""
    print(f"[perf] {message}", file=sys.stderr, flush=True)


# The peer pipeline (llama-index + Chroma). ----------------------------------------------------------


class MiniLMEmbedding(BaseEmbedding):
    """rag.embeddings.OnnxMiniLM as a llama-index embedding model; counts the time spent embedding."""

    _embedder: OnnxMiniLM = PrivateAttr()
    _seconds: float = PrivateAttr(default=0.0)

    def __init__(self, embedder: OnnxMiniLM, *, embed_batch_size: int = 32) -> None:
        super().__init__(model_name=OnnxMiniLM.name, embed_batch_size=embed_batch_size)
        self._embedder = embedder

    @classmethod
    def class_name(cls) -> str:
        return "MiniLMEmbedding"

    @property
    def embedder(self) -> OnnxMiniLM:
        return self._embedder

    @property
    def seconds(self) -> float:
        """Wall time spent inside OnnxMiniLM.embed so far."""
        return self._seconds

    def _embed(self, texts: list[str]) -> list[list[float]]:
        started = time.perf_counter()
        vectors = self._embedder.embed(texts)
        self._seconds += time.perf_counter() - started
        rows: list[list[float]] = vectors.tolist()
        return rows

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts)


def chroma_client(path: Path) -> Any:
    """A persistent Chroma client in a directory, telemetry off (nothing goes to the network)."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


def open_peer_index(store_dir: Path, embed_model: MiniLMEmbedding) -> VectorStoreIndex:
    """The peer's VectorStoreIndex over the collection persisted in store_dir."""
    from llama_index.core import VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    collection = chroma_client(store_dir).get_collection(PEER_COLLECTION, embedding_function=None)
    vector_store = ChromaVectorStore(chroma_collection=collection)
    return VectorStoreIndex.from_vector_store(vector_store, embed_model=embed_model)


def distinct_papers(nodes: Sequence[NodeWithScore], k: int = K) -> list[NodeWithScore]:
    """The nodes of the first k distinct papers (by normalized title), in retrieval order."""
    kept: list[NodeWithScore] = []
    papers: list[str] = []
    for node in nodes:
        title = str(node.node.metadata.get(TITLE_KEY, ""))
        if title not in papers:
            if len(papers) == k:
                continue
            papers.append(title)
        kept.append(node)
    return kept


def paper_titles(nodes: Sequence[NodeWithScore], k: int = K) -> list[str]:
    """The normalized titles of the first k distinct papers among retrieved nodes."""
    titles = dict.fromkeys(str(node.node.metadata.get(TITLE_KEY, "")) for node in nodes)
    return list(titles)[:k]


class FirstPapers(BaseNodePostprocessor):
    """Keeps the nodes of the first K distinct papers: the peer's answers see its search's papers."""

    @classmethod
    def class_name(cls) -> str:
        return "FirstPapers"

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        return distinct_papers(nodes)


def peer_search(retriever: BaseRetriever, question: str) -> list[str]:
    """The peer's top K papers for a question: retrieve PEER_NODES nodes, group to papers."""
    return paper_titles(retriever.retrieve(question))


def peer_cold_start(store_dir: Path, question: str) -> int:
    """The peer's cold process: open the persisted collection, build the index, retrieve once."""
    if not (store_dir / "chroma.sqlite3").is_file():
        print(f"no Chroma store in {store_dir}", file=sys.stderr)
        return 1
    index = open_peer_index(store_dir, MiniLMEmbedding(OnnxMiniLM()))
    titles = peer_search(index.as_retriever(similarity_top_k=PEER_NODES), question)
    print(json.dumps(titles))
    return 0 if titles else 1


# Measuring helpers. ---------------------------------------------------------------------------------


@dataclass
class ProcessRun:
    """One child process: wall time, exit code, its own peak resident memory, and what it printed."""

    seconds: float
    exit_code: int
    max_rss_mb: float | None
    stdout: str
    stderr: str


def run_measured(command: list[str]) -> ProcessRun:
    """Run a command from the project directory under /usr/bin/time, which reports its peak memory.

    Not RUSAGE_CHILDREN or os.wait4 from here: Linux carries the high-water mark of the address space
    a child was forked from (this process, large after the warm runs) into the child's ru_maxrss. The
    process /usr/bin/time starts is forked from /usr/bin/time, so its figure is its own.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        started = time.perf_counter()
        result = subprocess.run(
            [TIME_BIN, "-f", "%M", "-o", rss.name, *command],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        kib = rss.read().strip().splitlines()
    if result.returncode != 0:  # a failed step fails the benchmark, never a figure
        raise SystemExit(
            f"perf.py: `{' '.join(command)}` exited {result.returncode}: {result.stderr.strip()[-2000:]}"
        )
    return ProcessRun(
        seconds=seconds,
        exit_code=result.returncode,
        max_rss_mb=int(kib[-1]) / 1024 if kib and kib[-1].isdigit() else None,
        stdout=result.stdout,
        stderr=result.stderr,
    )


def cold_summary(runs: list[ProcessRun]) -> dict[str, Any]:
    """Median and individual wall times, peak memory and exit codes of repeated cold processes."""
    failed = next((r for r in runs if r.exit_code != 0), None)
    return {
        "runs_s": [r.seconds for r in runs],
        "median_s": statistics.median(r.seconds for r in runs),
        "max_rss_mb": max((r.max_rss_mb for r in runs if r.max_rss_mb is not None), default=None),
        "exit_codes": [r.exit_code for r in runs],
        "error": failed.stderr.strip()[-500:] if failed else None,
    }


def process_max_rss_mb() -> float:
    """The peak resident memory of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_calls(
    call: Callable[[str], Any], questions: list[str], warmup: int
) -> tuple[dict[str, float | None], list[Any]]:
    """Wall time per call over the questions (after `warmup` untimed calls): p50/p95/mean in ms."""
    from rag.evaluate import percentile

    for question in questions[:warmup]:
        call(question)
    times: list[float] = []
    results: list[Any] = []
    for question in questions:
        started = time.perf_counter()
        results.append(call(question))
        times.append((time.perf_counter() - started) * 1000)
    summary = {
        "n": len(times),
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "mean_ms": statistics.fmean(times),
    }
    return summary, results


def retrieval_scores(rankings: list[tuple[Question, list[str]]]) -> dict[str, float]:
    """Mean recall@5, recall@1 and MRR@5 over (question, top titles) pairs, as bench_foundation scores."""
    from bench_foundation import question_scores

    scores = [question_scores(titles, question.gold_titles or []) for question, titles in rankings]
    return {
        "n": len(scores),
        "recall@5": statistics.fmean(s["recall@5"] for s in scores),
        "recall@1": statistics.fmean(s["recall@1"] for s in scores),
        "mrr@5": statistics.fmean(s["mrr"] for s in scores),
    }


# Ours. ----------------------------------------------------------------------------------------------


def bench_ours(tmp: Path, timed: list[str], gold_questions: list[Question]) -> tuple[dict[str, Any], Path]:
    """Ingest vs the raw embedder, warm search and answer latency, memory, recall. Returns the store."""
    from bench_foundation import WARMUP_QUERIES, bench_ingest, evaluate_retrieval

    from rag.api import Assistant
    from rag.config import load_settings

    ingest, store_dir = bench_ingest(tmp / "ours", repeats=1)
    assistant = Assistant(load_settings(store_dir=store_dir, data_dir=DATA_DIR))

    log(f"ours: warm search latency (hybrid, {len(timed)} questions)")
    search, _ = time_calls(lambda q: assistant.search(q, k=K, mode="hybrid"), timed, WARMUP_QUERIES)
    log(f"ours: warm answer latency (extractive, {len(timed)} questions)")
    answer_times, answers = time_calls(
        lambda q: assistant.ask(q, k=K, llm="extractive"), timed, WARMUP_QUERIES
    )
    answer: dict[str, Any] = dict(answer_times)
    answer["refused"] = sum(1 for a in answers if a.refused)
    stages = sorted({stage for a in answers for stage in a.timings})
    answer["stages_p50_ms"] = {
        stage: statistics.median(a.timings[stage] for a in answers if stage in a.timings) for stage in stages
    }
    memory = process_max_rss_mb()

    log("ours: recall (hybrid)")
    retrieval, _ = evaluate_retrieval(assistant, gold_questions, ["hybrid"])
    hybrid = retrieval["hybrid"]["all"]
    result = {
        "ingest": {
            "papers": ingest["papers"],
            "chunks": ingest["chunks"],
            "seconds": ingest["ingest_median_seconds"],
            "papers_per_s": ingest["ingest_papers_per_second"],
            "raw_embed_seconds": ingest["raw_embed_median_seconds"],
            "raw_embed_texts": ingest["raw_texts"],
            "raw_embed_texts_per_s": ingest["raw_texts_per_second"],
            "pipeline_overhead": ingest["pipeline_overhead"],
            "load_before": ingest["ingest_load_before"][0],
            "problems": ingest["problems"],
        },
        "search_ms": search,
        "answer_ms": answer,
        "memory_mb": {"process_peak_after_warm_runs": memory},
        "retrieval": {
            "n": hybrid["n"],
            "recall@5": hybrid["recall@5"],
            "recall@1": hybrid["recall@1"],
            "mrr@5": hybrid["mrr"],
        },
    }
    return result, store_dir


# Peer. ----------------------------------------------------------------------------------------------


def build_peer(store_dir: Path, embed_model: MiniLMEmbedding) -> tuple[VectorStoreIndex, dict[str, Any]]:
    """Read the corpus and build the peer's VectorStoreIndex on a new Chroma collection (timed)."""
    from bench_foundation import load_average
    from llama_index.core import Document, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from rag.config import load_settings
    from rag.library.corpus import read
    from rag.library.ingest import embedding_text

    settings = load_settings(data_dir=DATA_DIR)
    splitter = SentenceSplitter(
        chunk_size=settings.chunk_size,
        # ours caps the overlap at half a chunk (rag.library.ingest.Chunker); the same here, so chunks match
        chunk_overlap=min(settings.chunk_overlap, settings.chunk_size // 2),
        tokenizer=embed_model.embedder.count_tokens,
    )
    load_before = load_average()
    embed_before = embed_model.seconds
    started = time.perf_counter()
    papers = read([DATA_DIR]).papers
    documents = [
        Document(
            text=embedding_text(paper.title, paper.abstract),
            id_=paper.paper_id,
            metadata={TITLE_KEY: normalize_title(paper.title)},
            excluded_embed_metadata_keys=[TITLE_KEY],
            excluded_llm_metadata_keys=[TITLE_KEY],
        )
        for paper in papers
    ]
    collection = chroma_client(store_dir).get_or_create_collection(PEER_COLLECTION, embedding_function=None)
    storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
    index = VectorStoreIndex.from_documents(
        documents, storage_context=storage, embed_model=embed_model, transformations=[splitter]
    )
    seconds = time.perf_counter() - started
    return index, {
        "papers": len(papers),
        "chunks": collection.count(),
        "seconds": seconds,
        "papers_per_s": len(papers) / seconds,
        "embed_seconds": embed_model.seconds - embed_before,
        "load_before": load_before,
    }


def bench_peer(
    tmp: Path, timed: list[str], gold_questions: list[Question], batch_size: int
) -> tuple[dict[str, Any], Path]:
    """The peer's ingest, warm search and answer latency, memory and recall. Returns its store."""
    from bench_foundation import WARMUP_QUERIES
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core.llms import MockLLM
    from llama_index.core.query_engine import CitationQueryEngine

    embed_model = MiniLMEmbedding(OnnxMiniLM(), embed_batch_size=batch_size)
    embed_model.get_text_embedding_batch(["warm-up", "model load is not timed"])
    embed_model.embedder.count_tokens("warm-up")
    # Nothing may reach for a default (OpenAI) model: make the global defaults local too.
    LlamaSettings.embed_model = embed_model
    LlamaSettings.llm = MockLLM()

    store_dir = tmp / "peer"
    log(f"peer: ingest into {store_dir}")
    index, ingest = build_peer(store_dir, embed_model)
    retriever = index.as_retriever(similarity_top_k=PEER_NODES)
    engine = CitationQueryEngine.from_args(
        index, llm=MockLLM(), retriever=retriever, node_postprocessors=[FirstPapers()]
    )

    log(f"peer: warm search latency ({len(timed)} questions)")
    search, _ = time_calls(lambda q: peer_search(retriever, q), timed, WARMUP_QUERIES)
    log(f"peer: warm answer latency (CitationQueryEngine + MockLLM, {len(timed)} questions)")
    answer, responses = time_calls(engine.query, timed, WARMUP_QUERIES)
    answer["source_nodes_mean"] = statistics.fmean(len(r.source_nodes) for r in responses)
    memory = process_max_rss_mb()

    log("peer: recall")
    rankings = [(q, peer_search(retriever, q.question)) for q in gold_questions]
    result = {
        "ingest": ingest,
        "search_ms": search,
        "answer_ms": answer,
        "memory_mb": {"process_peak_after_warm_runs_incl_ours": memory},
        "retrieval": retrieval_scores(rankings),
        "llm": "MockLLM",
        "note": MOCK_LLM_NOTE,
    }
    return result, store_dir


# Cold processes, both pipelines. --------------------------------------------------------------------


def bench_cold(ours_store: Path, peer_store: Path, question: str) -> dict[str, dict[str, Any]]:
    """COLD_RUNS rounds of: `rag search`, `rag ask --llm extractive`, the peer's cold process."""
    commands = {
        "ours_search": [*RAG, "--store", str(ours_store), "search", question, "-k", str(K)],
        "ours_ask": [*RAG, "--store", str(ours_store), "ask", "--llm", "extractive", question],
        "peer_retrieve": [
            PYTHON,
            str(Path(__file__).resolve()),
            "--peer-cold-start",
            str(peer_store),
            question,
        ],
    }
    runs: dict[str, list[ProcessRun]] = {name: [] for name in commands}
    for i in range(COLD_RUNS):
        for name, command in commands.items():
            log(f"cold {name} run {i + 1}/{COLD_RUNS}")
            runs[name].append(run_measured(command))
    return {name: cold_summary(results) for name, results in runs.items()}


# Report. --------------------------------------------------------------------------------------------


def ratio(ours: float | None, peer: float | None) -> float | None:
    """ours / peer, None when there is nothing to divide."""
    return ours / peer if ours is not None and peer else None


def print_table(results: dict[str, Any], out: Any) -> None:
    """The readable side-by-side table."""
    from bench_foundation import format_table

    ours, peer = results["ours"], results["peer"]

    def row(label: str, a: float | None, b: float | None, fmt: str) -> list[str]:
        cells = [f"{v:{fmt}}" if v is not None else "-" for v in (a, b)]
        r = ratio(a, b)
        return [label, *cells, f"{r:.2f}" if r is not None else "-"]

    ours_cold, ours_ask, peer_cold = (ours["cold"]["search"], ours["cold"]["ask"], peer["cold"]["retrieve"])
    rows = [
        row("ingest papers/s", ours["ingest"]["papers_per_s"], peer["ingest"]["papers_per_s"], ".1f"),
        row("ingest wall s", ours["ingest"]["seconds"], peer["ingest"]["seconds"], ".2f"),
        row("chunks", ours["ingest"]["chunks"], peer["ingest"]["chunks"], "d"),
        row("warm search p50 ms", ours["search_ms"]["p50_ms"], peer["search_ms"]["p50_ms"], ".1f"),
        row("warm search p95 ms", ours["search_ms"]["p95_ms"], peer["search_ms"]["p95_ms"], ".1f"),
        row("warm answer p50 ms", ours["answer_ms"]["p50_ms"], peer["answer_ms"]["p50_ms"], ".1f"),
        row("warm answer p95 ms", ours["answer_ms"]["p95_ms"], peer["answer_ms"]["p95_ms"], ".1f"),
        row("cold search process s (median)", ours_cold["median_s"], peer_cold["median_s"], ".2f"),
        row("cold search process peak MB", ours_cold["max_rss_mb"], peer_cold["max_rss_mb"], ".0f"),
        row("cold `rag ask` process s (median)", ours_ask["median_s"], None, ".2f"),
        row("cold `rag ask` process peak MB", ours_ask["max_rss_mb"], None, ".0f"),
        row(
            "this process peak MB after warm runs",
            ours["memory_mb"]["process_peak_after_warm_runs"],
            peer["memory_mb"]["process_peak_after_warm_runs_incl_ours"],
            ".0f",
        ),
        row("recall@5", ours["retrieval"]["recall@5"], peer["retrieval"]["recall@5"], ".3f"),
        row("recall@1", ours["retrieval"]["recall@1"], peer["retrieval"]["recall@1"], ".3f"),
        row("MRR@5", ours["retrieval"]["mrr@5"], peer["retrieval"]["mrr@5"], ".3f"),
    ]
    title = "ours (rag, hybrid, extractive) vs peer (llama-index VectorStoreIndex + Chroma, MockLLM)"
    print(format_table(title, ["metric", "ours", "peer", "ours/peer"], rows), file=out)
    oi, pi = ours["ingest"], peer["ingest"]
    setup = ours["setup"]
    print(
        f"questions: {ours['search_ms']['n']} timed (after 3 warm-up), {ours['retrieval']['n']} answerable "
        f"for recall; papers {oi['papers']} (peer {pi['papers']}); k={K}, peer retrieves {PEER_NODES} nodes\n"
        f"ours ingest vs raw embedder on the same {oi['raw_embed_texts']} chunk texts: "
        f"{oi['raw_embed_seconds']:.2f} s raw ({oi['raw_embed_texts_per_s']:.1f} texts/s), "
        f"pipeline overhead {oi['pipeline_overhead'] * 100:+.1f}%; "
        f"peer spent {pi['embed_seconds']:.2f} s of its {pi['seconds']:.2f} s inside the embedder\n"
        f"ours answers refused: {ours['answer_ms']['refused']} of {ours['answer_ms']['n']}; p50 ms per stage "
        f"(Answer.timings): {_stages(ours['answer_ms']['stages_p50_ms'])}; "
        f"peer answers used {peer['answer_ms']['source_nodes_mean']:.1f} citation nodes on average\n"
        f"cold runs s: ours search {_runs(ours_cold)}, ours ask {_runs(ours_ask)}, "
        f"peer {_runs(peer_cold)}; exit codes {ours_cold['exit_codes']} {ours_ask['exit_codes']} "
        f"{peer_cold['exit_codes']}\n"
        f"1-min load average before ingest (2 cores; above 2 = other work competing): "
        f"ours {oi['load_before']:.1f}, peer {pi['load_before']:.1f}; cpus {setup['cpus']}\n"
        f"peer process peak memory includes ours (same process, ours ran first); "
        f"cold processes are measured one by one (/usr/bin/time -f %M)\n"
        f"NOTE: {MOCK_LLM_NOTE}\n",
        file=out,
    )
    for name, cold in (("ours search", ours_cold), ("ours ask", ours_ask), ("peer", peer_cold)):
        if cold["error"]:
            print(f"cold {name} failed: {cold['error']}\n", file=out)


def _stages(stages: dict[str, float]) -> str:
    return ", ".join(f"{stage} {ms:.1f}" for stage, ms in stages.items())


def _runs(cold: dict[str, Any]) -> str:
    return " ".join(f"{s:.2f}" for s in cold["runs_s"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object (the table goes to stderr)"
    )
    parser.add_argument("--queries", type=int, default=50, help="dev questions timed (default 50)")
    parser.add_argument("--peer-cold-start", nargs=2, metavar=("DIR", "QUESTION"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peer_cold_start:
        return peer_cold_start(Path(args.peer_cold_start[0]), args.peer_cold_start[1])
    if args.queries < 1:
        parser.error("--queries must be at least 1")

    from bench_foundation import answerable, load_questions

    from rag.config import load_settings

    questions = load_questions()
    gold_questions = answerable(questions)
    timed = [q.question for q in questions[: args.queries]]
    settings = load_settings(data_dir=DATA_DIR)
    with tempfile.TemporaryDirectory(prefix="rag-perf-") as name:
        tmp = Path(name)
        ours, ours_store = bench_ours(tmp, timed, gold_questions)
        peer, peer_store = bench_peer(tmp, timed, gold_questions, settings.embed_batch_size)
        cold = bench_cold(ours_store, peer_store, questions[0].question)
    ours["cold"] = {"search": cold["ours_search"], "ask": cold["ours_ask"]}
    peer["cold"] = {"retrieve": cold["peer_retrieve"]}
    setup = {
        "cpus": os.cpu_count(),
        "queries": len(timed),
        "k": K,
        "peer_nodes": PEER_NODES,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "embed_batch_size": settings.embed_batch_size,
        "cold_question": questions[0].question,
    }
    ours["setup"] = peer["setup"] = setup
    results: dict[str, Any] = {
        "ours": ours,
        "peer": peer,
        "ratios": {
            "recall@5": ratio(ours["retrieval"]["recall@5"], peer["retrieval"]["recall@5"]),
            "search_p50": ratio(ours["search_ms"]["p50_ms"], peer["search_ms"]["p50_ms"]),
            "cold_start": ratio(ours["cold"]["search"]["median_s"], peer["cold"]["retrieve"]["median_s"]),
        },
    }
    print_table(results, sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
