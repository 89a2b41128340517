"""Filters on year, dates, author, category, venue and tag: applied inside both searches, so a filtered
top-k is the top-k of a filtered exhaustive scan; on the command line, in the chat, in question files,
from Python and in llama-index; on stores made before them."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import BUNDLED, copy_store, no_user_settings, write_jsonl
from test_chat import Script
from test_cli import run

from rag import evaluate
from rag.answer import PaperRef
from rag.api import Assistant
from rag.chat import ChatSession, repl
from rag.config import Settings
from rag.embeddings import OnnxMiniLM
from rag.errors import InputError, NoMatchError, StoreBusyError
from rag.library.corpus import read
from rag.library.filters import DERIVED, FIELDS_VERSION, Filter, author_keys, date_span, fields
from rag.library.ingest import paper_ref
from rag.library.lock import WriteLock
from rag.library.store import Chunk
from rag.retrieve import paper_of

NAMES = [
    "Alan Mathison Turing",
    "Ada Lovelace",
    "Grace Hopper",
    "Aäron van den Oord",
    "Lovelace, Byron",
    "Fei-Fei Li",
]
CATEGORIES = ["cs.CL", "cs.LG", "cs.CV", "stat.ML", "q-bio.NC"]
VENUES = [
    "Findings of ACL 2023",
    "NAACL 2022",
    "Nature",
    "Advances in Neural Information Processing Systems",
    None,
]
TAGS: list[list[str]] = [["thesis"], ["To Read", "Thesis"], [], ["Zotero/Vision"], []]


def _record(i: int, title: str, abstract: str) -> dict[str, object]:
    """A paper with the metadata an export carries, varied by its number: some undated, some with a
    full date, "Family, Given" names, categories as a list or as arXiv's space-separated string."""
    record: dict[str, object] = {"id": f"p{i:02d}", "title": title, "abstract": abstract}
    if i % 11:
        record["year"] = 2019 + i % 6
    if i % 7 == 0 and i % 11:
        record["date"] = f"{2019 + i % 6}-{i % 12 + 1:02d}-15"
    if i % 13 == 5:
        record["authors"] = ["Alan Smith", "Bob Turing"]  # no "Alan Turing" among them
    else:
        record["authors"] = [NAMES[i % 6], NAMES[(i + 2) % 6]]
    categories = [CATEGORIES[i % 5], CATEGORIES[(i * 3 + 1) % 5]]
    record["categories"] = " ".join(categories) if i % 2 else categories
    if VENUES[i % 5]:
        record["venue"] = VENUES[i % 5]
    if TAGS[i % 5]:
        record["tags"] = TAGS[i % 5]
    if i % 9 == 2:  # Zotero's tags, as its exports write them
        record["keywords"] = ["Thesis", "robotics"]
    if i % 3 == 0:
        record["doi"] = f"https://doi.org/10.5555/Paper.{i}"
    if i % 4 == 0:
        record["arxiv_id"] = f"arXiv:2301.{i:05d}v3"
    return record


@pytest.fixture(scope="module")
def meta_store(tmp_path_factory: pytest.TempPathFactory, embedder: OnnxMiniLM) -> Path:
    """75 bundled abstracts with varied metadata, ingested once; tests write to copies."""
    root = tmp_path_factory.mktemp("meta-store")
    bundled = read([BUNDLED]).papers[:75]
    corpus = write_jsonl(
        root / "papers.jsonl", [_record(i, p.title, p.abstract) for i, p in enumerate(bundled)]
    )
    with no_user_settings(root):
        settings = Settings(store_dir=root / "store")
        report = Assistant(settings, embedder=embedder, notify=lambda m: None).ingest([corpus])
    assert report.ok and report.embedded == 75, report.to_dict()
    return settings.store_dir


@pytest.fixture
def meta(meta_store: Path, tmp_path: Path, embedder: OnnxMiniLM) -> Iterator[Assistant]:
    """An assistant over a copy of the metadata store."""
    store = copy_store(meta_store, tmp_path / "store")
    yield Assistant(Settings(store_dir=store), embedder=embedder, notify=lambda m: None)


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def _family(name: str) -> str:
    return _fold(name.split(",")[0] if "," in name else name.split()[-1])


def _given(name: str) -> str:
    return _fold(name.split(",")[1].split()[0] if "," in name else name.split()[0])


