"""`rag mcp` driven by the mcp SDK's own client: over stdio and over Streamable HTTP, against a real
`rag mcp` process on a copy of the small store."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from conftest import copy_store, free_port, no_user_settings
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from rag.answer import REFUSAL, Answer, Citation, PaperRef
from rag.api import Assistant
from rag.config import Settings
from rag.embeddings import OnnxMiniLM
from rag.quotes import quotes

HEAVY = ("chromadb", "onnxruntime", "llama_index", "openai", "torch")
ALGAE = "how much does engineered algae improve photosynthetic efficiency in bioreactors?"
OFF_TOPIC = "what is the boiling point of mercury on mars?"


def server_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a `rag mcp` process: no user settings, extractive answers, its own log."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return env | {
        "RAG_CONFIG": str(home / "absent.toml"),
        "RAG_LLM": "extractive",
        "XDG_DATA_HOME": str(home / "data-home"),
        "ANONYMIZED_TELEMETRY": "False",
        **extra,
    }


class Client:
    """A connected session of the SDK's client, called from synchronous tests through a portal."""

    def __init__(self, portal: BlockingPortal, session: ClientSession, initialize_seconds: float) -> None:
        self.portal = portal
        self.session = session
        self.initialize_seconds = initialize_seconds  # from the transport's start to the result

    def tools(self) -> dict[str, Any]:
        return {tool.name: tool for tool in self.portal.call(self.session.list_tools).tools}

    def call(self, name: str, arguments: dict[str, Any]) -> Any:
        return self.portal.call(self.session.call_tool, name, arguments)

    def result(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """A call that must succeed: its structured result, which its text content carries too."""
        result = self.call(name, arguments)
        assert not result.is_error, result.content[0].text
        assert json.loads(result.content[0].text) == result.structured_content
        return dict(result.structured_content)

    def error(self, name: str, arguments: dict[str, Any]) -> str:
        """A call that must fail as a tool error: its one-line message."""
        result = self.call(name, arguments)
        assert result.is_error, result.structured_content
        (content,) = result.content
        assert "\n" not in content.text and "Traceback" not in content.text, content.text
        return str(content.text)


@contextmanager
def connected(transport: AbstractAsyncContextManager[Any]) -> Iterator[Client]:
    """A client session over a transport (started here), initialized."""
    with start_blocking_portal() as portal:
        start = time.monotonic()
        with portal.wrap_async_context_manager(transport) as streams:
            session_context = ClientSession(streams[0], streams[1], read_timeout_seconds=240)
            with portal.wrap_async_context_manager(session_context) as session:
                portal.call(session.initialize)
                yield Client(portal, session, time.monotonic() - start)


def stdio(args: list[str], env: dict[str, str], errlog: Any = sys.stderr) -> AbstractAsyncContextManager[Any]:
    """The stdio transport to a `rag mcp` process run from this worktree's package."""
    return stdio_client(StdioServerParameters(command=args[0], args=args[1:], env=env), errlog=errlog)


RAG = [sys.executable, "-m", "rag"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, small_store: Path) -> Path:
    return copy_store(small_store, tmp_path_factory.mktemp("mcp") / "store")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mcp-home")


@pytest.fixture(scope="module")
def client(store: Path, home: Path) -> Iterator[Client]:
    """One `rag mcp` process over stdio for the module's tests."""
    with connected(stdio([*RAG, "mcp", "--store", str(store)], server_env(home))) as session:
        yield session


@pytest.fixture(scope="module")
def local(store: Path, home: Path, embedder: OnnxMiniLM) -> Iterator[Assistant]:
    """The same store in this process, to compare the tools with the Python API."""
    with no_user_settings(home):
        settings = Settings(store_dir=store, llm="extractive", log=False)
        yield Assistant(settings, embedder=embedder, notify=lambda message: None)


def test_three_tools_that_say_paper_text_is_untrusted(client: Client) -> None:
    tools = client.tools()
    assert sorted(tools) == ["ask", "fetch", "search"]
    for tool in tools.values():
        assert "untrusted input" in (tool.description or "")
    assert tools["search"].annotations.read_only_hint and tools["fetch"].annotations.read_only_hint
    k = tools["search"].input_schema["properties"]["k"]
    assert (k["minimum"], k["maximum"]) == (1, 50)
    assert set(tools["search"].input_schema["properties"]) == {"query", "k", "filters", "offset"}
    # ask advertises only the backends that answer here: RAG_LLM=extractive, no model
    assert "extractive" in tools["ask"].description and "OpenAI" not in tools["ask"].description
    assert tools["ask"].input_schema["properties"]["llm"]["anyOf"][0]["enum"] == [
        "auto",
        "extractive",
        "local",
        "openai",
    ]


def test_search_returns_papers_with_their_passage(client: Client, local: Assistant) -> None:
    found = client.result("search", {"query": "photosynthetic efficiency of engineered algae", "k": 3})
    results = found["results"]
    same = local.search("photosynthetic efficiency of engineered algae", k=3)
    assert [r["id"] for r in results] == [hit.paper.paper_id for hit in same]
    top = results[0]
    assert top["title"] == "Photosynthetic efficiency of engineered algae in bioreactors"
    assert top["url"] == "https://arxiv.org/abs/2401.00001"
    assert top["authors"] == ["Ada Lovelace", "Alan Turing"] and top["year"] == 2024
    assert "41%" in top["passage"] and top["score"] > results[1]["score"]
    assert found["offset"] == 0 and found["more"] is True and found["next_offset"] == 3


def test_search_with_filters_keeps_only_matching_papers(client: Client) -> None:
    by_year = client.result("search", {"query": "sensors and detection", "filters": {"year": "2023"}})
    assert [r["title"] for r in by_year["results"]] == ["Beekeeping with acoustic sensors"]
    assert by_year["more"] is False
    by_author = client.result("search", {"query": "bioreactors", "filters": {"author": ["Turing", "Hopper"]}})
    assert [r["year"] for r in by_author["results"]] == [2024]
    unfiltered = client.result("search", {"query": "sensors and detection", "k": 13})
    assert len(unfiltered["results"]) == 13


def test_search_pages_through_every_paper(client: Client) -> None:
    whole = [r["id"] for r in client.result("search", {"query": "learning", "k": 13})["results"]]
    pages, offset = [], 0
    while offset is not None:
        page = client.result("search", {"query": "learning", "k": 5, "offset": offset})
        assert page["offset"] == offset and len(page["results"]) <= 5
        pages.append([r["id"] for r in page["results"]])
        offset = page["next_offset"]
        assert page["more"] is (offset is not None)
    assert [len(p) for p in pages] == [5, 5, 3]
    assert [i for p in pages for i in p] == whole


def test_http_answers_two_clients_at_once(http_port: int) -> None:
    url = f"http://127.0.0.1:{http_port}/mcp"
    with connected(streamable_http_client(url)) as first, connected(streamable_http_client(url)) as second:
        with ThreadPoolExecutor(2) as pool:
            searches = [
                pool.submit(client.result, "search", {"query": "beehives swarming", "k": 1})
                for client in (first, second) * 3
            ]
            answer = pool.submit(first.result, "ask", {"question": ALGAE})
            titles = {future.result()["results"][0]["title"] for future in searches}
        assert titles == {"Beekeeping with acoustic sensors"}
        assert not answer.result()["refused"]


def test_fetch_returns_the_whole_record(client: Client, local: Assistant) -> None:
    hit = client.result("search", {"query": "acoustic sensors in beehives", "k": 1})["results"][0]
    record = client.result("fetch", {"id": hit["id"]})
    stored = local.paper(hit["id"])
    assert record["id"] == hit["id"] and record["title"] == "Beekeeping with acoustic sensors"
    assert record["text"] == stored["abstract"] and "two days in advance" in record["text"]
    assert record["url"] == stored["url"] and record["metadata"]["year"] == 2023
    assert {"authors", "date", "venue", "doi", "categories", "tags"} <= set(record["metadata"])
    assert record["more"] is False and record["next_offset"] is None


def test_ask_answers_with_the_sentence_behind_each_citation(client: Client) -> None:
    answer = client.result("ask", {"question": ALGAE})
    assert answer["refused"] is False and answer["backend"] == "extractive"
    assert answer["fallback_reason"] is None and "[1]" in answer["answer"]
    (reference,) = [r for r in answer["references"] if r["number"] == 1]
    assert reference["title"] == "Photosynthetic efficiency of engineered algae in bioreactors"
    assert reference["authors"] == ["Ada Lovelace", "Alan Turing"] and reference["year"] == 2024
    # the evidence is one sentence of the paper, the one the extractive answer quotes
    assert "41%" in reference["evidence"] and reference["evidence"] in reference["passage"]
    assert reference["evidence"].rstrip(".") in answer["answer"]
    record = client.result("fetch", {"id": reference["id"]})
    assert reference["evidence"] in record["text"]
    filtered = client.result("ask", {"question": ALGAE, "filters": {"year": "2023"}})
    assert filtered["filters"] == {"since": "2023-01-01", "until": "2023-12-31"}
    assert all(r["year"] == 2023 for r in filtered["references"] + filtered["closest"])
    assert answer["notices"] == []
    # a question cut to its limit says so (a review: only the server's stderr did)
    cut = client.result("ask", {"question": ALGAE + " More." * 500})
    assert len(cut["notices"]) == 1 and "was cut to its first 2,000" in cut["notices"][0]


def test_ask_refuses_and_names_the_closest_papers(client: Client) -> None:
    answer = client.result("ask", {"question": OFF_TOPIC})
    assert answer["refused"] is True and answer["answer"] == REFUSAL
    assert answer["references"] == [] and answer["closest"]
    assert all(c["id"] and c["title"] is not None and c["passage"] for c in answer["closest"])


def test_bad_arguments_are_one_line_tool_errors_and_the_server_keeps_serving(client: Client) -> None:
    expected = [
        ("search", {"query": "algae", "k": 500}, "k: Input should be less than or equal to 50"),
        ("search", {"query": "algae", "k": 0}, "k: Input should be greater than or equal to 1"),
        ("search", {"query": "algae", "k": "many"}, "k: Input should be a valid integer"),
        ("search", {"k": 3}, "query: Field required"),
        ("search", {"query": "algae", "offset": 95, "k": 10}, "offset + k must be at most 100, not 105"),
        ("search", {"query": "algae", "filters": {"colour": "red"}}, "colour: not a filter (use year, since"),
        ("search", {"query": "algae", "filters": {"year": "last year"}}, "year"),
        (
            "search",
            {"query": "algae", "filters": {"year": "2031"}},
            "no paper in the store matches the filter",
        ),
        ("search", {"query": "algae", "filters": "year=2023"}, "filters: Input should be a valid dictionary"),
        ("fetch", {"id": "no-such-paper"}, "no paper 'no-such-paper' in the store"),
        ("ask", {"question": "   "}, "question"),
        ("ask", {"question": ALGAE, "k": 51}, "k: Input should be less than or equal to 50"),
        ("ask", {"question": ALGAE, "llm": "gpt"}, "llm: Input should be 'auto', 'extractive'"),
        ("ask", {"question": ALGAE, "llm": "openai"}, "openai needs an API key: set OPENAI_API_KEY"),
    ]
    for name, arguments, message in expected:
        assert message in client.error(name, arguments), (name, arguments)
    assert client.result("search", {"query": "algae", "k": 1})["results"]


def test_the_evidence_of_a_paraphrase_is_the_sentence_it_draws_on() -> None:
    algae = PaperRef("a", "Engineered algae")
    evidence = (
        "Microalgae are a source of biofuel. We engineer microalgae whose photosynthetic efficiency in "
        "tubular bioreactors rises by 41% under low light. Code is available."
    )
    bees = PaperRef("b", "Beekeeping")
    hum = "Microphones inside beehives detect swarming. The colony's hum changes two days before."
    answer = Answer(
        "q",
        "In low light, engineered algae are 41% more efficient at photosynthesis [1]. Hives hum "
        "differently two days before they swarm [2].\n- Algae also yield biofuel [1].",
        [Citation(1, algae, evidence), Citation(2, bees, hum), Citation(3, bees, hum)],
        [],
        "openai",
    )
    assert (
        quotes(answer)
        == quotes(answer, {})
        == {
            1: "We engineer microalgae whose photosynthetic efficiency in tubular bioreactors rises by 41% "
            "under low light.",
            2: "The colony's hum changes two days before.",
            3: "Microphones inside beehives detect swarming.",  # cited nowhere in the text: its first
        }
    )
    # with the paper's whole text, its sentences are the candidates, not only the writer's evidence
    whole = "Bees are social insects. " + hum + " Colonies swarm in spring."
    assert quotes(answer, {"b": whole})[2] == "The colony's hum changes two days before."
    assert quotes(answer, {"b": "Colonies swarm two days after a change in their hum."})[2].startswith(
        "Colonies"
    )


def _imports(stderr: str) -> set[str]:
    """The top-level packages a `python -X importtime` process imported."""
    lines = [line for line in stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip().split(".")[0] for line in lines}


def test_initialize_answers_before_anything_heavy_loads(store: Path, home: Path, tmp_path: Path) -> None:
    """initialize (and tools/list) load neither the store nor a model: they load on the first call."""
    log = tmp_path / "stderr.txt"
    with log.open("w") as errors:
        args = [sys.executable, "-X", "importtime", "-m", "rag", "mcp", "--store", str(store)]
        with connected(stdio(args, server_env(home), errlog=errors)) as session:
            assert sorted(session.tools()) == ["ask", "fetch", "search"]
            seconds = session.initialize_seconds
    imported = _imports(log.read_text())
    assert "mcp" in imported and "rag" in imported
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))
    print(f"initialize answered {seconds:.2f} s after the process started (-X importtime on)")


