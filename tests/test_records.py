"""Questions about a paper's record ("who wrote X?", "when was X published?") answered from its stored
fields, cited; a missing field said to be missing; a paper not in the store refused."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import bundled_entries, no_user_settings, write_jsonl
from test_cli import run

from rag.answer import REFUSAL, Answer, Citation, PaperRef
from rag.api import Assistant
from rag.config import Settings
from rag.embeddings import OnnxMiniLM
from rag.errors import NoMatchError
from rag.followups import Turn
from rag.library.filters import Filter
from rag.query import parse, written_about
from rag.record_answer import recency_line, record_answer

ENTRIES = dict(bundled_entries(8))
CLIP_REIDENT = "CLIP-ReIdent: Contrastive Training for Player Re-Identification"
GIM = "GIM: Learning Generalizable Image Matcher From Internet Videos"
DUQGEN = (
    "DUQGen: Effective Unsupervised Domain Adaptation of Neural Rankers by Diversifying Synthetic "
    "Query Generation"
)
# Bundled papers with the fields an export carries; DUQGen has a year but no authors, venue or DOI.
RECORDS = [
    {
        "id": "clip-reident",
        "title": CLIP_REIDENT,
        "abstract": ENTRIES[CLIP_REIDENT],
        "authors": ["Konrad Habel", "Fabian Deuser", "Norbert Oswald"],
        "year": 2023,
        "date": "2023-03-21",
        "venue": "CVPR Workshops",
        "doi": "https://doi.org/10.1109/CVPRW59228.2023.00573",
        "arxiv_id": "2303.11855v1",
    },
    {
        "id": "gim",
        "title": GIM,
        "abstract": ENTRIES[GIM],
        "authors": ["Xuelun Shen", "Zhipeng Cai", "Wei Yin", "Matthias Müller"],
        "year": 2024,
        "venue": "ICLR",
        "url": "https://arxiv.org/abs/2402.11095",
    },
    {"id": "duqgen", "title": DUQGEN, "abstract": ENTRIES[DUQGEN], "arxiv_id": "2404.02489"},
    *(
        {"id": f"plain-{n}", "title": title, "abstract": abstract}
        for n, (title, abstract) in enumerate(bundled_entries(8))
        if title not in (CLIP_REIDENT, GIM, DUQGEN)
    ),
]


@pytest.fixture(scope="module")
def records_store(tmp_path_factory: pytest.TempPathFactory, embedder: OnnxMiniLM) -> Path:
    """Eight bundled papers, three with (some) bibliographic fields, ingested once; only read."""
    root = tmp_path_factory.mktemp("records")
    corpus = root / "corpus"
    corpus.mkdir()
    write_jsonl(corpus / "library.jsonl", RECORDS)
    with no_user_settings(root):
        settings = Settings(store_dir=root / "store", data_dir=corpus)
        report = Assistant(settings, embedder=embedder, notify=lambda message: None).ingest()
    assert report.ok and report.embedded == 8, report.to_dict()
    return root / "store"


@pytest.fixture
def library(records_store: Path, embedder: OnnxMiniLM) -> Assistant:
    return Assistant(Settings(store_dir=records_store), embedder=embedder, notify=lambda message: None)


@pytest.mark.parametrize(
    ("question", "field", "subject"),
    [
        ("who wrote CLIP-ReIdent?", "authors", "CLIP-ReIdent"),
        ("who are the authors of model soups?", "authors", "model soups"),
        ("Who is the author of the GIM paper?", "authors", "GIM"),
        ("authors of clip-reident", "authors", "clip-reident"),
        ("model soups authors", "authors", "model soups"),
        ("by whom was DUQGen written?", "authors", "DUQGen"),
        ("when was clip-reident published?", "date", "clip-reident"),
        ("what year was GIM released?", "date", "GIM"),
        ("when did gim come out?", "date", "gim"),
        ("where did clip-reident appear?", "venue", "clip-reident"),
        ("which conference was GIM published at?", "venue", "GIM"),
        ("in which journal was the paper called \u201cGIM\u201d published?", "venue", "GIM"),
        ("what is the doi of clip-reident?", "doi", "clip-reident"),
        ("What\u2019s the DOI of CLIP-ReIdent", "doi", "CLIP-ReIdent"),
        ("the link to gim", "url", "gim"),
        ("where can I find the duqgen paper?", "url", "duqgen"),
        ("what is the arxiv id of duqgen?", "arxiv_id", "duqgen"),
        ("can you tell me who wrote gim?", "authors", "gim"),
        ("who made LAION-5B?", "authors", "LAION-5B"),
        ("who proposed model soups?", "authors", "model soups"),
    ],
)
def test_questions_about_a_record_name_the_field_and_the_paper(
    question: str, field: str, subject: str
) -> None:
    query = parse(question)
    assert (query.kind, query.record_field, query.search) == ("metadata", field, subject)


@pytest.mark.parametrize(
    "question",
    [
        "how does clip-reident work?",
        "which papers study player re-identification?",
        "when was the eiffel tower built?",
        "what happened last year?",
        "where do the gains of gim come from?",
        "how many authors does the survey cite?",
        "the authors?",  # names no paper: a follow-up's, see test_follow_ups_about_a_paper_write_it_in
        "and the authors?",
    ],
)
def test_other_questions_ask_for_no_record_field(question: str) -> None:
    query = parse(question)
    assert query.record_field is None and query.kind != "metadata"


def test_who_wrote_a_paper_is_answered_from_its_record_and_cited(library: Assistant) -> None:
    for question in ("who wrote CLIP-ReIdent?", "who are the authors of clip-reident?"):
        answer = library.ask(question, llm="extractive")
        assert not answer.refused and answer.backend == "record", answer.decision
        assert (
            answer.text
            == f'"{CLIP_REIDENT}" was written by Konrad Habel, Fabian Deuser and Norbert Oswald [1].'
        )
        assert [c.paper.paper_id for c in answer.citations] == ["clip-reident"]
        assert answer.citations[0].paper.authors == ["Konrad Habel", "Fabian Deuser", "Norbert Oswald"]


def test_a_month_is_said_as_one() -> None:
    paper = PaperRef("p", "Owls", year=2023, date="2023-05")
    assert record_answer(paper, "date") == '"Owls" was published in May 2023 [1].'  # before: "on 2023-05"


def test_which_paper_on_a_topic_is_the_latest_is_told_by_the_records(library: Assistant) -> None:
    """ "which is the latest paper on X?" lists X's papers and says which its records date last
    (before: a lookup quoting one paper, as if it were the newest)."""
    for question in (
        "which is the most recent paper on image matching?",
        "which paper is the most recent on image matching?",  # a researcher's probe: one paper quoted
    ):
        answer = library.ask(question, llm="extractive")
        assert [c.paper.paper_id for c in answer.citations] == ["gim"]
        assert answer.text.endswith("\n\nThe record of [1], the one paper cited, gives 2024."), answer.text
    cited = [
        Citation(1, PaperRef("a", "A", year=2021, date="2021-03-01"), ""),
        Citation(2, PaperRef("b", "B"), ""),
        Citation(3, PaperRef("c", "C", year=2023), ""),
    ]
    assert recency_line(cited) == (
        "Of the papers cited whose records give a year (2), the most recent by its record: [3] (2023)."
    )
    assert recency_line(cited[:1] + cited[2:]) == (
        "Of the papers cited, the most recent by its record: [3] (2023)."
    )
    assert recency_line(cited[1:2]) == (
        "The record of this paper gives no year: which is the most recent cannot be told."
    )


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("when was clip-reident published?", "was published on 2023-03-21 [1]."),
        ("when was GIM published?", "was published in 2024 [1]."),
        ("where did clip-reident appear?", "appeared in CVPR Workshops (2023) [1]."),
        ("which conference was gim published at?", "appeared in ICLR (2024) [1]."),
        (
            "what is the doi of clip-reident?",
            "is 10.1109/cvprw59228.2023.00573 (https://doi.org/10.1109/cvprw59228.2023.00573) [1].",
        ),
        ("what is the arxiv id of clip-reident?", "is 2303.11855 [1]."),
        ("the link to gim", "is https://arxiv.org/abs/2402.11095 [1]."),
        ("who wrote gim?", "was written by Xuelun Shen, Zhipeng Cai, Wei Yin and Matthias Müller [1]."),
        # by words of its title side by side that no other title writes (before: refused, a third
        # of the title's words being too few)
        (
            "who wrote generalizable image matcher?",
            "was written by Xuelun Shen, Zhipeng Cai, Wei Yin and Matthias Müller [1].",
        ),
    ],
)
def test_each_field_is_answered_from_the_record(library: Assistant, question: str, says: str) -> None:
    answer = library.ask(question, llm="extractive")
    assert answer.backend == "record" and answer.text.endswith(says), answer.text
    assert len(answer.citations) == 1 and answer.citations[0].paper.title in answer.text


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("who wrote duqgen?", "The record of [1] has no authors."),
        ("where did DUQGen appear?", "The record of [1] has no venue. It is arXiv 2404.02489."),
        (
            "what is the doi of duqgen?",
            "The record of [1] has no DOI. It is arXiv 2404.02489; "
            "arXiv's DOI for it is 10.48550/arXiv.2404.02489.",
        ),
        ("when was duqgen published?", "The record of [1] has no date or year."),
    ],
)
def test_a_field_the_record_lacks_is_said_to_be_missing(library: Assistant, question: str, text: str) -> None:
    # today (before): a sentence of the abstract, unrelated to the question, was the answer
    answer = library.ask(question, llm="extractive")
    assert answer.text == text and answer.backend == "record" and not answer.refused
    assert [c.paper.paper_id for c in answer.citations] == ["duqgen"]


@pytest.mark.parametrize(
    "question",
    [
        "who wrote the attention is all you need paper?",
        "who wrote hamlet?",
        "when was GPT-4 released?",
        # a word of some titles ("Re-Identification", "Domain Adaptation") names none of them
        "who proposed re-identification?",
        "who invented domain adaptation?",
        # words of one title side by side that other papers write too: a topic, no paper's name
        "who introduced domain adaptation?",
    ],
)
def test_a_paper_not_in_the_store_is_refused_with_the_closest(library: Assistant, question: str) -> None:
    answer = library.ask(question, llm="extractive")
    assert answer.refused and answer.text == REFUSAL and answer.citations == [] and answer.closest


def test_a_name_coined_in_an_abstract_is_answered_from_the_record_of_the_paper_coining_it(
    library: Assistant,
) -> None:
    """ "who proposed ZEB?": no title is ZEB, but GIM's abstract proposes it; the answer quotes that
    sentence and GIM's authors (before: refused, as no title names ZEB)."""
    answer = library.ask("who proposed zeb?", llm="extractive")
    assert answer.text == (
        "We also propose ZEB, the first zero-shot evaluation benchmark for image matching. [1] "
        f'"{GIM}" was written by Xuelun Shen, Zhipeng Cai, Wei Yin and Matthias Müller [1].'
    ), answer.text
    assert [c.paper.paper_id for c in answer.citations] == ["gim"] and not answer.refused


