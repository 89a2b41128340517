"""The chat: scripted sessions through the REPL loop, and `rag chat` in a real terminal."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from conftest import CONTROLS
from doubles import Script, Scripted

from rag.answer import Answer, Citation, PaperRef
from rag.api import Assistant
from rag.chat import HISTORY_LINES, ChatSession, repl
from rag.config import Settings
from rag.embeddings import OnnxMiniLM
from rag.events import Event
from rag.evidence import Evidence
from rag.followups import (
    Turn,
    about_only,
    asked_of_each,
    carry_context,
    chosen_form,
    compared_in,
    counted_again,
    described,
    listed_again,
    needs_rewriting,
    placed_in,
    points_to_two,
    refers_back,
    rivaled_in,
    selection,
    short_name,
    unplaced,
)
from rag.query import compared, joined, parse, written_about

CLIP = "CLIP-ReIdent: Contrastive Training for Player Re-Identification"
GIM_TITLE = "GIM: Learning Generalizable Image Matcher From Internet Videos"


@pytest.fixture
def session(assistant: Assistant) -> ChatSession:
    assistant.ingest()
    return ChatSession(assistant, k=5, llm="extractive", mode="hybrid")


def test_a_new_topic_in_the_middle_of_a_chat_is_searched_as_typed(session: ChatSession) -> None:
    script = Script(
        "How well does a fine-tuned CLIP model re-identify basketball players?",
        "Which papers in this collection study glacier retreat from satellite radar?",
        "beekeeping with microphones",
    )
    assert repl(session, script.read_line, script.write) == 0
    _, second, third = session.turns
    assert second.standalone == second.question and third.standalone == third.question
    assert "searching for" not in script.text
    assert "glacier" in second.answer.text.lower() and "CLIP" not in second.answer.text
    assert third.answer.citations[0].paper.title == "Beekeeping with acoustic sensors"


def test_a_question_then_a_follow_up_that_needs_the_context(session: ChatSession) -> None:
    script = Script(
        "How well does a fine-tuned CLIP model re-identify basketball players?",
        "What loss did they train with?",
    )
    assert repl(session, script.read_line, script.write) == 0
    first, second = session.turns
    assert first.answer.citations[0].paper.title == CLIP
    assert second.standalone == "What loss did they train with? (regarding: CLIP-ReIdent)"
    assert f"(searching for: {second.standalone})" in script.text
    assert second.answer.citations[0].paper.title == CLIP
    assert script.text.count("References") == 2 and f"[1] {CLIP}" in script.text
    # Without the context the follow-up finds another paper first.
    assert session.assistant.search("What loss did they train with?", k=1)[0].paper.title != CLIP


def test_commands_show_sources_save_and_unknown(session: ChatSession, tmp_path: Path) -> None:
    transcript = tmp_path / "notes.md"
    script = Script(
        "/help",
        "Which hives predict swarming by listening?",
        "/sources",
        "/show 1",
        "/show 9",
        "/k 2",
        "/mode keyword",
        "/llm nonsense",
        "/frobnicate",
        f"/save {transcript}",
        "/reset",
        "/quit",
        "never read",
    )
    assert repl(session, script.read_line, script.write) == 0
    text = script.text
    assert "/sources           the last answer's papers with their scores" in text
    assert "Microphones inside beehives detect swarming two days in advance" in text  # /show 1: full abstract
    assert "paper_id: t-" in text and "sources: extra.jsonl" in text
    assert "[1] " in text.split("/sources")[-1] or "[1] 0." in text
    assert "/show takes a reference number from the last answer (1-" in text
    assert session.k == 2 and session.mode == "keyword" and session.llm == "extractive"
    assert "/llm takes auto, openai, local or extractive" in text
    assert "Unknown command /frobnicate: type /help for the commands." in text
    saved = transcript.read_text()
    assert saved.startswith("# Conversation") and "## Which hives predict swarming by listening?" in saved
    assert "**References**" in saved and "1. Beekeeping with acoustic sensors" in saved
    assert "Conversation forgotten." in text and session.turns == []
    assert script.lines == ["never read"]


@pytest.mark.fault
def test_errors_and_interrupts_keep_the_session(tmp_path: Path, embedder: OnnxMiniLM) -> None:
    empty = Assistant(
        Settings(store_dir=tmp_path / "empty", data_dir=tmp_path / "missing"), embedder=embedder
    )
    session = ChatSession(empty, k=5, llm="extractive", mode="hybrid")
    script = Script("What is in here?", KeyboardInterrupt, "/k 3")
    assert repl(session, script.read_line, script.write) == 0
    assert "error: the store at" in script.text
    assert "holds no papers: add yours with `rag ingest PATH`" in script.text
    assert "Answers now draw on 3 papers." in script.text


@pytest.mark.fault
def test_ctrl_c_during_an_answer_cancels_only_that_answer(
    session: ChatSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = session.assistant.answer

    def interrupted(*args: object, **kwargs: object) -> Iterator[Event]:
        stream = original(*args, **kwargs)  # type: ignore[arg-type]
        for index, event in enumerate(stream):
            if index == 1:
                raise KeyboardInterrupt
            yield event

    monkeypatch.setattr(session.assistant, "answer", interrupted)
    script = Script("How well does a fine-tuned CLIP model re-identify players?", "/k 4")
    assert repl(session, script.read_line, script.write) == 0
    assert "[answer cancelled]" in script.text and session.turns == []
    assert "Answers now draw on 4 papers." in script.text


def test_carry_context_without_citations_uses_the_previous_question(session: ChatSession) -> None:
    answer = session.assistant.ask("Who won the 1998 football World Cup?")
    assert answer.refused

    assert (
        carry_context("and in 2002?", Turn("q", "Who won in 1998?", answer))
        == "and in 2002? (regarding: Who won in 1998?)"
    )


def test_a_follow_up_after_a_refused_follow_up_carries_its_subject_without_nesting(
    session: ChatSession,
) -> None:
    answer = session.assistant.ask("and its population? (regarding: What is the capital of Peru?)")
    assert answer.refused

    refused_follow_up = Turn("q", "and its population? (regarding: What is the capital of Peru?)", answer)
    carried = carry_context("and in 1950?", refused_follow_up)
    assert carried == "and in 1950? (regarding: What is the capital of Peru?)"


def test_rag_chat_in_a_real_terminal(settings: Settings, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        {"RAG_STORE_DIR": str(settings.store_dir), "RAG_DATA_DIR": str(settings.data_dir), "TERM": "dumb"}
    )
    rag = str(Path(sys.executable).with_name("rag"))
    child = pexpect.spawn(
        rag,
        ["chat", "--llm", "extractive"],
        env=env,
        encoding="utf-8",
        timeout=180,
        cwd=str(tmp_path),
        use_poll=True,  # select() fails on a descriptor numbered past 1024
    )
    try:
        child.expect("rag> ")  # the first question ingests the small corpus
        child.sendline("How well does a fine-tuned CLIP model re-identify basketball players?")
        child.expect("98.44 % mAP")
        child.expect("References")
        assert "\x1b" not in str(child.before)  # TERM=dumb: plain text
        child.expect(r"\[1\] CLIP-ReIdent")
        child.expect("rag> ")
        child.sendline("/show 1")
        child.expect("Sports analytics benefits")
        child.expect("rag> ")
        child.sendeof()  # Ctrl-D
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    history = settings.store_dir / "chat_history"
    assert "How well does a fine-tuned CLIP model" in history.read_text()


@pytest.mark.fault
def test_two_chats_on_one_store_keep_both_histories(filled_settings: Settings, tmp_path: Path) -> None:
    """Each session appends its own questions when it ends; the file keeps the latest HISTORY_LINES."""
    history = filled_settings.store_dir / "chat_history"
    history.write_text("".join(f"old question {i}\n" for i in range(HISTORY_LINES)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update({"RAG_STORE_DIR": str(filled_settings.store_dir), "TERM": "dumb"})
    rag = str(Path(sys.executable).with_name("rag"))
    first, second = (
        pexpect.spawn(
            rag, ["chat", "--llm", "extractive"], env=env, encoding="utf-8", timeout=120, use_poll=True
        )
        for _ in range(2)
    )
    try:
        for chat in (first, second):
            chat.expect("rag> ")
        first.sendline("Which hives predict swarming by listening?")
        first.expect("rag> ")
        second.sendline("How efficient are engineered algae?")
        second.expect("rag> ")
        second.sendeof()  # the second session ends first
        second.expect(pexpect.EOF)
        first.sendline("/help")
        first.expect("rag> ")
        first.sendeof()
        first.expect(pexpect.EOF)
    finally:
        first.close()
        second.close()
    lines = history.read_text().splitlines()
    assert lines[-3:] == [
        "How efficient are engineered algae?",
        "Which hives predict swarming by listening?",
        "/help",
    ]
    assert len(lines) == HISTORY_LINES and lines[0] == "old question 3"
    assert history.stat().st_mode & 0o777 == 0o600


def test_save_never_overwrites_without_the_bang_and_a_huge_k_is_capped(
    session: ChatSession, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("my own notes")
    script = Script(
        "/k 99999999999999999999",
        "Which hives predict swarming by listening?",
        f"/save {notes}",
        f"/save! {notes}",
    )
    notices: list[str] = []
    session.assistant.notify = notices.append
    assert repl(session, script.read_line, script.write) == 0
    assert f"{notes} exists: /save! {notes} overwrites it." in script.text
    assert notes.read_text().startswith("# Conversation") and session.turns
    assert any("is more than the store holds" in n for n in notices)


def test_a_turn_answers_from_the_evidence_it_decided_with(
    session: ChatSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deciding between the question as typed and its follow-up reading takes two retrievals; the
    answer is written from the evidence chosen, without a third."""
    searched: list[str] = []
    original = session.assistant.gatherer.retriever

    def counting(*args: object, **kwargs: object) -> object:
        retriever = original(*args, **kwargs)  # type: ignore[arg-type]
        search = retriever.search

        def recorded(text: str, **options: object) -> object:
            searched.append(text)
            return search(text, **options)  # type: ignore[arg-type]

        retriever.search = recorded  # type: ignore[method-assign]
        return retriever

    monkeypatch.setattr(session.assistant.gatherer, "retriever", counting)
    script = Script("How well does a fine-tuned CLIP model re-identify basketball players?")
    assert repl(session, script.read_line, script.write) == 0
    assert len(searched) == 1  # a first question: searched once, as typed
    searched.clear()
    script = Script("What loss did they train with?")
    assert repl(session, script.read_line, script.write) == 0
    assert searched == [
        "What loss did they train with?",
        "What loss did they train with? (CLIP-ReIdent)",  # the paper pointed at is searched, not "regarding"
    ]
    assert session.turns[-1].standalone == "What loss did they train with? (regarding: CLIP-ReIdent)"
    assert session.turns[-1].answer.citations[0].paper.title == CLIP


