"""`rag serve` as a client sees it: the real `openai` client, raw HTTP and Chromium against a real
`rag serve` process on a copy of the small store (and a scripted slow model for a disconnect)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from browser import Browser
from conftest import ROOT, copy_store, free_port, served, write_jsonl

from rag.citations import split_sentences

CLIP = "CLIP-ReIdent: Contrastive Training for Player Re-Identification"
BEES = "Beekeeping with acoustic sensors"
ALGAE = "Photosynthetic efficiency of engineered algae in bioreactors"
CLIP_QUESTION = "How well does a fine-tuned CLIP model re-identify basketball players?"
KEY = "k3y-for-the-tests-0123456789"
STORES: dict[str, Path] = {}  # each served url's store


def server_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a `rag serve` process: no user settings, its own data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    path = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env | {
        "PYTHONPATH": path,
        "RAG_CONFIG": str(home / "absent.toml"),
        "XDG_DATA_HOME": str(home / "data"),
        "ANONYMIZED_TELEMETRY": "False",
        **extra,
    }


def serve_command(store: Path, port: int, *args: str) -> list[str]:
    return [sys.executable, "-m", "rag", "--store", str(store), "serve", "--port", str(port), *args]


@pytest.fixture(scope="module")
def slow_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scripted OpenAI-compatible model whose reply never ends (a token every 50 ms)."""
    port = free_port()
    logs = tmp_path_factory.mktemp("slow-model")
    command = [sys.executable, str(ROOT / "tests" / "chat_server.py"), "--port", str(port)]
    with served(command, f"http://127.0.0.1:{port}/health", logs / "server.log", timeout=60):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, small_store: Path, slow_model: str) -> Iterator[str]:
    """A real `rag serve` over a copy of the small store: extractive by default, rag-openai the slow model."""
    home = tmp_path_factory.mktemp("serve")
    store = copy_store(small_store, home / "store")
    port = free_port()
    env = server_env(home, RAG_LLM="extractive", OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=f"{slow_model}/v1")
    url = f"http://127.0.0.1:{port}"
    STORES[url] = store
    with _env(env), served(serve_command(store, port), f"{url}/healthz", home / "serve.log", timeout=120):
        yield url


