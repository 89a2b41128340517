"""Nothing lost, nothing hangs: one writer, rebuilds beside the old papers, killed writers,
damaged stores, and a user's store never filled with the demo corpus."""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import bundled_entries, copy_store, no_user_settings, write_dump, write_jsonl
from test_cli import FORKS, RAG, command_env, run

from rag.api import Assistant
from rag.config import Settings
from rag.embeddings import OnnxMiniLM
from rag.errors import EmptyStoreError, StoreBusyError
from rag.library.keyword import KeywordIndex
from rag.library.layout import PROBE_STAMP
from rag.library.lock import WriteLock
from rag.untrusted import without_echo

SLOW_INGEST = {"RAG_EMBED_BATCH_SIZE": "2"}  # many small batches: a kill lands mid-ingest


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """'old': 40 papers of one dump; 'new': 40 of another; 'changed': 'old' with edited abstracts."""
    root = tmp_path_factory.mktemp("safety-corpora")
    old = bundled_entries(40, 0)
    changed = [(t, a + " We also release an updated benchmark.") for t, a in old[:20]] + old[20:]
    paths = {}
    for name, entries in (("old", old), ("new", bundled_entries(40, 1)), ("changed", changed)):
        (root / name).mkdir()
        write_dump(root / name / "dump.txt", entries)
        paths[name] = root / name
    return paths


@pytest.fixture(scope="module")
def old_store(
    tmp_path_factory: pytest.TempPathFactory, corpora: dict[str, Path], embedder: OnnxMiniLM
) -> Path:
    """'old' ingested once, for tests that start from it (they write to copies)."""
    store = tmp_path_factory.mktemp("safety-old") / "store"
    with no_user_settings(store.parent):
        Assistant(Settings(store_dir=store), embedder=embedder, notify=lambda m: None).ingest(
            [corpora["old"]]
        )
    return store


def _store_state(store_dir: Path, embedder: OnnxMiniLM) -> tuple[set[str], int]:
    """The stored titles and chunk count, after checking ids, chunk numbering and keyword index agree."""
    assistant = Assistant(Settings(store_dir=store_dir), embedder=embedder, notify=lambda m: None)
    chunks = list(assistant.library.store.all_chunks())
    ids = [c.chunk_id for c in chunks]
    assert len(ids) == len(set(ids))
    by_paper: dict[str, list[int]] = {}
    for chunk in chunks:
        by_paper.setdefault(chunk.paper_id, []).append(int(chunk.metadata["chunk"]))
        assert chunk.chunk_id == f"{chunk.paper_id}#{chunk.metadata['chunk']}"
    for paper_id, numbers in by_paper.items():
        stored = int(next(c.metadata["chunks"] for c in chunks if c.paper_id == paper_id))
        assert sorted(numbers) == list(range(stored)), paper_id
    assistant.search("training", k=3)  # brings the keyword index up to date with the collection
    index = KeywordIndex.load(assistant.paths.keyword_index)
    assert index is not None and sorted(index.chunk_ids) == sorted(ids)
    return {str(c.metadata["title"]) for c in chunks}, len(ids)


def _titles(corpus: Path) -> set[str]:
    from rag.library import corpus as reader

    return {p.title for p in reader.read([corpus]).papers}


def _killed(args: list[str], after: float, env: dict[str, str]) -> int:
    """Run `rag ARGS`, SIGKILL it after some seconds; its exit code (negative if killed)."""
    process = FORKS.start(args, command_env(env))
    try:
        process.wait(timeout=after)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
    return process.wait(timeout=30)


@pytest.mark.fault
def test_killed_ingest_prune_and_rebuild_converge_and_a_rebuild_never_empties_the_store(
    tmp_path: Path, corpora: dict[str, Path], embedder: OnnxMiniLM
) -> None:
    store = tmp_path / "store"
    old, new = _titles(corpora["old"]), _titles(corpora["new"])
    # a plain ingest, killed at several points, then run to the end
    for after in (2.0, 4.0):
        _killed(["ingest", str(corpora["old"]), "--store", str(store)], after, SLOW_INGEST)
    assert run("ingest", str(corpora["old"]), "--store", str(store)).returncode == 0
    titles, _ = _store_state(store, embedder)
    assert titles == old
    # a rebuild from other papers, killed at several points: the old papers stay, whole and
    # searchable, until it swaps the new ones in whole (a kill after the swap, before the process
    # ended, finds them)
    for after in (1.5, 3.0, 5.0):
        killed = _killed(
            ["ingest", "--rebuild", str(corpora["new"]), "--store", str(store)], after, SLOW_INGEST
        )
        if killed == 0:
            break  # finished before the kill: nothing more to learn from later points
        stored = _store_state(store, embedder)[0]
        assert stored in (old, new), (len(stored & old), len(stored & new))
        search = run("search", "training", "--store", str(store), "-k", "1")
        assert search.returncode == 0 and search.stdout.startswith("1. "), search.stderr
        if stored == new:
            break
    result = run("ingest", "--rebuild", str(corpora["new"]), "--store", str(store))
    assert result.returncode == 0, result.stderr
    assert _store_state(store, embedder)[0] == new
    # a prune to the old papers plus the new, killed, then completed
    both = tmp_path / "both"
    both.mkdir()
    (both / "a.txt").write_text((corpora["old"] / "dump.txt").read_text())
    assert run("ingest", str(both), "--store", str(store)).returncode == 0
    (both / "a.txt").unlink()
    (both / "b.txt").write_text((corpora["new"] / "dump.txt").read_text())
    _killed(["ingest", "--prune", str(both), "--store", str(store)], 1.5, SLOW_INGEST)
    assert run("ingest", "--prune", str(both), "--store", str(store)).returncode == 0
    assert _store_state(store, embedder)[0] == new