def test_config_block_starts_the_server_a_client_pastes(store: Path, home: Path) -> None:
    printed = subprocess.run(
        [*RAG, "mcp", "--config", "--store", str(store)],
        env=server_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert printed.returncode == 0, printed.stderr
    (entry,) = json.loads(printed.stdout)["mcpServers"].values()
    assert Path(entry["command"]).is_absolute() and entry["args"][-3:] == ["mcp", "--store", str(store)]
    with connected(stdio([entry["command"], *entry["args"]], server_env(home))) as session:
        assert session.result("search", {"query": "beehives", "k": 1})["results"][0]["year"] == 2023


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"RAG_DATA_DIR": "no-data"},
            "no store at {store}: create it with `rag ingest PATH` before serving it",
        ),
        ({"RAG_LLM": "openai"}, "--llm openai needs an API key: set OPENAI_API_KEY (or RAG_OPENAI_API_KEY)"),
        ({"RAG_LLM": "local", "RAG_LOCAL_MODEL": "no.gguf"}, "RAG_LOCAL_MODEL: no GGUF file at no.gguf"),
    ],
    ids=["store that cannot be filled", "openai without a key", "local without a model"],
)
def test_what_cannot_work_is_not_served(
    settings: dict[str, str], message: str, home: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-store"  # a new store, which the bundled corpus fills unless there is none
    env = {k: v for k, v in server_env(home, **settings).items() if k != "OPENAI_API_KEY"}
    result = subprocess.run(
        [*RAG, "mcp", "--store", str(missing)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == "rag: error: " + message.format(store=missing)


# Streamable HTTP: one server for these tests, its pages cut at 400 characters of paper text.


def _wait_for(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"rag mcp --http did not start: {log.read_text()}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def http_port(store: Path, home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    log = tmp_path_factory.mktemp("mcp-http") / "server.log"
    args = [*RAG, "mcp", "--http", "--port", str(port), "--max-chars", "400", "--store", str(store)]
    with log.open("w") as output:
        server = subprocess.Popen(args, env=server_env(home), stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_for(port, server, log)
            yield port
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert "Traceback" not in log.read_text()


@pytest.fixture
def http(http_port: int) -> Iterator[Client]:
    with connected(streamable_http_client(f"http://127.0.0.1:{http_port}/mcp")) as session:
        yield session


def test_http_serves_the_same_tools(http: Client) -> None:
    assert sorted(http.tools()) == ["ask", "fetch", "search"]
    found = http.result("search", {"query": "bioreactors", "k": 1, "filters": {"author": "A. Turing"}})
    assert found["results"][0]["authors"] == ["Ada Lovelace", "Alan Turing"]
    assert "no paper 'x' in the store" in http.error("fetch", {"id": "x"})
    answer = http.result("ask", {"question": ALGAE})
    assert not answer["refused"] and "41%" in answer["references"][0]["evidence"]


def test_http_pages_a_long_text_and_caps_a_search_page(http: Client, local: Assistant) -> None:
    ids = [hit.paper.paper_id for hit in local.search("learning", k=13)]
    longest = max(ids, key=lambda paper_id: len(local.paper(paper_id)["abstract"]))
    whole = local.paper(longest)["abstract"]
    assert len(whole) > 800  # three pages at least
    pieces, offset = [], 0
    while offset is not None:
        page = http.result("fetch", {"id": longest, "offset": offset})
        assert len(page["text"]) <= 400 and page["more"] is (page["next_offset"] is not None)
        pieces.append(page["text"])
        offset = page["next_offset"]
    assert len(pieces) >= 3 and "".join(pieces) == whole
    past = http.error("fetch", {"id": longest, "offset": len(whole) + 1})
    assert "past the end of the text" in past
    # ten papers' passages do not fit in 400 characters: the page stops early, saying where to go on
    capped = http.result("search", {"query": "learning", "k": 10})
    assert 1 <= len(capped["results"]) < 10 and capped["more"] is True
    assert capped["next_offset"] == len(capped["results"])


def test_http_listens_on_loopback_only(http_port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outward address
            address = probe.getsockname()[0]
        except OSError:
            pytest.skip("no network interface besides loopback")
    if address.startswith("127."):
        pytest.skip("no network interface besides loopback")
    with socket.socket() as sock:
        assert sock.connect_ex((address, http_port)) != 0


def test_a_port_in_use_is_one_line(home: Path, store: Path, http_port: int) -> None:
    result = subprocess.run(
        [*RAG, "mcp", "--http", "--port", str(http_port), "--store", str(store)],
        env=server_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith(f"rag: error: --port {http_port}: cannot listen on 127.0.0.1")
    assert len(result.stderr.strip().splitlines()) == 1


# A client that leaves in the middle of a call: raw JSON-RPC, so nothing of the SDK's client tidies up.

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "0"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
ASK_CALL = {
    "jsonrpc": "2.0",
    "id": 2,
    "method": "tools/call",
    "params": {"name": "ask", "arguments": {"question": ALGAE}},
}


@pytest.mark.fault
def test_a_client_that_leaves_mid_call_ends_the_server_cleanly(store: Path, home: Path) -> None:
    server = subprocess.Popen(
        [*RAG, "mcp", "--store", str(store)],
        env=server_env(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        server.stdin.write(json.dumps(INITIALIZE).encode() + b"\n")
        server.stdin.flush()
        assert json.loads(server.stdout.readline())["result"]["serverInfo"]["name"] == "rag"
        for message in (INITIALIZED, ASK_CALL):
            server.stdin.write(json.dumps(message).encode() + b"\n")
        server.stdin.close()  # gone before the answer (the first call loads the store and model)
        assert server.wait(timeout=120) == 0
        assert server.stdout.read() == b""  # the answer had no one to go to
        errors = server.stderr.read() if server.stderr else b""
    finally:
        server.kill()
    assert b"Traceback" not in errors, errors.decode()


def _post(port: int, message: dict[str, Any], session: str | None = None) -> str | None:
    """One JSON-RPC message POSTed as the Streamable HTTP transport sends it; the session id."""
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if session:
        headers |= {"mcp-session-id": session, "mcp-protocol-version": "2025-11-25"}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/mcp", data=json.dumps(message).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        return response.headers.get("mcp-session-id")


@pytest.mark.fault
def test_an_http_client_that_drops_mid_call_leaves_the_server_serving(http_port: int) -> None:
    session = _post(http_port, INITIALIZE)
    assert session
    _post(http_port, INITIALIZED, session)
    body = json.dumps(ASK_CALL).encode()
    head = (
        f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{http_port}\r\nContent-Type: application/json\r\n"
        f"Accept: application/json, text/event-stream\r\nmcp-session-id: {session}\r\n"
        f"mcp-protocol-version: 2025-11-25\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", http_port)) as dropped:
        dropped.sendall(head.encode() + body)  # and closed, unanswered
    with connected(streamable_http_client(f"http://127.0.0.1:{http_port}/mcp")) as client:
        assert client.result("search", {"query": "beehives", "k": 1})["results"][0]["year"] == 2023
        assert not client.result("ask", {"question": ALGAE})["refused"]