def test_a_record_question_is_answered_from_the_record_whatever_the_backend(library: Assistant) -> None:
    # An OpenAI backend nobody listens for: a model call would fall back and say so.
    settings = {
        **library.settings.model_dump(),
        "openai_api_key": "sk-x",
        "openai_base_url": "http://127.0.0.1:9/v1",
    }
    assistant = Assistant(
        Settings(**settings), embedder=library.library.embedder, notify=lambda message: None
    )
    answer = assistant.ask("Who wrote GIM?", llm="openai")
    assert answer.backend == "record" and answer.fallback_reason is None
    assert "Matthias Müller [1]." in answer.text


def test_rag_ask_answers_from_the_record_with_the_reference(records_store: Path) -> None:
    result = run("--store", str(records_store), "ask", "--llm", "extractive", "who wrote clip-reident?")
    assert result.returncode == 0, result.stderr
    assert "was written by Konrad Habel, Fabian Deuser and Norbert Oswald [1]." in result.stdout
    assert f"[1] {CLIP_REIDENT} - Konrad Habel, Fabian Deuser, Norbert Oswald (2023)" in result.stdout
    result = run("--store", str(records_store), "ask", "--json", "--llm", "extractive", "doi of clip-reident")
    payload = json.loads(result.stdout)
    assert payload["backend"] == "record" and payload["citations"][0]["paper_id"] == "clip-reident"


