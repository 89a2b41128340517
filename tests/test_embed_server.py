"""Embeddings from an OpenAI-compatible server started on 127.0.0.1 (tests/embed_server.py: real
MiniLM vectors behind /v1/embeddings, faults scripted): ingest and search through it, the store's
embedder recorded and never mixed, retries with backoff, a bounded give-up, one-line errors."""

from __future__ import annotations

import json
import re
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import (
    bundled_entries,
    copy_store,
    fill_small_corpus,
    free_port,
    no_user_settings,
    served,
    write_jsonl,
)
from test_cli import run

from rag.api import Assistant
from rag.config import Settings
from rag.embeddings import OnnxMiniLM, make_embedder
from rag.errors import ConfigError, EmbedderError
from rag.library.ingest import embedding_text

SERVER = Path(__file__).with_name("embed_server.py")
MINILM = OnnxMiniLM.name
BEES = "acoustic monitoring of bee colonies"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The embeddings server's address (its API under /v1)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("embed-server") / "server.log"
    with served([sys.executable, str(SERVER), "--port", str(port)], f"{url}/health", log, timeout=60):
        yield url


def _post(url: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=10).read()


def script(root: str, faults: list[object], retry_after: float | None = None) -> int:
    """Make the server's next requests fail in this order; return how many requests it has had."""
    _post(f"{root}/script", {"faults": faults, "retry_after": retry_after})
    return len(received(root))


def received(root: str, since: int = 0) -> list[dict[str, Any]]:
    """The requests the server received (time, model, inputs, authorization), from the since-th on."""
    with urllib.request.urlopen(f"{root}/requests", timeout=10) as response:
        requests: list[dict[str, Any]] = json.loads(response.read())
    return requests[since:]


