"""The answer log: every ask, chat turn and Python ask() recorded; `rag logs` lists, searches, shows."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import copy_store
from test_cli import run

from rag.api import Assistant
from rag.config import Settings
from rag.embeddings import OnnxMiniLM
from rag.log import LOCK_TIMEOUT

QUESTION = "how much does engineered algae improve photosynthetic efficiency?"


@pytest.mark.fault
def test_answers_are_logged_listed_searched_and_shown(
    tmp_path: Path, small_store: Path, embedder: OnnxMiniLM
) -> None:
    store = copy_store(small_store, tmp_path / "store")  # the small corpus, ingested
    assert run("ask", QUESTION, "--store", str(store), "--llm", "extractive").returncode == 0
    assert run("ask", "how do microphones detect bee swarming?", "--store", str(store)).returncode == 0
    assert run("ask", "glacier retreat radar", "--store", str(store), "--no-log").returncode == 0
    log = Path(os.environ["XDG_DATA_HOME"]) / "rag" / "logs.db"
    assert log.stat().st_mode & 0o777 == 0o600

    listed = json.loads(run("logs", "--json").stdout)
    assert [e["question"] for e in listed] == ["how do microphones detect bee swarming?", QUESTION]
    first = listed[1]
    assert first["backend"] == "extractive" and first["citations"][0]["title"].startswith("Photosynthetic")
    assert first["settings"]["k"] == 5 and "total" in first["timings"] and first["refused"] is False

    found = json.loads(run("logs", "-q", "algae", "--json").stdout)
    assert [e["id"] for e in found] == [first["id"]]
    assert run("logs", "-q", "nothing-like-this").stdout.startswith("No logged answers matching")
    shown = run("logs", "show", str(first["id"]))
    assert shown.returncode == 0 and f"Q: {QUESTION}" in shown.stdout
    assert "References:\n  [1] Photosynthetic efficiency of engineered algae" in shown.stdout
    missing = run("logs", "show", "999")
    assert missing.returncode == 1 and "no answer 999 in the log" in missing.stderr

    # Python's ask() is logged too; RAG_LOG_PATH moves the log; a log that cannot be written
    # never fails the answer
    moved = tmp_path / "elsewhere" / "answers.db"
    settings = Settings(store_dir=store, log_path=moved)
    Assistant(settings, embedder=embedder, notify=lambda m: None).ask(QUESTION)
    assert len(json.loads(run("logs", "--json", env={"RAG_LOG_PATH": str(moved)}).stdout)) == 1
    unlogged = settings.model_copy(update={"log": False})  # RAG_LOG=0
    Assistant(unlogged, embedder=embedder, notify=lambda m: None).ask(QUESTION)
    assert len(json.loads(run("logs", "--json", env={"RAG_LOG_PATH": str(moved)}).stdout)) == 1
    blocked = tmp_path / "a-directory"
    blocked.mkdir()
    answer = run("ask", QUESTION, "--store", str(store), env={"RAG_LOG_PATH": str(blocked)})
    assert answer.returncode == 0 and "[1]" in answer.stdout
    assert "rag: note: the answer was not logged" in answer.stderr


@pytest.mark.fault
def test_ids_counts_and_searches_that_cannot_be_used_are_one_line_errors(
    tmp_path: Path, filled_settings: Settings, embedder: OnnxMiniLM
) -> None:
    """A superscript id, numbers past SQLite's integers and a search without words: one line each,
    never a traceback; a count too large lists every answer."""
    log = tmp_path / "answers.db"
    settings = filled_settings.model_copy(update={"log_path": log})
    Assistant(settings, embedder=embedder, notify=lambda m: None).ask(QUESTION, llm="extractive")
    env = {"RAG_LOG_PATH": str(log)}
    huge = "99999999999999999999"
    for args, code, message in (
        (["show", "¹"], 2, "rag logs: error: use `rag logs show ID ...` (ids from `rag logs`)"),
        (["show", huge], 1, f"rag: error: no answer {huge} in the log {log}"),
        (["-q", "   "], 1, "rag: error: nothing to search the log for: give some words"),
    ):
        result = run("logs", *args, env=env)
        assert (result.returncode, result.stdout, result.stderr) == (code, "", message + "\n"), args
    listed = run("logs", "-n", huge, "--json", env=env)
    assert listed.returncode == 0 and [e["question"] for e in json.loads(listed.stdout)] == [QUESTION]
    # several ids, as the usage line says (before: an error)
    both = run("logs", "show", "1", "1", "--json", env=env)
    assert both.returncode == 0 and [e["question"] for e in json.loads(both.stdout)] == [QUESTION, QUESTION]
    for count in ("¹", "0"):
        wrong = run("logs", "-n", count, env=env)
        assert wrong.returncode == 2 and "argument -n: must be a whole number of at least 1" in wrong.stderr
        assert "Traceback" not in wrong.stderr


def test_a_damaged_log_is_set_aside_and_a_locked_one_is_one_line(tmp_path: Path, small_store: Path) -> None:
    log = Path(os.environ["XDG_DATA_HOME"]) / "rag" / "logs.db"
    log.parent.mkdir(parents=True)
    for command in (["logs"], ["logs", "-q", "algae"], ["logs", "show", "1"]):
        garbage = os.urandom(20000)
        log.write_bytes(garbage)
        result = run(*command)
        assert result.returncode == 1 and result.stdout == "", (command, result.stderr)
        line = result.stderr.strip()
        assert line.startswith(f"rag: error: the answer log {log} was damaged (file is not a database); ")
        assert "\n" not in line
        aside = Path(line.split("moved it to ")[1].split(" and started")[0])
        assert aside.read_bytes() == garbage  # kept, not deleted
    assert run("logs").stdout == "No logged answers.\n"  # the new log
    assert len(list(log.parent.glob("logs.db.damaged-*"))) == 3

    # an answer is logged in a new log when the old one is damaged
    log.write_bytes(os.urandom(20000))
    store = copy_store(small_store, tmp_path / "store")
    answer = run("ask", QUESTION, "--store", str(store), "--llm", "extractive")
    assert answer.returncode == 0 and "[1]" in answer.stdout
    note = f"rag: note: the answer log {log} was damaged (file is not a database); moved it to"
    assert note in answer.stderr
    assert [e["question"] for e in json.loads(run("logs", "--json").stdout)] == [QUESTION]

    # a log another process holds locked: one line, after the wait
    holder = sqlite3.connect(log)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        locked = run("logs")
        assert locked.returncode == 1 and locked.stderr == (
            f"rag: error: the answer log {log} is locked by another process "
            f"(database is locked for {LOCK_TIMEOUT:g} s); try again\n"
        )
    finally:
        holder.close()
    assert run("logs").returncode == 0


def test_the_log_keeps_the_filter_and_a_log_made_before_filters_takes_it(
    tmp_path: Path, filled_settings: Settings, embedder: OnnxMiniLM
) -> None:
    import sqlite3

    log = tmp_path / "answers.db"
    with sqlite3.connect(log) as old:  # the table as the release before filters made it
        old.execute(
            "CREATE TABLE answers (id INTEGER PRIMARY KEY, time TEXT NOT NULL, question TEXT NOT NULL,"
            " searched TEXT NOT NULL, answer TEXT NOT NULL, refused INTEGER NOT NULL,"
            " citations TEXT NOT NULL, backend TEXT NOT NULL, fallback_reason TEXT,"
            " timings TEXT NOT NULL, settings TEXT NOT NULL)"
        )
        old.execute(
            "INSERT INTO answers VALUES"
            " (1, 't', 'old question', 'old', 'x', 0, '[]', 'none', NULL, '{}', '{}')"
        )
    old.close()
    settings = filled_settings.model_copy(update={"log_path": log})
    Assistant(settings, embedder=embedder, notify=lambda m: None).ask(
        QUESTION, llm="extractive", filters={"year": "2024", "author": "Lovelace"}
    )
    env = {"RAG_LOG_PATH": str(log)}
    entries = json.loads(run("logs", "--json", env=env).stdout)
    assert [e["question"] for e in entries] == [QUESTION, "old question"]
    assert entries[0]["filters"] == {"since": "2024-01-01", "until": "2024-12-31", "author": ["Lovelace"]}
    assert entries[1]["filters"] == {}
    cited = entries[0]["citations"][0]
    assert cited["authors"] == ["Ada Lovelace", "Alan Turing"] and list(cited)[-4:] == [
        "categories",
        "keywords",
        "tags",
        "passage",
    ]
    assert cited["evidence"] in cited["passage"]  # the sentence the answer quotes, of the paper's text
    shown = run("logs", "show", str(entries[0]["id"]), env=env).stdout
    assert "filter: year=2024 author=Lovelace\n" in shown
    assert (
        "[1] Photosynthetic efficiency of engineered algae in bioreactors - Ada Lovelace, Alan Turing (2024)"
        in shown
    )


def test_a_read_only_log_made_before_a_column_is_read_without_it(tmp_path: Path) -> None:
    """A review: reading a read-only log of the release before `unapplied` failed ("attempt to write
    a readonly database"); the column is added where it can be, and read as missing where not."""
    import sqlite3

    from rag.log import _add_column

    path = tmp_path / "answers.db"
    with sqlite3.connect(path) as made:
        made.execute("CREATE TABLE answers (id INTEGER PRIMARY KEY, question TEXT)")
    made.close()
    read_only = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    _add_column(read_only, "unapplied TEXT")  # no error
    read_only.close()
    writable = sqlite3.connect(path)
    _add_column(writable, "unapplied TEXT")
    _add_column(writable, "unapplied TEXT")  # another process added it first: no error
    assert "unapplied" in {row[1] for row in writable.execute("PRAGMA table_info(answers)")}
    writable.close()


def test_the_log_names_the_store_by_its_absolute_path(tmp_path: Path, small_store: Path) -> None:
    """A review: `rag --store s2 ask ...` logged "store_dir": "s2", which says nothing once elsewhere."""
    copy_store(small_store, tmp_path / "s2")
    env = {"RAG_LOG_PATH": str(tmp_path / "answers.db")}
    assert run("--store", "s2", "ask", QUESTION, "--llm", "extractive", env=env, cwd=tmp_path).returncode == 0
    (entry,) = json.loads(run("logs", "--json", env=env).stdout)
    shown = json.loads(run("logs", "show", str(entry["id"]), "--json", env=env).stdout)
    assert shown["settings"]["store_dir"] == str(tmp_path / "s2")