def test_the_record_answer_cuts_a_long_author_list_and_names_an_untitled_paper() -> None:
    many = PaperRef("p", "A big collaboration", authors=[f"Author {n}" for n in range(1, 13)])
    assert record_answer(many, "authors").endswith("Author 10 and 2 others [1].")
    one = PaperRef("q", "", authors=["Ada Lovelace"], date="Mar 11")
    assert record_answer(one, "authors") == "This paper was written by Ada Lovelace [1]."
    # a date without a year is no "no date" (before: "... has no date or year. It is dated Mar 11")
    assert record_answer(one, "date") == (
        "The record of [1] has no year. Its source lists it under Mar 11, without a year."
    )
    assert record_answer(PaperRef("s", "T"), "date") == "The record of [1] has no date or year."
    linked = PaperRef("r", "T", links=["https://github.com/x/y"])
    assert (
        record_answer(linked, "url")
        == "The record of [1] has no link. Its abstract links to https://github.com/x/y."
    )


@pytest.mark.parametrize(
    ("question", "author", "years"),
    [
        ("papers by Geoffrey Hinton", "Geoffrey Hinton", None),
        ("papers by yann lecun on self-supervised learning", "yann lecun", None),
        ("papers written by A. Turing in 2024", "A. Turing", (2024, 2024)),
        ("which papers did Jian Sun write?", "Jian Sun", None),
        ("papers from 2023 on diffusion models", None, (2023, 2023)),
        ("which papers from 2021 to 2023 study distillation?", None, (2021, 2023)),
        ("publications by Ada Lovelace between 2019 and 2021", "Ada Lovelace", (2019, 2021)),
        ("papers on rlhf 2021-2023", None, (2021, 2023)),
        ("papers on rl since 2022", None, (2022, None)),
        ("papers from 2021 onwards about rl", None, (2021, None)),
        ("papers after 2022 on rlhf", None, (2023, None)),
        ("works published before 2020 about transformers", None, (None, 2019)),
        ("which papers study dpo?", None, None),
        ("how many images were released in 2021?", None, None),  # no papers asked for: no scope
        ("papers by the same authors", None, None),  # not a name
        ("which papers improve accuracy by 5%?", None, None),
        ("papers by using reinforcement learning", None, None),
        # before: the author "Radford are indexed", "Hinton were published"
        ("which papers by Radford are indexed?", "Radford", None),
        ("which papers by Hinton were published in 2023?", "Hinton", (2023, 2023)),
        # the verb goes with the years (before: "model merging published" searched)
        ("list papers about model merging published after 2023", None, (2024, None)),
        ("papers on lora that came out after 2021", None, (2022, None)),
        ("papers released between 2021 and 2023", None, (2021, 2023)),
        ("which papers came out during 2024?", None, (2024, 2024)),
    ],
)
def test_the_author_and_years_a_question_names_are_parsed_for_the_filters(
    question: str, author: str | None, years: tuple[int | None, int | None] | None
) -> None:
    query = parse(question)
    low, high = years or (None, None)
    expected = Filter(
        start=low * 10000 + 101 if low else None,
        end=high * 10000 + 1231 if high else None,
        authors=(author,) if author else (),
    )
    assert query.asked == expected and query.filters == expected
    if expected:
        assert query.is_list
        # the scope's words are not searched: "papers by X on Y" searches Y
        assert not (author and author.lower() in query.search.lower())
        assert not re.search(r"\d{4}", query.search)