@pytest.fixture(autouse=True)
def _no_faults_and_no_openai_env(root: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """No fault left over from another test; no OPENAI_* of the developer's (nothing leaves 127.0.0.1)."""
    script(root, [])
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def server_settings(root: str, store: Path, **changes: Any) -> Settings:
    """Settings of a store embedded by the test server's model 'minilm'."""
    values = {"embedder": "openai:minilm", "embed_base_url": f"{root}/v1", "embed_batch_size": 8}
    return Settings(store_dir=store, **{**values, **changes})


@pytest.fixture(scope="module")
def server_store(tmp_path_factory: pytest.TempPathFactory, root: str) -> tuple[Path, list[dict[str, Any]]]:
    """The small corpus ingested through the server once (tests write to copies), and the requests."""
    base = tmp_path_factory.mktemp("server-store")
    since = len(received(root))
    with no_user_settings(base):
        settings = server_settings(root, base / "store", data_dir=fill_small_corpus(base / "corpus"))
        report = Assistant(settings, notify=lambda message: None).ingest()
    assert report.ok and report.embedded == 13, report.to_dict()
    return settings.store_dir, received(root, since)


@pytest.fixture
def server_copy(server_store: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> Path:
    return copy_store(server_store[0], tmp_path / "store")


def test_a_corpus_ingested_through_the_server_is_searched_with_its_vectors(
    root: str,
    server_store: tuple[Path, list[dict[str, Any]]],
    server_copy: Path,
    small_store: Path,
    embedder: OnnxMiniLM,
) -> None:
    requests = server_store[1]
    assistant = Assistant(server_settings(root, server_copy))
    info = assistant.info()
    port = root.rsplit(":", 1)[1]
    assert (info["embedder"], info["dimension"], info["papers"]) == (
        f"openai:minilm@127.0.0.1:{port}/v1",
        384,
        13,
    )
    # batched: one probe of one text (the dimension), then requests of at most embed_batch_size
    chunks = assistant.library.store.count()
    assert requests[0]["inputs"] == 1 and all(r["inputs"] <= 8 for r in requests[1:])
    assert sum(r["inputs"] for r in requests[1:]) == chunks and len(requests) > 2
    assert {r["model"] for r in requests} == {"minilm"}
    # the same chunks as the local embedder's store (chunks are measured in the same WordPiece tokens)
    local = Assistant(Settings(store_dir=small_store), embedder=embedder)
    assert {c.chunk_id: c.text for c in assistant.library.store.all_chunks()} == {
        c.chunk_id: c.text for c in local.library.store.all_chunks()
    }
    # the stored vectors are the server's, and a dense search through the server finds the paper
    hit = assistant.search(BEES, k=1, mode="dense")[0]
    assert hit.paper.title == "Beekeeping with acoustic sensors"
    chunk, vector = assistant.library.store.chunks_of([hit.paper.paper_id])[hit.paper.paper_id][0]
    expected = embedder.embed([embedding_text(hit.paper.title, chunk.text)])[0]
    assert np.allclose(vector, expected, atol=1e-4)
    # an unchanged corpus costs the probe, nothing embedded
    since = len(received(root))
    again = Assistant(server_settings(root, server_copy), notify=lambda message: None)
    assert again.ingest([server_store[0].parent / "corpus"]).unchanged == 13
    assert [r["inputs"] for r in received(root, since)] == [1]


def test_the_cli_ingests_searches_and_answers_through_the_server(root: str, tmp_path: Path) -> None:
    papers = write_jsonl(
        tmp_path / "papers.jsonl",
        [
            {
                "id": "bees",
                "title": "Beekeeping with acoustic sensors",
                "abstract": "Microphones inside "
                "beehives detect swarming two days in advance from changes in the colony's hum.",
            },
            {
                "id": "ice",
                "title": "Glacier retreat from radar",
                "abstract": "Satellite radar "
                "interferometry measures two decades of glacier retreat in the Alps.",
            },
        ],
    )
    env = {"RAG_EMBEDDER": "openai:minilm", "RAG_EMBED_BASE_URL": f"{root}/v1"}
    store = str(tmp_path / "store")
    ingest = run("--store", store, "ingest", str(papers), env=env)
    assert ingest.returncode == 0, ingest.stderr
    assert "2 embedded" in ingest.stdout
    search = run("--store", store, "search", "how do beehives warn of swarming?", "--json", env=env)
    assert search.returncode == 0, search.stderr
    assert json.loads(search.stdout)["results"][0]["paper_id"] == "bees"
    ask = run(
        "--store",
        store,
        "ask",
        "how early can swarming be detected?",
        "--llm",
        "extractive",
        "--json",
        env=env,
    )
    assert ask.returncode == 0, ask.stderr
    assert json.loads(ask.stdout)["citations"][0]["paper_id"] == "bees"
    info = json.loads(run("--store", store, "info", "--json", env=env).stdout)
    assert info["embedder"].startswith("openai:minilm@127.0.0.1:") and info["dimension"] == 384


@pytest.mark.fault
def test_a_store_refuses_vectors_of_another_embedder_both_ways(
    root: str, server_copy: Path, small_store: Path, tmp_path: Path
) -> None:
    port = root.rsplit(":", 1)[1]
    ours = f"openai:minilm@127.0.0.1:{port}/v1"
    server_env = {"RAG_EMBEDDER": "openai:minilm", "RAG_EMBED_BASE_URL": f"{root}/v1"}
    minilm_copy = copy_store(small_store, tmp_path / "minilm-store")
    cases = [
        (minilm_copy, server_env, f"embedder={MINILM!r} (now {ours!r})"),
        (server_copy, {}, f"embedder={ours!r} (now {MINILM!r})"),
        # the same model name served elsewhere may be other weights: refused too
        (
            server_copy,
            {**server_env, "RAG_EMBED_BASE_URL": f"http://localhost:{port}/v1"},
            f"(now 'openai:minilm@localhost:{port}/v1')",
        ),
        # another model of the server, of another dimension (learnt from its reply)
        (server_copy, {**server_env, "RAG_EMBEDDER": "openai:minilm-d128"}, "dimension=384 (now 128)"),
    ]
    for store, env, difference in cases:
        for command in (["search", BEES], ["ingest", str(tmp_path / "none.jsonl")]):
            result = run("--store", str(store), *command, env=env)
            assert result.returncode == 1 and result.stdout == "", (command, result.stderr)
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"rag: error: the store at {store}"), lines
            assert "built with other settings" in lines[0] and difference in lines[0], lines[0]
            assert "rag ingest --rebuild" in lines[0]
    assert Assistant(Settings(store_dir=minilm_copy)).info()["papers"] == 13  # nothing stored is lost


@pytest.mark.fault
def test_rate_limits_and_server_errors_are_retried_with_growing_waits(root: str, server_copy: Path) -> None:
    notices: list[str] = []
    assistant = Assistant(server_settings(root, server_copy), notify=notices.append)
    since = script(root, [429, 503])
    started = time.monotonic()
    hit = assistant.search(BEES, k=1, mode="dense")[0]  # the first request is the dimension's probe
    assert hit.paper.title == "Beekeeping with acoustic sensors"
    times = [r["time"] for r in received(root, since)]
    assert len(times) == 4  # 429, 503, the probe answered, the question
    first, second = times[1] - times[0], times[2] - times[1]
    assert 0.37 <= first < second and 0.75 <= second < 3, (first, second)  # 0.5 s, then 1 s, less jitter
    assert time.monotonic() - started < 5
    assert len(notices) == 2 and notices[0].startswith(
        f"the embedding server at {root}/v1 answered 429; retrying"
    )
    assert notices[1].endswith("(2 of 5)") and "answered 503" in notices[1]
    # the server's Retry-After is a floor for the wait
    since = script(root, [429], retry_after=1.5)
    assistant.library.embedder.embed(["a text not yet embedded"])
    times = [r["time"] for r in received(root, since)]
    assert len(times) == 2 and 1.5 <= times[1] - times[0] < 4


@pytest.mark.fault
def test_a_server_that_keeps_failing_is_given_up_and_the_ingest_converges_when_run_again(
    root: str, server_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    papers = write_jsonl(
        tmp_path / "more.jsonl",
        [{"id": f"more-{i}", "title": t, "abstract": a} for i, (t, a) in enumerate(bundled_entries(12, 1))],
    )
    settings = server_settings(root, server_copy, embed_max_retries=2)
    # the probe and the first batch (4 papers, 8 chunks) are answered, then the second batch fails
    since = script(root, ["ok", "ok", 500, 500, 500, 500])
    started = time.monotonic()
    with pytest.raises(EmbedderError) as failure:
        Assistant(settings, notify=lambda message: None).ingest([papers])
    elapsed = time.monotonic() - started
    message = str(failure.value)
    assert message.startswith(f"the embedding server at {root}/v1 answered 500, 3 times; giving up")
    assert message.endswith("the papers embedded before it are stored: run the ingest again to finish")
    assert "\n" not in message and [r["inputs"] for r in received(root, since)] == [1, 8, 8, 8, 8]
    assert elapsed < 8, elapsed  # 0.5 s + 1 s of waits, and the embedding
    assert len(Assistant(settings).library.store.papers()) == 13 + 4  # the first batch is kept
    # run again: the rest is embedded, nothing twice, and the progress bar shows it
    capsys.readouterr()
    report = Assistant(settings, notify=lambda message: None).ingest([papers], progress=True)
    assert (report.embedded, report.unchanged) == (8, 4)
    assert len(Assistant(settings).library.store.papers()) == 25
    progress = capsys.readouterr().err
    assert "embedding" in progress and f"{report.embedded}/{report.embedded}" in progress


@pytest.mark.fault
def test_the_cli_gives_up_in_one_line(root: str, server_copy: Path) -> None:
    script(root, [500] * 4)
    env = {"RAG_EMBEDDER": "openai:minilm", "RAG_EMBED_BASE_URL": f"{root}/v1", "RAG_EMBED_MAX_RETRIES": "1"}
    result = run("--store", str(server_copy), "search", BEES, env=env)
    assert result.returncode == 1 and result.stdout == ""
    notice, error = result.stderr.splitlines()  # the retry as it happens, then the error in one line
    assert re.fullmatch(
        rf"the embedding server at {root}/v1 answered 500; retrying in 0\.[45] s \(1 of 1\)", notice
    )
    assert error == (
        f"rag: error: the embedding server at {root}/v1 answered 500, 2 times; "
        "giving up (RAG_EMBED_MAX_RETRIES=1)"
    )


@pytest.mark.fault
@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        (401, ConfigError, "refused the API key (401: scripted 401): set RAG_EMBED_API_KEY"),
        (404, ConfigError, "has no model 'minilm' or no /embeddings (404: scripted 404)"),
        (413, EmbedderError, "refused a request for model 'minilm' (413: scripted 413); if it says"),
        ("tokens", EmbedderError, "sent no usable vectors for model 'minilm'"),
    ],
)
def test_a_refusal_or_a_reply_of_no_use_is_an_error_at_once(
    root: str, server_copy: Path, fault: object, error: type[Exception], words: str
) -> None:
    since = script(root, [fault])
    with pytest.raises(error) as failure:
        Assistant(server_settings(root, server_copy)).search(BEES)
    assert words in str(failure.value) and "\n" not in str(failure.value)
    assert len(received(root, since)) == 1  # not retried


