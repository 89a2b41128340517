"""This assistant inside llama-index: a retriever whose nodes are papers, and a query engine
whose responses carry the cited answer. Imported only when asked for (llama-index is heavy)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.response.schema import Response
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)

from .errors import InputError
from .library.filters import NO_FILTER, Filter, as_filter

if TYPE_CHECKING:
    from .answer import Citation
    from .api import Assistant
    from .config import SearchMode
    from .retrieve import SearchHit


def paper_node(found: SearchHit | Citation, score: float | None = None) -> NodeWithScore:
    """A paper as a node: id = paper_id, text = its evidence, metadata: title, url, authors, year,
    sources, date, venue, doi, arxiv_id, categories, keywords, tags; the score a search gave it (a
    citation has none)."""
    paper = found.paper
    metadata: dict[str, Any] = {
        "title": paper.title,
        "url": paper.url,
        "authors": paper.authors,
        "year": paper.year,
        "sources": paper.files,
        "date": paper.date,
        "venue": paper.venue,
        "doi": paper.doi,
        "arxiv_id": paper.arxiv_id,
        "categories": paper.categories,
        "keywords": paper.keywords,
        "tags": paper.tags,
    }
    return NodeWithScore(node=TextNode(id_=paper.paper_id, text=_text(found), metadata=metadata), score=score)


def _text(found: SearchHit | Citation) -> str:
    """A node's text: a hit's evidence, the passage of a paper an answer cites."""
    from .answer import Citation

    return found.passage if isinstance(found, Citation) else found.evidence


_LIST_KEYS = {
    "author": "authors",
    "authors": "authors",
    "category": "categories",
    "categories": "categories",
    "venue": "venues",
    "tag": "tags",
    "tags": "tags",
}
_MEMBERSHIP = (FilterOperator.IN, FilterOperator.ANY, FilterOperator.CONTAINS, FilterOperator.TEXT_MATCH)
_SUPPORTED = (
    "year (==, >, >=, <, <=), date (==, >=, <=), and author, category, venue or tag (==, in, any, contains)"
)


def _unsupported(item: MetadataFilter) -> InputError:
    return InputError(
        f"MetadataFilter {item.key} {item.operator.value} {item.value!r} is not supported: use {_SUPPORTED}"
    )


def _dates(item: MetadataFilter) -> Filter:
    """A year or date comparison as a filter's dates."""
    op, value = item.operator, item.value
    if isinstance(value, list) or value is None:
        raise _unsupported(item)
    if item.key == "year":
        if not isinstance(value, int):
            raise _unsupported(item)
        bound = {FilterOperator.GT: value + 1, FilterOperator.LT: value - 1}.get(op, value)
        text = {
            FilterOperator.EQ: f"{value}",
            FilterOperator.GT: f"{bound}..",
            FilterOperator.GTE: f"{value}..",
            FilterOperator.LT: f"..{bound}",
            FilterOperator.LTE: f"..{value}",
        }.get(op)
        if text is None:
            raise _unsupported(item)
        return Filter.parse({"year": text}, origin="MetadataFilter ")
    names = {
        FilterOperator.EQ: ("since", "until"),
        FilterOperator.GTE: ("since",),
        FilterOperator.LTE: ("until",),
    }
    if op not in names:
        raise _unsupported(item)
    return Filter.parse({name: str(value) for name in names[op]}, origin="MetadataFilter ")


def _one(item: MetadataFilter | MetadataFilters) -> Filter:
    """One llama-index filter as ours."""
    if isinstance(item, MetadataFilters):
        raise InputError(f"nested MetadataFilters are not supported: use one level of {_SUPPORTED}")
    key = item.key.strip().lower()
    if key in ("year", "date"):
        return _dates(item)
    if key not in _LIST_KEYS or not (item.operator == FilterOperator.EQ or item.operator in _MEMBERSHIP):
        raise _unsupported(item)
    if item.value is None:
        raise _unsupported(item)
    values = item.value if isinstance(item.value, list) else [item.value]
    return Filter.parse({key: [str(v) for v in values]}, origin="MetadataFilter ")


def to_filter(filters: MetadataFilters) -> Filter:
    """llama-index MetadataFilters as a Filter: AND of any fields (one value list each), or OR of
    values of one field (InputError for what a Filter cannot say)."""
    parts = [_one(item) for item in filters.filters]
    if not parts:
        return NO_FILTER
    if filters.condition == FilterCondition.OR:
        fields = {name for part in parts for name in _LIST_KEYS.values() if getattr(part, name)}
        if len(fields) != 1 or any(part.start or part.end for part in parts):
            raise InputError("MetadataFilters with OR must all be on one of author, category, venue, tag")
        name = fields.pop()
        values = [v for part in parts for v in getattr(part, name)]
        return Filter.parse({name: values}, origin="MetadataFilters ")
    if filters.condition not in (None, FilterCondition.AND):
        raise InputError(f"MetadataFilters condition {filters.condition} is not supported: use AND or OR")
    combined = NO_FILTER
    for part in parts:
        for name in set(_LIST_KEYS.values()):
            if getattr(part, name) and getattr(combined, name):
                raise InputError(
                    f"MetadataFilters: two filters on {name} with AND; give one with the operator in"
                )
        start = max(filter(None, (combined.start, part.start)), default=None)
        end = min(filter(None, (combined.end, part.end)), default=None)
        if start and end and start > end:
            raise InputError("MetadataFilters: the dates exclude each other")
        combined = replace(combined.override(part), start=start, end=end)
    return combined


class PaperRetriever(BaseRetriever):
    """`Assistant.as_retriever()`: hybrid (or dense, keyword) search, one node per paper; with
    filters (llama-index MetadataFilters, or what `Assistant.search` takes), among the papers they
    let through."""

    def __init__(
        self,
        assistant: Assistant,
        *,
        k: int | None = None,
        mode: SearchMode | None = None,
        filters: MetadataFilters | Filter | dict[str, object] | str | None = None,
    ) -> None:
        super().__init__()
        self._assistant = assistant
        self._k = k
        self._mode = mode
        self._filters = to_filter(filters) if isinstance(filters, MetadataFilters) else as_filter(filters)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self._assistant.search(
            query_bundle.query_str, k=self._k, mode=self._mode, filters=self._filters
        )
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
