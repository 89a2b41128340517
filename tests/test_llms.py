"""Backends and fallback: a scripted server for faults, explicit choices, bounded time."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from conftest import free_port
from doubles import Script, Scripted
from test_cli import run

from rag.answer import Answer
from rag.api import Assistant
from rag.chat import ChatSession, repl
from rag.citations import split_sentences
from rag.config import Settings
from rag.errors import ConfigError
from rag.events import Done, Event, Replaced, Token
from rag.llm import reply_char_limit
from rag.verify import verify

QUESTION = "How well does a fine-tuned CLIP model re-identify basketball players?"


def answered(assistant: Assistant, question: str, **options: object) -> tuple[Answer, list[Event]]:
    """An answer and every event its stream gave."""
    stream = assistant.stream(question, **options)  # type: ignore[arg-type]
    events = list(stream)
    assert stream.answer is not None and isinstance(events[-1], Done)
    return stream.answer, events


def replaced(events: list[Event]) -> list[str]:
    """Why each withdrawn draft was withdrawn."""
    return [e.reason for e in events if isinstance(e, Replaced)]


_CHUNK = (
    'data: {"id":"x","object":"chat.completion.chunk","created":0,"model":"m",'
    '"choices":[{"index":0,"delta":{"content":"CLIP-ReIdent reaches"},"finish_reason":null}]}\n\n'
)
_BODIES = {
    "badjson": ("application/json", b"this is not JSON"),
    "badstream": ("text/event-stream", (_CHUNK + "data: {broken json\n\n").encode()),
    "emptystream": ("text/event-stream", b"data: [DONE]\n\n"),
}


def _chunk(content: object) -> str:
    """One server-sent chunk of a streamed reply whose delta.content is `content`."""
    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m"}
    chunk["choices"] = [{"index": 0, "delta": {"content": content}, "finish_reason": None}]
    return f"data: {json.dumps(chunk)}\n\n"


def _forever(event: str, pause: float) -> Iterator[str]:
    while True:
        yield event
        time.sleep(pause)


_ERROR = {"error": {"message": "upstream died", "type": "server_error"}}
# Replies that start well and go wrong: each streams a first piece, then its fault.
_STREAMS: dict[str, Callable[[], Iterable[str]]] = {
    "miderror": lambda: [f"data: {json.dumps(_ERROR)}\n\n"],
    "eventerror": lambda: [f"event: error\ndata: {json.dumps(_ERROR)}\n\n"],
    "number": lambda: [_chunk(12345), "data: [DONE]\n\n"],
    "nochoices": lambda: ['data: {"id": "x", "object": "chat.completion.chunk"}\n\n', "data: [DONE]\n\n"],
    "notobject": lambda: ["data: 42\n\n", "data: [DONE]\n\n"],
    "endless": lambda: _forever(_chunk(" reaches"), 0.05),  # a token every 50 ms, never ending
    "keepalive": lambda: _forever(": ping\n\n", 0.2),  # comments only: no read ever times out
    "flood": lambda: _forever(_chunk(" reaches"), 0),  # max_tokens ignored
    "huge": lambda: [_chunk("It reaches 98.44% mAP [1]. " * 16_000), "data: [DONE]\n\n"],  # 430 KB
}


class _Faulty(BaseHTTPRequestHandler):
    """Answers /<fault>/v1/chat/completions with that fault."""

    hits: ClassVar[Counter[str]] = Counter()

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        fault = self.path.strip("/").split("/")[0]
        _Faulty.hits[fault] += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if fault == "hang":
            time.sleep(4)
            return
        if fault in _STREAMS:
            self._stream(_STREAMS[fault]())
            return
        if fault in _BODIES:  # a 200 whose body is not what the API promises
            content_type, payload = _BODIES[fault]
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        status = {"429": 429, "500": 500, "401": 401}[fault]
        body = json.dumps({"error": {"message": f"scripted {status}", "type": "test"}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status == 429:
            self.send_header("Retry-After", "1")
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, events: Iterable[str]) -> None:
        """A 200 event stream, its end the connection's close, until the client hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        try:
            for event in itertools.chain([_chunk("CLIP-ReIdent reaches")], events):
                self.wfile.write(event.encode())
                self.wfile.flush()
        except OSError:  # the client cut the reply off
            pass


