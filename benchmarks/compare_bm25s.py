"""Keyword search from a library? `bm25s` against `rag/library/keyword.py`, side by side in one run.

Both engines get the same tokens (rag.library.keyword.tokenize for documents, KeywordIndex.query_terms
for questions, so typo correction and joined names help both) and BM25 with k1 = 1.2, b = 0.75.
Documents are papers (title + abstract). Measured per corpus: build time, query p50 over the
questions, recall@5 of the gold papers (answerable questions), and the peak memory the build
allocates (tracemalloc, which numpy reports to), at N synthetic papers too (bundled sentences,
as in scale.py).

Needs `pip install bm25s` (not a dependency of the project).
Run: .venv/bin/python benchmarks/compare_bm25s.py [--papers 100000] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.citations import split_sentences
from rag.evaluate import load_questions, recall_at
from rag.library.corpus import normalize_title, read
from rag.library.keyword import KeywordIndex, tokenize

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def build_ours(ids: list[str], texts: list[str]) -> Callable[[list[str], int], list[str]]:
    index = KeywordIndex.build(ids, texts)

    def search(terms: list[str], k: int) -> list[str]:
        return [doc for doc, _ in index.search(" ".join(terms), k)]

    return search


def build_bm25s(ids: list[str], texts: list[str]) -> Callable[[list[str], int], list[str]]:
    import bm25s

    retriever = bm25s.BM25(k1=1.2, b=0.75, method="robertson")
    tokens = [tokenize(t) for t in texts]
    retriever.index(tokens, show_progress=False)
    vocabulary = retriever.vocab_dict

    def search(terms: list[str], k: int) -> list[str]:
        known = [t for t in terms if t in vocabulary]
        if not known:
            return []
        docs, _ = retriever.retrieve([known], k=min(k, len(ids)), show_progress=False)
        return [ids[int(d)] for d in docs[0]]

    return search


def measure(
    name: str, build: Any, ids: list[str], texts: list[str], queries: list[tuple[list[str], set[str]]]
) -> dict[str, Any]:
    tracemalloc.start()
    started = time.perf_counter()
    search = build(ids, texts)
    build_s = time.perf_counter() - started
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    times, recalls = [], []
    for terms, gold in queries:
        begin = time.perf_counter()
        found = search(terms, 5)
        times.append((time.perf_counter() - begin) * 1000)
        if gold:
            recalls.append(recall_at(found, gold, 5))
    return {
        "engine": name,
        "build_s": round(build_s, 2),
        "build_peak_mb": round(peak_mb, 1),
        "query_p50_ms": round(statistics.median(times), 2) if times else None,
        "recall@5": round(statistics.mean(recalls), 3) if recalls else None,
    }


def papers_of(paths: list[Path]) -> tuple[list[str], list[str], dict[str, str]]:
    papers = read(paths).papers
    ids = [p.paper_id for p in papers]
    texts = [f"{p.title}. {p.abstract}" for p in papers]
    by_title = {normalize_title(p.title): p.paper_id for p in papers}
    return ids, texts, by_title


def questions_for(
    path: Path, by_title: dict[str, str], index: KeywordIndex
) -> list[tuple[list[str], set[str]]]:
    questions, _ = load_questions(path)
    out = []
    for q in questions:
        gold = set(q.gold_ids or []) | {
            by_title[t] for t in map(normalize_title, q.gold_titles or []) if t in by_title
        }
        out.append((index.query_terms(q.question), gold))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100000, help="synthetic papers for the scale row")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    corpora = [
        ("dev set (bundled, 364 papers)", [ROOT / "data"], HERE / "dev_questions.jsonl"),
        (
            "ScholarQABench (1,025 papers)",
            [HERE / "scholarqabench" / "corpus.jsonl"],
            HERE / "scholarqabench" / "questions.jsonl",
        ),
    ]
    for label, paths, questions_path in corpora:
        if not all(p.exists() for p in [*paths, questions_path]):
            continue
        ids, texts, by_title = papers_of(paths)
        queries = questions_for(questions_path, by_title, KeywordIndex.build(ids, texts))
        for name, build in (("rag.library.keyword", build_ours), ("bm25s", build_bm25s)):
            rows.append({"corpus": label, **measure(name, build, ids, texts, queries)})
    # the scale row: synthetic papers of bundled sentences, the dev questions as queries (no gold)
    bundled = read([ROOT / "data"]).papers
    sentences = sorted({s for p in bundled for s in split_sentences(p.abstract) if len(s.split()) >= 5})
    rng = random.Random(1)
    ids = [f"syn-{i}" for i in range(args.papers)]
    texts = [" ".join(rng.sample(sentences, rng.randint(6, 10))) for _ in ids]
    index = KeywordIndex.build(ids[:1000], texts[:1000])
    queries = [
        (index.query_terms(q.question), set()) for q in load_questions(HERE / "dev_questions.jsonl")[0]
    ]
    for name, build in (("rag.library.keyword", build_ours), ("bm25s", build_bm25s)):
        rows.append(
            {"corpus": f"synthetic ({args.papers:,} papers)", **measure(name, build, ids, texts, queries)}
        )
    if args.json:
        print(json.dumps(rows))
        return
    print(f"{'corpus':34} {'engine':12} {'build s':>8} {'peak MB':>8} {'query p50 ms':>13} {'recall@5':>9}")
    for r in rows:
        recall = "-" if r["recall@5"] is None else f"{r['recall@5']:.3f}"
        print(
            f"{r['corpus']:34} {r['engine']:12} {r['build_s']:>8} {r['build_peak_mb']:>8} "
            f"{r['query_p50_ms']:>13} {recall:>9}"
        )


if __name__ == "__main__":
    main()
