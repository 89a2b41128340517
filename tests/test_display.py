"""What a user sees: rich in a real terminal (wrapped, spinner, references apart), plain otherwise."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from rag.config import Settings
from rag.display import SPINNER_TEXT, PlainDisplay, _Wrapper, wants_rich

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
        RAG, args, env=env, encoding="utf-8", timeout=240, cwd=str(cwd), dimensions=(40, 60)
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