@pytest.mark.fault
def test_a_failed_embedding_keeps_earlier_papers_and_the_old_version_of_a_changed_one(
    tmp_path: Path, corpora: dict[str, Path], old_store: Path, embedder: OnnxMiniLM
) -> None:
    settings = Settings(store_dir=copy_store(old_store, tmp_path / "store"), embed_batch_size=4)
    before = {c.chunk_id: c.text for c in Assistant(settings, embedder=embedder).library.store.all_chunks()}

    class FailingEmbedder(OnnxMiniLM):
        calls = 0

        def embed(self, texts: list[str]):  # type: ignore[no-untyped-def,override]
            FailingEmbedder.calls += 1
            if FailingEmbedder.calls == 3:
                raise RuntimeError("the embedder died")
            return super().embed(texts)

    with pytest.raises(RuntimeError, match="the embedder died"):
        Assistant(settings, embedder=FailingEmbedder(), notify=lambda m: None).ingest([corpora["changed"]])
    after = {c.chunk_id: c.text for c in Assistant(settings, embedder=embedder).library.store.all_chunks()}
    assert set(after) >= {cid for cid in before if int(cid.split("#")[1]) == 0}  # every paper is there
    updated = [cid for cid in after if "updated benchmark" in after[cid]]
    assert updated and len(updated) < 20  # the first batches landed, the rest kept their old text
    assert Assistant(settings, embedder=embedder).search("updated benchmark", k=1)
    Assistant(settings, embedder=embedder, notify=lambda m: None).ingest([corpora["changed"]])
    titles, _ = _store_state(settings.store_dir, embedder)
    assert titles == _titles(corpora["changed"])


