"""This assistant inside llama-index: a retriever whose nodes are papers, and a query engine
whose responses carry the cited answer. Imported only when asked for (llama-index is heavy)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.response.schema import Response
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

if TYPE_CHECKING:
    from .answer import Citation
    from .api import Assistant
    from .config import SearchMode
    from .retrieve import SearchHit


def paper_node(found: SearchHit | Citation, score: float | None = None) -> NodeWithScore:
    """A paper as a node: id = paper_id, text = its evidence, metadata: title, url, authors, year,
    sources; the score a search gave it (a citation has none)."""
    paper = found.paper
    metadata: dict[str, Any] = {
        "title": paper.title,
        "url": paper.url,
        "authors": paper.authors,
        "year": paper.year,
        "sources": paper.files,
    }
    return NodeWithScore(
        node=TextNode(id_=paper.paper_id, text=found.evidence, metadata=metadata), score=score
    )


class PaperRetriever(BaseRetriever):
    """`Assistant.as_retriever()`: hybrid (or dense, keyword) search, one node per paper."""

    def __init__(self, assistant: Assistant, *, k: int | None = None, mode: SearchMode | None = None) -> None:
        super().__init__()
        self._assistant = assistant
        self._k = k
        self._mode = mode

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self._assistant.search(query_bundle.query_str, k=self._k, mode=self._mode)
        return [paper_node(hit, hit.score) for hit in hits]


class CitedQueryEngine(BaseQueryEngine):
    """`Assistant.as_query_engine()`: the cited answer as the response, the cited papers as its
    source nodes in citation order, the whole Answer in its metadata."""

    def __init__(self, assistant: Assistant, *, llm: str | None = None, k: int | None = None) -> None:
        super().__init__(callback_manager=None)
        self._assistant = assistant
        self._llm = llm
        self._k = k

    def _query(self, query_bundle: QueryBundle) -> Response:
        answer = self._assistant.ask(query_bundle.query_str, k=self._k, llm=self._llm)
        return Response(
            response=answer.text,
            source_nodes=[paper_node(c) for c in answer.citations],
            metadata={"answer": answer.to_dict(), "refused": answer.refused, "backend": answer.backend},
        )

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        return self._query(query_bundle)

    def _get_prompt_modules(self) -> dict[str, Any]:
        return {}