@pytest.mark.parametrize(
    ("question", "catalogue"),
    [
        ("papers by Radford", True),
        ("which papers by Radford are indexed?", True),
        ("which papers by Radford are in the collection?", True),
        ("papers by alice smith about libraries", False),  # a topic, whatever its word
        ("papers from 2023 on the library", False),
        ("papers by Radford on available datasets", False),
    ],
)
def test_a_question_asking_for_a_filters_papers_alone_is_a_catalogue(question: str, catalogue: bool) -> None:
    assert parse(question).catalogue is catalogue


def test_a_filter_given_replaces_the_field_the_question_writes() -> None:
    query = parse("papers by Ada Lovelace from 2023 on engines", Filter.parse({"year": "2024"}))
    assert query.filters == Filter(start=20240101, end=20241231, authors=("Ada Lovelace",))
    assert query.search == "engines" and not query.catalogue


@pytest.mark.parametrize(
    ("question", "listed"),
    [
        ("papers by habel", ["clip-reident"]),
        ("which papers did Matthias Muller write?", ["gim"]),  # the record has "Müller"
        ("what has Fabian Deuser written?", ["clip-reident"]),
        ("papers from 2024", ["gim"]),
        ("show me all the papers since 2023", ["gim", "clip-reident"]),  # newest first
        ("papers published before 2024", ["clip-reident"]),
    ],
)
def test_papers_by_name_or_year_are_listed_from_the_records(
    library: Assistant, question: str, listed: list[str]
) -> None:
    answer = library.ask(question, llm="extractive")
    assert answer.backend == "record" and not answer.refused, answer.text
    assert [c.paper.paper_id for c in answer.citations] == listed
    for number, citation in enumerate(answer.citations, 1):
        assert f'"{citation.paper.title}" ({citation.paper.year}) [{number}]' in answer.text
    count = "One paper" if len(listed) == 1 else f"{len(listed)} papers"
    assert answer.text.startswith(f"{count} in the store"), answer.text