@pytest.mark.fault
def test_numbers_that_are_not_numbers_are_one_line_answers_and_the_chat_goes_on(session: ChatSession) -> None:
    """str.isdigit() takes superscripts, which int() refuses; int() refuses 5,000 digits: each is
    the command's own one-line reply, and the session answers the next question."""
    script = Script(
        "Which hives predict swarming by listening?",
        "/k ¹",
        "/show ²",
        "/show " + "9" * 5000,
        "/k " + "9" * 5000,
        "/k ٣",  # Arabic-Indic 3: a decimal digit int() reads
        "What is the capital of Peru?",
    )
    assert repl(session, script.read_line, script.write) == 0
    text = script.text
    assert text.count("/k takes a number of papers, e.g. /k 5") == 2
    assert text.count("/show takes a reference number from the last answer (1-") == 2
    assert "Answers now draw on 3 papers." in text and session.k == 3
    assert len(session.turns) == 2 and "Traceback" not in text


@pytest.mark.fault
def test_a_replys_escapes_reach_neither_the_chat_nor_its_transcript(
    assistant: Assistant, tmp_path: Path
) -> None:
    """A model's escape sequences are removed as the reply streams: neither printed nor saved."""
    assistant.ingest()
    reply = (
        "A fine-tuned CLIP model reaches 98.44% mAP on basketball player re-identification [1]. "
        "\x1b]0;pwned\x07\x1b[2J\x1b[8mHidden.\x1b[0m"
    )
    settings = Settings(**{**assistant.settings.model_dump(), "openai_api_key": "sk-test"})
    scripted = Assistant(settings, embedder=assistant.library.embedder, llms={"openai": Scripted(reply)})
    session = ChatSession(scripted, k=5, llm="openai", mode="hybrid")
    notes = tmp_path / "notes.md"
    script = Script("what mAP does clip-reident achieve?", f"/save {notes}")
    assert repl(session, script.read_line, script.write) == 0
    assert session.turns[0].answer.backend == "openai", session.turns[0].answer.fallback_reason
    assert not CONTROLS.search(script.text) and "pwned" not in script.text and "␛" not in script.text
    saved = notes.read_text()
    assert not CONTROLS.search(saved) and "pwned" not in saved and "98.44% mAP" in saved


def test_a_follow_up_pointing_back_stays_on_the_paper(session: ChatSession) -> None:
    script = Script("what is clip-reident?", "what accuracy do they reach?", "who are the authors?")
    assert repl(session, script.read_line, script.write) == 0
    first, second, third = session.turns
    assert first.answer.citations[0].paper.title == CLIP
    assert second.standalone.endswith("(regarding: CLIP-ReIdent)")
    assert "98.44" in second.answer.text
    # a question about the record has the paper written in, and is answered from its record
    assert third.standalone == "who are the authors of CLIP-ReIdent?"
    assert third.answer.text == "The record of [1] has no authors."
    for follow_up in (second, third):
        assert follow_up.answer.sources[0].paper.title == CLIP


def test_a_new_topic_asked_with_they_leaves_the_last_paper(session: ChatSession) -> None:
    script = Script(
        "what is clip-reident?",
        "how do they measure glacier retreat from satellite radar over two decades?",
    )
    assert repl(session, script.read_line, script.write) == 0
    first, second = session.turns
    assert first.answer.citations[0].paper.title == CLIP
    assert second.standalone == second.question  # "they" points at nobody here: a new topic
    assert "glacier" in second.answer.text.lower() and "CLIP" not in second.answer.text