class _env:
    """os.environ replaced while the block runs (served() starts its process with os.environ)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __enter__(self) -> None:
        self.saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.env)

    def __exit__(self, *exc: object) -> None:
        os.environ.clear()
        os.environ.update(self.saved)


def client(url: str, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=120)


def ask(url: str, question: str, **body: Any) -> Any:
    return client(url).chat.completions.create(
        model=body.pop("model", "rag"), messages=[{"role": "user", "content": question}], **body
    )


def test_models_and_an_unknown_model(server: str) -> None:
    ids = [m.id for m in client(server).models.list().data]
    assert ids[0] == "rag" and {"rag-extractive", "rag-openai"} <= set(ids)
    assert client(server).models.retrieve("rag-extractive").id == "rag-extractive"  # before: 404
    with pytest.raises(openai.NotFoundError):
        client(server).models.retrieve("gpt-4o")
    with pytest.raises(openai.NotFoundError) as caught:
        ask(server, CLIP_QUESTION, model="gpt-4o")
    error = caught.value.body
    assert isinstance(error, dict) and error["code"] == "model_not_found" and error["param"] == "model"
    assert "'gpt-4o' does not exist" in error["message"] and "rag-extractive" in error["message"]


def test_a_cited_answer_with_its_references(server: str) -> None:
    reply = ask(server, "Which hives predict swarming by listening?")
    text = reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "stop" and reply.model == "rag"
    assert text.startswith("Microphones inside beehives") and "[1]" in text
    assert text.endswith(f"**References**\n\n1. {BEES}, (2023)")
    first = reply.references[0]  # type: ignore[attr-defined]
    assert first["number"] == 1 and first["title"] == BEES and first["year"] == 2023
    assert {"id", "title", "url", "authors", "year", "evidence"} <= set(first)
    assert "Microphones inside beehives" in first["evidence"]
    assert reply.rag["refused"] is False and reply.rag["backend"] == "extractive"  # type: ignore[attr-defined]


def test_a_references_evidence_is_the_sentence_cited_of_its_passage(server: str) -> None:
    """Before: the evidence was the passage the answer was written from, several sentences."""
    for reference in ask(server, CLIP_QUESTION, model="rag-extractive").references:  # type: ignore[attr-defined]
        assert split_sentences(reference["evidence"]) == [reference["evidence"]]
        assert reference["evidence"] in reference["passage"] and reference["passage"] != reference["evidence"]


def test_the_stream_says_what_the_whole_reply_says(server: str) -> None:
    whole = ask(server, CLIP_QUESTION, model="rag-extractive")
    chunks = list(ask(server, CLIP_QUESTION, model="rag-extractive", stream=True))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert len(chunks) > 3 and streamed == whole.choices[0].message.content
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert [r["title"] for r in last.references] == [CLIP]  # type: ignore[attr-defined]


def test_a_follow_up_is_read_with_the_conversation(server: str) -> None:
    first = ask(server, CLIP_QUESTION)
    messages: list[Any] = [
        {"role": "system", "content": "You answer from papers."},
        {"role": "user", "content": CLIP_QUESTION},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "What loss did they train with?"},
    ]
    follow = client(server).chat.completions.create(model="rag", messages=messages)
    # the follow-up is searched with the paper it points back to, by its short name
    searched = follow.rag["searched"]  # type: ignore[attr-defined]
    assert searched == f"What loss did they train with? (regarding: {CLIP.split(':')[0]})"
    assert follow.references[0]["title"] == CLIP  # type: ignore[attr-defined]
    # Without the conversation the same words are searched as they are.
    alone = ask(server, "What loss did they train with?")
    assert alone.rag["searched"] == "What loss did they train with?"  # type: ignore[attr-defined]
    # a reply sent back without its references, its lines ending "\r\n", is known all the same
    # (before: read as a reply from elsewhere, its question the follow-up's context)
    content = first.choices[0].message.content or ""
    messages[2]["content"] = content.split("**References**")[0].replace("\n", "\r\n") + "  "
    again = client(server).chat.completions.create(model="rag", messages=messages)
    assert again.rag["searched"] == searched  # type: ignore[attr-defined]


def test_filters_on_answers_and_searches(server: str) -> None:
    reply = ask(server, "engineered microalgae in bioreactors", extra_body={"filters": {"year": "2024"}})
    assert [r["title"] for r in reply.references] == [ALGAE]  # type: ignore[attr-defined]
    assert reply.rag["filters"] == {"since": "2024-01-01", "until": "2024-12-31"}  # type: ignore[attr-defined]
    with pytest.raises(openai.BadRequestError) as caught:
        ask(server, CLIP_QUESTION, extra_body={"filters": {"year": "1850"}})
    assert caught.value.code == "no_match" and "year=1850" in str(caught.value)
    with pytest.raises(openai.BadRequestError) as caught:
        ask(server, CLIP_QUESTION, extra_body={"filters": {"year": "soon"}})
    assert "filters.year" in str(caught.value)
    found = httpx.get(f"{server}/search", params={"q": "sensors", "year": "2023", "k": "5"}).json()
    assert [r["title"] for r in found["results"]] == [BEES] and found["filters"]["since"] == "2023-01-01"
    everything = httpx.get(f"{server}/search", params={"q": "sensors", "k": "5"}).json()
    assert len(everything["results"]) == 5
    twice = httpx.get(f"{server}/search", params=[("q", "sensors"), ("year", "2023"), ("year", "2024")])
    assert twice.status_code == 400  # before: the last one, silently
    assert twice.json()["error"]["message"] == "year given 2 times: give one, e.g. year=2021..2023"


def test_papers_by_id_and_no_path_traversal(server: str) -> None:
    hit = httpx.get(f"{server}/search", params={"q": "engineered algae", "k": "1"}).json()["results"][0]
    paper = httpx.get(f"{server}/papers/{hit['paper_id']}").json()
    assert paper["title"] == ALGAE and "41%" in paper["abstract"]
    host, port = server.removeprefix("http://").split(":")
    attempts = [
        "/papers/../../../../etc/passwd",
        "/papers/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/papers/%2e%2e/%2e%2e/pyproject.toml",
        "/papers/" + "a" * 600,
        "/papers/%00",
        "/static/../app.py",
        "/static/..%2Fapp.py",
        "/static/%2e%2e/%2e%2e/api.py",
    ]
    for path in attempts:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.request("GET", path)  # sent as written: no client normalises the dots away
        response = connection.getresponse()
        body = response.read().decode()
        connection.close()
        assert response.status == 404, (path, response.status, body)
        assert "root:" not in body and "import" not in body and "[project]" not in body
        assert json.loads(body)["error"]["message"], path


@pytest.mark.fault
def test_bad_and_oversized_bodies_get_openai_errors(server: str) -> None:
    url = f"{server}/v1/chat/completions"
    json_type = {"Content-Type": "application/json"}
    cases: list[tuple[bytes, dict[str, str], int, str]] = [
        (b"{not json", json_type, 400, "not valid JSON"),
        (b"[1, 2]", json_type, 400, "must be a JSON object"),
        (b'{"model": "rag"}', json_type, 400, "messages: expected a non-empty list"),
        (
            b'{"model": "rag", "messages": [{"role": "assistant", "content": "hi"}]}',
            json_type,
            400,
            "the last message must be the user's question",
        ),
        (b'{"model": "rag", "messages": [{"role": "user", "content": 5}]}', json_type, 400, "messages[0]"),
        (b'{"model": "rag", "messages": [{"role": "user", "content": "  "}]}', json_type, 400, "has no text"),
        (b'{"model": "rag", "messages": []}', {"Content-Type": "text/plain"}, 415, "Content-Type"),
        (b'{"model": "rag", "k": 0, "messages": [{"role": "user", "content": "x"}]}', json_type, 400, "k:"),
        (b'{"model": "rag", "n": 2, "messages": [{"role": "user", "content": "x"}]}', json_type, 400, "n:"),
        (b"x" * (2 << 20), json_type, 413, "larger than 1024 KiB"),
        (b"[" * 100_000, json_type, 400, "nested too deeply"),  # before: 500, a RecursionError
    ]
    for body, headers, status, words in cases:
        response = httpx.post(url, content=body, headers=headers, timeout=60)
        assert response.status_code == status, (body[:60], response.text)
        error = response.json()["error"]
        assert words in error["message"] and error["type"] == "invalid_request_error", error
    assert httpx.get(f"{server}/nowhere").json()["error"]["message"] == "No such endpoint: GET /nowhere"
    assert httpx.get(f"{server}/search").status_code == 400
    # no CORS unless asked for: another origin's page cannot read the answers
    headers = {"Origin": "http://elsewhere.example"}
    assert "access-control-allow-origin" not in httpx.get(f"{server}/healthz", headers=headers).headers
    # a page elsewhere naming this server by another host (DNS rebinding) is refused
    assert httpx.get(f"{server}/healthz", headers={"Host": "attacker.example"}).status_code == 400


@pytest.mark.fault
def test_an_assistant_turn_that_only_called_tools_is_part_of_the_conversation(server: str) -> None:
    """A review: the OpenAI SDK sends an assistant turn of tool calls with "content": null; it was a 400."""
    messages: list[Any] = [
        {"role": "user", "content": "what tools do you have?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "search", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": None},
        {"role": "user", "content": "Which hives predict swarming by listening?"},
    ]
    reply = client(server).chat.completions.create(model="rag-extractive", messages=messages)
    assert "Microphones inside beehives" in (reply.choices[0].message.content or "")
    # the reply after the tool calls is the question's, not the empty turn that called them
    from rag.http.completions import _conversation

    answered = [*messages[:3], {"role": "assistant", "content": "I can search."}, messages[3]]
    assert _conversation(answered)[1] == [("what tools do you have?", "I can search.")]


def test_a_question_cut_to_its_limit_is_said_to_the_client(server: str) -> None:
    """A review: a 10,014-character question was cut to 2,000, said only on the server's stderr."""
    question = "Which hives predict swarming by listening? " + "Tell me more. " * 200
    reply = ask(server, question, model="rag-extractive")
    notices = reply.rag["notices"]  # type: ignore[attr-defined]
    assert notices and "was cut to its first 2,000" in notices[0]
    streamed = [c.model_extra or {} for c in ask(server, question, model="rag-extractive", stream=True)]
    said = [c["rag_event"]["text"] for c in streamed if c.get("rag_event", {}).get("type") == "notice"]
    assert said == notices
    assert ask(server, "Which hives predict swarming by listening?").rag["notices"] == []  # type: ignore[attr-defined]


