"""Dense, keyword and hybrid (reciprocal rank fusion) retrieval, grouped to papers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .answer import PaperRef
from .config import SearchMode
from .embeddings import Embedder
from .library.acronyms import expand
from .library.filters import Scope
from .library.ingest import paper_ref
from .library.keyword import KeywordIndex
from .library.names import Match
from .library.store import Chunk, Store


@dataclass
class SearchHit:
    """A retrieved paper: its score and best evidence chunk."""

    paper: PaperRef
    score: float
    evidence: str
    chunk_id: str
    similarity: float | None = None
    keyword_score: float | None = None
    named: bool = False  # the query names this paper (its short name), which ranks it first

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by `rag search --json`."""
        return {
            "paper_id": self.paper.paper_id,
            "title": self.paper.title,
            "score": round(self.score, 6),
            "evidence": self.evidence,
            "sources": self.paper.files,
            "url": self.paper.url,
            "links": self.paper.links,
            "similarity": None if self.similarity is None else round(self.similarity, 6),
            "keyword_score": None if self.keyword_score is None else round(self.keyword_score, 6),
            **{key: value for key, value in self.paper.to_dict().items() if key in METADATA_KEYS},
        }


# What `rag search --json` adds after the keys of its first release: the paper's metadata.
METADATA_KEYS = ("authors", "year", "date", "venue", "doi", "arxiv_id", "categories", "keywords", "tags")


def paper_of(chunk_id: str) -> str:
    """The paper id of a chunk id (`<paper_id>#<position>`)."""
    return chunk_id.rsplit("#", 1)[0]


def _best_per_paper(ranked: list[tuple[str, float]]) -> dict[str, tuple[int, str, float]]:
    """For each paper in a chunk ranking: its rank among papers, best chunk, and that chunk's score."""
    papers: dict[str, tuple[int, str, float]] = {}
    for chunk_id, score in ranked:
        paper_id = paper_of(chunk_id)
        if paper_id not in papers:
            papers[paper_id] = (len(papers) + 1, chunk_id, score)
    return papers


class Retriever:
    """Runs a query against the store's vectors and the keyword index, and fuses them; with a
    scope, both search only the chunks its filter lets through."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        keyword: KeywordIndex,
        *,
        candidates: int,
        rrf_k: int,
        scope: Scope | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.keyword = keyword
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.scope = scope

    def expand(self, query: str) -> str:
        """The query with the long form of each acronym it writes that the papers define."""
        return expand(query, self.keyword.glossary, self.is_word)

    def is_word(self, word: str) -> bool:
        """Whether a (lower-case) word is an ordinary word: one token of the embedder's vocabulary."""
        return len(self.embedder.count_tokens(word)) == 1

    def name_matches(self, query: str) -> list[Match]:
        """The papers the query names by their short names, with the words naming each, in the
        order it names them (within the scope)."""
        matches = self.keyword.names.find(query, is_word=self.is_word, shared=self.keyword.shared)
        if self.scope is not None:
            matches = [m for m in matches if f"{m.paper_id}#0" in self.scope.chunk_ids]
        return matches

    def named(self, query: str) -> list[str]:
        """The papers the query names by their short names, in the order it names them (within
        the scope)."""
        return [m.paper_id for m in self.name_matches(query)]

    def search(
        self,
        query: str,
        *,
        k: int,
        mode: SearchMode,
        vector: np.ndarray | None = None,
        pinned: Sequence[str] = (),
    ) -> list[SearchHit]:
        """The k best papers for a query (its embedding may be given), best first; `pinned` papers
        (a follow-up's: the previous answer's) first of all, then the papers the query names."""
        n = max(self.candidates, 4 * k)
        dense_chunks: dict[str, Chunk] = {}
        dense: dict[str, tuple[int, str, float]] = {}
        keyword: dict[str, tuple[int, str, float]] = {}
        if mode in ("dense", "hybrid"):
            if vector is None:
                vector = self.embedder.embed([query])[0]
            hits = self.store.query(vector, n, where=self.scope.where if self.scope else None)
            dense_chunks = {c.chunk_id: c for c in hits}
            dense = _best_per_paper([(c.chunk_id, c.similarity or 0.0) for c in hits])
        if mode in ("keyword", "hybrid"):
            allowed = self.keyword.mask(self.scope.chunk_ids) if self.scope else None
            keyword = _best_per_paper(self.keyword.search(query, n, allowed))

        if mode == "dense":
            scores = {p: s for p, (_, _, s) in dense.items()}
        elif mode == "keyword":
            scores = {p: s for p, (_, _, s) in keyword.items()}
        else:
            scores = {}
            for ranking in (dense, keyword):
                for paper_id, (rank, _, _) in ranking.items():
                    scores[paper_id] = scores.get(paper_id, 0.0) + 1.0 / (self.rrf_k + rank)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        # Pinned papers, then those the query names (every paper bearing the name, in the order
        # named; not when only vectors are asked for), come first, just above the best of the rest.
        named = self.named(query) if mode != "dense" else []
        if self.scope is not None:
            pinned = [p for p in pinned if f"{p}#0" in self.scope.chunk_ids]
        ahead = list(dict.fromkeys([*pinned, *named]))[:k]
        best = ranked[0][1] if ranked else 0.0
        first = [(p, best + (len(ahead) - i) * 1e-3) for i, p in enumerate(ahead)]
        top = (first + [item for item in ranked if item[0] not in ahead])[:k]

        def evidence_of(paper_id: str) -> str:
            found = dense.get(paper_id) or keyword.get(paper_id)
            return found[1] if found else f"{paper_id}#0"

        evidence_ids = {p: evidence_of(p) for p, _ in top}
        missing = [cid for cid in evidence_ids.values() if cid not in dense_chunks]
        chunks = {**dense_chunks, **self.store.get(missing)}
        results = []
        for paper_id, score in top:
            chunk = chunks.get(evidence_ids[paper_id])
            if chunk is None:  # the keyword index is ahead of a store changed under it
                continue
            results.append(
                SearchHit(
                    paper=paper_ref(chunk.metadata),
                    score=score,
                    evidence=chunk.text,
                    chunk_id=chunk.chunk_id,
                    similarity=dense[paper_id][2] if paper_id in dense else None,
                    keyword_score=keyword[paper_id][2] if paper_id in keyword else None,
                    named=paper_id in named,
                )
            )
        return results