def _in_years(paper: PaperRef, first: str, last: str) -> bool:
    """The paper's date (or year) may fall between two ISO days."""
    when = paper.date or (str(paper.year) if paper.year else "")
    if not when:
        return False
    low = when if len(when) == 10 else f"{when}-01-01"
    high = when if len(when) == 10 else f"{when}-12-31"
    return high >= first and low <= last


# Each case: a filter and what it means, written from the papers' own fields (not the derived keys).
CASES: list[tuple[Filter, Callable[[PaperRef], bool]]] = [
    (Filter.parse({"year": "2021..2022"}), lambda p: _in_years(p, "2021-01-01", "2022-12-31")),
    (
        Filter.parse({"since": "2020-03-01", "until": "2021-06-30"}),
        lambda p: _in_years(p, "2020-03-01", "2021-06-30"),
    ),
    (Filter.parse({"author": "Turing"}), lambda p: any(_family(a) == "turing" for a in p.authors)),
    (
        Filter.parse({"author": "A. Turing"}),
        lambda p: any(_family(a) == "turing" and _given(a).startswith("a") for a in p.authors),
    ),
    (
        Filter.parse({"author": ["van den Oord", "Lovelace, Ada"]}),
        lambda p: any(
            _family(a) == "oord" or (_family(a), _given(a)) == ("lovelace", "ada") for a in p.authors
        ),
    ),
    (Filter.parse({"category": "cs.cl"}), lambda p: "cs.CL" in p.categories),
    (
        Filter.parse({"category": "stat,q-bio"}),
        lambda p: any(c.startswith(("stat.", "q-bio.")) for c in p.categories),
    ),
    (Filter.parse({"venue": "ACL"}), lambda p: p.venue == "Findings of ACL 2023"),
    # an abbreviation matches the full name its records write too (a researcher's probe: --venue
    # NeurIPS matched no "Advances in Neural Information Processing Systems")
    (
        Filter.parse({"venue": "neurips"}),
        lambda p: p.venue == "Advances in Neural Information Processing Systems",
    ),
    (Filter.parse({"venue": "NAACL"}), lambda p: p.venue == "NAACL 2022"),
    (Filter.parse({"tag": "THESIS"}), lambda p: "thesis" in {t.casefold() for t in (*p.tags, *p.keywords)}),
    (
        Filter.parse({"year": "2020..", "category": "cs", "author": "Hopper"}),
        lambda p: (
            _in_years(p, "2020-01-01", "9999-12-31")
            and any(c.startswith("cs.") for c in p.categories)
            and any(_family(a) == "hopper" for a in p.authors)
        ),
    ),
]
QUERIES = [
    "re-identification of basketball players",
    "diffusion models for image generation",
    "how do language models learn to reason?",
    "video generation with transformers",
    "efficient inference of large models",
    "3D scene reconstruction",
    "speech recognition",
    "benchmark for multimodal agents",
]


def test_a_filter_lets_through_exactly_the_papers_it_names(meta: Assistant) -> None:
    papers = [paper_ref(m) for m in meta.library.store.papers().values()]
    assert len(papers) == 75
    for filters, means in CASES:
        expected = {p.paper_id for p in papers if means(p)}
        assert expected, filters.describe()  # every case selects something, and not everything
        assert len(expected) < 75, filters.describe()
        scope = meta.gatherer.scope(filters)
        assert scope is not None
        assert {paper_of(c) for c in scope.chunk_ids} == expected, filters.describe()
        assert scope.papers == len(expected)
        chunks = {c.chunk_id: c for c in meta.library.store.all_metadata()}
        assert {cid for cid, c in chunks.items() if filters.accepts(c.metadata)} == scope.chunk_ids


def _stored(meta: Assistant) -> list[tuple[Chunk, np.ndarray]]:
    """Every stored chunk with its vector."""
    return [
        item
        for items in meta.library.store.chunks_of(list(meta.library.store.papers())).values()
        for item in items
    ]