@pytest.mark.parametrize(
    "question",
    [
        "how many papers are there?",
        "how many papers do you have?",
        "How many papers are in the collection?",
        "how many papers are indexed?",
        "how many papers are there in total?",
    ],
)
def test_how_many_papers_there_are_is_the_collections_size(library: Assistant, question: str) -> None:
    """Before, refused: no abstract says how many papers the collection holds."""
    answer = library.ask(question, llm="extractive")
    assert answer.text == "The collection holds 8 papers; ask about a topic to find those on it."
    assert not answer.refused and not answer.citations
    # within a filter, the papers it lets through
    scoped = library.ask(question, llm="extractive", filters={"year": "2024"})
    assert scoped.text.startswith("One paper in the store matches year=2024: ") and len(scoped.citations) == 1


def test_papers_by_name_on_a_topic_are_searched_within_the_authors_papers(library: Assistant) -> None:
    answer = library.ask("papers by Norbert Oswald on re-identification", llm="extractive")
    assert not answer.refused, answer.decision
    assert {c.paper.paper_id for c in answer.citations} == {"clip-reident"}
    hits = library.search("papers from 2024 on image matching")
    assert [h.paper.paper_id for h in hits] == ["gim"]


def test_a_scope_nobody_matches_says_so_in_one_line(library: Assistant, records_store: Path) -> None:
    with pytest.raises(NoMatchError, match=r"author=hinton \(author=hinton read from the question\)"):
        library.ask("papers by hinton on capsules", llm="extractive")
    result = run("--store", str(records_store), "ask", "--llm", "extractive", "papers from 1999")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "year=1999 read from the question" in result.stderr


@pytest.mark.parametrize(
    ("question", "written"),
    [
        ("who are the authors?", "who are the authors of Model soups?"),
        ("and the authors?", "the authors of Model soups?"),
        ("who wrote it?", "who wrote Model soups?"),
        ("who made it?", "who made Model soups?"),
        ("when was it published?", "when was Model soups published?"),
        ("what is its doi?", "what is the doi of Model soups?"),
        ("where did this paper appear?", "where did Model soups appear?"),
        ("how does it differ from twin-merging?", "how does Model soups differ from twin-merging?"),
        (
            "what is the difference between it and PLeaS?",
            "what is the difference between Model soups and PLeaS?",
        ),
        ("what dataset did they use?", None),  # neither a record nor a comparison: carried along
        ("how does it differ from previous methods?", None),  # no paper on the other side
        ("who wrote clip-reident?", None),  # names its own paper
    ],
)
def test_follow_ups_about_a_paper_write_it_in(question: str, written: str | None) -> None:
    assert written_about(question, "Model soups") == written