@pytest.mark.fault
def test_an_unreachable_server_is_given_up_in_bounded_time(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    settings = Settings(
        store_dir=tmp_path / "s", embedder="openai:m", embed_base_url=url, embed_max_retries=1
    )
    started = time.monotonic()
    with pytest.raises(
        EmbedderError, match=rf"^the embedding server at {url} cannot connect \(.*\), 2 times; giving up"
    ):
        Assistant(settings, notify=lambda message: None).info()
    assert time.monotonic() - started < 4


def test_the_chat_key_goes_only_to_the_chat_server(root: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def authorization(settings: Settings) -> str:
        since = len(received(root))
        make_embedder(settings).embed(["bees"])
        return str(received(root, since)[0]["authorization"])

    monkeypatch.setenv("OPENAI_API_KEY", "sk-chat")
    monkeypatch.setenv("RAG_EMBEDDER", "openai:minilm")
    monkeypatch.setenv("RAG_EMBED_BASE_URL", f"{root}/v1")
    assert authorization(Settings()) == "Bearer none"  # a server of its own: not the chat's key
    monkeypatch.setenv("RAG_EMBED_API_KEY", "sk-embed")
    assert authorization(Settings()) == "Bearer sk-embed"
    monkeypatch.delenv("RAG_EMBED_BASE_URL")
    monkeypatch.delenv("RAG_EMBED_API_KEY")
    monkeypatch.setenv("OPENAI_BASE_URL", f"{root}/v1")  # embeddings from the chat's server
    assert authorization(Settings()) == "Bearer sk-chat"


def test_the_embedder_names_its_server_without_credentials_and_without_a_request() -> None:
    def name(**values: Any) -> str:
        return make_embedder(Settings(**values)).name

    assert name(embedder="openai:text-embedding-3-small", openai_api_key="sk") == (
        "openai:text-embedding-3-small@api.openai.com/v1"
    )
    assert name(embedder="openai:bge", embed_base_url="https://user:pw@Emb.Example:8443/v1/?x=1") == (
        "openai:bge@emb.example:8443/v1"
    )
    with pytest.raises(ConfigError, match=r"at the OpenAI API needs an API key: set OPENAI_API_KEY"):
        make_embedder(Settings(embedder="openai:text-embedding-3-small"))
    with pytest.raises(ConfigError, match=r"'openai:' \(RAG_EMBEDDER\) names no model"):
        make_embedder(Settings(embedder="openai:"))
    with pytest.raises(
        ConfigError,
        match=r"unknown embedder 'bert' \(RAG_EMBEDDER\): use 'minilm-int8', 'minilm-int8-fast', 'openai:",
    ):
        make_embedder(Settings(embedder="bert"))


def test_the_dimension_is_learnt_from_the_server_and_its_vectors_made_unit_length(root: str) -> None:
    since = len(received(root))
    embedder = make_embedder(Settings(embedder="openai:minilm-d128", embed_base_url=f"{root}/v1"))
    vectors = embedder.embed(["bees hum before swarming", "glaciers retreat"])
    assert vectors.shape == (2, 128) and embedder.dimension == 128
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-6)  # the server's were not
    assert len(received(root, since)) == 1  # no probe needed once a reply came