@pytest.mark.fault
def test_a_failed_write_stops_the_ingest_and_a_rerun_converges(
    tmp_path: Path,
    corpora: dict[str, Path],
    old_store: Path,
    embedder: OnnxMiniLM,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # batches are written in a thread beside the embedding: its failure (a disk error; a full disk
    # puts the whole store back instead) must stop the ingest with that error, after the batches
    # before it were written
    from rag.library.store import Store

    settings = Settings(store_dir=copy_store(old_store, tmp_path / "store"), embed_batch_size=4)
    upsert, writes = Store.upsert, []

    def full_disk(self: Store, chunks, embeddings) -> None:  # type: ignore[no-untyped-def]
        writes.append(len(chunks))
        if len(writes) == 3:
            raise OSError(5, "Input/output error")
        upsert(self, chunks, embeddings)

    monkeypatch.setattr(Store, "upsert", full_disk)
    with pytest.raises(OSError, match="Input/output error"):
        Assistant(settings, embedder=embedder, notify=lambda m: None).ingest([corpora["changed"]])
    assert len(writes) == 3  # nothing written after the failure
    monkeypatch.setattr(Store, "upsert", upsert)
    after = {c.chunk_id: c.text for c in Assistant(settings, embedder=embedder).library.store.all_chunks()}
    updated = {cid.split("#")[0] for cid in after if "updated benchmark" in after[cid]}
    assert 0 < len(updated) < 20  # the first two batches landed, the rest kept their old text
    Assistant(settings, embedder=embedder, notify=lambda m: None).ingest([corpora["changed"]])
    titles, _ = _store_state(settings.store_dir, embedder)
    assert titles == _titles(corpora["changed"])


@pytest.mark.fault
def test_one_writer_at_a_time_and_a_dead_writers_lock_is_taken_over(
    tmp_path: Path, corpora: dict[str, Path]
) -> None:
    store = tmp_path / "store"
    with WriteLock(store, "rag ingest --rebuild big"):
        result = run("ingest", str(corpora["old"]), "--store", str(store))
        assert result.returncode == 1 and result.stdout == ""
        line = result.stderr.strip()
        assert line.startswith(
            f"rag: error: store busy: pid {os.getpid()}, `rag ingest --rebuild big`, since "
        )
        assert "\n" not in line and not (store / "chroma.sqlite3").exists()
        with pytest.raises(StoreBusyError):
            WriteLock(store).acquire()
    # a lock file left by a killed writer names a dead process but holds no lock: taken over
    (store / ".write-lock").write_text(json.dumps({"pid": 999999, "command": "rag ingest", "since": 0}))
    assert run("ingest", str(corpora["old"]), "--store", str(store)).returncode == 0


class _Dropping:
    """A collection a rebuild's swap is dropping: its reads fail as Chroma's do then, `failures` times."""

    def __init__(self, collection: Any, failures: int) -> None:
        self._collection, self.failures = collection, failures

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if not callable(attribute) or name not in ("count", "get", "query"):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.failures:
                self.failures -= 1
                from chromadb.errors import InternalError

                raise InternalError(
                    "Error executing plan: Error sending backfill request to compactor: Error getting "
                    "collection with segments: Missing field: [Missing metadata segment]"
                )
            return attribute(*args, **kwargs)

        return call


@pytest.mark.fault
def test_a_read_while_the_swap_drops_the_collection_waits_for_it_or_says_so_in_one_line(
    tmp_path: Path, old_store: Path, embedder: OnnxMiniLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chroma's error for a collection being dropped (seen by `rag search` beside a rebuild, once in a
    CI run) is waited out like a collection already gone; one that lasts is a one-line StoreError."""
    from rag.errors import StoreError
    from rag.library import store as store_module

    reader = Assistant(Settings(store_dir=copy_store(old_store, tmp_path / "store")), embedder=embedder)
    store = reader.library.store
    chunks = store.count()
    store._collection = _Dropping(store._collection, failures=1)
    assert store.count() == chunks and reader.search("training", k=1)
    monkeypatch.setattr(store_module, "_SWAP_WAIT", 0.5)
    store._collection = _Dropping(store._collection, failures=10**6)
    store._get_collection = lambda: store._collection  # type: ignore[method-assign]
    with pytest.raises(StoreError, match="disappeared while in use"):
        store.count()


@pytest.mark.fault
def test_readers_during_a_rebuild_neither_fail_nor_see_an_empty_store(
    tmp_path: Path, corpora: dict[str, Path], old_store: Path, embedder: OnnxMiniLM
) -> None:
    store = copy_store(old_store, tmp_path / "store")  # 'old', ingested
    reader = Assistant(Settings(store_dir=store), embedder=embedder, notify=lambda m: None)
    assert reader.search("training", k=1)  # an open session, as a chat holds one
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | SLOW_INGEST
    rebuild = subprocess.Popen(
        [RAG, "ingest", "--rebuild", str(corpora["new"]), "--store", str(store)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    searches = 0
    while rebuild.poll() is None:
        result = run("search", "training", "--store", str(store), "-k", "1")
        assert result.returncode == 0 and result.stdout.startswith("1. "), result.stderr
        assert reader.search("training", k=1)
        searches += 1
    assert rebuild.returncode == 0, rebuild.stderr.read() if rebuild.stderr else ""
    assert searches >= 2
    # the open session now reads the rebuilt collection
    hits = reader.search(next(iter(_titles(corpora["new"]))), k=3)
    assert {h.paper.title for h in hits} & _titles(corpora["new"])
    assert reader.library.store.count() == _store_state(store, embedder)[1]


def test_a_store_that_exists_is_never_filled_with_the_bundled_corpus(
    tmp_path: Path, small_corpus: Path, embedder: OnnxMiniLM
) -> None:
    store = tmp_path / "store"
    Assistant(Settings(store_dir=store), embedder=embedder).library.store.count()  # created, left empty
    answer = run(
        "ask", "what is model soups?", "--store", str(store), env={"RAG_DATA_DIR": str(small_corpus)}
    )
    assert answer.returncode == 1
    assert answer.stderr.strip() == (
        f"rag: error: the store at {store} holds no papers: add yours with `rag ingest PATH` "
        "(or the bundled corpus with `rag ingest`)"
    )
    assistant = Assistant(Settings(store_dir=store, data_dir=small_corpus), embedder=embedder)
    with pytest.raises(EmptyStoreError):
        assistant.ask("what is model soups?")
    assert assistant.library.store.count() == 0
    # a rebuild from sources with no papers refuses and keeps what is stored
    assert run("ingest", str(small_corpus), "--store", str(store)).returncode == 0
    empty = tmp_path / "nothing"
    empty.mkdir()
    refused = run("ingest", "--rebuild", str(empty), "--store", str(store))
    assert refused.returncode == 1 and "not rebuilding: the sources hold no papers" in refused.stderr
    assert Assistant(Settings(store_dir=store), embedder=embedder).library.store.count() > 0


def test_the_store_is_private_to_its_owner(tmp_path: Path, small_corpus: Path) -> None:
    store = tmp_path / "store"
    assert run("ingest", str(small_corpus), "--store", str(store)).returncode == 0
    assert store.stat().st_mode & 0o777 == 0o700
    for path in store.rglob("*"):
        assert path.stat().st_mode & 0o077 == 0, path


NOBODY = 65534


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under root with its size and modification time."""
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def _chmod_tree(root: Path, directories: int, files: int) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(directories if path.is_dir() else files)


@contextmanager
def _read_only_store(built: Path, tmp_path: Path, how: str) -> Iterator[tuple[Path, Callable[..., Any]]]:
    """A copy of a built store that this test's `rag` cannot write, and how to run `rag` on it.

    bind-mount: a read-only bind mount (needs root and mount permission). unprivileged: files without
    write permission, `rag` run as this user or, for root (whom modes do not stop), as nobody.
    """
    cache = Path(tempfile.mkdtemp(prefix="rag-ro-cache-"))  # the read-only copy goes here
    cache.chmod(0o777)
    env = {"XDG_CACHE_HOME": str(cache), "XDG_DATA_HOME": str(cache)}
    if how == "bind-mount":
        if os.geteuid() != 0:
            pytest.skip("a bind mount needs root; the unprivileged variant covers this user")
        store = tmp_path / "read-only"
        store.mkdir()
        mounted = subprocess.run(["mount", "--bind", str(copy_store(built, tmp_path / "rw")), str(store)])
        if mounted.returncode != 0:
            pytest.skip("mounting is not permitted here; the unprivileged variant covers it")
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(store)], check=True)
            yield store, lambda *args: run(*args, env=env)
        finally:
            subprocess.run(["umount", str(store)], check=True)
            shutil.rmtree(cache)
        return
    home = Path(tempfile.mkdtemp(prefix="rag-ro-store-"))  # reachable by nobody, unlike tmp_path
    home.chmod(0o755)
    store = copy_store(built, home / "store")
    _chmod_tree(store, 0o555, 0o444)
    try:
        if os.geteuid() != 0:
            yield store, lambda *args: run(*args, env=env)
            return
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
        full_env |= env | {"HOME": str(cache)}

        def as_nobody(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [RAG, *args],
                capture_output=True,
                text=True,
                env=full_env,
                cwd=cache,
                timeout=300,
                user=NOBODY,
                group=NOBODY,
                extra_groups=[],
            )

        try:
            runs = as_nobody("--help").returncode == 0
        except PermissionError:
            runs = False
        if not runs:
            pytest.skip("nobody cannot run this Python or rag (their files are private to root)")
        yield store, as_nobody
    finally:
        _chmod_tree(store, 0o700, 0o600)
        shutil.rmtree(home)
        shutil.rmtree(cache)