def _citing(library: Assistant) -> Callable[..., Turn]:
    """Exchanges whose answer cited these stored papers, [1], [2], ... in this order."""
    from rag.answer import Answer, Citation

    stored = library.library.store.papers()

    def citing(*ids: str) -> Turn:
        papers = [PaperRef(paper_id, str(stored[paper_id]["title"])) for paper_id in ids]
        answer = Answer(
            "", "", [Citation(n, p, "") for n, p in enumerate(papers, 1)], [], backend="extractive"
        )
        return Turn("q", "q", answer)

    return citing


def _asked_after(library: Assistant, ids: tuple[str, ...], question: str) -> Answer:
    """A chat's answer to a question after an answer citing these stored papers."""
    from rag.chat import ChatSession

    session = ChatSession(library, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
    session.turns.append(_citing(library)(*ids))
    return session.answer(question).finish()


def test_who_wrote_them_after_an_answer_citing_several_papers_gives_each_record(library: Assistant) -> None:
    """ "who wrote them?" after an answer citing CLIP-ReIdent, GIM and DUQGen is each paper's record,
    cited, the missing field said to be missing (before: carried along as "who wrote them? (regarding:
    CLIP-ReIdent)" and answered with sentences of its abstract)."""
    answer = _asked_after(library, ("clip-reident", "gim", "duqgen"), "who wrote them?")
    assert answer.question == "who wrote CLIP-ReIdent, GIM and DUQGen?"
    assert answer.text.splitlines() == [
        f'- "{CLIP_REIDENT}" was written by Konrad Habel, Fabian Deuser and Norbert Oswald [1].',
        f'- "{GIM}" was written by Xuelun Shen, Zhipeng Cai, Wei Yin and Matthias Müller [2].',
        "- The record of [3] has no authors.",
    ], answer.text
    assert [c.paper.paper_id for c in answer.citations] == ["clip-reident", "gim", "duqgen"]


@pytest.mark.parametrize("question", ["which one is the most recent?", "which of them came out first?"])
def test_which_of_them_is_the_most_recent_gives_their_dates_newest_first(
    library: Assistant, question: str
) -> None:
    """ "which one is the most recent?" after a list asks its papers' records: their dates, newest
    first (before: chosen among them as a topic, "None of the papers of the last answer says so.")."""
    answer = _asked_after(library, ("clip-reident", "duqgen", "gim"), question)
    assert answer.question == "when were CLIP-ReIdent, DUQGen and GIM published?"
    assert answer.text.splitlines() == [
        f'- "{GIM}" was published in 2024 [1].',
        f'- "{CLIP_REIDENT}" was published on 2023-03-21 [2].',
        "- The record of [3] has no date or year.",
    ], answer.text
    assert [c.paper.paper_id for c in answer.citations] == ["gim", "clip-reident", "duqgen"]


def test_the_other_one_is_the_other_of_two_papers_an_earlier_answer_cited(library: Assistant) -> None:
    """After an answer citing CLIP-ReIdent and GIM, then one citing CLIP-ReIdent alone, "who wrote
    the other one?" asks about GIM (before: refused); with three papers before, "the other one" is
    none of them."""
    from rag.chat import ChatSession
    from rag.followups import placed_in

    citing = _citing(library)
    session = ChatSession(library, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
    session.turns += [citing("clip-reident", "gim"), citing("clip-reident")]
    answer = session.answer("who wrote the other one?").finish()
    assert answer.question == "who wrote GIM?"
    assert answer.text == f'"{GIM}" was written by Xuelun Shen, Zhipeng Cai, Wei Yin and Matthias Müller [1].'
    assert (
        placed_in("who wrote the other one?", [citing("clip-reident", "gim", "duqgen"), citing("gim")])
        is None
    )


def test_they_after_an_answer_about_one_of_two_papers_are_still_the_two(library: Assistant) -> None:
    """After an answer citing CLIP-ReIdent and GIM, then one about CLIP-ReIdent alone ("tell me more
    about the first one"), "how do they differ?" compares the two (before: it asked CLIP-ReIdent's
    abstract how "they" differ); "the other one" is GIM however many answers about CLIP-ReIdent
    came between."""
    from rag.chat import ChatSession
    from rag.followups import placed_in

    citing = _citing(library)
    session = ChatSession(library, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
    session.turns += [citing("clip-reident", "gim"), citing("clip-reident")]
    answer = session.answer("how do they differ?").finish()
    assert answer.question == "how do CLIP-ReIdent and GIM differ?"
    assert {c.paper.paper_id for c in answer.citations} == {"clip-reident", "gim"}
    turns = [citing("clip-reident", "gim"), citing("clip-reident"), citing("clip-reident")]
    placed = placed_in("who wrote the other one?", turns)
    assert placed is not None and placed.question == "who wrote GIM?"


def test_a_whole_title_of_common_words_is_answered_from_each_record_carrying_it(
    tmp_path: Path, embedder: OnnxMiniLM
) -> None:
    """A researcher's library held "Attention Is All You Need" from OpenAlex (a DOI) and from Zotero
    (no id): "when was attention is all you need published?" was refused (the two tied, and the
    title's words are common); now each record answers, cited."""
    vaswani = ["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"]
    abstract = (
        "The dominant sequence transduction models are based on complex recurrent or convolutional "
        "neural networks. We propose a new simple network architecture, the Transformer, based solely "
        "on attention mechanisms, dispensing with recurrence and convolutions entirely."
    )
    records = [
        {
            "id": "doi:10.48550/arxiv.1706.03762",
            "title": "Attention Is All You Need",
            "abstract": abstract,
            "authors": vaswani,
            "date": "2017-06-12",
        },
        {
            "title": "Attention is All you Need",
            "abstract": abstract + " It trains in 3.5 days.",
            "authors": vaswani,
            "year": 2017,
            "venue": "NeurIPS",
        },
        {
            "id": "astar",
            "title": "A-STAR: Test-time Attention Segregation and Retention",
            "abstract": "Cross-attention maps of diffusion models overlap; we separate them at test time.",
        },
        {
            "id": "tails",
            "title": "The Power of Attention",
            "abstract": "Attention layers help.",
            "year": 2021,
        },
        *({"id": f"plain-{n}", "title": t, "abstract": a} for n, (t, a) in enumerate(bundled_entries(6))),
    ]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_jsonl(corpus / "library.jsonl", records)
    with Assistant(Settings(store_dir=tmp_path / "store"), embedder=embedder, notify=lambda m: None) as lib:
        lib.ingest([corpus])
        answer = lib.ask("when was attention is all you need published?", llm="extractive")
        assert not answer.refused
        assert "2017-06-12" in answer.text and "2017" in answer.text.replace("2017-06-12", "")
        assert {c.paper.title for c in answer.citations} == {
            "Attention Is All You Need",
            "Attention is All you Need",
        }
        who = lib.ask("who wrote attention is all you need?", llm="extractive")
        assert who.text.count("Ashish Vaswani") == 2 and len(who.citations) == 2
        # a title inside a longer phrase is not what is asked about (a review: "who wrote the paper
        # on deep learning for weather forecasting?" answered from "Deep Learning")
        longer = lib.ask("who wrote the paper on attention is all you need for speech?", llm="extractive")
        assert longer.refused, longer.text
        # a title opening with "the", asked with or without a frame (a review: never matched whole)
        for asked in (
            "when was the power of attention published?",
            "when was the paper the power of attention published?",
        ):
            dated = lib.ask(asked, llm="extractive")
            assert dated.text.startswith('"The Power of Attention" was published in 2021'), (
                asked,
                dated.text,
            )