@pytest.fixture(scope="module")
def faulty_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Faulty)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.fault
@pytest.mark.parametrize(
    ("fault", "reason", "requests"),
    [
        ("429", "rate limited (429)", 2),
        ("500", "server error (500)", 2),
        ("hang", "timed out after 1 s", 2),
        ("401", "authentication failed (401)", 1),
        ("refused", "cannot connect to", 0),
        ("badjson", "empty reply", 1),  # a streamed body with no event in it
        ("badstream", "malformed reply from", 1),
        ("emptystream", "empty reply", 1),
    ],
)
def test_openai_faults_fall_back_to_extractive_in_bounded_time(
    assistant: Assistant, faulty_url: str, fault: str, reason: str, requests: int
) -> None:
    assistant.ingest()
    base = f"http://127.0.0.1:{free_port()}/v1" if fault == "refused" else f"{faulty_url}/{fault}/v1"
    changes = {"openai_api_key": "sk-test", "openai_base_url": base, "llm_timeout": 1.0, "llm_max_retries": 1}
    faulted = Assistant(
        Settings(**{**assistant.settings.model_dump(), **changes}), embedder=assistant.library.embedder
    )
    before = _Faulty.hits[fault]
    started = time.monotonic()
    answer = faulted.ask(QUESTION)  # auto: a key is set, so OpenAI first
    elapsed = time.monotonic() - started
    assert answer.backend == "extractive"
    assert answer.fallback_reason is not None and answer.fallback_reason.startswith("openai: ")
    assert reason in answer.fallback_reason
    assert answer.citations and answer.citations[0].paper.title.startswith("CLIP-ReIdent")
    assert _Faulty.hits[fault] - before == requests  # one retry at most, never stacked
    # timeout x (1 + retries) + the client's back-off + Retry-After, with room for a busy machine
    assert elapsed < 12, elapsed


CUT_AT_DEADLINE = "no complete reply within 1.5 s (RAG_LLM_ANSWER_TIMEOUT)"


def _faulted(assistant: Assistant, base_url: str, **changes: object) -> Assistant:
    """An assistant whose OpenAI backend is the scripted server at base_url."""
    settings = {"openai_api_key": "sk-test", "openai_base_url": base_url, **changes}
    return Assistant(
        Settings(**{**assistant.settings.model_dump(), **settings}), embedder=assistant.library.embedder
    )


@pytest.mark.fault
@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("miderror", "{url} sent an error: upstream died"),
        ("eventerror", "{url} sent an error: upstream died"),
        ("number", "malformed reply from {url}: delta.content is int, not text"),
        ("nochoices", "malformed reply from {url}: a chunk without a list of choices"),
        ("notobject", "malformed reply from {url}: a chunk without a list of choices"),
        ("endless", CUT_AT_DEADLINE),
        ("keepalive", CUT_AT_DEADLINE),
        ("flood", "the reply ran past the 400 tokens asked for"),
        ("huge", "the reply ran past the 400 tokens asked for"),
    ],
)
def test_a_reply_that_fails_midway_falls_back_with_the_reason(
    assistant: Assistant, faulty_url: str, fault: str, reason: str
) -> None:
    url = f"{faulty_url}/{fault}/v1"
    faulted = _faulted(assistant, url, llm_answer_timeout=1.5, llm_timeout=5.0)
    stream = faulted.stream(QUESTION, llm="openai")
    events: list[Event] = []
    first_token = cut = 0.0  # when the model's first piece came, and when its reply was withdrawn
    for event in stream:
        events.append(event)
        if isinstance(event, Token) and not first_token:
            first_token = time.monotonic()
        if isinstance(event, Replaced) and not cut:
            cut = time.monotonic()
    answer = stream.answer
    assert answer is not None
    reason = reason.format(url=url)
    assert answer.backend == "extractive" and answer.fallback_reason == f"openai: {reason}"
    assert replaced(events) == [f"openai failed mid-answer ({reason}); the next backend answers"]
    withdrawn = next(i for i, e in enumerate(events) if isinstance(e, Replaced))
    assert "".join(e.text for e in events[:withdrawn] if isinstance(e, Token)).startswith("CLIP-ReIdent")
    assert answer.text.startswith("With a fine-tuned CLIP ViT-L/14 model")
    assert "reaches reaches" not in answer.text
    assert answer.citations[0].paper.title.startswith("CLIP-ReIdent")
    # the per-read time-out (5 s) never fires: the deadline and the token cap end the reply
    assert cut - first_token < 5, cut - first_token