def test_a_lone_surrogate_in_a_question_is_answered_not_a_500(server: str) -> None:
    """A review: "\\ud800" in a message (valid JSON, no text) was a 500 and a traceback on the server."""
    body = (
        b'{"model": "rag-extractive", "messages": [{"role": "user", "content": "hives \\ud800 swarming?"}]}'
    )
    for stream in (False, True):
        payload = body[:-1] + (b', "stream": true}' if stream else b"}")
        response = httpx.post(
            f"{server}/v1/chat/completions",
            content=payload,
            headers={"Content-Type": "application/json"},
            timeout=120,
        )
        assert response.status_code == 200 and "Microphones inside beehives" in response.text, response.text


@pytest.mark.fault
def test_a_client_that_disconnects_stops_the_generation(server: str, slow_model: str) -> None:
    before = httpx.get(f"{slow_model}/state").json()
    stream = ask(server, CLIP_QUESTION, model="rag-openai", stream=True)
    texts = []
    for chunk in stream:
        texts.append(chunk.choices[0].delta.content or "")
        if len("".join(texts)) > 60:
            break
    assert "98.44% mAP" in "".join(texts)
    assert httpx.get(f"{slow_model}/state").json()["open"] == before["open"] + 1
    stream.close()  # the client goes away mid-answer
    _wait_until_closed(slow_model, before["open"])
    sent = httpx.get(f"{slow_model}/state").json()["tokens"]
    time.sleep(0.5)
    assert httpx.get(f"{slow_model}/state").json()["tokens"] == sent
    assert httpx.get(f"{server}/healthz").json()["answers_running"] == 0
    # so does one that gives up waiting for a whole (not streamed) reply
    body = {"model": "rag-openai", "messages": [{"role": "user", "content": CLIP_QUESTION}]}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{server}/v1/chat/completions", json=body, timeout=httpx.Timeout(30, read=2))
    _wait_until_closed(slow_model, before["open"])