@pytest.mark.parametrize(
    ("question", "points_back"),
    [
        ("what accuracy do they reach?", True),
        ("how did the authors caption the videos?", True),
        ("and at 3 bits?", True),
        ("which stocks should i buy this year?", False),
        ("which papers did this collection publish that decade?", False),
        ("is it possible to train on one gpu?", False),
        # one of the things the last answer named (a researcher's probe: after Spectra's "54 language
        # models ranging from 99M to 3.9B parameters", answered from BigNAS)
        ("how big is the largest one?", True),
        ("which is the most efficient one?", True),
        ("what is the largest dataset for detection?", False),
        # a list asked anew, and words ending in -est (a review)
        ("what are the best ones for image segmentation?", False),
        ("show me the newest ones on model merging", False),
        ("is the test one public?", False),
        ("find the smallest ones that run on a phone", False),
        ("how long is the longest one in the list?", True),  # any superlative, the list its own
        ("what is the fastest one that you mentioned?", True),
        ("what are the best ones that i can use for NER?", False),  # a review: a clause of its own
        ("which is the largest one in the collection?", False),  # a review: tied to the last paper
    ],
)
def test_what_points_back_at_the_last_answer(question: str, points_back: bool) -> None:
    assert refers_back(question) is points_back


@pytest.mark.parametrize(
    ("question", "description"),
    [
        ("what is the dataset of 5 billion image-text pairs?", "5 billion image-text pairs"),
        ("what is the framework based on the sbp abstraction?", "the sbp abstraction"),
        ("how does the method which uses distilled data work?", "uses distilled data work"),
        # a decimal point or a thousands comma ends no description (a second review)
        ("what is the dataset of 5.85 billion image-text pairs?", "5.85 billion image-text pairs"),
        ("which is the benchmark with 1,000 clips?", "1,000 clips"),
        # pointing otherwise too, or not describing
        ("what is the method that they use?", ""),
        ("how big is the dataset of their paper?", ""),
        ("how big is the dataset?", ""),
        ("what is the accuracy of the method on imagenet?", ""),
    ],
)
def test_what_a_question_pointing_back_by_a_description_says(question: str, description: str) -> None:
    assert described(question) == description


def test_a_question_no_paper_answers_is_refused_mid_chat_not_answered_from_the_last_paper(
    session: ChatSession,
) -> None:
    """With the last paper's title carried along, any question finds that paper; one that does not
    point back follows up only when that paper answers it as typed."""
    script = Script(
        "how do microphones detect swarming in beehives?", "what is the boiling point of nitrogen on mars?"
    )
    assert repl(session, script.read_line, script.write) == 0
    first, second = session.turns
    assert first.answer.citations[0].paper.title == "Beekeeping with acoustic sensors"
    assert second.standalone == second.question and second.answer.refused


def test_a_follow_up_is_condensed_under_the_answers_system_prompt(assistant: Assistant) -> None:
    """The condensing request opens with the answers' own system message, so a local model keeps
    it evaluated between the answers (llama.cpp reuses the longest common prefix); the citation
    a model adds under that prompt does not stop its question from being used."""
    assistant.ingest()
    answer = "A fine-tuned CLIP model reaches 98.44% mAP on basketball player re-identification [1]."
    condensed = "What accuracy does CLIP-ReIdent reach on basketball player re-identification? [1]"
    model = Scripted(answer, then=(condensed, answer))
    settings = Settings(**{**assistant.settings.model_dump(), "openai_api_key": "sk-test"})
    scripted = Assistant(settings, embedder=assistant.library.embedder, llms={"openai": model})
    session = ChatSession(scripted, k=5, llm="openai", mode="hybrid")
    script = Script("what is clip-reident?", "and what accuracy do they reach?")
    assert repl(session, script.read_line, script.write) == 0
    first, condensing, second = model.requests
    assert first[0]["role"] == "system" and condensing[0] == first[0] == second[0]
    assert "Follow-up question: and what accuracy do they reach?" in condensing[1]["content"]
    # the last exchange as its question and the titles it cited: fewer tokens than the answer's text
    assert f"Answered from: {CLIP}" in condensing[1]["content"] and "98.44%" not in condensing[1]["content"]
    assert session.turns[1].standalone == condensed.removesuffix(" [1]")
    assert session.turns[1].answer.backend == "openai"


def _condensing(assistant: Assistant, rewrite: str) -> tuple[Scripted, ChatSession]:
    """A chat whose model answers, rewrites a follow-up as `rewrite`, then answers again."""
    assistant.ingest()
    answer = "A fine-tuned CLIP model reaches 98.44% mAP on basketball player re-identification [1]."
    model = Scripted(answer, then=(rewrite, answer))
    settings = Settings(**{**assistant.settings.model_dump(), "openai_api_key": "sk-test"})
    scripted = Assistant(settings, embedder=assistant.library.embedder, llms={"openai": model})
    return model, ChatSession(scripted, k=5, llm="openai", mode="hybrid")


def test_a_rewrite_repeating_the_follow_up_is_not_used(assistant: Assistant) -> None:
    """A model that repeats the follow-up has not said what it refers to: the chat searches its own
    follow-up reading (the paper carried along) instead."""
    model, session = _condensing(assistant, "And what accuracy do they reach?")
    script = Script("what is clip-reident?", "and what accuracy do they reach?")
    assert repl(session, script.read_line, script.write) == 0
    assert len(model.requests) == 3  # answer, condensing, answer
    assert session.turns[1].standalone == "and what accuracy do they reach? (regarding: CLIP-ReIdent)"


def test_it_after_a_refused_follow_up_is_the_paper_answered_before(session: ChatSession) -> None:
    """Before: "who wrote it?" after a refused follow-up searched "(regarding: and on protein
    folding?)"; after a refused question of its own, "it" is what that one asked."""
    for condition in ("and on protein folding?", "and on OntoNotes?"):  # a word, a name no paper writes
        script = Script("what is clip-reident?", condition, "who wrote it?")
        assert repl(session, script.read_line, script.write) == 0
        refused, third = session.turns[-2:]
        assert refused.answer.refused, condition
        assert third.standalone == "who wrote CLIP-ReIdent?", condition
        assert [c.paper.title for c in third.answer.citations] == [CLIP]
    for refused_question in ("tell me about protein folding", "what about AWQ?"):
        again = Script("what is clip-reident?", refused_question, "who wrote it?")
        assert repl(session, again.read_line, again.write) == 0
        assert session.turns[-1].answer.refused, refused_question  # "it" is what no paper is about


def test_a_rewrite_dropping_what_the_follow_up_asks_is_not_used(assistant: Assistant) -> None:
    """Before: Qwen's "What is CLIP-ReIdent?" for "and on the mmsports challenge?" was searched,
    and "mmsports" lost: the chat's own reading (the paper carried along) is searched instead."""
    model, session = _condensing(assistant, "What is CLIP-ReIdent?")
    script = Script("what is clip-reident?", "and on the mmsports challenge?")
    assert repl(session, script.read_line, script.write) == 0
    assert len(model.requests) == 3  # answer, condensing, answer
    assert "mmsports" in session.turns[1].standalone and "CLIP-ReIdent" in session.turns[1].standalone


def test_they_standing_for_the_one_paper_cited_is_resolved_without_asking_the_model(
    assistant: Assistant,
) -> None:
    """After an answer citing one paper, "they" can only be that paper: the chat carries it along
    and the model is asked only for the answer, not for a rewrite first."""
    assistant.ingest()
    answer = "A fine-tuned CLIP model reaches 98.44% mAP on basketball player re-identification [1]."
    model = Scripted(answer, then=(answer,))
    settings = Settings(**{**assistant.settings.model_dump(), "openai_api_key": "sk-test"})
    scripted = Assistant(settings, embedder=assistant.library.embedder, llms={"openai": model})
    session = ChatSession(scripted, k=5, llm="openai", mode="hybrid")
    script = Script("what is clip-reident?", "what accuracy do they reach?")
    assert repl(session, script.read_line, script.write) == 0
    assert len(model.requests) == 2  # answer, answer
    assert session.turns[1].standalone == "what accuracy do they reach? (regarding: CLIP-ReIdent)"
    assert session.turns[1].answer.citations[0].paper.title == CLIP