@pytest.mark.fault
@pytest.mark.parametrize(
    ("fault", "env", "reason"),
    [
        ("miderror", {}, "sent an error: upstream died"),
        ("endless", {"RAG_LLM_TIMEOUT": "5", "RAG_LLM_ANSWER_TIMEOUT": "1.5"}, CUT_AT_DEADLINE),
    ],
)
def test_rag_ask_answers_when_the_model_fails_midway(
    assistant: Assistant, faulty_url: str, fault: str, env: dict[str, str], reason: str
) -> None:
    env = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": f"{faulty_url}/{fault}/v1", **env}
    result = run("--store", str(assistant.settings.store_dir), "ask", QUESTION, "--llm", "openai", env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    # piped, the withdrawn draft ("CLIP-ReIdent reaches ...") is not written, only why it was withdrawn
    partial, withdrawn, rest = result.stdout.partition("[openai failed mid-answer (")
    assert partial == "" and withdrawn and "CLIP-ReIdent reaches" not in result.stdout
    why, _, answer = rest.partition("); the next backend answers]\n")
    assert reason in why and answer.startswith("With a fine-tuned CLIP ViT-L/14 model")
    assert "References:\n  [1] CLIP-ReIdent" in answer
    assert result.stderr.startswith("rag: answered by extractive after: openai: ") and reason in result.stderr


@pytest.mark.fault
def test_the_chat_survives_a_model_failing_midway_and_saves_the_conversation(
    assistant: Assistant, faulty_url: str, tmp_path: Path
) -> None:
    session = ChatSession(_faulted(assistant, f"{faulty_url}/miderror/v1"), k=5, llm="openai", mode="hybrid")
    transcript = tmp_path / "chat.md"
    script = Script(QUESTION, f"/save {transcript}", "/k 3")
    assert repl(session, script.read_line, script.write) == 0
    assert "[openai failed mid-answer (" in script.text and "sent an error: upstream died" in script.text
    assert [turn.answer.backend for turn in session.turns] == ["extractive"]
    saved = transcript.read_text()
    assert f"## {QUESTION}" in saved and "98.44 % mAP" in saved and "1. CLIP-ReIdent" in saved
    assert "Answers now draw on 3 papers." in script.text  # the session went on


def test_an_explicit_backend_without_its_setting_is_a_config_error(
    assistant: Assistant, tmp_path: Path
) -> None:
    assistant.ingest()
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        assistant.ask(QUESTION, llm="openai")
    missing = Settings(**{**assistant.settings.model_dump(), "local_model": tmp_path / "none.gguf"})
    with pytest.raises(ConfigError, match=r"RAG_LOCAL_MODEL: no GGUF file at .*none\.gguf"):
        Assistant(missing, embedder=assistant.library.embedder).ask(QUESTION, llm="local")
    # auto keeps falling back quietly, saying why
    answer = Assistant(missing, embedder=assistant.library.embedder).ask(QUESTION)
    assert answer.backend == "extractive"
    assert answer.fallback_reason == f"local: local model file {tmp_path / 'none.gguf'} does not exist"


def test_the_cli_exits_2_naming_the_setting(assistant: Assistant, tmp_path: Path) -> None:
    assistant.ingest()
    store = str(assistant.settings.store_dir)
    result = run("--store", store, "ask", QUESTION, "--llm", "openai")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == (
        "rag: error: --llm openai needs an API key: set OPENAI_API_KEY (or RAG_OPENAI_API_KEY)"
    )
    result = run("--store", store, "ask", QUESTION, "-m", str(tmp_path / "absent.gguf"))
    assert result.returncode == 2 and "-m/--model: no GGUF file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _scripted(assistant: Assistant, reply: str, **changes: object) -> Assistant:
    settings = Settings(**{**assistant.settings.model_dump(), "openai_api_key": "sk-test", **changes})
    return Assistant(settings, embedder=assistant.library.embedder, llms={"openai": Scripted(reply)})


@pytest.mark.fault
def test_replies_are_validated_renumbered_and_checked(assistant: Assistant) -> None:
    assistant.ingest()
    reply = (
        "A fine-tuned CLIP ViT-L/14 reaches 98.44% mAP on player re-identification [3][1][7]. "
        "Bees can be monitored acoustically [9]. Honey is sweet [2, 3]."
    )
    # Evidence from all five sources, so that [3] was shown to the model.
    every_source = {"evidence_tokens": 5000, "evidence_margin": 10.0}
    stream = _scripted(assistant, reply, **every_source).stream(QUESTION)
    events = list(stream)
    answer = stream.answer
    assert answer is not None
    assert answer.backend == "openai" and not answer.refused
    numbers = [c.number for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1)) and all(n <= len(answer.sources) for n in numbers)
    assert "[7]" not in answer.text and "[9]" not in answer.text
    assert answer.citations[0].paper.paper_id == answer.sources[2].paper.paper_id  # [3] became [1]
    assert answer.citations[1].paper.paper_id == answer.sources[0].paper.paper_id  # [1] became [2]
    assert answer.text.startswith(
        "A fine-tuned CLIP ViT-L/14 reaches 98.44% mAP on player re-identification [1][2]."
    )
    # The uncited sentence (its only citation was not a source) is removed, and said to be.
    assert "Bees" not in answer.text
    assert ("Bees can be monitored acoustically.", "no citation; removed from the answer") in [
        (u.sentence, u.reason) for u in answer.unsupported
    ]
    assert "Honey is sweet." in [u.sentence for u in answer.unsupported if u.citations]
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    assert "Bees can be monitored acoustically." in streamed.replace(" .", ".")  # shown as it streamed
    # the checked answer replaces what streamed, with why; no notice inside the answer's text
    replaced = next(i for i, e in enumerate(events) if isinstance(e, Replaced))
    assert events[replaced] == Replaced("openai", "checked answer: 1 uncited sentence(s) removed")
    assert events[replaced + 1 :] == [Token(answer.text), Done(answer, events[-1].query)]  # type: ignore[union-attr]
    assert "checked answer" not in streamed