def _wait_until_closed(slow_model: str, open_before: int) -> None:
    deadline = time.monotonic() + 10
    while httpx.get(f"{slow_model}/state").json()["open"] > open_before:
        assert time.monotonic() < deadline, "the model still writes for a client that left"
        time.sleep(0.1)


def test_parallel_searches_and_answers(server: str) -> None:
    questions = [CLIP_QUESTION, "Which hives predict swarming by listening?", "engineered microalgae"]

    def search(i: int) -> list[str]:
        response = httpx.get(f"{server}/search", params={"q": questions[i % 3], "k": "3"}, timeout=120)
        assert response.status_code == 200, response.text
        return [r["title"] for r in response.json()["results"]]

    def answer(i: int) -> str:
        reply = ask(server, questions[i % 3], stream=bool(i % 2))
        if i % 2:
            chunks = list(reply)
            return str(chunks[-1].references[0]["title"])
        return str(reply.references[0]["title"])

    with ThreadPoolExecutor(24) as pool:
        searches = [pool.submit(search, i) for i in range(24)]
        answers = [pool.submit(answer, i) for i in range(8)]
        found = [s.result() for s in searches]
        cited = [a.result() for a in answers]
    assert all(titles[0] == [CLIP, BEES, ALGAE][i % 3] for i, titles in enumerate(found))
    assert cited == [[CLIP, BEES, ALGAE][i % 3] for i in range(8)]


