"""Dense, keyword and hybrid retrieval over a real store, grouped by paper; the keyword index."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_jsonl

from rag.api import Assistant
from rag.embeddings import OnnxMiniLM
from rag.errors import InputError
from rag.library.keyword import KeywordIndex, tokenize


def test_tokenize_folds_plurals_and_drops_stopwords() -> None:
    assert tokenize("The Models of re-identification studies") == [
        "model",
        "re-identification",
        "re",
        "identification",
    ]
    assert tokenize("GPT-4 scores 98.44% on MMLU") == [
        "gpt-4",
        "gpt",
        "4",
        "score",
        "98.44",
        "98",
        "44",
        "mmlu",
    ]


def test_british_and_american_spellings_are_one_term() -> None:
    british = "quantisation generalisable optimised analyse behaviours neighbourhood labelled modelling "
    british += "dialogues centre behavioural centred catalogued analyser defence grey judgement fibre metre"
    american = "quantization generalizable optimized analyze behaviors neighborhood labeled modeling dialogs "
    american += "center behavioral centered cataloged analyzer defense gray judgment fiber meter"
    assert tokenize(british) == tokenize(american)
    index = KeywordIndex.build(
        ["a#0", "b#0"], ["we quantize weights", "post-training quantization"], revision="r"
    )
    assert [cid for cid, _ in index.search("quantisation", 2)] == ["b#0"]
    # words that only look British keep apart from their neighbours
    assert len(set(tokenize("noise four hours analysis precise filled string hatred"))) == 8


def test_bm25_ranks_rare_matching_terms_first(tmp_path: Path) -> None:
    index = KeywordIndex.build(
        ["a#0", "b#0", "c#0"],
        ["graph neural networks for molecules", "neural networks for images", "a recipe for bread"],
        revision="r1",
    )
    assert [cid for cid, _ in index.search("molecules neural", 3)] == ["a#0", "b#0"]
    index.save(tmp_path / "kw.npz")
    loaded = KeywordIndex.load(tmp_path / "kw.npz")
    assert loaded is not None and loaded.revision == "r1"
    assert loaded.search("bread", 1) == index.search("bread", 1)
    assert loaded.search("molecules neural", 3) == index.search("molecules neural", 3)
    (tmp_path / "bad.npz").write_text("{not an index", encoding="utf-8")
    assert KeywordIndex.load(tmp_path / "bad.npz") is None


def test_each_mode_finds_a_paraphrased_paper(assistant: Assistant) -> None:
    assistant.ingest()
    query = "contrastive training to recognise basketball athletes across camera views"
    for mode in ("hybrid", "dense", "keyword"):
        hits = assistant.search(query, k=3, mode=mode)
        assert hits[0].paper.title == "CLIP-ReIdent: Contrastive Training for Player Re-Identification", mode
    dense = assistant.search("hives that predict swarming by listening", k=1, mode="dense")[0]
    assert dense.paper.title == "Beekeeping with acoustic sensors"
    assert dense.similarity is not None and 0.3 < dense.similarity <= 1.0


def test_results_are_papers_with_their_best_evidence(assistant: Assistant) -> None:
    assistant.ingest()
    hits = assistant.search("re-identification of people and players", k=8)
    assert len(hits) == 8
    assert len({h.paper.paper_id for h in hits}) == 8
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    stored = {c.chunk_id: c for c in assistant.library.store.all_chunks()}
    for hit in hits:
        assert stored[hit.chunk_id].text == hit.evidence
        assert stored[hit.chunk_id].paper_id == hit.paper.paper_id
        assert hit.paper.files == ["dump.txt"] or hit.paper.files == ["extra.jsonl"]
    payload = hits[0].to_dict()
    assert set(payload) >= {"paper_id", "title", "score", "evidence", "sources", "url"}


def test_hybrid_fuses_both_rankings(assistant: Assistant) -> None:
    assistant.ingest()
    # A rare exact term wins the keyword ranking; the fused ranking keeps it first with both scores.
    exact = assistant.search("InfoNCE", k=1, mode="keyword")[0]
    assert exact.paper.title.startswith("CLIP-ReIdent")
    hybrid = assistant.search("InfoNCE", k=3, mode="hybrid")
    assert hybrid[0].paper.paper_id == exact.paper.paper_id
    assert hybrid[0].keyword_score is not None and hybrid[0].similarity is not None


def test_keyword_index_follows_changes_made_by_another_process(
    assistant: Assistant, settings, embedder: OnnxMiniLM, tmp_path: Path
) -> None:
    assistant.ingest()
    assert assistant.search("axolotl regeneration", k=1, mode="keyword") == []
    other = Assistant(settings, embedder=embedder)
    extra = write_jsonl(
        tmp_path / "new.jsonl", [{"title": "Limb regrowth", "abstract": "Axolotl regeneration of limbs."}]
    )
    other.ingest([extra])
    assert assistant.search("axolotl regeneration", k=1, mode="keyword")[0].paper.title == "Limb regrowth"


def test_first_search_on_an_empty_store_ingests_the_default_corpus(settings, embedder: OnnxMiniLM) -> None:
    messages: list[str] = []
    assistant = Assistant(settings, embedder=embedder, notify=messages.append)
    hits = assistant.search("glacier retreat measured by satellite radar", k=1)
    assert hits[0].paper.title == "" and "glacier" in hits[0].evidence
    assert len(messages) == 1 and "is new and empty: ingesting the bundled corpus" in messages[0]
    assert len(assistant.library.store.papers()) == 13


def test_public_api(settings, small_corpus: Path) -> None:
    from rag import ingest, search

    report = ingest(settings=settings)
    assert report.embedded == 13
    hits = search("acoustic monitoring of bee colonies", k=2, settings=settings)
    assert hits[0].paper.title == "Beekeeping with acoustic sensors"


def test_query_terms_match_names_as_people_type_them() -> None:
    index = KeywordIndex.build(
        ["a#0", "b#0", "c#0"],
        [
            "InstructBLIP: towards general-purpose models",
            "UnlearnCanvas: a stylized dataset; TÜLU 3 post-training",
            "The Open Images Dataset V4",
        ],
    )
    assert index.query_terms("instrutblip results") == ["instructblip", "result"]  # a typo
    assert index.query_terms("unlearn canvas dataset") == ["unlearncanva", "dataset"]  # one word
    assert index.query_terms("what is tulu 3?") == ["tulu", "3"]  # no accents
    assert index.query_terms("how does codex work?") == ["codex"]  # short words are not "corrected"
    assert index.query_terms("open images version 4") == ["open", "image", "v4"]  # as titles write it
    assert index.search("instrutblip results", 1)[0][0] == "a#0"
    assert index.idf("codex") > index.idf("dataset")


def test_an_option_the_api_does_not_take_is_a_type_error(assistant: Assistant) -> None:
    """Search options pass through as keywords: a misspelt one fails, as a wrong keyword does."""
    for call in (assistant.search, assistant.gather, assistant.ask, assistant.stream):
        with pytest.raises(TypeError, match="top_k"):
            call("glacier retreat", top_k=3)  # type: ignore[call-arg]


@pytest.mark.fault
def test_the_python_api_says_what_is_wrong_with_a_misused_argument(assistant: Assistant) -> None:
    """Before: k=0 searched the default, k=-1 sixty-four papers, a None question or paper id raised
    from deep inside (TypeError, Chroma's "Invalid where clause"), a dict as settings AttributeError."""
    for k in (0, -1, "3", 2.5, True):
        with pytest.raises(InputError, match=r"^k is how many papers: a whole number, 1 or more, not "):
            assistant.search("model soups", k=k)  # type: ignore[arg-type]
    for question in (None, 42, b"soups"):
        with pytest.raises(InputError, match=r"^the question must be text, not "):
            assistant.ask(question, llm="extractive")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"^a paper id is text, not NoneType$"):
        assistant.paper(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^settings: a rag.config.Settings, not dict"):
        Assistant({"k": 3})  # type: ignore[arg-type]
    assert len(assistant.search("model soups", k=2)) == 2