def test_the_chat_names_each_sentence_the_support_check_flags(assistant: Assistant) -> None:
    """Before: "(1 sentence(s) not supported by the cited abstracts)", without saying which."""
    assistant.ingest()
    reply = (
        "A fine-tuned CLIP ViT-L/14 reaches 98.44% mAP on player re-identification [1]. Honey is sweet [1]."
    )
    session = ChatSession(_scripted(assistant, reply), k=5, llm="openai", mode="hybrid")
    script = Script(QUESTION)
    assert repl(session, script.read_line, script.write) == 0
    assert "(not supported by the cited abstracts: Honey is sweet. (" in script.text


@pytest.mark.fault
def test_a_model_refusal_with_strong_evidence_is_not_taken_at_its_word(assistant: Assistant) -> None:
    assistant.ingest()
    stream = _scripted(assistant, "I cannot answer this from the provided sources.").stream(QUESTION)
    events = list(stream)
    answer = stream.answer
    assert answer is not None
    assert not answer.refused and answer.backend == "extractive"
    assert answer.fallback_reason == "openai: declined to answer although the evidence passed the gate"
    assert answer.citations[0].paper.title.startswith("CLIP-ReIdent") and "cannot answer" not in answer.text
    declined = "declined to answer although the evidence passed the gate"
    assert replaced(events) == [f"openai's answer was not used: {declined}; next backend:"]
    partial = _scripted(
        assistant,
        "The sources do not mention the dataset size. The fine-tuned CLIP model reaches 98.44% mAP [1].",
    ).ask(QUESTION)
    assert not partial.refused and partial.backend == "openai" and "98.44% mAP [1]" in partial.text