def test_a_local_model_writes_one_reply_at_a_time(tmp_path: Path) -> None:
    from rag.backends import build
    from rag.config import Settings
    from rag.http.pool import Queued

    model = build("local", Settings(store_dir=tmp_path / "store"))  # the bundled GGUF in llama.cpp's server
    messages = [{"role": "user", "content": "Write the numbers from 1 to 60, separated by commas."}]

    def two_at_once(llm: Any) -> list[str]:
        replies = ["", ""]
        writing = threading.Event()

        def reply(i: int) -> None:
            for piece in llm.stream(messages, max_tokens=48, temperature=0.0):
                replies[i] += piece
                writing.set()

        first = threading.Thread(target=reply, args=(0,))
        first.start()
        writing.wait(60)  # the second comes while the first is writing, whatever the machine's load
        second = threading.Thread(target=reply, args=(1,))
        second.start()
        for thread in (first, second):
            thread.join()
        return replies

    try:
        whole = "".join(model.stream(messages, max_tokens=48, temperature=0.0))
        assert len(whole) > 12
        # llama.cpp's server cuts a reply short when the next request comes ...
        cut, _ = two_at_once(model)
        assert len(cut) < len(whole)
        # ... so the server's pool queues them: both replies whole
        queued = Queued(model)
        assert two_at_once(queued) == [whole, whole]
        half = queued.stream(messages, max_tokens=48, temperature=0.0)
        next(half)
        half.close()  # a reply abandoned half-way (a client gone) frees the model for the next
        assert queued._turn.acquire(timeout=1)
    finally:
        close = getattr(model, "close", None)
        if close is not None:
            close()


HOSTILE = {
    "id": "hostile-html",
    "title": 'Octopus camouflage <img src=x onerror="document.body.dataset.pwned=1"> on reefs',
    "abstract": "Octopuses match the colour of coral reefs within 200 milliseconds using chromatophores "
    '<script>document.body.dataset.pwned=1</script> and <b onmouseover="x()">papillae</b>.',
    "authors": ["Eve <i>Italic</i>"],
    "year": 2023,
    "url": "javascript:document.body.dataset.pwned=1",
}


