"""One writer per store: an exclusive lock on a file in the store directory, naming its holder.

The lock is an advisory `flock`, so the kernel releases it when its holder dies, however it dies:
a lock left by a killed process is simply taken by the next writer. It guards the processes of
this machine; writers on other machines sharing one Chroma server are not seen.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from pathlib import Path
from types import TracebackType

from ..errors import StoreBusyError, StoreError
from .layout import LOCK_NAME


def _holder(fd: int) -> str:
    """Who holds the lock, as the lock file describes it."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        record = json.loads(os.read(fd, 4096) or b"{}")
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(record["since"])))
        return f"pid {record['pid']}, `{record['command']}`, since {since}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


class WriteLock:
    """Held while a command writes to the store (ingest, prune, rebuild)."""

    def __init__(self, store_dir: Path, command: str | None = None) -> None:
        self.path = store_dir / LOCK_NAME
        self.command = command or " ".join(["rag", *sys.argv[1:]])
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock at once, or raise StoreBusyError naming the writer that holds it."""
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # private, as the store is
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreError(
                f"cannot write to the store at {self.path.parent} ({exc.strerror or exc}): "
                "a store that cannot be written can be searched (search, ask, info), not ingested into"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise StoreBusyError(
                f"store busy: {holder} is writing to {self.path.parent}; try again when it has finished"
            ) from None
        record = {"pid": os.getpid(), "command": self.command, "since": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Let the next writer in."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.release()


def writer(store_dir: Path) -> str | None:
    """Who is writing to the store now (None when nobody is)."""
    path = store_dir / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _holder(fd)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