def _exhaustive(
    meta: Assistant, chunks: list[tuple[Chunk, np.ndarray]], query: str, filters: Filter, mode: str, k: int
) -> list[str]:
    """The top-k papers by scoring every stored chunk: exact cosine over all their vectors and BM25
    over the whole keyword index, the chunks the filter rejects dropped afterwards, then grouped by
    paper and fused as the retriever does."""
    retriever = meta.gatherer.retriever()
    n = max(retriever.candidates, 4 * k)
    allowed = {c.chunk_id for c, _ in chunks if filters.accepts(c.metadata)}

    def grouped(ranked: list[tuple[str, float]]) -> dict[str, int]:
        ranks: dict[str, int] = {}
        for chunk_id, _ in ranked:
            ranks.setdefault(paper_of(chunk_id), len(ranks) + 1)
        return ranks

    vector = meta.library.embedder.embed([query])[0]
    vectors = np.stack([v for _, v in chunks])
    cosines = vectors @ vector / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(vector))
    dense = sorted(
        ((c.chunk_id, float(s)) for (c, _), s in zip(chunks, cosines, strict=True) if c.chunk_id in allowed),
        key=lambda item: -item[1],
    )[:n]
    everything = retriever.keyword.search(query, len(retriever.keyword.chunk_ids))
    keyword = [(cid, s) for cid, s in everything if cid in allowed][:n]
    rankings = {
        "dense": [grouped(dense)],
        "keyword": [grouped(keyword)],
        "hybrid": [grouped(dense), grouped(keyword)],
    }
    if mode == "hybrid":
        scores: dict[str, float] = {}
        for ranking in rankings["hybrid"]:
            for paper_id, rank in ranking.items():
                scores[paper_id] = scores.get(paper_id, 0.0) + 1.0 / (retriever.rrf_k + rank)
        return [p for p, _ in sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]]
    return list(rankings[mode][0])[:k]


def test_a_filtered_top_k_is_the_top_k_of_a_filtered_exhaustive_scan(meta: Assistant) -> None:
    """The measurement: 12 filters x 8 queries x 3 modes, the filtered search's top 5 against
    every chunk scored and the rejected ones dropped."""
    compared = same = 0
    chunks = _stored(meta)  # the store is only read
    for filters, _ in CASES:
        for query in QUERIES:
            for mode in ("dense", "keyword", "hybrid"):
                found = [h.paper.paper_id for h in meta.search(query, k=5, mode=mode, filters=filters)]  # type: ignore[arg-type]
                expected = _exhaustive(meta, chunks, query, filters, mode, 5)
                assert expected or mode == "keyword"  # a dense ranking ranks every chunk let through
                compared += 1
                same += found == expected
                assert found == expected, (filters.describe(), query, mode)
    assert compared == same == 288
    # and without a filter a search is what it was: the filter-free path is the exhaustive one too
    for query in QUERIES[:3]:
        assert [h.paper.paper_id for h in meta.search(query, k=5)] == _exhaustive(
            meta, chunks, query, Filter(), "hybrid", 5
        )


def test_filters_are_parsed_once_into_one_value() -> None:
    assert Filter.parse({"year": "2023"}) == Filter(20230101, 20231231)
    assert Filter.parse({"year": "2021..2023"}).describe() == "year=2021..2023"
    assert Filter.parse({"year": "2021-2023"}) == Filter.parse({"year": "2021..2023"})
    assert Filter.parse({"year": 2021}).describe() == "year=2021"
    assert Filter.parse({"year": "2021.."}).to_dict() == {"since": "2021-01-01"}
    assert Filter.parse({"since": "2023-02", "until": "2023-06-15"}).to_dict() == {
        "since": "2023-02-01",
        "until": "2023-06-15",
    }
    assert Filter.parse({"until": "2024-02"}).end == 20240229  # the month's last day
    # --year and --since/--until narrow each other
    assert (
        Filter.parse({"year": "2020..2023", "since": "2022-05-01"}).describe()
        == "since=2022-05-01 until=2023-12-31"
    )
    text = 'year=2021..2023 author="Alan Turing" author=Hopper category=cs.CL,cs.LG venue="Findings of ACL"'
    filters = Filter.from_words(text)
    assert filters.authors == ("Alan Turing", "Hopper") and filters.categories == ("cs.CL", "cs.LG")
    assert Filter.from_words(filters.describe()) == filters  # what /filter shows, /filter reads back
    assert Filter.parse(filters.to_dict()) == filters  # and the JSON form
    assert Filter.from_words("--year 2022 --author Turing") == Filter.parse(
        {"year": "2022", "author": "Turing"}
    )
    assert not Filter() and Filter().where() is None
    assert Filter.parse({"year": "2021"}).override(Filter.parse({"author": "X"})) == Filter.parse(
        {"year": "2021", "author": "X"}
    )
    assert Filter.parse({"year": "2021", "author": "Y"}).override(Filter.parse({"since": "2022-01-01"})) == (
        Filter.parse({"since": "2022-01-01", "author": "Y"})
    )


