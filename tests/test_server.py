"""Server mode: the same ingest and search against a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import free_port, served

from rag.api import Assistant
from rag.config import Settings
from rag.embeddings import OnnxMiniLM
from rag.errors import StoreError

CHROMA = Path(sys.executable).with_name("chroma")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    command = [str(CHROMA), "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with served(command, f"{url}/api/v2/heartbeat", data / "server.log", timeout=60):
        yield url


def test_ingest_and_search_through_a_chroma_server(
    chroma_url: str, tmp_path: Path, small_corpus: Path, embedder: OnnxMiniLM
) -> None:
    settings = Settings(
        chroma_url=chroma_url, store_dir=tmp_path / "cache", data_dir=small_corpus, collection="server-test"
    )
    assistant = Assistant(settings, embedder=embedder)
    report = assistant.ingest()
    assert report.embedded == 13 and assistant.library.store.location == chroma_url
    assert assistant.ingest().embedded == 0
    hit = assistant.search("acoustic monitoring of bee colonies", k=1)[0]
    assert hit.paper.title == "Beekeeping with acoustic sensors"
    # A second client (another machine, say) sees the same collection and settings.
    other = Assistant(settings.model_copy(update={"store_dir": tmp_path / "other-cache"}), embedder=embedder)
    assert other.info()["papers"] == 13
    assert (
        other.search("acoustic monitoring of bee colonies", k=1, mode="keyword")[0].paper.paper_id
        == hit.paper.paper_id
    )
    # A rebuild on the server swaps a new collection in; the other client follows it, and its
    # cached keyword index is rebuilt from the server's documents (the revision changed).
    fewer = tmp_path / "fewer.jsonl"
    fewer.write_text((small_corpus / "extra.jsonl").read_text())
    rebuilt = assistant.ingest([fewer], rebuild=True)
    assert rebuilt.embedded == 3 and assistant.library.store.count() == 3
    assert other.library.store.count() == 3 and len(other.library.store.papers()) == 3
    bees = other.search("acoustic monitoring of bee colonies", k=1, mode="keyword")
    assert bees[0].paper.paper_id == hit.paper.paper_id
    assert [h.paper.title for h in other.search("glacier retreat radar", k=3, mode="keyword")][:1] == [""]


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(chroma_url=f"http://127.0.0.1:{free_port()}", store_dir=tmp_path)
    with pytest.raises(StoreError, match=r"cannot reach the Chroma server at http://127\.0\.0\.1:"):
        Assistant(settings).info()


def test_an_ingest_leaves_a_rebuild_under_way_on_the_server_alone(
    chroma_url: str, tmp_path: Path, small_corpus: Path, embedder: OnnxMiniLM
) -> None:
    """A review: an ingest dropped the collection another client's `--rebuild` was filling on the same
    server (the writer lock is a file of each client's own store_dir); only an embedded store's is
    known to be no rebuild's."""
    from rag.library.store import STAGING_SUFFIX, Store

    settings = Settings(
        chroma_url=chroma_url,
        store_dir=tmp_path / "cache",
        data_dir=small_corpus,
        collection="rebuilt-elsewhere",
    )
    assistant = Assistant(settings, embedder=embedder)
    assistant.ingest()
    library = assistant.library
    Store.staging(
        path=str(library.layout.root), url=chroma_url, name="rebuilt-elsewhere", spec=library.spec()
    )
    assert not any("--rebuild" in note for note in assistant.ingest().notes)
    names = [c.name for c in library.store._client.list_collections()]
    assert "rebuilt-elsewhere" + STAGING_SUFFIX in names
