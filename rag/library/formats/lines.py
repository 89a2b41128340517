"""A file's lines streamed in bounded memory, and the checks made before a file is read."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

from ..records import FileReport, Problem

MAX_LINE_BYTES = 8 * 1024 * 1024  # a longer line is skipped unread: memory stays bounded


def special(path: Path) -> str | None:
    """What kind of non-regular file a path is (a FIFO would block a reader forever), or None."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # reported when it is opened
    for test, kind in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return None


def blank(path: Path) -> bool:
    """Whether a regular file holds nothing but white space."""
    try:
        if special(path) or not path.is_file() or path.stat().st_size > 65536:
            return False
        return not path.read_bytes().strip()
    except OSError:
        return False


def lines(path: Path, report: FileReport) -> Iterator[tuple[int, str]]:
    """The file's lines (numbered from 1, without line ends), streamed; problems go to the report.

    A line longer than MAX_LINE_BYTES is skipped without being held in memory; a binary or
    non-UTF-8 file ends the stream with a problem naming the line.
    """
    kind = special(path)
    if kind:
        report.problems.append(Problem(str(path), None, f"not a regular file ({kind}); skipped"))
        return
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        report.problems.append(Problem(str(path), None, "no such file; skipped"))
        return
    except OSError as exc:
        report.problems.append(Problem(str(path), None, f"cannot read ({exc.strerror}); skipped"))
        return
    with handle:
        try:
            head = handle.peek(8192)[:8192] if hasattr(handle, "peek") else b""
        except OSError as exc:
            report.problems.append(Problem(str(path), None, f"cannot read ({exc.strerror}); skipped"))
            return
        if b"\x00" in head:
            report.problems.append(Problem(str(path), None, "binary file, not text; skipped"))
            return
        number = 0
        while True:
            try:
                raw = handle.readline(MAX_LINE_BYTES + 1)
            except OSError as exc:
                report.problems.append(
                    Problem(str(path), number + 1, f"cannot read ({exc.strerror}); stopped")
                )
                return
            if not raw:
                return
            number += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # the rest of the line, unread
                    raw = handle.readline(MAX_LINE_BYTES)
                report.problems.append(
                    Problem(str(path), number, f"line longer than {MAX_LINE_BYTES // 2**20} MB; skipped")
                )
                continue
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                report.problems.append(
                    Problem(
                        str(path),
                        number,
                        f"not UTF-8 (byte 0x{raw[exc.start]:02x}); rest of file skipped, re-save it as UTF-8",
                    )
                )
                return
            yield number, line.rstrip("\r\n")


def head(path: Path, size: int = 65536) -> str:
    """The start of a regular file as text (undecodable bytes dropped), '' when it cannot be read."""
    if special(path):
        return ""
    try:
        with path.open("rb") as handle:
            raw = handle.read(size)
    except OSError:
        return ""
    if b"\x00" in raw:
        return ""
    return raw.decode("utf-8", errors="ignore").lstrip("\ufeff")