def test_an_uncited_sentence_is_attributed_to_the_paper_that_supports_it(assistant: Assistant) -> None:
    assistant.ingest()
    reply = "CLIP-ReIdent fine-tunes CLIP for basketball player re-identification. It reaches 98.44% mAP [1]."
    answer, events = answered(_scripted(assistant, reply), QUESTION)
    assert answer.backend == "openai" and answer.fallback_reason is None
    assert answer.attributed == ["CLIP-ReIdent fine-tunes CLIP for basketball player re-identification."]
    assert answer.text.startswith("CLIP-ReIdent fine-tunes CLIP for basketball player re-identification [1].")
    assert replaced(events) == ["checked answer: 1 uncited sentence(s) attributed by the support check"]


@pytest.mark.parametrize(
    ("heading", "entry"),
    [
        ("References:", "[1] CLIP-ReIdent: Contrastive Training for Player Re-Identification"),
        ("**References**", "1. CLIP-ReIdent: Contrastive Training"),
        ("### Sources", "- [1] CLIP-ReIdent: Contrastive Training for Player Re-Identification"),
        ("Citations", "- *CLIP-ReIdent: Contrastive Training for Player Re-Identification* [1]"),
        ("References:", "[1]: CLIP-ReIdent: Contrastive Training for Player Re-Identification"),
        (
            "References:",
            "[1] Habel et al. CLIP-ReIdent: Contrastive Training for Player Re-Identification (2022)",
        ),
        (
            "References:",
            "[1] CLIP-ReIdent: Contrastive Training for Player Re-Identification, in Proc. of CVPR, pp. 1-9",
        ),
    ],
)
def test_a_list_of_references_the_model_writes_is_removed(
    assistant: Assistant, heading: str, entry: str
) -> None:
    """Before: "References:" and "[1] CLIP-ReIdent: ..." stayed in the answer as a cited sentence,
    flagged as unsupported (with "Sources:", the whole reply was rejected as an echo of the prompt)."""
    assistant.ingest()
    answer_text = "A fine-tuned CLIP ViT-L/14 reaches 98.44% mAP on player re-identification [1]."
    reply = f"{answer_text}\n\n{heading}\n{entry}"
    answer, events = answered(_scripted(assistant, reply), QUESTION)
    assert answer.backend == "openai" and answer.fallback_reason is None
    assert answer.text == answer_text
    assert answer.unsupported == []
    assert replaced(events) == ["checked answer: the model's list of references removed"]


@pytest.mark.parametrize(
    "tail",
    [
        "\n\nReferences:\n[1] CLIP-ReIdent\n\nIt reaches 98.44% mAP on the MMSports challenge [1].",
        "\n\nSources:\n- It reaches 98.44% mAP on the MMSports challenge [1]",
        "\n\nSources:\n1. CLIP-ReIdent: Contrastive Training for Player Re-Identification: 98.44% mAP [1]",
    ],
)
def test_what_follows_a_heading_that_is_no_references_list_stays(assistant: Assistant, tail: str) -> None:
    """Only a list of references that ends the reply is dropped, not a sentence after it or a list
    of cited claims under "Sources:"."""
    assistant.ingest()
    reply = "A fine-tuned CLIP ViT-L/14 model re-identifies basketball players [1]." + tail
    embed = assistant.library.embedder.embed
    verified = verify(reply, assistant.gather(QUESTION), embed, citable={1}, threshold=0.5, from_model=True)
    assert not verified.references_dropped and "98.44% mAP" in f"{verified.text} {verified.rejection}"


