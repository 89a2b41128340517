"""What a user sees: rich in a real terminal (wrapped, spinner, references apart), plain otherwise."""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pexpect
import pytest
from conftest import CONTROLS, HOSTILE_PAPER, write_jsonl

from rag.api import Assistant
from rag.config import Settings
from rag.display import SPINNER_TEXT, PlainDisplay, RichDisplay, _Wrapper, wants_rich
from rag.embeddings import OnnxMiniLM
from rag.events import Notice, Replaced, Token

RAG = str(Path(sys.executable).with_name("rag"))
ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
QUESTION = "How well does a fine-tuned CLIP model re-identify basketball players?"


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_") and k != "NO_COLOR"}
    env.update(
        {
            "RAG_STORE_DIR": str(settings.store_dir),
            "RAG_DATA_DIR": str(settings.data_dir),
            "RAG_LOG": "0",
            "TERM": "xterm-256color",
            "COLUMNS": "60",
            "LINES": "40",
        }
    )
    env.update(extra)
    return env


def _in_terminal(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """Run `rag ARGS` in a real 60-column pseudo-terminal; return everything it drew."""
    child = pexpect.spawn(
        RAG, args, env=env, encoding="utf-8", timeout=240, cwd=str(cwd), dimensions=(40, 60), use_poll=True
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return str(child.before)


def _stream_in_pieces(text: str, width: int, seed: int) -> str:
    shown: list[str] = []
    wrapper = _Wrapper(width, shown.append)
    rng = random.Random(seed)
    i = 0
    while i < len(text):
        step = rng.randint(1, 7)
        wrapper.feed(text[i : i + step])
        i += step
    wrapper.close()
    return "".join(shown)


def test_streamed_text_is_wrapped_at_words_whatever_the_token_boundaries() -> None:
    text = (
        "FlowTurbo accelerates sampling by 53.1%-58.3% on class-conditional generation [1]. "
        "It reaches an FID of 2.12 on ImageNet [1].\n"
        "- Dataset distillation condenses a dataset into a few synthetic images [2]\n"
        "12. a numbered item whose text is long enough to need two lines [3]\n"
        "  an indented line that also goes on long enough to wrap"
    )
    for seed in range(20):
        shown = _stream_in_pieces(text, 40, seed)
        lines = shown.split("\n")
        assert all(len(line) <= 40 for line in lines), shown
        assert shown.split() == text.split()  # no word cut, lost or added
        item = next(i for i, line in enumerate(lines) if line.startswith("- "))
        assert lines[item + 1].startswith("  ") and lines[item + 1][2] != " "
        numbered = next(i for i, line in enumerate(lines) if line.startswith("12. "))
        assert lines[numbered + 1].startswith("    ") and not lines[numbered + 1].startswith("     ")
        indented = next(i for i, line in enumerate(lines) if line.startswith("  an indented"))
        assert lines[indented + 1].startswith("  ") and lines[indented + 1][2] != " "


def test_plain_output_is_chosen_for_pipes_no_color_and_dumb_terminals(tmp_path: Path) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    assert wants_rich(Tty(), {"TERM": "xterm"})  # type: ignore[arg-type]
    assert not wants_rich(Tty(), {"TERM": "xterm", "NO_COLOR": "1"})  # type: ignore[arg-type]
    assert not wants_rich(Tty(), {"TERM": "dumb"})  # type: ignore[arg-type]
    with open(tmp_path / "out.txt", "w") as piped:
        assert not wants_rich(piped, {"TERM": "xterm"})
    shown: list[str] = []
    PlainDisplay(shown.append).references(["[1] A paper - A. Author (2024)"])
    assert "".join(shown) == "\nReferences:\n  [1] A paper - A. Author (2024)\n"


@pytest.fixture
def built(filled_settings: Settings) -> Settings:
    """Settings whose store holds the small corpus (a copy of the one ingested for this run)."""
    return filled_settings


def test_ask_in_a_terminal_shows_a_spinner_wraps_and_sets_references_apart(
    built: Settings, tmp_path: Path
) -> None:
    drawn = _in_terminal(["ask", "--llm", "extractive", QUESTION], _env(built), tmp_path)
    assert "\x1b[" in drawn  # styled
    assert drawn.index(SPINNER_TEXT) < drawn.index("98.44")  # the spinner came before the answer
    visible = ESCAPE.sub("", drawn).replace("\r\n", "\n")
    answer = visible[visible.rindex(SPINNER_TEXT) + len(SPINNER_TEXT) :]
    answer = answer.rsplit("\r", 1)[-1]  # what the spinner's line was overwritten with
    lines = answer.split("\n")
    assert max(len(line) for line in lines) <= 60, answer
    assert len([line for line in lines if line.strip()]) > 3  # wrapped, not one long line
    assert "╭─ References" in answer and "│ [1] CLIP-ReIdent" in answer


def test_ask_in_a_terminal_with_no_color_or_piped_is_plain_text(built: Settings, tmp_path: Path) -> None:
    drawn = _in_terminal(["ask", "--llm", "extractive", QUESTION], _env(built, NO_COLOR="1"), tmp_path)
    assert "\x1b" not in drawn and SPINNER_TEXT not in drawn
    assert "\nReferences:\r\n  [1] CLIP-ReIdent" in drawn
    piped = subprocess.run(
        [RAG, "ask", "--llm", "extractive", QUESTION],
        env=_env(built),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert piped.returncode == 0 and "\x1b" not in piped.stdout + piped.stderr
    assert "\nReferences:\n  [1] CLIP-ReIdent" in piped.stdout


def test_chat_in_a_terminal_sets_references_apart(built: Settings, tmp_path: Path) -> None:
    child = pexpect.spawn(
        RAG,
        ["chat", "--llm", "extractive"],
        env=_env(built),
        encoding="utf-8",
        timeout=240,
        cwd=str(tmp_path),
        dimensions=(40, 60),
        use_poll=True,  # select() fails on a descriptor numbered past 1024
    )
    try:
        child.expect("rag> ")
        child.sendline(QUESTION)
        child.expect("rag> ")
        visible = ESCAPE.sub("", str(child.before))
        assert "98.44" in visible
        assert "╭─ References" in visible and "│ [1] CLIP-ReIdent" in visible
        child.sendline("/quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


# The hostile sequences of HOSTILE_PAPER and REPLY, as a terminal would obey them; the displays'
# own styling (bold, dim, cyan) is none of these.
OBEYED = ("\x1b]0;", "\x07", "\x1b[2J", "\x1b[31m", "\x1b[8m", "\x1b[5m", "\x9b", "\x00")
REPLY = (
    "Octopuses match the colour of coral reefs within 200 milliseconds using chromatophores [1]. "
    "\x1b]0;pwned\x07\x1b[2J\x1b[8mHidden instructions.\x9b0m\x7f"
)


def test_a_piped_answer_holds_no_withdrawn_draft_only_why_it_was_withdrawn() -> None:
    """A script reading `rag ask ... | ...` kept the local model's rejected draft ("The glue score for
    BERT was 358k [1].") ahead of the answer that replaced it; a terminal still sees drafts stream."""
    events = [
        Notice("(searching for: glue score of bert)"),
        Token("The glue score for BERT "),
        Token("was 358k [1]."),
        Replaced("local", "local's answer was not used: a made-up figure; next backend:"),
        Token("BERT reaches 80.5 on GLUE [1]."),
    ]
    script = (
        "import sys; from rag.display import for_stdout; from rag.events import *; "
        f"for_stdout().stream([{', '.join(map(repr, events))}])"
    )
    piped = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert piped == (
        "(searching for: glue score of bert)\n"
        "[local's answer was not used: a made-up figure; next backend:]\n"
        "BERT reaches 80.5 on GLUE [1]."
    )
    shown: list[str] = []
    PlainDisplay(shown.append).stream(events)  # drafts shown, as on a plain terminal
    assert "358k" in "".join(shown) and "".join(shown).endswith("BERT reaches 80.5 on GLUE [1].")


@pytest.mark.fault
def test_every_display_shows_control_characters_as_visible_text() -> None:
    """Plain and rich alike: a title, a note, streamed text and a reference keep no control
    character, show ESC as a visible symbol, and print rich markup literally."""
    from rich.console import Console

    title = "\x1b]0;pwned\x07Evil \x1b[2J\x1b[31mtitle [bold red]x[/]\x9b5m"
    events = [
        Token("Octopuses \x1b[8mhide"),
        Notice("note \x1b[5m"),
        Replaced("openai", "why \x07"),
        Token(" it\x00."),
    ]
    plain: list[str] = []
    buffer = io.StringIO()
    rich = RichDisplay(Console(file=buffer, force_terminal=True, color_system="standard", width=80))
    for display in (PlainDisplay(plain.append), rich):
        display.heading(title)
        display.note(title)
        display.text(title + "\n")
        display.stream(events)
        display.references([f"[1] {title} - Eve \x1b[5mBlink (2023)"])
    for shown in ("".join(plain), buffer.getvalue()):
        assert not [s for s in OBEYED if s in shown], repr(shown)
        assert "␛]0;pwned␇Evil ␛[2J␛[31mtitle [bold red]x[/]�5m" in shown  # visible, markup literal
        assert "Octopuses ␛[8mhide" in shown and "Eve ␛[5mBlink" in shown
    assert not CONTROLS.search("".join(plain))


class _Model(BaseHTTPRequestHandler):
    """An OpenAI-compatible server whose model streams REPLY: escapes a real model won't write on demand."""

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        chunks = [REPLY[i : i + 7] for i in range(0, len(REPLY), 7)]
        events = [
            {
                "id": "x",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "m",
                "choices": [{"index": 0, "delta": {"content": chunk}, "finish_reason": None}],
            }
            for chunk in chunks
        ]
        body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())


@pytest.fixture
def model_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Model)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.mark.fault
def test_a_hostile_corpus_and_a_reply_with_escapes_never_reach_the_terminal(
    built: Settings, embedder: OnnxMiniLM, model_url: str, tmp_path: Path
) -> None:
    """Escapes in a paper are gone once it is read; escapes in a model's reply are removed as it
    streams, so that `rag ask` (piped and in a real terminal) and the log never see them; a log
    written before that rule shows them as visible symbols in `rag logs show`."""
    Assistant(built, embedder=embedder, notify=lambda m: None).ingest(
        [write_jsonl(tmp_path / "hostile.jsonl", [HOSTILE_PAPER])]
    )
    question = "how fast do octopuses match the colour of coral reefs?"
    env = _env(built, RAG_LOG="1", OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=model_url)

    def piped(*args: str) -> str:
        result = subprocess.run(
            [RAG, *args], env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path
        )
        assert result.returncode == 0, result.stderr
        assert not CONTROLS.search(result.stdout + result.stderr), repr(result.stdout + result.stderr)
        return result.stdout

    searched = piped("search", question, "-k", "1")
    assert "1. Octopus camouflage [bold red]on coral[/] reefs" in searched
    assert "hidden using chromatophores. Their skin blinks at night." in " ".join(searched.split())
    assert json.loads(piped("search", question, "-k", "1", "--json"))["results"][0]["title"] == (
        "Octopus camouflage [bold red]on coral[/] reefs"
    )
    extractive = piped("ask", question, "--llm", "extractive")
    assert "[1] Octopus camouflage [bold red]on coral[/] reefs - Eve Blink, J. Smith (2023)" in extractive
    answered = piped("ask", question, "--llm", "openai")
    assert "[1]. Hidden instructions." in answered and "pwned" not in answered

    drawn = _in_terminal(["ask", question, "--llm", "openai"], env, tmp_path)
    assert not [s for s in OBEYED if s in drawn], repr(drawn)
    visible = ESCAPE.sub("", drawn)
    assert "pwned" not in visible and "│ [1] Octopus camouflage [bold red]on coral[/]" in visible

    logged = json.loads(piped("logs", "--json"))
    assert [e["backend"] for e in logged] == ["openai", "openai", "extractive"]
    assert logged[0]["answer"].endswith("[1]. Hidden instructions.")
    # an answer logged raw (before replies lost their escapes) is shown with visible symbols
    raw = logged[0]["answer"].replace("Hidden", "\x1b]0;pwned\x07\x1b[2J\x1b[8mHidden") + "\x9b0m\x7f"
    with contextlib.closing(sqlite3.connect(Path(os.environ["XDG_DATA_HOME"]) / "rag" / "logs.db")) as db, db:
        db.execute("UPDATE answers SET answer = ? WHERE id = ?", (raw, logged[0]["id"]))
    assert json.loads(piped("logs", "--json"))[0]["answer"] == raw  # JSON keeps it, escaped
    shown = piped("logs", "show", str(logged[0]["id"]))
    assert "␛]0;pwned␇␛[2J␛[8mHidden instructions.�0m␡" in shown
    assert "[1] Octopus camouflage [bold red]on coral[/] reefs - Eve Blink, J. Smith (2023)" in shown
    assert piped("logs").count(question) == 3  # the list, its controls checked by piped()