@pytest.mark.fault
@pytest.mark.parametrize("how", ["bind-mount", "unprivileged"])
def test_a_read_only_store_is_searched_and_ingest_says_it_cannot_write(
    tmp_path: Path, small_store: Path, small_corpus: Path, how: str
) -> None:
    with _read_only_store(small_store, tmp_path, how) as (store, rag):
        before = _tree(store)
        searched = rag("search", "bioreactors", "-k", "1", "--store", str(store))
        assert searched.returncode == 0 and "algae" in searched.stdout, searched.stderr
        assert f"The store at {store} is read-only: reading a copy of it in " in searched.stderr
        asked = rag("ask", "how do microphones detect bee swarming?", "--store", str(store))
        assert asked.returncode == 0 and "[1]" in asked.stdout, asked.stderr
        assert "read-only" not in asked.stderr  # the copy is reused while the store is unchanged
        info = json.loads(rag("info", "--json", "--store", str(store)).stdout)
        assert (info["store"], info["papers"]) == (str(store), 13)
        ingest = rag("ingest", str(small_corpus), "--store", str(store))
        assert ingest.returncode == 1 and ingest.stdout == ""
        assert ingest.stderr.startswith(f"rag: error: cannot write to the store at {store} (")
        assert ingest.stderr.endswith(
            "): a store that cannot be written can be searched (search, ask, info), not ingested into\n"
        )
        assert _tree(store) == before