@pytest.mark.fault
def test_an_ingest_while_serving_never_breaks_a_reader(server: str, tmp_path: Path) -> None:
    store = STORES[server]
    added = write_jsonl(tmp_path / "hostile.jsonl", [HOSTILE])
    failures: list[str] = []
    stop = threading.Event()

    def read() -> None:
        with httpx.Client(timeout=120) as client:  # one connection a reader, as a page or an app keeps
            while not stop.is_set():
                response = client.get(f"{server}/search", params={"q": "basketball players", "k": "3"})
                if response.status_code != 200 or not response.json()["results"]:
                    failures.append(response.text)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    env = server_env(tmp_path, OPENAI_API_KEY="", RAG_LLM="extractive")
    ingest = subprocess.run(
        [sys.executable, "-m", "rag", "--store", str(store), "ingest", str(added)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    stop.set()
    for thread in readers:
        thread.join()
    assert ingest.returncode == 0, ingest.stderr
    assert not failures, failures[:3]
    # The server reopens the store the other process changed: the new paper is found by its words
    # and by its meaning, and filters (resolved against the store) see it.
    for mode in ("keyword", "dense", "hybrid"):
        words = {"q": "octopus camouflage chromatophores", "k": "1", "mode": mode, "year": "2023"}
        found = httpx.get(f"{server}/search", params=words).json()["results"]
        assert found[0]["paper_id"] == "hostile-html", mode
    assert httpx.get(f"{server}/healthz").json()["store_reopened"] >= 1


def test_the_page_asks_streams_and_cites(server: str, tmp_path: Path) -> None:
    browser = Browser(tmp_path / "profile")
    try:
        browser.open(f"{server}/?q={CLIP_QUESTION.replace(' ', '%20')}")  # a shared link asks on opening
        browser.wait_for("document.body.dataset.state === 'done'")
        marks = browser.evaluate("[...document.querySelectorAll('#answer a.cite')].map(a => a.hash)")
        assert marks and set(marks) == {"#ref-1"}
        assert "98.44" in browser.evaluate("document.getElementById('answer').textContent")
        reference = browser.evaluate("document.getElementById('ref-1').textContent")
        assert reference.startswith(CLIP)
        assert browser.evaluate("document.querySelectorAll('#results li').length") >= 3
        browser.screenshot(tmp_path / "page.png")
        # a question typed in the box, within a filter
        browser.evaluate(
            "document.getElementById('question').value = 'Which hives predict swarming by listening?';"
            "document.getElementById('f-year').value = '2023';"
            "document.getElementById('go').click(); true"
        )
        browser.wait_for("document.body.dataset.answers === '2'")
        status = browser.evaluate(
            "document.getElementById('status').textContent + ' | ' + "
            "document.getElementById('answer').textContent"
        )
        assert (browser.evaluate("document.getElementById('ref-1')?.textContent") or "").startswith(BEES), (
            status
        )
        assert "(2023)" in browser.evaluate("document.getElementById('ref-1').textContent")
        titles = browser.evaluate(
            "[...document.querySelectorAll('#results li strong')].map(e => e.textContent)"
        )
        assert titles[0] == BEES  # and only 2023's papers:
        bylines = browser.evaluate(
            "[...document.querySelectorAll('#results .byline')].map(e => e.textContent)"
        )
        assert bylines and all("(2023)" in b for b in bylines)
        # a refusal shows the closest papers
        browser.evaluate(
            "document.getElementById('f-year').value = '';"
            "document.getElementById('question').value = 'What is the boiling point of nitrogen on Mars?';"
            "document.getElementById('go').click(); true"
        )
        browser.wait_for("document.body.dataset.answers === '3'")
        assert "don't answer" in browser.evaluate("document.getElementById('answer').textContent")
        assert browser.evaluate("document.getElementById('closest-box').hidden") is False
    finally:
        browser.close()


def test_the_page_keeps_the_conversation_for_follow_ups(server: str, tmp_path: Path) -> None:
    browser = Browser(tmp_path / "profile")
    ask_in_page = (
        "document.getElementById('question').value = 'What loss did they train with?';"
        "document.getElementById('go').click(); true"
    )
    try:
        browser.open(f"{server}/?q={CLIP_QUESTION.replace(' ', '%20')}")
        browser.wait_for("document.body.dataset.state === 'done'")
        assert browser.evaluate("document.getElementById('earlier').textContent") == CLIP_QUESTION
        browser.evaluate(ask_in_page)
        browser.wait_for("document.body.dataset.answers === '2'")
        # "they" is read with the paper of the answer before: searched with its short name
        status = browser.evaluate("document.getElementById('status').textContent")
        assert f"(regarding: {CLIP.split(':')[0]})" in status
        assert browser.evaluate("document.getElementById('ref-1').textContent").startswith(CLIP)
        # a new conversation forgets it: the same words are searched as they are
        browser.evaluate("document.getElementById('new-conversation').click(); true")
        assert browser.evaluate("document.getElementById('thread').hidden") is True
        browser.evaluate(ask_in_page)
        browser.wait_for("document.body.dataset.answers === '3'")
        assert "regarding" not in browser.evaluate("document.getElementById('status').textContent")
    finally:
        browser.close()


@pytest.mark.fault
def test_hostile_paper_text_is_shown_as_text(server: str, tmp_path: Path) -> None:
    # HOSTILE is in the served store when the ingest test ran before; alone, this test adds it (an
    # ingest of a paper stored unchanged writes nothing)
    added = write_jsonl(tmp_path / "hostile.jsonl", [HOSTILE])
    env = server_env(tmp_path, OPENAI_API_KEY="", RAG_LLM="extractive")
    ingest = [sys.executable, "-m", "rag", "--store", str(STORES[server]), "ingest", str(added)]
    ingested = subprocess.run(ingest, capture_output=True, text=True, env=env, timeout=300)
    assert ingested.returncode == 0, ingested.stderr
    browser = Browser(tmp_path / "profile")
    try:
        browser.open(f"{server}/?q=octopus%20camouflage%20chromatophores")
        browser.wait_for("document.body.dataset.state === 'done'")
        assert browser.evaluate("document.body.dataset.pwned") is None
        assert browser.evaluate("document.querySelectorAll('main img, main script, main b').length") == 0
        shown = browser.evaluate("document.getElementById('results').textContent")
        assert '<img src=x onerror="document.body.dataset.pwned=1">' in shown
        links = browser.evaluate("[...document.querySelectorAll('main a')].map(a => a.getAttribute('href'))")
        assert not [link for link in links if not link.startswith(("#ref-", "http"))]
    finally:
        browser.close()


def test_a_port_in_use_is_an_error_before_any_banner(server: str, tmp_path: Path) -> None:
    """Before: the banner said the server was up, then uvicorn logged the error, exit 3."""
    port = int(server.rsplit(":", 1)[1])
    busy = subprocess.run(
        serve_command(STORES[server], port),
        capture_output=True,
        text=True,
        env=server_env(tmp_path),
        timeout=120,
    )
    assert busy.returncode == 2 and busy.stderr.strip().splitlines() == [
        f"rag: error: --port {port}: cannot listen on 127.0.0.1:{port} (Address already in use); "
        "another program listens there; choose another --port"
    ]
    assert httpx.get(f"{server}/healthz").status_code == 200  # the server there is untouched


def test_off_loopback_needs_an_api_key(tmp_path: Path, small_store: Path) -> None:
    store = copy_store(small_store, tmp_path / "store")
    refused = subprocess.run(
        serve_command(store, free_port(), "--host", "0.0.0.0"),
        capture_output=True,
        text=True,
        env=server_env(tmp_path),
        timeout=120,
    )
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines() == [
        "rag: error: --host 0.0.0.0 listens beyond this machine: set RAG_API_KEY to a secret (clients "
        "send it as 'Authorization: Bearer KEY'), or listen on 127.0.0.1"
    ]
    # With a key, every API call needs it (checked here on loopback, where a key may be set too).
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = serve_command(store, port, "--cors", "http://app.example")
    with (
        _env(server_env(tmp_path, RAG_API_KEY=KEY)),
        served(command, f"{url}/healthz", tmp_path / "serve.log", timeout=120),
    ):
        preflight = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        }
        allowed = httpx.options(f"{url}/v1/models", headers={"Origin": "http://app.example"} | preflight)
        assert allowed.headers["access-control-allow-origin"] == "http://app.example"
        other = httpx.options(f"{url}/v1/models", headers={"Origin": "http://other.example"} | preflight)
        assert "access-control-allow-origin" not in other.headers
        with pytest.raises(openai.AuthenticationError):
            client(url).models.list()
        with pytest.raises(openai.AuthenticationError):
            client(url, KEY + "x").models.list()
        assert httpx.get(f"{url}/search", params={"q": "bees"}).status_code == 401
        assert client(url, KEY).models.list().data[0].id == "rag"
        assert ask_with(url, KEY).references[0]["title"] == BEES
        assert httpx.get(f"{url}/").status_code == 200  # the page loads, and asks for the key


def ask_with(url: str, key: str) -> Any:
    return client(url, key).chat.completions.create(
        model="rag", messages=[{"role": "user", "content": "Which hives predict swarming by listening?"}]
    )


def test_a_streamed_reply_is_the_whole_reply_whatever_its_text_escapes() -> None:
    """A review: Markdown escaping made a reply with "<" or "](" in its text end with the whole answer
    again (the tail assumed the Markdown began with the raw text), and the streamed text was raw."""
    from rag.answer import Answer, Citation, PaperRef
    from rag.events import Done, Token
    from rag.http.completions import Completion, Streamed, reply_text
    from rag.query import parse

    paper = PaperRef("p", "Tiny Time Mixers", "https://arxiv.org/abs/2401.03955")
    text = "TTM has <1M parameters, p<0.05, see [x](javascript:1) [1]."
    answer = Answer("q", text, [Citation(1, paper, text)], [], "extractive")
    writer = Streamed(Completion("rag"))
    for piece in ("TTM has <1M ", "parameters, p<0.05, see [x", "](javascript:1) [1]."):
        writer.write(Token(piece))
    writer.write(Done(answer, parse("q")))
    assert writer.text == reply_text(answer) and writer.text.count("TTM has") == 1
