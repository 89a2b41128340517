"""The assistant inside llama-index: a retriever judged by llama-index's own RetrieverEvaluator,
and a query engine whose Response carries the cited answer."""

from __future__ import annotations

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.evaluation import RetrieverEvaluator
from llama_index.core.retrievers import BaseRetriever

from rag.api import Assistant

QUESTION = "How well does a fine-tuned CLIP model re-identify basketball players?"


def test_the_retriever_is_a_llama_index_retriever_of_papers(assistant: Assistant) -> None:
    assistant.ingest()
    retriever = assistant.as_retriever(k=3)
    assert isinstance(retriever, BaseRetriever)
    nodes = retriever.retrieve("acoustic monitoring of bee colonies")
    assert len(nodes) == 3 and nodes[0].node.metadata["title"] == "Beekeeping with acoustic sensors"
    assert nodes[0].score is not None and nodes[0].score >= nodes[1].score  # type: ignore[operator]
    algae = assistant.as_retriever(k=1, mode="keyword").retrieve("photosynthetic algae bioreactors")[0]
    assert algae.node.node_id == "arxiv:2401.00001"
    assert (
        algae.node.metadata["authors"] == ["Ada Lovelace", "Alan Turing"]
        and algae.node.metadata["year"] == 2024
    )
    assert algae.node.metadata["url"] == "https://arxiv.org/abs/2401.00001"

    evaluator = RetrieverEvaluator.from_metric_names(["hit_rate", "mrr"], retriever=retriever)
    result = evaluator.evaluate(QUESTION, expected_ids=[nodes_for(assistant, "CLIP-ReIdent")])
    assert result.metric_vals_dict == {"hit_rate": 1.0, "mrr": 1.0}


def nodes_for(assistant: Assistant, title_start: str) -> str:
    return next(
        p for p, m in assistant.library.store.papers().items() if str(m["title"]).startswith(title_start)
    )


def test_the_query_engine_answers_with_cited_source_nodes(assistant: Assistant) -> None:
    assistant.ingest()
    engine = assistant.as_query_engine(llm="extractive")
    assert isinstance(engine, BaseQueryEngine)
    response = engine.query(QUESTION)
    answer = response.metadata["answer"]  # type: ignore[index]
    assert str(response) == answer["text"] and "98.44" in str(response)
    cited = [c["paper_id"] for c in answer["citations"]]
    assert [n.node.node_id for n in response.source_nodes] == cited  # in citation order
    assert response.source_nodes[0].node.metadata["title"].startswith("CLIP-ReIdent")
    refused = engine.query("What is the best recipe for sourdough bread?")
    assert refused.metadata["refused"] is True and refused.source_nodes == []  # type: ignore[index]
