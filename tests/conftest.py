"""Shared fixtures: the real ONNX embedder, small corpora on disk, stores in temp directories."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import numpy as np
import pytest

from rag.api import Assistant
from rag.config import Settings, default_model_dir
from rag.embeddings import CachedEmbedder, OnnxMiniLM

ROOT = Path(__file__).resolve().parent.parent
USER_MODEL_DIR = default_model_dir()  # the developer's, read before the tests' own cache folder is set
BUNDLED = ROOT / "data"

# Two test workers share the cores: a local model spinning on a thread per core waits at every
# operation for the thread the other worker displaced (three tests of test_local.py took 129 s
# on two threads, 28 s on one; #19).
ONE_MODEL_THREAD = ("RAG_LOCAL_THREADS", "1")

HEADER = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\n"
    "byAK and the research community\n\nMar 11\n\n"
)


def bundled_entries(count: int, file_index: int = 0) -> list[tuple[str, str]]:
    """The first (title, abstract) pairs of one bundled dump."""
    path = sorted(BUNDLED.glob("*.txt"))[file_index]
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    body = lines[lines.index("Mar 11") + 1 :]
    return [(body[i], body[i + 1]) for i in range(0, 2 * count, 2)]


def write_dump(path: Path, entries: list[tuple[str, str]]) -> Path:
    """Write entries in the daily-papers dump format."""
    path.write_text(HEADER + "\n\n".join(f"{t}\n\n{a}" for t, a in entries), encoding="utf-8")
    return path


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    """Write records as JSON lines."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@contextmanager
def no_user_settings(directory: Path) -> Iterator[None]:
    """No RAG_* variable and no rag.toml while the block runs: for session and module fixtures,
    which are set up before the first test's _clean_env."""
    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name.startswith("RAG_"):
                env.delenv(name)
        env.setenv("RAG_CONFIG", str(directory / "absent.toml"))
        env.setenv(*ONE_MODEL_THREAD)
        yield


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's RAG_* settings or a rag.toml in the working directory."""
    for name in list(os.environ):
        if name.startswith("RAG_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RAG_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv(*ONE_MODEL_THREAD)
    # the answer log goes to the test's own data folder (inherited by `rag` subprocesses too)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(scope="session", autouse=True)
def _own_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A cache folder of the run's own ($XDG_CACHE_HOME, inherited by `rag` and pip subprocesses):
    a model the developer pulled into ~/.cache/rag-models never answers in a test (SmolLM2 is the
    tests' local model) nor makes auto use the local backend; and one model thread for the
    session and module fixtures, which are set up before the first test's _clean_env."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache-home")))
        env.setenv(*ONE_MODEL_THREAD)
        yield


class RememberingEmbedder(CachedEmbedder):
    """The real embedder, remembering every text it embedded in this test process (a text's
    vector does not depend on its batch: test_index.py): the same small corpora and answers recur
    in hundreds of tests. `calls` and `texts_embedded` count what the code under test asked for,
    as OnnxMiniLM counts what it ran."""

    def __init__(self, embedder: OnnxMiniLM) -> None:
        super().__init__(embedder, size=1_000_000)
        self.calls = self.texts_embedded = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        """The vectors, from memory when a test embedded the text before."""
        self.calls += 1
        self.texts_embedded += len(texts)
        return super().embed(texts)


@pytest.fixture(scope="session")
def onnx_embedder() -> OnnxMiniLM:
    """The real all-MiniLM-L6-v2 int8 ONNX embedder, loaded once: for tests of the model itself."""
    return OnnxMiniLM()


@pytest.fixture(scope="session")
def embedder(onnx_embedder: OnnxMiniLM) -> OnnxMiniLM:
    """The real embedder as the code under test gets it, remembering the texts it embedded."""
    return cast(OnnxMiniLM, RememberingEmbedder(onnx_embedder))


def openai_nowhere(tmp_path: Path, embedder: OnnxMiniLM, corpus: Path) -> Assistant:
    """An assistant over the corpus with OpenAI configured at an address nobody listens on: an answer
    a model wrote would fall back, and say so."""
    settings = Settings(
        store_dir=tmp_path / "store", openai_api_key="sk-x", openai_base_url="http://127.0.0.1:9/v1"
    )
    assistant = Assistant(settings, embedder=embedder, notify=lambda m: None)
    assistant.ingest([corpus])
    return assistant


def fill_small_corpus(corpus: Path) -> Path:
    """Write the small corpus into a new directory: a 10-paper dump and a 3-record JSONL file."""
    corpus.mkdir()
    write_dump(corpus / "dump.txt", bundled_entries(10))
    write_jsonl(
        corpus / "extra.jsonl",
        [
            {
                "id": "arxiv:2401.00001",
                "title": "Photosynthetic efficiency of engineered algae in bioreactors",
                "abstract": "We engineer microalgae whose photosynthetic efficiency in tubular "
                "bioreactors rises by 41% under low light. Code: https://github.com/example/algae.",
                "authors": ["Ada Lovelace", "Alan Turing"],
                "year": 2024,
                "url": "https://arxiv.org/abs/2401.00001",
            },
            {
                "abstract": "An untitled abstract about measuring glacier retreat from satellite "
                "radar interferometry over two decades in the Alps.",
            },
            {
                "title": "Beekeeping with acoustic sensors",
                "abstract": "Microphones inside beehives detect swarming two days in advance "
                "from changes in the colony's hum.",
                "year": "2023",
            },
        ],
    )
    return corpus


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """A directory with a 10-paper dump and a 3-record JSONL file (one untitled)."""
    return fill_small_corpus(tmp_path / "corpus")


def copy_store(built: Path, destination: Path) -> Path:
    """A copy of a built embedded store to write to: the Chroma files, the keyword index
    (keyed by the collection's revision) and the .probe-ok stamp (no probe on opening it)."""
    shutil.copytree(built, destination)
    return destination


@pytest.fixture(scope="session")
def small_store(tmp_path_factory: pytest.TempPathFactory, embedder: OnnxMiniLM) -> Path:
    """The small corpus ingested once per run; never written to: tests write to copies (copy_store)."""
    root = tmp_path_factory.mktemp("small-store")
    with no_user_settings(root):
        settings = Settings(store_dir=root / "store", data_dir=fill_small_corpus(root / "corpus"))
        report = Assistant(settings, embedder=embedder, notify=lambda message: None).ingest()
    assert report.ok and report.embedded == 13, report.to_dict()
    # its files are gone, as a library's moved since: a copy's papers are the files the test reads
    # (a paper records its files' paths, and a file still there would keep its papers from a prune)
    shutil.rmtree(root / "corpus")
    return settings.store_dir


@pytest.fixture
def settings(tmp_path: Path, small_corpus: Path) -> Settings:
    """Settings for a fresh store in a temp directory whose default corpus is small_corpus."""
    return Settings(store_dir=tmp_path / "store", data_dir=small_corpus)


@pytest.fixture
def filled_settings(settings: Settings, small_store: Path) -> Settings:
    """The settings, their store a copy of the small corpus already ingested (as `ingest` would)."""
    copy_store(small_store, settings.store_dir)
    return settings


@pytest.fixture
def assistant(filled_settings: Settings, embedder: OnnxMiniLM) -> Iterator[Assistant]:
    """An assistant over its own copy of the ingested small corpus (an ingest finds it unchanged)."""
    yield Assistant(filled_settings, embedder=embedder, notify=lambda message: None)


@pytest.fixture
def fresh_assistant(settings: Settings, embedder: OnnxMiniLM) -> Iterator[Assistant]:
    """An assistant over a new, empty store: its first ingest embeds the small corpus for real."""
    yield Assistant(settings, embedder=embedder, notify=lambda message: None)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(command: list[str], ready_url: str, log_path: Path, *, timeout: float) -> Iterator[None]:
    """Run a real server on 127.0.0.1 until the block ends, once ready_url answers."""
    with log_path.open("w") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    urllib.request.urlopen(ready_url, timeout=2)
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"{command[0]} did not start: {log_path.read_text()}") from None
                    time.sleep(0.3)
            yield
        finally:
            server.terminate()
            server.wait(timeout=30)


# A paper whose every field carries terminal escapes: OSC (window title) ended by BEL, CSI (clear
# screen, red, conceal, blink), a C1 CSI, NUL, CR; and rich markup in its title.
HOSTILE_PAPER = {
    "id": "hostile-1",
    "title": "\x1b]0;pwned\x07Octopus \x1b[2J\x1b[31mcamouflage [bold red]on coral[/] reefs\x9b5m",
    "abstract": "Octopuses match the colour of coral reefs within 200 milliseconds \x1b[8mhidden\x1b[0m "
    "using chromatophores.\x00\x07 Their skin \x1b[5mblinks\r at night.",
    "authors": ["Eve \x1b[5mBlink", "Smith, J."],
    "year": 2023,
    "url": "https://example.org/octopus\x1b[8m",
}
# What a terminal must never receive from papers, models or the user: the control characters but
# newline and tab (a terminal's own styling is checked for the hostile sequences themselves).
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