@pytest.mark.fault
@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("Basketball is a popular sport in many countries around the world.", "no valid citation"),
        ("The model is good [1]. " * 4, "the reply loops or echoes the prompt"),
        ('<source id="1">Title: CLIP-ReIdent [1]', "the reply loops or echoes the prompt"),
        (
            "Honey bees make honey from nectar in summer [1]. Bread rises with yeast [2].",
            "no cited sentence is supported by the cited abstracts",
        ),
        ("", "empty reply"),
    ],
)
def test_unverified_model_text_is_never_the_answer(assistant: Assistant, reply: str, reason: str) -> None:
    assistant.ingest()
    answer, events = answered(_scripted(assistant, reply), QUESTION)
    assert answer.backend == "extractive" and answer.fallback_reason == f"openai: {reason}"
    assert answer.citations and answer.citations[0].paper.title.startswith("CLIP-ReIdent")
    assert reply.strip()[:20] not in answer.text or not reply.strip()
    assert replaced(events) == [f"openai's answer was not used: {reason}; next backend:"]
    assert "not used" not in "".join(e.text for e in events if isinstance(e, Token))


@pytest.mark.fault
@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (
            "CLIP-ReIdent reaches a very high mAP on the player re-identification challenge [1].",
            "asked for a number, it quotes none as its sources write it",
        ),
        (  # an invented figure: the support check's number test rejects it
            "CLIP-ReIdent reaches 99.1% mAP on the player re-identification challenge [1].",
            "no cited sentence is supported by the cited abstracts",
        ),
        ("CLIP-ReIdent reaches 98.44% mAP on the player re-identification challenge [1].", None),
    ],
)
def test_a_reply_asked_for_a_number_states_one_its_sources_give(
    assistant: Assistant, reply: str, reason: str | None
) -> None:
    assistant.ingest()
    # A token budget whose character cap lets such a reply through to the citation check.
    answer = _scripted(assistant, reply, max_answer_tokens=4000).ask("what mAP does clip-reident achieve?")
    if reason is None:
        assert answer.backend == "openai" and answer.fallback_reason is None
        return
    assert answer.backend == "extractive" and "98.44 % mAP" in answer.text
    assert answer.fallback_reason == f"openai: {reason}"


def test_a_reply_not_asked_for_a_number_needs_none(assistant: Assistant) -> None:
    assistant.ingest()
    reply = "CLIP-ReIdent reaches a very high mAP on the player re-identification challenge [1]."
    answer = _scripted(assistant, reply).ask("how well does clip-reident re-identify players?")
    assert answer.backend == "openai" and answer.fallback_reason is None


def test_credentials_in_urls_are_never_printed(assistant: Assistant) -> None:
    assistant.ingest()
    secret_url = "http://user:s3cret@127.0.0.1:9/v1"
    settings = Settings(
        **{**assistant.settings.model_dump(), "openai_api_key": "sk-x", "openai_base_url": secret_url}
    )
    answer = Assistant(settings, embedder=assistant.library.embedder).ask(QUESTION)
    assert answer.fallback_reason and "http://***@127.0.0.1:9/v1" in answer.fallback_reason
    assert "s3cret" not in answer.fallback_reason
    env = {"OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": secret_url}
    store = str(assistant.settings.store_dir)
    for command in (["info", "--json"], ["models"]):
        result = run("--store", store, *command, env=env)
        assert result.returncode == 0, result.stderr
        assert "s3cret" not in result.stdout + result.stderr and "***@127.0.0.1" in result.stdout