@pytest.mark.fault
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"year": "20x1"}, "year '20x1': use a year like 2023 or a range like 2021..2023"),
        ({"year": "2023..2021"}, "year '2023..2021': the range ends before it starts"),
        ({"since": "2023-02-30"}, "since '2023-02-30': no such date"),
        ({"until": "June"}, "until 'June': use a date like 2023-01-31, 2023-01 or 2023"),
        (
            {"year": "2020", "since": "2021-01-01"},
            "the dates exclude each other (2021-01-01 is after 2020-12-31)",
        ),
        ({"author": "..."}, "author: a name needs letters"),
        ({"author": ["Turing", 3]}, "author: expected text or a list of text, not int"),
        ({"year": True}, "year: expected text like 2023, not bool"),
        ({"tag": " , "}, "tag: empty"),
        ({"colour": "red"}, "colour: not a filter (use year, since, until, author, category, venue, tag)"),
    ],
)
def test_an_unusable_filter_is_one_line_naming_the_option(options: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as raised:
        Filter.parse(options)
    assert str(raised.value) == message


@pytest.mark.fault
def test_a_repeated_date_option_is_refused_not_its_last_value_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: `--year 2024 --year 2019` searched 2019 alone, though --help promised any of them."""
    from rag.cli import main

    for repeated, error in (
        (["--year", "2024", "--year", "2019"], "--year given twice: give one range, e.g. --year 2019..2024"),
        (["--since", "2020", "--since", "2021"], "--since given twice: give one date"),
    ):
        with pytest.raises(SystemExit) as exited:
            main(["--store", str(tmp_path / "store"), "search", "models", *repeated])
        assert exited.value.code == 2
        assert capsys.readouterr().err.endswith(f"rag search: error: {error}\n")
    with pytest.raises(InputError, match=r"^year given 2 times: give one range, e\.g\. year=2019\.\.2024$"):
        Filter.from_words("year=2024 YEAR=2019")
    assert not (tmp_path / "store").exists()


def test_names_are_found_the_way_people_write_them() -> None:
    keys = author_keys("Alan Mathison Turing")
    assert {"turing", "alan turing", "a turing", "mathison turing", "alan mathison turing"} <= keys
    assert "alan" not in keys  # a given name alone is no author's name
    mixed = author_keys("Alan Smith") | author_keys("Bob Turing")
    assert "alan turing" not in mixed and "a turing" not in mixed
    assert "oord" in author_keys("Aäron van den Oord") and "van den oord" in author_keys("Aäron van den Oord")
    assert author_keys("Lovelace, Ada") == author_keys("Ada Lovelace")
    assert "king" in author_keys("Martin Luther King Jr.")
    # letters that do not decompose into a base and an accent (before: "stergaard", "ukasz")
    assert {"ostergaard", "lukasz wisniewski"} <= author_keys("Ole Østergaard") | author_keys(
        "Łukasz Wiśniewski"
    )
    assert date_span("2023-05-17T10:00:00Z", None) == (20230517, 20230517)
    assert date_span("2023-05", 2023) == (20230501, 20230531)
    assert date_span("Mar 11", 2024) == (20240101, 20241231) and date_span("Mar 11", None) is None


def test_search_ask_and_the_python_api_take_filters(meta: Assistant) -> None:
    from rag import search

    hits = search(
        "language models", k=10, settings=meta.settings, filters={"category": "cs.CL", "year": "2022.."}
    )
    assert hits and all("cs.CL" in h.paper.categories and (h.paper.year or 0) >= 2022 for h in hits)
    assert hits == search(
        "language models", k=10, settings=meta.settings, filters="category=cs.CL year=2022.."
    )
    payload = hits[0].to_dict()
    assert list(payload)[:9] == [
        "paper_id",
        "title",
        "score",
        "evidence",
        "sources",
        "url",
        "links",
        "similarity",
        "keyword_score",
    ]
    assert payload["categories"] == hits[0].paper.categories and "venue" in payload and "doi" in payload
    title = hits[0].paper.title
    answer = meta.ask(
        f"What does {title} propose?", llm="extractive", filters={"category": "cs.CL", "year": "2022.."}
    )
    assert answer.filters == {"since": "2022-01-01", "category": ["cs.CL"]}
    assert answer.to_dict()["filters"] == answer.filters
    assert all("cs.CL" in s.paper.categories for s in answer.sources)
    evidence = meta.gather("anything about vision", filters=Filter.parse({"tag": "Zotero/Vision"}))
    assert evidence.query.filters.tags == ("Zotero/Vision",)
    assert {s.paper.tags[0] for s in evidence.sources} == {"Zotero/Vision"}
    with pytest.raises(NoMatchError, match="no paper in the store matches the filter year=2031"):
        meta.search("anything", filters={"year": "2031"})
    with pytest.raises(NoMatchError):
        meta.stream("anything", filters={"author": "Nobody"})  # before the answer starts


@pytest.mark.fault
def test_a_filter_on_a_field_no_paper_records_says_so(tmp_path: Path, embedder: OnnxMiniLM) -> None:
    """Before: "no paper in the store matches the filter year=2023", as though other years were there."""
    corpus = write_jsonl(
        tmp_path / "papers.jsonl",
        [
            {"id": f"p{i}", "title": f"Paper {i} on sparse attention", "abstract": text}
            for i, text in enumerate(
                ["Sparse attention reads long documents.", "Dense attention is slower on long documents."]
            )
        ],
    )
    with Assistant(Settings(store_dir=tmp_path / "store"), embedder=embedder, notify=lambda m: None) as bare:
        bare.ingest([corpus])
        for question, error in (
            ("which papers use sparse attention?", "year=2023: no paper in the store records a year or date"),
            (
                "which papers by Radford are indexed?",
                "author=Radford (author=Radford read from the question)"
                ": no paper in the store records authors",
            ),
        ):
            given = {"year": "2023"} if "Radford" not in question else None
            with pytest.raises(NoMatchError) as raised:
                bare.ask(question, llm="extractive", filters=given)
            assert str(raised.value) == f"no paper in the store matches the filter {error}"
        # a question's own year on a topic: the topic answered, the year said not to be applied
        # (before: the same error, exit 1)
        answer = bare.ask("which papers from 2023 use sparse attention?", llm="extractive")
        assert not answer.refused and answer.citations
        assert answer.unapplied == "No paper in the store records a year or date: year=2023 is not applied."
        assert answer.to_dict()["unapplied"] == answer.unapplied


@pytest.mark.parametrize(
    ("venue", "accepted"),
    [
        ("Proceedings of the 61st Annual Meeting of the Association for Computational Linguistics", True),
        ("Findings of ACL 2023", True),
        # sister venues whose names hold "Association for Computational Linguistics" (a review)
        (
            "Proceedings of the 2019 Conference of the North American Chapter of the Association for "
            "Computational Linguistics",
            False,
        ),
        ("Transactions of the Association for Computational Linguistics", False),
    ],
)
def test_a_venue_abbreviation_matches_its_full_name_not_its_sister_venues(venue: str, accepted: bool) -> None:
    paper = PaperRef(paper_id="p", title="T", venue=venue)
    assert Filter.parse({"venue": "ACL"}).accepts(fields(paper)) is accepted


def test_a_venue_is_found_by_its_other_abbreviations() -> None:
    """A hostile-input probe: `--venue NeurIPS` missed "NIPS 2017" (the name until 2018), and
    `--venue NIPS` "NeurIPS 2023"."""
    for given, written in (
        ("NeurIPS", "NIPS 2017"),
        ("NIPS", "NeurIPS 2023"),
        ("nips", "Advances in NeurIPS"),
    ):
        assert Filter.parse({"venue": given}).accepts(
            fields(PaperRef(paper_id="p", title="T", venue=written))
        )
    assert not Filter.parse({"venue": "NeurIPS"}).accepts(
        fields(PaperRef(paper_id="p", title="T", venue="ICML"))
    )


def test_keywords_are_tags_to_the_filter_and_to_the_store_summary(
    tmp_path: Path, embedder: OnnxMiniLM
) -> None:
    """A researcher's probe: an export with keywords only (Zotero writes tags so) matched --tag, but
    `rag info` said "tags 0" and a tag no paper carries said "no paper in the store records tags"."""
    corpus = write_jsonl(
        tmp_path / "papers.jsonl",
        [
            {
                "id": "v",
                "title": "Paper on vision",
                "abstract": "Sparse attention for images.",
                "keywords": "vision; vit",
            },
            {"id": "t", "title": "Paper on text", "abstract": "Sparse attention for long documents."},
        ],
    )
    with Assistant(Settings(store_dir=tmp_path / "store"), embedder=embedder, notify=lambda m: None) as lib:
        lib.ingest([corpus])
        summary = lib.info()["metadata"]
        assert summary["with"]["tags"] == 1 and summary["tags"] == {"vision": 1, "vit": 1}
        assert [r.paper.paper_id for r in lib.search("sparse attention", filters={"tag": "vision"})] == ["v"]
        with pytest.raises(NoMatchError) as raised:
            lib.search("sparse attention", filters={"tag": "audio"})
        assert str(raised.value) == "no paper in the store matches the filter tag=audio"


def test_references_json_and_metadata_of_a_cited_paper(meta: Assistant) -> None:
    paper = next(paper_ref(m) for m in meta.library.store.papers().values() if m["paper_id"] == "p36")
    answer = meta.ask(f"What does {paper.title} propose?", llm="extractive", filters={"author": "Turing"})
    cited = next(c for c in answer.citations if c.paper.paper_id == "p36")
    # p36: by Alan Mathison Turing and Grace Hopper, of 2019, in NAACL 2022, with a DOI and an arXiv id
    assert cited.reference() == (
        f"[{cited.number}] {paper.title} - Alan Mathison Turing, Grace Hopper (2019), NAACL 2022 "
        "doi:10.5555/paper.36 arXiv:2301.00036 [cs.LG, q-bio.NC; tags: To Read, Thesis]"
    )
    record = next(c for c in answer.to_dict()["citations"] if c["paper_id"] == "p36")
    assert list(record)[8:] == [
        "date",
        "venue",
        "doi",
        "arxiv_id",
        "categories",
        "keywords",
        "tags",
        "passage",
    ]
    assert record["venue"] == "NAACL 2022" and record["arxiv_id"] == "2301.00036" and record["date"] is None
    assert "(2019), NAACL 2022, doi:10.5555/paper.36, arXiv:2301.00036, [cs.LG" in answer.to_markdown()
    dated = meta.paper("p28")
    assert (
        dated["date"] == "2023-05-15"
        and dated["venue"] == "Advances in Neural Information Processing Systems"
    )
    assert dated["categories"] == ["stat.ML", "cs.CL"] and dated["tags"] == ["Zotero/Vision"]


def _strip_filter_fields(assistant: Assistant) -> None:
    """Make the store what a release before filters wrote: no derived keys, no version recorded.
    (Chroma's own calls: no public function removes what every write adds.)"""
    store = assistant.library.store
    ids = [c.chunk_id for c in store.all_metadata()]
    store._run(lambda c: c.update(ids=ids, metadatas=[dict.fromkeys(DERIVED) for _ in ids]))
    metadata = {k: v for k, v in (store._collection.metadata or {}).items() if k != "filter_fields"}
    store._run(lambda c: c.modify(metadata=metadata))
    assert store.filter_fields == 0 and not any(
        k in c.metadata for c in store.all_metadata() for k in DERIVED
    )


def test_a_store_made_before_filters_gets_their_fields_on_the_first_filtered_search(
    meta: Assistant, embedder: OnnxMiniLM
) -> None:
    filters = Filter.parse({"year": "2021..2022", "author": "Lovelace"})
    before = [h.paper.paper_id for h in meta.search("language models", k=8, filters=filters)]
    unfiltered = meta.search("language models", k=8)
    _strip_filter_fields(meta)
    messages: list[str] = []
    old = Assistant(meta.settings, embedder=embedder, notify=messages.append)
    assert old.search("language models", k=8) == unfiltered  # no filter: nothing is written
    assert not messages and old.library.store.filter_fields == 0
    assert [h.paper.paper_id for h in old.search("language models", k=8, filters=filters)] == before
    assert len(messages) == 1 and "was made before filters: adding their fields" in messages[0]
    assert old.library.store.filter_fields == FIELDS_VERSION and old.library.wrote
    again: list[str] = []
    later = Assistant(meta.settings, embedder=embedder, notify=again.append)
    assert [h.paper.paper_id for h in later.search("language models", k=8, filters=filters)] == before
    assert not again
    extra = write_jsonl(
        meta.settings.store_dir.parent / "extra.jsonl", [{"title": "T", "abstract": "Otters."}]
    )
    assert (
        later.ingest([extra]).embedded == 1 and later.library.store.filter_fields == FIELDS_VERSION
    )  # a write keeps the version


@pytest.mark.fault
def test_an_old_store_being_written_is_not_upgraded_under_its_writer(
    meta: Assistant, embedder: OnnxMiniLM
) -> None:
    _strip_filter_fields(meta)
    with WriteLock(meta.settings.store_dir, "rag ingest big.jsonl"):
        other = Assistant(meta.settings, embedder=embedder, notify=lambda m: None)
        with pytest.raises(StoreBusyError, match=r"store busy: pid \d+, `rag ingest big.jsonl`"):
            other.search("language models", filters={"year": "2022"})
        assert other.search("language models", k=3)  # unfiltered searches go on
    assert other.search("language models", filters={"year": "2022"})


def test_the_command_line_takes_filters_and_says_when_nothing_matches(
    meta_store: Path, tmp_path: Path
) -> None:
    store = ["--store", str(copy_store(meta_store, tmp_path / "store"))]
    result = run(*store, "search", "language models", "--year", "2021..2022", "--category", "cs.CL", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert list(payload) == ["query", "results", "filters"]
    assert payload["filters"] == {"since": "2021-01-01", "until": "2022-12-31", "category": ["cs.CL"]}
    assert payload["results"] and all(
        "cs.CL" in r["categories"] and 2021 <= r["year"] <= 2022 for r in payload["results"]
    )
    text = run(
        *store, "search", "language models", "--author", "Turing, Alan", "--author", "Hopper", "-k", "3"
    )
    assert text.returncode == 0 and text.stdout.startswith("Filter: author='Turing, Alan' author=Hopper (")
    assert re.search(r"^   doi:10\.5555/paper\.\d+|arXiv:2301", text.stdout, re.M)

    nothing = run(*store, "search", "language models", "--venue", "Science")
    assert nothing.returncode == 1 and nothing.stdout == ""
    assert nothing.stderr == "rag: error: no paper in the store matches the filter venue=Science\n"
    asked = run(*store, "ask", "what do they propose?", "--tag", "nothing-tagged-so", "--llm", "extractive")
    assert (
        asked.returncode == 1 and asked.stderr.count("\n") == 1 and "matches the filter tag=" in asked.stderr
    )
    chat = run(*store, "chat", "--venue", "Science")  # before the first question (stdin: none)
    assert (
        chat.returncode == 1
        and chat.stderr == "rag: error: no paper in the store matches the filter venue=Science\n"
    )
    assert run(*store, "chat", "--venue", "Nature").returncode == 0
    bad = run(*store, "search", "language models", "--year", "last year")
    assert bad.returncode == 2 and "argument --year: 'last year': use a year like 2023" in bad.stderr

    answer = run(
        *store, "ask", "which papers study language models?", "--category", "cs.CL", "--llm", "extractive"
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.startswith("Filter: category=cs.CL (")

    info = run(*store, "info")
    assert "  years: 2019 (" in info.stdout and "  categories: cs." in info.stdout
    assert "  venues: " in info.stdout and "Nature (" in info.stdout and "  tags: " in info.stdout
    data = json.loads(run(*store, "info", "--json").stdout)
    assert data["filter_fields"] is True and data["metadata"]["with"]["authors"] == 75
    assert sum(data["metadata"]["years"].values()) == data["metadata"]["with"]["year"] == 68


def test_the_chat_shows_and_changes_the_filter(meta: Assistant) -> None:
    session = ChatSession(meta, k=3, llm="extractive", mode="hybrid")
    papers = [paper_ref(m) for m in meta.library.store.papers().values()]
    chosen = next(p for p in papers if p.year == 2022 and "cs.CL" in p.categories and p.venue)
    script = Script(
        "/filter",
        "/filter year=2022 category=cs.CL",
        f"What does {chosen.title} propose?",
        "/show 1",
        "/filter venue=Science",
        "/filter",
        "/filter year=20",
        "/filter off",
        "/filter",
    )
    assert repl(session, script.read_line, script.write) == 0
    text = script.text
    assert "No filter: every paper is searched." in text
    assert re.search(r"Filter: year=2022 category=cs.CL \(\d+ papers\)\.", text)
    turn = session.turns[0]
    assert turn.answer.filters == {"since": "2022-01-01", "until": "2022-12-31", "category": ["cs.CL"]}
    assert all(s.paper.year == 2022 and "cs.CL" in s.paper.categories for s in turn.answer.sources)
    assert turn.answer.citations[0].paper.paper_id == chosen.paper_id
    assert f"venue: {chosen.venue}\n" in text and f"categories: {', '.join(chosen.categories)}\n" in text
    assert "No paper in the store matches the filter venue=Science; the filter is unchanged." in text
    assert text.count("Filter: year=2022 category=cs.CL.") == 1  # shown again, unchanged
    assert "error: year '20': use a year like 2023" in text
    assert "Filter removed: every paper is searched." in text and session.filters == Filter()
    assert "*Filter: year=2022 category=cs.CL*" in session.transcript()


def test_a_question_file_may_carry_its_filter(meta: Assistant, tmp_path: Path) -> None:
    questions = write_jsonl(
        tmp_path / "q.jsonl",
        [
            {
                "id": "cl",
                "question": "what do language models learn?",
                "filter": {"category": "cs.CL", "year": "2022"},
            },
            {"id": "vision", "question": "image generation", "filter": "tag=Zotero/Vision"},
            {"id": "none", "question": "anything", "filter": {"venue": "Science"}},
            {"id": "bad", "question": "anything", "filter": {"year": ["2022"]}},
            {"id": "plain", "question": "speech recognition"},
        ],
    )
    outcomes: list[evaluate.Outcome] = []
    report = evaluate.run(
        questions,
        assistant=meta,
        llm="extractive",
        collect=outcomes,
        filters=Filter.parse({"year": "2020.."}),
        progress=False,
    )
    assert report["n"] == 3 and report["settings"]["filters"] == {"since": "2020-01-01"}
    by_id = {o.question.id: o for o in outcomes}
    papers = {p: paper_ref(m) for p, m in meta.library.store.papers().items()}
    assert all(papers[p].year == 2022 and "cs.CL" in papers[p].categories for p in by_id["cl"].ranked)
    vision = by_id["vision"]  # its own tag, and the command's years
    assert all(papers[p].tags == ["Zotero/Vision"] and (papers[p].year or 0) >= 2020 for p in vision.ranked)
    assert vision.record()["filters"] == {"since": "2020-01-01", "tag": ["Zotero/Vision"]}
    assert all((papers[p].year or 0) >= 2020 for p in by_id["plain"].ranked)
    problems = report["settings"]["problems"]
    assert f"{questions}:4: 'filter'.year: expected text like 2023, not list; skipped" in problems
    assert (
        "question none: no paper in the store matches the filter year=2020.. venue=Science; skipped"
        in problems
    )


def test_the_llama_index_retriever_takes_metadata_filters(meta: Assistant) -> None:
    from llama_index.core.vector_stores.types import (
        FilterCondition,
        FilterOperator,
        MetadataFilter,
        MetadataFilters,
    )

    filters = MetadataFilters(
        filters=[
            MetadataFilter(key="year", value=2021, operator=FilterOperator.GTE),
            MetadataFilter(key="categories", value=["cs.CL", "cs.LG"], operator=FilterOperator.IN),
        ]
    )
    nodes = meta.as_retriever(k=6, filters=filters).retrieve("language models")
    assert nodes
    for node in nodes:
        metadata = node.node.metadata
        assert metadata["year"] >= 2021 and {"cs.CL", "cs.LG"} & set(metadata["categories"])
        assert set(metadata) >= {"venue", "doi", "arxiv_id", "tags", "keywords", "date"}
    either = MetadataFilters(
        filters=[MetadataFilter(key="author", value="Hopper"), MetadataFilter(key="author", value="Li")],
        condition=FilterCondition.OR,
    )
    for node in meta.as_retriever(k=5, filters=either).retrieve("models"):
        assert {"Grace Hopper", "Fei-Fei Li"} & set(node.node.metadata["authors"])
    with pytest.raises(InputError, match="MetadataFilter title == 'x' is not supported"):
        meta.as_retriever(filters=MetadataFilters(filters=[MetadataFilter(key="title", value="x")]))


def test_a_new_default_store_is_filled_before_it_is_filtered(
    settings: Settings, embedder: OnnxMiniLM
) -> None:
    messages: list[str] = []
    assistant = Assistant(settings, embedder=embedder, notify=messages.append)
    answer = assistant.ask("how do microphones detect swarming?", llm="extractive", filters={"year": "2023"})
    assert "is new and empty: ingesting the bundled corpus" in messages[0] and len(messages) == 1
    assert [s.paper.title for s in answer.sources] == ["Beekeeping with acoustic sensors"]  # the one of 2023