@pytest.mark.parametrize(
    ("question", "cited", "rewritten"),
    [
        ("what accuracy do they reach?", 1, False),
        ("who are the authors?", 1, False),
        ("what accuracy do they reach?", 2, True),  # which of the two is "they"?
        ("and on imagenet?", 1, True),  # what about ImageNet?
        ("which methods came out on top?", 1, True),  # nothing says what it is about
    ],
)
def test_which_follow_ups_an_llm_rewrites(question: str, cited: int, rewritten: bool) -> None:
    citations = [Citation(n + 1, PaperRef(f"p{n}", f"Paper {n}"), "") for n in range(cited)]
    previous = Turn("q", "q", Answer("q", "", citations, [], backend="extractive"))
    assert needs_rewriting(question, previous) is rewritten


def test_a_follow_up_pointing_back_is_answered_from_the_papers_it_points_at(
    session: ChatSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The carried search also finds other papers; "they" stands for the last answer's papers, so
    only those are the evidence (an LLM given others cited another paper's ImageNet accuracy),
    narrowed from the evidence the follow-up was decided with, not searched again."""
    script = Script("what is clip-reident?")
    assert repl(session, script.read_line, script.write) == 0
    assert [c.paper.title for c in session.turns[0].answer.citations] == [CLIP]
    gathered: list[Evidence] = []
    original = session._gather

    def recorded(*args: object, **kwargs: object) -> Evidence:
        gathered.append(original(*args, **kwargs))  # type: ignore[arg-type]
        return gathered[-1]

    monkeypatch.setattr(session, "_gather", recorded)
    evidence, follow_up = session.evidence("what accuracy do they reach?")
    assert follow_up and [s.paper.title for s in evidence.sources] == [CLIP]
    assert len(gathered) == 2 and len(gathered[1].sources) > 1  # the carried search found others too
    assert evidence.signals == gathered[1].signals and sorted(evidence.papers) == [1]
    # a follow-up read from its evidence alone (no word pointing back) keeps the wider evidence
    typed, _ = session.evidence("Which papers in this collection study glacier retreat from satellite radar?")
    assert len(typed.sources) > 1


def test_a_follow_up_about_the_record_or_comparing_the_paper_writes_it_in(session: ChatSession) -> None:
    """ "who are the authors?" after an answer citing one paper asks for that paper's record, and "how
    does it differ from X?" compares it with X: the paper is written in for the word pointing at it."""
    algae = "Photosynthetic efficiency of engineered algae in bioreactors"
    script = Script(
        "how much does engineered algae's photosynthetic efficiency rise?",
        "who are the authors?",
        "and when was it published?",
        "how does it differ from clip-reident?",
        "what is photosynthetic efficiency of engineered algae in bioreactors?",
        "is it better than clip-reident?",
    )
    assert repl(session, script.read_line, script.write) == 0
    first, authors, published, compared, _, better = session.turns
    assert [c.paper.title for c in first.answer.citations] == [algae]
    assert authors.standalone == f"who are the authors of {algae}?"
    assert authors.answer.text == f'"{algae}" was written by Ada Lovelace and Alan Turing [1].'
    assert published.standalone == f"when was {algae} published?" and "2024" in published.answer.text
    assert compared.standalone == f"how does {algae} differ from clip-reident?"
    assert {c.paper.title for c in compared.answer.citations} == {algae, CLIP}
    assert better.standalone == f"is {algae} better than clip-reident?"
    assert {c.paper.title for c in better.answer.citations} == {algae, CLIP}


def test_which_of_them_chooses_among_the_papers_the_last_answer_listed(session: ChatSession) -> None:
    """ "which of them ...?" after a list asks which of the listed papers do it: those a sentence (or
    the title) of which says so, quoted, and none of the others; none of them, a refusal, though
    another paper of the collection says it; and after a choice citing fewer than two, "them" are
    still the papers it chose among."""
    script = Script(
        "which papers study domain adaptation?",
        "which of them use satellite radar?",
        "which of them use synthetic queries?",  # "them": still the papers listed first
    )
    assert repl(session, script.read_line, script.write) == 0
    listed, none, chosen = session.turns
    assert len(listed.answer.citations) >= 3, listed.answer.text
    assert none.standalone == "which papers use satellite radar?"
    assert none.answer.refused and not none.answer.citations and not none.answer.closest
    assert none.answer.text == "None of the papers of the last answer says so."
    assert chosen.standalone == "which papers use synthetic queries?"
    duqgen = (
        "DUQGen: Effective Unsupervised Domain Adaptation of Neural Rankers by Diversifying Synthetic "
        "Query Generation"
    )
    assert [c.paper.title for c in chosen.answer.citations] == [duqgen], chosen.answer.text
    assert chosen.answer.text == f'- Its title says "{duqgen}". [1]'
    # asked in a new chat, the same question lists the paper of the collection that does it
    assert session.assistant.ask("which papers use satellite radar?", llm="extractive").citations


def test_how_many_of_them_chooses_among_the_listed_papers_and_says_how_many(session: ChatSession) -> None:
    script = Script("which papers study domain adaptation?", "how many of them use synthetic queries?")
    assert repl(session, script.read_line, script.write) == 0
    listed, counted = session.turns
    assert counted.standalone == "how many papers use synthetic queries?"
    assert [c.paper.title.split(":")[0] for c in counted.answer.citations] == ["DUQGen"]
    assert counted.answer.text.endswith(f"\n\n1 paper of the {len(listed.answer.citations)} asked about.")
    # no topic to choose by: not a choice (the collection's size would answer it), nor an aspect
    # ("which of them offer advantages ...?" chooses among them, "do they release code?" asks each)
    assert chosen_form("how many of them are there?") is None
    assert (
        chosen_form("which of them offer advantages over LoRA?") == "which papers offer advantages over LoRA?"
    )
    assert selection("which of them offer advantages over LoRA?", listed) is not None
    assert selection("do they release code?", listed) is None


@pytest.mark.parametrize(
    ("asked", "chooses"),
    [
        ("do any of them use synthetic queries?", "which papers use synthetic queries?"),
        ("do they use synthetic queries?", "which papers use synthetic queries?"),
        ("are any of them about satellite radar?", "which papers are about satellite radar?"),
        ("has either of them used satellite radar?", "which papers have used satellite radar?"),
    ],
)
def test_a_yes_no_question_of_a_lists_papers_chooses_among_them(
    session: ChatSession, asked: str, chooses: str
) -> None:
    """ "do any of them ...?" ("do they ...?") after a list asks which of them do it, as "which of
    them ...?" does (before: a yes/no question of the first paper alone); "do they differ?" and "are
    they similar?" ask of them together."""
    script = Script("which papers study domain adaptation?", asked)
    assert repl(session, script.read_line, script.write) == 0
    listed, chosen = session.turns
    assert len(listed.answer.citations) >= 3, listed.answer.text
    assert chosen.standalone == chooses
    if "synthetic" in asked:
        assert [short_name(c.paper.title) for c in chosen.answer.citations] == ["DUQGen"], chosen.answer.text
    else:
        assert chosen.answer.text == "None of the papers of the last answer says so."
    for together in ("do they differ?", "are they similar?", "are they better than GIM?"):
        assert selection(together, listed) is None, together


def test_a_paper_pointed_at_by_its_place_or_number_is_written_in_by_name(session: ChatSession) -> None:
    """ "who wrote the third one?", "what does [2] propose?", "compare the first two" after a list ask
    about those papers of the list, by name; after an answer citing one paper, "the second one" is
    still the list's (before: "who wrote the third one? (regarding: <the first paper>)", refused)."""
    script = Script(
        "which papers study domain adaptation?",
        "who wrote the third one?",
        "what does [2] propose?",
        "tell me more about the second one",
        "compare the first two",
    )
    assert repl(session, script.read_line, script.write) == 0
    listed, third, numbered, second, two = session.turns
    papers = [c.paper for c in listed.answer.citations]
    assert len(papers) >= 3 and short_name(papers[2].title) == "DUQGen", [p.title for p in papers]
    assert third.standalone == "who wrote DUQGen?"
    assert [c.paper.paper_id for c in third.answer.citations] == [papers[2].paper_id], third.answer.text
    # "[2]" is the last answer's: it cited DUQGen alone, as [1]; [2] is the list's second paper
    assert numbered.standalone == f"what does {short_name(papers[1].title)} propose?"
    assert numbered.answer.citations[0].paper.paper_id == papers[1].paper_id
    assert second.answer.citations[0].paper.paper_id == papers[1].paper_id
    first, other = (short_name(p.title) for p in papers[:2])
    assert two.standalone == f"compare {first} and {other}"
    assert {c.paper.paper_id for c in two.answer.citations} == {p.paper_id for p in papers[:2]}
    # a superlative is no pointer: "the first model to ..." is asked as typed
    assert placed_in("which was the first model to use contrastive training?", session.turns) is None
    assert placed_in("what changed in the first two years?", session.turns) is None
    assert placed_in("what was the first paper on model merging?", session.turns) is None
    assert placed_in("what is the latter about?", session.turns) is not None  # "about" ends it
    for pointing in ("is the third one about vision?", "compare the first two papers on accuracy"):
        assert placed_in(pointing, session.turns) is not None, pointing  # a review: lost at first


def test_a_place_alone_asks_the_last_question_of_the_paper_there(session: ChatSession) -> None:
    """A researcher's chat: "what does the third one propose?", then "and the fifth?" and "what about
    the second?" were refused (searched as typed); they ask the same of the paper at that place."""
    script = Script(
        "which papers study domain adaptation?",
        "who wrote the third one?",
        "and the second?",
        "what about the first?",
        "and the ninth one?",
    )
    assert repl(session, script.read_line, script.write) == 0
    listed, _, second, first, ninth = session.turns
    papers = [c.paper for c in listed.answer.citations]
    assert second.standalone == f"who wrote {short_name(papers[1].title)}?"
    assert [c.paper.paper_id for c in second.answer.citations] == [papers[1].paper_id]
    assert first.standalone == f"who wrote {short_name(papers[0].title)}?"
    assert ninth.answer.text.startswith('No answer in this conversation has "the ninth one"')


def test_it_compared_to_a_paper_by_place_is_the_last_answers_paper(session: ChatSession) -> None:
    """ "how does it compare to the first one?" after an answer about the list's third paper: a
    comparison of the two (before: "it" was left unread, and only the first paper answered)."""
    script = Script(
        "which papers study domain adaptation?",
        "who wrote the third one?",
        "how does it compare to the first one?",
    )
    assert repl(session, script.read_line, script.write) == 0
    listed, _, compared = session.turns
    papers = [c.paper for c in listed.answer.citations]
    names = [short_name(papers[2].title), short_name(papers[0].title)]
    assert compared.standalone == f"how does {names[0]} compare to {names[1]}?"
    assert {c.paper.paper_id for c in compared.answer.citations} == {papers[2].paper_id, papers[0].paper_id}


def test_the_first_paper_on_a_topic_is_asked_as_typed(session: ChatSession) -> None:
    """A review: after a list, "what was the first paper on X?" was said to point at no answer's
    place, and "who wrote the first paper on X?" was rewritten with the list's first paper."""
    script = Script(
        "which papers study domain adaptation?",
        "what was the first paper on image matching?",
        "who wrote the first paper on image matching?",
    )
    assert repl(session, script.read_line, script.write) == 0
    for turn in session.turns[1:]:
        assert turn.standalone == turn.question and "No answer in this conversation" not in turn.answer.text


def test_the_first_one_of_a_list_of_one_is_that_paper(session: ChatSession) -> None:
    """A helper asked "what does the first one measure?" after a list of one paper: it searched as
    typed and answered from another paper; "the first model" of it stays asked as typed."""
    script = Script("which papers study player re-identification?", "what does the first one measure?")
    assert repl(session, script.read_line, script.write) == 0
    listed, first = session.turns
    (paper,) = {c.paper.paper_id: c.paper for c in listed.answer.citations}.values()
    assert first.standalone == f"what does {short_name(paper.title)} measure?"
    assert [c.paper.paper_id for c in first.answer.citations] == [paper.paper_id]
    assert placed_in("what is the first model they train?", session.turns) is None


def test_a_place_no_answer_has_is_said_not_searched(session: ChatSession) -> None:
    """ "who wrote the ninth paper?" after a shorter list: said so (before: searched as typed and
    refused, or answered from whatever paper the search found first); a place the list has still
    resolves afterwards."""
    script = Script("which papers study domain adaptation?", "who wrote the fifth paper?", "what about [2]?")
    assert repl(session, script.read_line, script.write) == 0
    listed, missing, numbered = session.turns
    count = len({c.paper.paper_id for c in listed.answer.citations})
    assert 2 <= count < 5, listed.answer.text
    assert missing.answer.refused and missing.answer.citations == []
    said = f'No answer in this conversation has "the fifth paper": the most papers one cited is {count}.'
    assert missing.answer.text == said
    assert said in script.text
    assert numbered.answer.citations[0].paper.paper_id == listed.answer.citations[1].paper.paper_id


def test_they_after_a_place_no_answer_has_are_still_the_lists_papers(session: ChatSession) -> None:
    """After "who wrote the fifth paper?" was said to point at nothing, "they" are still the list's
    papers (before: the said turn, which cited none, was the one "they" referred to)."""
    script = Script(
        "which papers study domain adaptation?", "who wrote the fifth paper?", "how do they differ?"
    )
    assert repl(session, script.read_line, script.write) == 0
    listed, missing, compared = session.turns
    assert missing.answer.refused and not missing.answer.citations
    assert compared.answer.citations and [c.paper.paper_id for c in compared.answer.citations] == [
        c.paper.paper_id for c in listed.answer.citations
    ], compared.answer.text
    # before any answer listed papers, a place is no pointer: searched as typed
    assert unplaced("what was the fifth paper on diffusion?", session.turns[:0]) is None


def test_how_do_they_differ_before_any_answer_is_said_not_searched(session: ChatSession) -> None:
    """ "how do they differ?" opening a chat compared some two papers its search found (or was
    refused with the closest papers); it has nothing to point at, and says so."""
    script = Script("how do they differ?", "compare them")
    assert repl(session, script.read_line, script.write) == 0
    said = "There is no answer in this conversation yet whose papers it could compare."
    assert [(t.answer.text, t.answer.citations) for t in session.turns] == [(said, []), (said, [])]


def test_an_ellipsis_about_a_word_the_last_paper_never_writes_is_a_new_topic(session: ChatSession) -> None:
    """ "what about X?" asks about its rarest word: CLIP-ReIdent writes "dataset" but not "pruning",
    so "what about dataset pruning?" leaves it; "and for basketball?" stays."""
    script = Script(
        "How well does a fine-tuned CLIP model re-identify basketball players?",
        "what about dataset pruning?",
        "How well does a fine-tuned CLIP model re-identify basketball players?",
        "and for basketball?",
    )
    assert repl(session, script.read_line, script.write) == 0
    first, pruning, _, basketball = session.turns
    assert [c.paper.title for c in first.answer.citations] == [CLIP]
    assert "dataset" in session.assistant.paper(first.answer.citations[0].paper.paper_id)["abstract"].lower()
    assert pruning.standalone == "what about dataset pruning?"
    assert pruning.answer.citations[0].paper.title.startswith("Effective pruning of web-scale datasets")
    assert basketball.standalone != "and for basketball?"
    assert [c.paper.title for c in basketball.answer.citations] == [CLIP]


def test_a_yes_no_follow_up_gets_its_verdict_as_asked_alone(session: ChatSession) -> None:
    """ "does it use X?" after an answer about GIM is settled as "does GIM use X?" is: the words the
    chat writes in to carry the paper ("regarding") are no part of what is asked (before: no verdict)."""
    script = Script("what is gim?", "does it use internet videos?")
    assert repl(session, script.read_line, script.write) == 0
    follow_up = session.turns[1]
    assert follow_up.standalone.endswith("(regarding: GIM)")
    assert follow_up.answer.text.startswith("Yes. "), follow_up.answer.text
    assert "internet videos" in follow_up.answer.text
    # nor are they searched or weighed in a sentence: the paper's name is, as if asked with it
    query = parse(follow_up.standalone)
    assert query.terms == {"internet", "video", "gim"} and "regarding" not in query.search


@pytest.mark.parametrize("follow_up", ["what datasets do they use?", "how well do they perform?"])
def test_a_question_asked_of_the_papers_of_a_list_is_answered_for_each(
    session: ChatSession, follow_up: str
) -> None:
    """ "what datasets do they use?" after an answer citing three papers answers it for each, one
    line a paper under its name (before: for the first one alone)."""
    titles = [CLIP, GIM_TITLE, PRUNING]
    _after_citing(session, titles)
    evidence, pointed = session.evidence(follow_up)
    assert pointed and evidence.query.text.startswith(f"{follow_up} (regarding: CLIP-ReIdent, GIM and ")
    answer = session.answer(follow_up).finish()
    assert [c.paper.title for c in answer.citations] == titles, answer.text
    assert [line.split(":")[0] for line in answer.text.splitlines()] == [
        f"- {short_name(t)}" for t in titles
    ], answer.text


def test_their_limitations_after_a_list_says_what_each_abstract_states(session: ChatSession) -> None:
    """ "what are their limitations?" asks each paper's abstract for its own limitations, as "what are
    the limitations of X?" does (before: each paper's sentence closest to the question, one of them
    about prior work's limits)."""
    _after_citing(session, [CLIP, GIM_TITLE])
    answer = session.answer("what are their limitations?").finish()
    assert answer.text.splitlines() == [
        "- CLIP-ReIdent: The abstract of [1] does not state its limitations.",
        "- GIM: The abstract of [2] does not state its limitations.",
    ], answer.text
    assert [c.paper.title for c in answer.citations] == [CLIP, GIM_TITLE]


@pytest.mark.parametrize(
    "follow_up", ["do they release code?", "is the code available?", "do they have drawbacks?"]
)
def test_an_aspect_asked_yes_or_no_after_a_list_says_what_each_abstract_states(
    session: ChatSession, follow_up: str
) -> None:
    """Before, "do they release code?" chose among the papers those writing "release code" (none), and
    "is the code available?" was asked of the first paper alone."""
    algae = "Photosynthetic efficiency of engineered algae in bioreactors"
    _after_citing(session, [algae, GIM_TITLE])
    answer = session.answer(follow_up).finish()
    lines = answer.text.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "- Photosynthetic efficiency of engineered algae in bioreactors",
        "- GIM",
    ]
    if "code" in follow_up:
        assert lines == [
            f"- {algae}: Code: https://github.com/example/algae. [1]",
            "- GIM: The abstract of [2] does not mention its code.",
        ], answer.text
    assert [c.paper.title for c in answer.citations] == [algae, GIM_TITLE]


def test_a_yes_no_question_or_they_after_one_paper_is_not_asked_of_each(session: ChatSession) -> None:
    """ "do they ...?" is not split into a verdict for each paper (each verdict would go unchecked: it
    asks which of them do it), and "they" after an answer about one paper are its authors."""
    _after_citing(session, [CLIP, GIM_TITLE, PRUNING])
    assert not session.evidence("do they use imagenet?")[0].query.sides
    session.turns.clear()
    _after_citing(session, [CLIP])
    assert not session.evidence("what datasets do they use?")[0].query.sides


def test_which_things_it_uses_asked_in_a_follow_up_is_about_that_paper(session: ChatSession) -> None:
    """ "which datasets is it evaluated on?" after an answer about CLIP-ReIdent asks what that paper
    has, not for a list of papers: the sentence naming its benchmark comes first (before: the list's
    quote of what the paper contributes)."""
    script = Script("what is clip-reident?", "which datasets is it evaluated on?")
    assert repl(session, script.read_line, script.write) == 0
    follow_up = session.turns[1]
    assert follow_up.answer.text.startswith("With a fine-tuned CLIP ViT-L/14 model we achieve 98.44 % mAP")
    assert parse("which models were trained on it? (regarding: LAION-5B)").owner == "LAION-5B"


def test_how_do_they_differ_compares_the_papers_the_last_answer_cited(session: ChatSession) -> None:
    """ "how do they differ?" after an answer citing two papers compares both, each quoted (before:
    a follow-up about the first one alone)."""
    ids = {str(m["title"]): paper_id for paper_id, m in session.assistant.library.store.papers().items()}
    cited = [Citation(n, PaperRef(ids[title], title), "") for n, title in enumerate((CLIP, GIM_TITLE), 1)]
    session.turns.append(Turn("q", "q", Answer("q", "", cited, [], backend="extractive")))
    answer = session.answer("how do they differ?").finish()
    assert session.evidence("how do they differ?")[0].query.text == "how do CLIP-ReIdent and GIM differ?"
    assert [c.paper.title for c in answer.citations] == [CLIP, GIM_TITLE], answer.text
    assert answer.text.startswith("- CLIP-ReIdent: ") and "\n- GIM: " in answer.text


PRUNING = "Effective pruning of web-scale datasets based on complexity of concept clusters"
GAN_DIVERSITY = "Improving Diversity in Zero-Shot GAN Adaptation with Semantic Variations"


def _after_citing(session: ChatSession, titles: list[str]) -> None:
    """The chat's last answer cites these papers, as a list answer would."""
    ids = {str(m["title"]): paper_id for paper_id, m in session.assistant.library.store.papers().items()}
    cited = [Citation(n, PaperRef(ids[title], title), "") for n, title in enumerate(titles, 1)]
    session.turns.append(Turn("q", "q", Answer("q", "", cited, [], backend="extractive")))


@pytest.mark.parametrize(
    "titles",
    [
        # titles too long to be read as the sides of a comparison (before: the first one alone)
        [PRUNING, GAN_DIVERSITY],
        # more papers than the four compared before (before: the first one alone)
        [
            CLIP,
            GIM_TITLE,
            PRUNING,
            GAN_DIVERSITY,
            "Few-shot Hybrid Domain Adaptation of Image Generators",
            "ParZC: Parametric Zero-Cost Proxies for Efficient NAS",
        ],
    ],
    ids=["long titles", "six papers"],
)
def test_how_do_they_differ_compares_every_paper_the_last_answer_cited(
    session: ChatSession, titles: list[str]
) -> None:
    _after_citing(session, titles)
    evidence, follow_up = session.evidence("how do they differ?")
    assert follow_up and evidence.query.kind == "comparison"
    assert evidence.query.text == f"how do {joined([short_name(t) for t in titles])} differ?"
    answer = session.answer("how do they differ?").finish()
    assert [c.paper.title for c in answer.citations] == titles, answer.text
    assert [line.split(":")[0] for line in answer.text.splitlines()] == [
        f"- {short_name(t)}" for t in titles
    ], answer.text


@pytest.mark.parametrize("follow_up", ["which one is better?", "which of them runs faster on ImageNet?"])
def test_which_one_is_better_compares_the_papers_the_last_answer_cited(
    session: ChatSession, follow_up: str
) -> None:
    """ "which one is better?" after an answer citing two papers asks which of them is, answered as
    their comparison, each quoted (before: chosen among them as a list, and no sentence says
    "better" of itself: "None of the papers of the last answer says so.")."""
    _after_citing(session, [CLIP, GIM_TITLE])
    evidence, follow_up_reading = session.evidence(follow_up)
    assert follow_up_reading and evidence.query.kind == "comparison"
    assert evidence.query.text == f"{follow_up.rstrip('?')}: CLIP-ReIdent or GIM?"
    answer = session.answer(follow_up).finish()
    assert [c.paper.title for c in answer.citations] == [CLIP, GIM_TITLE], answer.text
    assert answer.text.startswith("- CLIP-ReIdent: ") and "\n- GIM: " in answer.text
    # their records' dates, not a comparison
    assert rivaled_in("which one is the most recent?", session.turns[-1], session.turns) is None


def test_which_one_is_better_after_two_answers_about_one_paper_each_compares_them(
    session: ChatSession,
) -> None:
    """ "which one is better?" after "what is clip-reident?" and "what about gim?" compares the two
    (before: asked of GIM alone, "(regarding: GIM)")."""
    script = Script("what is clip-reident?", "what is gim?", "which one is better?", "how do they differ?")
    assert repl(session, script.read_line, script.write) == 0
    _, _, better, differ = session.turns
    assert better.standalone == "which one is better: CLIP-ReIdent or GIM?"
    assert differ.standalone == "how do CLIP-ReIdent and GIM differ?"
    assert [c.paper.title for c in better.answer.citations] == [CLIP, GIM_TITLE], better.answer.text


def test_the_two_papers_discussed_are_asked_of_each_when_a_question_says_so(session: ChatSession) -> None:
    """A researcher's chat: after "what is dna-gpt", "now tell me about copyspec" and a follow-up,
    "which of the two papers released code?" answered for CopySpec alone; "both X and Y" is no
    pointer to them."""
    script = Script(
        "what is clip-reident?",
        "what is gim?",
        "which datasets does it use?",
        "which of the two papers use contrastive learning?",
    )
    assert repl(session, script.read_line, script.write) == 0
    *_, last, two = session.turns
    assert two.standalone.endswith("(regarding: CLIP-ReIdent and GIM)"), two.standalone
    assert asked_of_each("does it use both images and text?", last, session.turns) is None
    # the paper's own two things are not the two papers (a review)
    for own in (
        "which of the two losses matters more?",
        "do both stages need labels?",
        "are both datasets public?",
        "what are the two datasets called?",
        "how does the two-stage training work?",
    ):
        assert not points_to_two(own), own
    # "the two papers" after a list and one of it: no two papers to ask of (a review: all 8 listed)
    listed = Script("which papers study domain adaptation?", "tell me more about the second one")
    session.turns.clear()
    assert repl(session, listed.read_line, listed.write) == 0
    assert asked_of_each("which of the two papers released code?", session.turns[-1], session.turns) is None


def test_the_two_papers_discussed_are_compared_past_follow_ups_about_the_last_one(
    session: ChatSession,
) -> None:
    """A researcher's chats: "do the two papers agree?" after answers about two papers was refused
    (no comparison read), and "how do they differ?" after a follow-up about the second compared
    nothing (only the answer just before was looked at)."""
    script = Script(
        "what is clip-reident?",
        "what is gim?",
        "which datasets does it use?",
        "how do they differ?",
        "do the two papers agree?",
    )
    assert repl(session, script.read_line, script.write) == 0
    *_, differ, agree = session.turns
    assert differ.standalone == "how do CLIP-ReIdent and GIM differ?"
    assert agree.standalone == "do CLIP-ReIdent and GIM agree?"
    assert {c.paper.title for c in agree.answer.citations} == {CLIP, GIM_TITLE}, agree.answer.text
    assert parse("do gim and clip-reident agree on matching?").kind == "comparison"
    for asked in ("does G-Eval agree with human judgments?", "do the results contradict prior work?"):
        assert parse(asked).kind == "yesno", asked  # one thing agreeing with another: yes or no
    # a comparison with a side of its own: "they" are the last answer's paper (a review: GIM and the
    # earlier CLIP-ReIdent were compared "with the baselines")
    placed = compared_in("how do they compare with the baselines?", session.turns[2], session.turns[:3])
    assert placed is None or "CLIP-ReIdent" not in placed.question, placed
    each_other = compared_in("how do they compare with each other?", session.turns[2], session.turns[:3])
    assert (
        each_other is not None
        and each_other.question == "how do CLIP-ReIdent and GIM compare with each other?"
    )


@pytest.mark.parametrize(
    "follow_up",
    [
        "which is better, duqgen or parzc?",  # names its own rivals
        "which is better, lora or full fine-tuning?",  # no papers' names, but its own
        "which layers are the most sensitive?",  # a superlative of no choice among the papers
        "which tasks show the largest improvement?",
        "which components contributed most to the gains?",
        "which of the baselines performs best?",
        "which layers are more sensitive?",
    ],
)
def test_a_question_naming_its_own_rivals_or_no_choice_is_not_asked_of_the_last_two(
    session: ChatSession, follow_up: str
) -> None:
    script = Script("what is clip-reident?", "what is gim?")
    assert repl(session, script.read_line, script.write) == 0
    assert rivaled_in(follow_up, session.turns[-1], session.turns) is None


@pytest.mark.parametrize(
    "follow_up",
    [
        "which one is faster, the former or the latter?",  # places, no papers of its own
        "which one is better compared to the baseline?",
        "which of these papers is the best?",
        "which one of the two is faster?",
    ],
)
def test_which_one_asked_of_places_or_by_a_verb_compares_the_last_two(
    session: ChatSession, follow_up: str
) -> None:
    script = Script("what is clip-reident?", "what is gim?")
    assert repl(session, script.read_line, script.write) == 0
    placed = rivaled_in(follow_up, session.turns[-1], session.turns)
    assert placed is not None and placed.question.endswith(": CLIP-ReIdent or GIM?"), placed


def test_what_about_another_topic_after_a_list_naming_its_topic_first_is_a_list_on_it(
    session: ChatSession,
) -> None:
    """ "which image generation models are there?" searches "image generation models" (the topic's
    own noun); "what about player re-identification?" after it is a list on the new topic, not
    "which player re-identification are there?", a replacement that reads as no list."""
    script = Script("which image generation models are there?", "what about player re-identification?")
    assert repl(session, script.read_line, script.write) == 0
    assert parse(session.turns[0].standalone).search == "image generation models"
    assert parse(session.turns[1].standalone).is_list, session.turns[1].standalone
    assert CLIP in {c.paper.title for c in session.turns[1].answer.citations}


def test_a_paper_without_a_short_name_is_compared_with_the_one_named(session: ChatSession) -> None:
    """After an answer about a paper whose title is its only name, "how does it compare to GIM?"
    compares that paper with GIM (before: the title written in was too long to be read as a side, and
    only GIM was quoted; of 175 such papers of the bundled corpus, 91 were compared)."""
    title = "Improved Zero-Shot Classification by Adapting VLMs with Text Descriptions"
    script = Script(f"tell me about {title.lower()}", "how does it compare to GIM?")
    assert repl(session, script.read_line, script.write) == 0
    _, compared = session.turns
    assert compared.standalone == f"how does {title} compare to GIM?"
    assert {c.paper.title for c in compared.answer.citations} == {title, GIM_TITLE}, compared.answer.text
    assert [line[:6] for line in compared.answer.text.splitlines()] == ["- Impr", "- GIM:"]


@pytest.mark.parametrize(
    ("title", "written"),
    [
        (  # a title writing "and" (before: read as two sides, one of them quoting another paper)
            "Learning multi-domain feature relation for visible and Long-wave Infrared image patch matching",
            "how does Learning multi-domain feature relation for visible and Long-wave Infrared image patch "
            "matching compare to The Need for Speed?",
        ),
        ("GIM", "how does GIM compare to The Need for Speed?"),
    ],
)
def test_a_title_written_into_a_comparison_is_one_side(title: str, written: str) -> None:
    assert written_about("how does it compare to The Need for Speed?", title) == written
    # a capital article opening a name mid-question stays ("Need for Speed" found another paper)
    assert compared(written.replace(title, "GIM"))[-1] == "The Need for Speed"


def test_what_about_another_topic_after_a_list_is_that_list_on_it(session: ChatSession) -> None:
    """After "which papers study domain adaptation?", "what about zero-shot classification?" asks
    the same list on that topic (before: asked of the list's first paper, "(regarding: ...)")."""
    script = Script(
        "which papers study domain adaptation?",
        "what about zero-shot classification?",
        "and what about their limitations?",
    )
    assert repl(session, script.read_line, script.write) == 0
    _, again, pointing = session.turns
    assert again.standalone == "which papers study zero-shot classification?"
    assert "Improved Zero-Shot Classification by Adapting VLMs with Text Descriptions" in {
        c.paper.title for c in again.answer.citations
    }, again.answer.text
    assert pointing.standalone != "which papers study their limitations?"  # it points back


def test_what_about_the_second_one_asks_for_the_gist_of_that_paper(session: ChatSession) -> None:
    """ "what about the second one?" after a list is "tell me about" that paper, however long its
    title (before: its title searched as a question, which quoted the sentence closest to it)."""
    script = Script("which papers study domain adaptation?", "what about the second one?")
    assert repl(session, script.read_line, script.write) == 0
    listed, second = session.turns
    assert {c.paper.paper_id for c in second.answer.citations} == {listed.answer.citations[1].paper.paper_id}
    # its gist, what it claims first (before: its sentence closest to the title, an evaluation)
    assert second.answer.text.startswith("Based on our experimental results, we claim that fine-tuning")
    assert about_only(
        "what about Robust Mean Teacher for Test-Time Adaptation?",
        "Robust Mean Teacher for Test-Time Adaptation",
    )
    assert about_only("and tell me more about PLeaS", "PLeaS")
    # after a gist, the next one's gist, as asked right after the list (a review found it asked as typed)
    script = Script("what about the first one?")
    assert repl(session, script.read_line, script.write) == 0
    fresh = ChatSession(session.assistant, k=5, llm="extractive", mode="hybrid")
    script = Script("which papers study domain adaptation?", "what about the first one?")
    assert repl(fresh, script.read_line, script.write) == 0
    assert session.turns[-1].answer.text == fresh.turns[-1].answer.text
    # after an answer about one paper, that answer's question asked of it, as "what about X?" is
    script = Script("how is the first one evaluated?", "what about the third one?")
    assert repl(session, script.read_line, script.write) == 0
    third = short_name(listed.answer.citations[2].paper.title)
    assert session.turns[-1].standalone == f"how is {third} evaluated?"
    assert not about_only("what about PLeaS's results?", "PLeaS")


def test_how_many_of_them_after_a_list_counts_that_list(session: ChatSession) -> None:
    """After "which papers study domain adaptation?", "how many of them?" is that list again, ending
    with how many it lists (before: asked of each listed paper, a line each and no number)."""
    script = Script("which papers study domain adaptation?", "how many of them?")
    assert repl(session, script.read_line, script.write) == 0
    listed, counted = session.turns
    assert counted.standalone == "which papers study domain adaptation?"
    assert len(listed.answer.citations) >= 2
    papers = len(listed.answer.citations)
    assert counted.answer.text.endswith(f"\n\n{papers} papers found."), counted.answer.text


@pytest.mark.parametrize(
    ("question", "counted"),
    [
        ("how many of them?", True),
        ("So how many are there?", True),
        ("how many did you find?", True),
        ("how many of these papers are there?", True),
        ("how many in total?", True),
        ("how many of them use clip?", False),  # a choice among them, counted
        ("how many papers are there?", False),  # the whole collection
        ("how many parameters?", False),
    ],
)
def test_only_a_bare_how_many_counts_the_last_list(question: str, counted: bool) -> None:
    listed = "papers on dataset distillation"
    previous = Turn(listed, listed, Answer(listed, "", [], [], backend="extractive"))
    assert counted_again(question, previous) == (listed if counted else None)
    about_one = Turn("what is cloob?", "what is cloob?", Answer("", "", [], [], backend="extractive"))
    assert counted_again(question, about_one) is None


@pytest.mark.parametrize(
    "question", ["what about the first one?", "and their code?", "what about limitations?", "why is that?"]
)
def test_a_follow_up_pointing_back_or_asking_an_aspect_is_no_new_list(question: str) -> None:
    listed = "papers on dataset distillation"
    previous = Turn(listed, listed, Answer(listed, "", [], [], backend="extractive"))
    assert listed_again(question, previous) is None
    assert listed_again("and model merging?", previous) == "papers on model merging"


def test_what_about_after_a_list_form_asked_of_one_paper_is_no_new_list() -> None:
    """A researcher's chat: after "which datasets did the authors evaluate on? (regarding: CAFA)",
    "what about model soups accuracy on imagenet" was searched as "which datasets model soups accuracy
    on imagenet?" and missed its 90.94%; a list's form asked of one paper is no list on a topic."""
    asked = "which datasets did the authors evaluate on? (regarding: CAFA)"
    previous = Turn(
        "which datasets did the authors evaluate on?", asked, Answer(asked, "", [], [], backend="extractive")
    )
    assert listed_again("what about model soups accuracy on imagenet", previous) is None
    listed = "papers on dataset distillation"
    on_topic = Turn(listed, listed, Answer(listed, "", [], [], backend="extractive"))
    assert listed_again("what about knowledge distillation?", on_topic) == "papers on knowledge distillation"