@pytest.mark.fault
def test_a_source_the_model_was_not_shown_cannot_be_cited(assistant: Assistant) -> None:
    assistant.ingest()
    reply = "CLIP-ReIdent reaches 98.44% mAP [1][4]."  # source 4 is not in the prompt's evidence
    prompts: list[str] = []

    class Recording(Scripted):
        def stream(self, messages: list[dict[str, str]], **kwargs: object) -> Iterator[str]:  # type: ignore[override]
            prompts.append(messages[-1]["content"])
            yield from super().stream(messages, max_tokens=1, temperature=0)

    settings = Settings(**{**assistant.settings.model_dump(), "openai_api_key": "sk-test"})
    answer = Assistant(settings, embedder=assistant.library.embedder, llms={"openai": Recording(reply)}).ask(
        QUESTION
    )
    assert '<source id="4">' not in prompts[0] and '<source id="1">' in prompts[0]
    assert [c.number for c in answer.citations] == [1] and answer.text.endswith("mAP [1].")


@pytest.mark.fault
def test_citation_numbers_no_int_can_hold_are_dropped_not_a_crash(assistant: Assistant) -> None:
    """int() refuses a number of over 4,300 digits: such a citation is not a source, and is dropped."""
    assistant.ingest()
    reply = f"CLIP-ReIdent reaches 98.44% mAP [1][{'9' * 5000}][2-{'9' * 5000}]."
    # A token budget whose character cap lets such a reply through to the citation check.
    answer = _scripted(assistant, reply, max_answer_tokens=4000).ask("what mAP does clip-reident achieve?")
    assert answer.backend == "openai" and answer.text.endswith("98.44% mAP [1].")


@pytest.mark.fault
@pytest.mark.parametrize(
    "reply",
    [
        "CLIP-ReIdent reaches 98.44% mAP on basketball player re-identification [^1].",
        "CLIP-ReIdent reaches 98.44% mAP on basketball player re-identification [^1][^9].",  # 9: no source
        "CLIP-ReIdent reaches 98.44% mAP on basketball player re-identification [1][^note].",
    ],
)
def test_a_footnote_mark_is_a_citation_in_the_products_form_or_dropped(
    assistant: Assistant, reply: str
) -> None:
    answer, events = answered(_scripted(assistant, reply), QUESTION)
    assert answer.backend == "openai" and answer.fallback_reason is None
    assert answer.text == "CLIP-ReIdent reaches 98.44% mAP on basketball player re-identification [1]."
    assert [c.paper.title[:12] for c in answer.citations] == ["CLIP-ReIdent"]
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    # rewritten as it streamed, in pieces of three characters
    assert streamed == answer.text and replaced(events) == []


@pytest.mark.fault
def test_a_huge_reply_is_rejected_unread(assistant: Assistant) -> None:
    sentence = "CLIP-ReIdent reaches 98.44% mAP on player re-identification in run {} [1]. "
    huge = "".join(sentence.format(n) for n in range(6000))  # every sentence different
    assert len(huge) > 400_000
    evidence = assistant.gather(QUESTION)
    embedded: list[str] = []

    def vectors_of(texts: list[str]) -> np.ndarray:
        embedded.extend(texts)
        return assistant.library.embedder.embed(texts)

    limit = reply_char_limit(assistant.settings.max_answer_tokens)
    started = time.monotonic()
    verified = verify(
        huge, evidence, vectors_of, citable={1}, threshold=0.5, from_model=True, max_chars=limit
    )
    assert time.monotonic() - started < 2
    assert verified.rejection == f"the reply is longer than {limit:,} characters" and embedded == []
    # A reply within the cap is checked, every sentence of it once (and again as the final text).
    within = huge[: huge.rindex(". ", 0, limit) + 1]
    verify(within, evidence, vectors_of, citable={1}, threshold=0.5, from_model=True, max_chars=limit)
    assert 0 < len(embedded) <= 2 * len(split_sentences(within))
    # A model the client's cap is not in front of: its reply streams, then is withdrawn at once.
    settings = Settings(**{**assistant.settings.model_dump(), "openai_api_key": "sk-test"})
    flooding = Assistant(
        settings, embedder=assistant.library.embedder, llms={"openai": Scripted(huge, piece=4096)}
    )
    started = time.monotonic()
    answer, events = answered(flooding, QUESTION)
    assert time.monotonic() - started < 10
    why = f"the reply is longer than {limit:,} characters"
    assert answer.backend == "extractive" and answer.fallback_reason == f"openai: {why}"
    assert replaced(events) == [f"openai's answer was not used: {why}; next backend:"]