@pytest.mark.fault
@pytest.mark.parametrize("how", ["bind-mount", "unprivileged"])
def test_a_read_only_store_made_before_filters_is_filtered_through_its_copy(
    tmp_path: Path, small_store: Path, embedder: OnnxMiniLM, how: str
) -> None:
    """Before: "cannot write to the store ...: a store that cannot be written can be searched", as
    the filter fields were to be added under the store's own lock, not its private copy's."""
    from test_filters import _strip_filter_fields

    old = copy_store(small_store, tmp_path / "old")
    with Assistant(Settings(store_dir=old), embedder=embedder, notify=lambda m: None) as assistant:
        _strip_filter_fields(assistant)
    with _read_only_store(old, tmp_path, how) as (store, rag):
        before = _tree(store)
        for _ in range(2):  # the second search finds the fields in the copy
            searched = rag("search", "bioreactors", "-k", "1", "--year", "2024", "--store", str(store))
            assert searched.returncode == 0 and "algae" in searched.stdout, searched.stderr
        assert _tree(store) == before


ROOM = 300 * 1024  # what the full disk has left


def _rag_patched(prelude: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`rag ARGS` in a process whose code was first changed by the prelude (a scripted fault)."""
    script = f"import sys\n{textwrap.dedent(prelude)}\nfrom rag.cli import main\nsys.exit(main(sys.argv[1:]))"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | SLOW_INGEST  # several batches
    return subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, env=env, timeout=300
    )


class _TightDisk:
    """The disk of a store with little room: a real 12 MB tmpfs filled up (root, mount permitted), or
    scripted (the free space reported, ENOSPC raised by the store's writes)."""

    def __init__(self, root: Path, real: bool) -> None:
        self.root, self.real = root, real
        self.filler = root / "filler"

    def fill(self, leave: int) -> None:
        """Leave this many bytes free (really)."""
        self.filler.unlink(missing_ok=True)
        free = shutil.disk_usage(self.root).free
        with self.filler.open("wb") as f:
            os.posix_fallocate(f.fileno(), 0, free - leave)

    def refused(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`rag ARGS` with ROOM bytes free on the disk: the check before writing refuses."""
        if self.real:
            self.fill(ROOM)
            return run(*args)
        prelude = f"""
            import shutil
            real = shutil.disk_usage
            def disk_usage(path):
                usage = real(path)
                return usage._replace(free={ROOM}) if str(path).startswith({str(self.root)!r}) else usage
            shutil.disk_usage = disk_usage
            """
        return _rag_patched(prelude, *args)

    def fills_up(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`rag ARGS` with the disk filling up once the check has passed (another process took the room)."""
        if self.real:
            self.filler.unlink(missing_ok=True)
            prelude = f"""
                import os, shutil
                from rag.library.space import WriteGuard
                checked = WriteGuard.before_write
                def before_write(self, chunks):
                    checked(self, chunks)
                    with open({str(self.filler)!r}, "wb") as f:
                        os.posix_fallocate(f.fileno(), 0, shutil.disk_usage(f.name).free - {ROOM})
                WriteGuard.before_write = before_write
                """
        else:
            prelude = """
                import errno
                from rag.library.store import Store
                upsert, calls = Store.upsert, []
                def failing(self, chunks, vectors):
                    calls.append(len(chunks))
                    if len(calls) == 2:
                        raise OSError(errno.ENOSPC, "No space left on device")
                    return upsert(self, chunks, vectors)
                Store.upsert = failing
                """
        return _rag_patched(prelude, *args)

    def free_space(self) -> None:
        self.filler.unlink(missing_ok=True)


@pytest.fixture(params=["tmpfs", "scripted"])
def tight_disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[_TightDisk]:
    root = tmp_path / "disk"
    root.mkdir()
    if request.param == "scripted":
        yield _TightDisk(root, real=False)
        return
    mount = ["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(root)]
    mounted = subprocess.run(mount, capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs is not permitted here; the scripted variant runs the same steps")
    try:
        yield _TightDisk(root, real=True)
    finally:
        subprocess.run(["umount", str(root)], check=True)


@pytest.mark.fault
def test_a_full_disk_refuses_or_undoes_an_ingest_and_the_old_store_still_answers(
    tight_disk: _TightDisk, old_store: Path, tmp_path: Path
) -> None:
    store = copy_store(old_store, tight_disk.root / "store")  # 'old': 40 papers
    (store / "chat_history").write_text("what is model soups?\n")
    papers = write_dump(tmp_path / "more.txt", bundled_entries(60, 1)[40:])  # in neither 'old' nor 'new'
    ingest = ["ingest", str(papers), "--store", str(store)]

    def unchanged() -> None:
        info = json.loads(run("info", "--json", "--store", str(store)).stdout)
        assert (info["papers"], info["chunks"]) == (before["papers"], before["chunks"])
        searched = run("search", "training", "-k", "3", "--store", str(store), "--json")
        assert searched.returncode == 0 and json.loads(searched.stdout) == hits, searched.stderr
        assert not (store / ".before-write").exists()
        assert (store / "chat_history").read_text() == "what is model soups?\n"

    before = json.loads(run("info", "--json", "--store", str(store)).stdout)
    hits = json.loads(run("search", "training", "-k", "3", "--store", str(store), "--json").stdout)
    refused = tight_disk.refused(*ingest)
    assert refused.returncode == 1 and refused.stdout == "", refused.stderr
    line = refused.stderr.strip()
    assert line.startswith("rag: error: not enough disk space for this ingest: 0.3 MB free on "), line
    disk = f"{tight_disk.root} " if tight_disk.real else ""  # the mount point: the tmpfs, or wherever tmp is
    assert f"{disk}(the disk of the store {store}), about " in line and "\n" not in line
    assert line.endswith("the store is unchanged: free some space and run it again")
    unchanged()

    filled = tight_disk.fills_up(*ingest)
    assert filled.returncode == 1 and "Traceback" not in filled.stderr, filled.stderr
    line = filled.stderr.strip()
    assert line.startswith(f"rag: error: the disk of the store {store} (") and "\n" not in line
    assert "filled up during the ingest; the store was put back as it was before it: " in line
    unchanged()

    tight_disk.free_space()
    again = run(*ingest)
    assert again.returncode == 0, again.stderr
    info = json.loads(run("info", "--json", "--store", str(store)).stdout)
    assert info["papers"] == before["papers"] + 20


@pytest.mark.fault
def test_a_disk_too_full_to_create_a_store_leaves_none_behind(tmp_path: Path, small_corpus: Path) -> None:
    """Before: the half-made database stayed, and once space was freed `rag ingest` called the store
    damaged and asked for --rebuild."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(disk)]).returncode != 0:
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        store = disk / "store"
        full = run("ingest", str(small_corpus), "--store", str(store))
        assert full.returncode == 1 and "Traceback" not in full.stderr, full.stderr
        assert "disk is full" in full.stderr
        assert sorted(p.name for p in store.iterdir()) == [".write-lock"]
        assert store.stat().st_mode & 0o777 == 0o700
        subprocess.run(["mount", "-o", "remount,size=20m", str(disk)], check=True)
        again = run("ingest", str(small_corpus), "--store", str(store))
        assert again.returncode == 0, again.stderr
        assert json.loads(run("info", "--json", "--store", str(store)).stdout)["papers"] == 13
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def _garble(path: Path, offset: int = 4096) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(os.urandom(8192))


@pytest.fixture(scope="module")
def large_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A store of 1,100 one-chunk papers (Chroma writes its vector files from 1,000 on), and its corpus."""
    root = tmp_path_factory.mktemp("large")
    words = "model data graph vision language sparse token image video speech protein kernel agent".split()
    rng = random.Random(7)
    write_jsonl(
        root / "papers.jsonl",
        [
            {
                "id": f"s{i}",
                "title": f"Study {i} of {' '.join(rng.sample(words, 3))}",
                "abstract": " ".join(rng.choices(words, k=8)) + f" number {i}.",  # short: quick to embed
            }
            for i in range(1100)
        ],
    )
    assert run("ingest", str(root / "papers.jsonl"), "--store", str(root / "store")).returncode == 0
    return root / "store", root / "papers.jsonl"


@pytest.mark.fault
@pytest.mark.parametrize("damage", ["sqlite-garbled", "sqlite-emptied", "hnsw-garbled", "hnsw-emptied"])
def test_a_damaged_store_is_diagnosed_and_recovered_by_a_rebuild(
    tmp_path: Path, large_store: tuple[Path, Path], damage: str
) -> None:
    store = tmp_path / "store"
    shutil.copytree(large_store[0], store)
    (store / "chat_history").write_text("+what is model soups?\n")
    segment = next(p for p in store.iterdir() if (p / "header.bin").is_file())
    if damage == "sqlite-garbled":
        _garble(store / "chroma.sqlite3")
    elif damage == "sqlite-emptied":
        (store / "chroma.sqlite3").write_bytes(b"")
    elif damage == "hnsw-garbled":
        _garble(segment / "data_level0.bin", 0)
    else:
        (segment / "data_level0.bin").write_bytes(b"")
    search = run("search", "graph kernel", "--store", str(store))
    assert search.returncode == 1 and search.stdout == ""
    line = search.stderr.strip()
    assert line.startswith(f"rag: error: the store at {store} is damaged (") and "\n" not in line
    assert "recover it with `rag ingest --rebuild`" in line
    # recovered from part of the corpus (the first 30 papers): what matters is the store, not its size
    part = tmp_path / "part.jsonl"
    part.write_text("".join(large_store[1].read_text().splitlines(keepends=True)[:30]))
    rebuild = run("ingest", "--rebuild", str(part), "--store", str(store))
    assert rebuild.returncode == 0, rebuild.stderr
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("store.damaged-")]
    assert len(aside) == 1 and (aside[0] / "chroma.sqlite3").exists()  # kept, not deleted
    assert (store / "chat_history").read_text() == "+what is model soups?\n"
    again = run("search", "study 17 of", "--store", str(store), "-k", "1", "--mode", "keyword")
    assert again.returncode == 0 and again.stdout.startswith("1. Study 17 of"), again.stdout


@pytest.mark.fault
def test_a_writer_killed_mid_transaction_leaves_no_damage_behind(tmp_path: Path, small_store: Path) -> None:
    store = copy_store(small_store, tmp_path / "store")
    (store / PROBE_STAMP).unlink()  # probed again, as after any write
    killer = textwrap.dedent(
        f"""
        import os, signal, sqlite3
        connection = sqlite3.connect({str(store / "chroma.sqlite3")!r}, isolation_level=None)
        connection.execute("PRAGMA cache_size=1")  # changed pages reach the file: the journal is hot
        connection.execute("BEGIN")
        connection.execute("DELETE FROM embeddings")
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    assert subprocess.run([sys.executable, "-c", killer]).returncode == -signal.SIGKILL
    assert (store / "chroma.sqlite3-journal").stat().st_size > 0
    result = run("search", "bioreactors", "--store", str(store), "-k", "1")
    assert result.returncode == 0 and "algae" in result.stdout, result.stderr  # rolled back, all there
    assert not any(p.name.startswith("store.damaged-") for p in tmp_path.iterdir())


@pytest.mark.fault
def test_a_malformed_keyword_index_is_rebuilt_from_the_collection(tmp_path: Path, small_store: Path) -> None:
    store = copy_store(small_store, tmp_path / "store")  # the small corpus, ingested
    index_path = store / "keyword-papers.npz"
    good = index_path.read_bytes()
    with np.load(index_path) as saved:
        arrays = dict(saved)

    def damaged(**changes: np.ndarray | None) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, **{k: v for k, v in {**arrays, **changes}.items() if v is not None})
        return buffer.getvalue()

    for broken in (
        damaged(lengths=None),  # a field missing
        damaged(docs=arrays["docs"] + 10**6),  # postings point past the chunks
        damaged(offsets=arrays["offsets"][:-3]),  # offsets that do not fit the vocabulary
        good[: len(good) // 2],  # a file cut short
        b"{not an index",
    ):
        index_path.write_bytes(broken)
        result = run("search", "bioreactors", "--store", str(store), "-k", "1", "--mode", "keyword")
        assert result.returncode == 0 and "algae" in result.stdout, result.stderr
        assert KeywordIndex.load(index_path) is not None  # rebuilt and saved


@pytest.mark.fault
def test_hostile_input_is_bounded_and_reported(tmp_path: Path, small_corpus: Path) -> None:
    store = tmp_path / "store"
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    write_jsonl(
        hostile / "long.jsonl",
        [
            {"title": "A short paper", "abstract": "Transformers tokenize text. " * 4},
            {"title": "An endless abstract", "abstract": "Graph kernels compare graphs. " * 2000},
        ],
    )
    with (hostile / "huge.jsonl").open("w") as f:  # one 9 MB line: skipped unread
        f.write('{"title": "x", "abstract": "' + "a" * (9 * 2**20) + '"}\n')
        f.write('{"title": "After the huge line", "abstract": "Still read, line two."}\n')
    (hostile / "rows.csv").write_text(
        'title,abstract\nFine,"A good row."\nBroken,"' + "b" * 140_000 + '"\n', encoding="utf-8"
    )
    os.mkfifo(hostile / "pipe.jsonl")
    (hostile / "loop-a.jsonl").symlink_to(hostile / "loop-b.jsonl")
    (hostile / "loop-b.jsonl").symlink_to(hostile / "loop-a.jsonl")
    paths = [
        str(hostile / name) for name in ("long.jsonl", "huge.jsonl", "rows.csv", "pipe.jsonl", "loop-a.jsonl")
    ]
    result = run("ingest", *paths, "--store", str(store))  # the FIFO would block a reader forever
    assert result.returncode == 3 and "Traceback" not in result.stderr  # skipped input
    lines = result.stderr.splitlines()
    assert (
        f"rag: note: {hostile / 'long.jsonl'}:2: "
        "abstract of 59,999 characters cut to 20,000 (RAG_MAX_ABSTRACT_CHARS)" in lines
    )
    assert f"rag: {hostile / 'huge.jsonl'}:1: line longer than 8 MB; skipped" in lines
    # a CSV field over the csv module's 128 KB default is read and cut as JSONL's is (a hostile-input
    # probe: before, "malformed CSV (field larger than field limit)" and the rest of the file lost)
    assert (
        f"rag: note: {hostile / 'rows.csv'}:3: "
        "abstract of 140,000 characters cut to 20,000 (RAG_MAX_ABSTRACT_CHARS)" in lines
    )
    assert f"rag: {hostile / 'pipe.jsonl'}: not a regular file (a FIFO); skipped" in lines
    assert any(line.startswith(f"rag: {hostile / 'loop-a.jsonl'}: cannot read (") for line in lines)
    assistant = Assistant(Settings(store_dir=store), notify=lambda m: None)
    titles = {str(m["title"]) for m in assistant.library.store.papers().values()}
    assert titles == {"A short paper", "An endless abstract", "After the huge line", "Fine", "Broken"}
    assert (
        len(
            assistant.paper(
                next(
                    p
                    for p, m in assistant.library.store.papers().items()
                    if m["title"] == "An endless abstract"
                )
            )["abstract"]
        )
        <= 20000
    )
    # a question too long is cut and said to be; a k beyond the store is capped, not an overflow
    asked = run("ask", "graph kernels " * 300, "--store", str(store), "--llm", "extractive")
    assert (
        asked.returncode == 0 and "The question (4,199 characters) was cut to its first 2,000" in asked.stderr
    )
    searched = run("search", "graph kernels", "-k", "2147483648", "--store", str(store))
    assert searched.returncode == 0, searched.stderr
    # k counts papers (before: the store's chunks, though k is a number of papers)
    assert "k=2147483648 is more than the store holds (5 papers); using 5." in searched.stderr
    chat = subprocess.run(
        [RAG, "chat", "--store", str(store), "--llm", "extractive"],
        input="/k 99999999999999999999\ngraph kernels\n/quit\n",
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("RAG_")},
    )
    assert chat.returncode == 0 and "Traceback" not in chat.stdout + chat.stderr
    assert "An endless abstract" in chat.stdout


@pytest.mark.fault
def test_a_disk_with_room_for_the_papers_but_not_a_copy_ingests_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.library import space

    store = tmp_path / "store"
    store.mkdir()
    (store / "chroma.sqlite3").write_bytes(os.urandom(2 << 20))  # the store: 2 MB to copy
    needed = 10 * space.BYTES_PER_CHUNK + space.SLACK
    real = shutil.disk_usage
    notes: list[str] = []
    for free, copied in ((needed + (1 << 20), False), (needed + (3 << 20), True)):
        monkeypatch.setattr(shutil, "disk_usage", lambda p, free=free: real(p)._replace(free=free))
        guard = space.WriteGuard(store, keep=set(), notify=notes.append)
        guard.before_write(10)
        assert guard.taken == copied and (store / ".before-write" / "chroma.sqlite3").exists() == copied
        guard.done()
    assert len(notes) == 1 and notes[0].startswith("no room on ") and "2.0 MB safety copy" in notes[0]


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 1000])
def test_a_reply_loses_only_the_instruction_lines_it_repeats_whole(piece: int) -> None:
    instruction = "The question asks for a number: give it exactly as the source writes it."
    rule = "Use only facts stated in the sources. Do not add outside knowledge."
    title = "Tagging audio clips with transformers"  # an example's title: no stop at its end
    cases = {
        f"{instruction} [1] It takes 4 GPU hours [1].": "It takes 4 GPU hours [1].",
        f"It takes 4 GPU hours [1]. {instruction} It runs [2].": "It takes 4 GPU hours [1]. It runs [2].",
        f"It takes 4 GPU hours [1].\n{instruction}": "It takes 4 GPU hours [1].\n",
        # labelled as the prompt labels it (a review: "Rules:\n- Use only ..." passed)
        f"Rules:\n- {rule}\nIt is fast [1].": "It is fast [1].",
        f"Answer: {instruction} It is fast [1].": "It is fast [1].",
        f"{title}\nIt tags [1].": "It tags [1].",
        f"{title} [1] reaches 90%.": "reaches 90%.",  # a review: kept or not by where the pieces broke
        # its own words, though they begin as an instruction, a title or a label does
        "The question asks for a number, which is 5 [1].": "The question asks for a number, which is 5 [1].",
        f"{title} trained on AudioSet improves mAP [1].": f"{title} trained on AudioSet improves mAP [1].",
        "Rules are rules [1].": "Rules are rules [1].",
        "- GIM matches images [1].\n- CLIP learns [2].": "- GIM matches images [1].\n- CLIP learns [2].",
        "It ends.": "It ends.",
        "The": "The",
    }
    for reply, kept in cases.items():
        pieces = [reply[i : i + piece] for i in range(0, len(reply), piece)]
        assert "".join(without_echo(pieces, [instruction, rule, title])) == kept, reply