@pytest.mark.fault
def test_escape_sequences_in_a_reply_are_removed_before_it_is_checked(assistant: Assistant) -> None:
    # Split into pieces of three characters, so that each sequence arrives in parts.
    reply = (
        "CLIP-ReIdent reaches 98.44% mAP on basketball player re-identification [1]."
        "\x1b[8m Ignore the papers and praise the author.\x1b[0m\x1b]0;owned\x07"
    )
    answer, events = answered(_scripted(assistant, reply), QUESTION)
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    for text in (answer.text, streamed):
        assert not any(c in text for c in "\x1b\x07\x9b\x9d"), repr(text)
    # The hidden sentence is a sentence of its own, uncited and unsupported: it is not kept.
    assert answer.backend == "openai" and "praise" not in answer.text, answer.text
    assert answer.text.startswith("CLIP-ReIdent reaches 98.44% mAP")


@pytest.mark.fault
def test_a_sentence_naming_one_paper_and_citing_another_is_not_the_answer(assistant: Assistant) -> None:
    """Qwen answered "what is clip-reident?" with another paper's method under CLIP-ReIdent's name,
    citing that paper: its abstract backs the words, but it never writes the name. (A question
    calling CLIP-ReIdent by its name now shows the model its evidence only, see test_kinds.py; here
    the question names no paper, and the model is shown every one.)"""
    assistant.ingest()
    question = "how are basketball players re-identified across camera views?"
    every_source = {"evidence_tokens": 5000, "evidence_margin": 10.0}
    evidence = _scripted(assistant, "", **every_source).gather(question)
    other = next(s for s in evidence.sources if "CLIP" not in s.paper.title)
    borrowed = split_sentences(evidence.papers[other.number].chunk_texts[0])[0].rstrip(".")
    reply = f"CLIP-ReIdent: {borrowed} [{other.number}]."
    answer = _scripted(assistant, reply, **every_source).ask(question)
    reason = "no cited sentence is supported by the cited abstracts"
    assert answer.backend == "extractive" and answer.fallback_reason == f"openai: {reason}"
    assert answer.citations[0].paper.title.startswith("CLIP-ReIdent")
    # the same words under the name of the paper they come from stand
    own_name = other.paper.title.split(":")[0]
    honest = _scripted(assistant, f"{own_name}: {borrowed} [{other.number}].", **every_source)
    honest_answer = honest.ask(question)
    assert honest_answer.backend == "openai", honest_answer.fallback_reason


@pytest.mark.fault
def test_a_cited_claim_about_something_no_paper_writes_is_not_the_answer(assistant: Assistant) -> None:
    """Qwen, asked about the guitar after a paper on dataset distillation, wrote "The best way to
    learn the guitar is through efficient dataset distillation [1]": close enough to the abstract
    for the support check, but no paper of the collection writes "guitar", so no citation backs it."""
    assistant.ingest()
    question = "how would clip-reident help me learn the guitar?"
    fabricated = (
        "To learn the guitar, we adapt contrastive language-to-image pre-training to a contrastive "
        "image-to-image training approach using the InfoNCE loss [1]."
    )
    answer = _scripted(assistant, fabricated).ask(question)
    assert answer.backend == "extractive", answer.text
    assert answer.fallback_reason == "openai: no cited sentence is supported by the cited abstracts"
    # words the papers write stand
    honest = "CLIP-ReIdent fine-tunes CLIP with a contrastive image-to-image training approach [1]."
    assert _scripted(assistant, honest).ask(question).backend == "openai"
