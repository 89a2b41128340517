"""Runs `rag` commands as forks of one process that has imported the heavy modules once.

Each command is still a process of its own, started through the real entry point
(`rag.cli.run`) with its own arguments, environment, working directory, stdin, stdout, stderr
and exit code; only the interpreter's start-up and imports (1-2 s of CPU a command) are shared,
and the shipped embedding model: loaded once by the server instead of by every command, and the
vectors earlier commands computed (`SharedModel`). The server imports and loads before it forks,
and never runs the model or the tokenizer (a fork after the tokenizer ran in parallel makes it
warn on stderr). The imports start two native threads (chromadb's and onnxruntime's, idle); a
fork copies only the forking thread, so a lock either held at that moment would stay held in the
child. No command has hung on one in the suite's runs.

Protocol, one JSON line each way: the request {args, env, cwd, stdout, stderr}; the replies
{"pid": N} when the command starts, then {"exit": CODE} when it ends.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import locale
import os
import pickle
import select
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

PRELOAD = (
    "rag.cli.commands",
    "rag.api",
    "rag.library.store",
    "rag.embeddings",
    "chromadb",
    "onnxruntime",
    "llama_index.core",
    "openai",
    "rich",
)


class SharedModel:
    """The shipped embedding model as loaded in the server, and the vectors its commands computed.

    A command reuses both: its model of the shipped file gets the loaded session and tokenizer, and
    a text embedded by an earlier command gets that vector (a text's vector does not depend on its
    batch: test_index.py), as the in-process tests share `RememberingEmbedder`. A command leaves the
    vectors it computed in a file, which the server reads when it ends: the next fork inherits them.
    A model of another file (the fast one, built in the test's cache) loads and runs as it would.
    """

    def __init__(self) -> None:
        from rag.embeddings import OnnxMiniLM

        self.model = OnnxMiniLM()
        self.model.load()
        self.vectors: dict[str, Any] = {}

    def install(self, left: Path) -> None:
        """In a fork: models of the shipped file start loaded, remember the vectors, and leave the
        ones they computed in the file `left`."""
        from rag.embeddings import OnnxMiniLM

        shared, known, fresh = self.model, self.vectors, {}
        load, embed = OnnxMiniLM.load, OnnxMiniLM.embed

        def loaded(model: OnnxMiniLM) -> None:
            if model._session is None and model._model_file() == shared._model_file():
                model._session, model._tokenizer = shared._session, shared._tokenizer
                model._inputs = shared._inputs
            load(model)

        def remembered(model: OnnxMiniLM, texts: list[str]) -> Any:
            if model._model_file() != shared._model_file() or not texts:
                return embed(model, texts)
            missing = [t for t in dict.fromkeys(texts) if t not in known and t not in fresh]
            if missing:
                fresh.update(zip(missing, embed(model, missing), strict=True))
            return np.stack([known[t] if t in known else fresh[t] for t in texts])

        def leave() -> None:
            # whole or not at all (a command may be killed), and never a word on the command's stderr
            with contextlib.suppress(OSError):
                if fresh:
                    left.with_suffix(".part").write_bytes(pickle.dumps(fresh))
                    left.with_suffix(".part").replace(left)

        OnnxMiniLM.load, OnnxMiniLM.embed = loaded, remembered  # type: ignore[method-assign]
        atexit.register(leave)

    def collect(self, left: Path) -> None:
        """In the server, after a command ended: the vectors it left."""
        if left.exists():
            self.vectors.update(pickle.loads(left.read_bytes()))
            left.unlink()


def _child(request: dict[str, object]) -> int:
    """Become the command: its directory, environment and files, then the entry point."""
    os.chdir(str(request["cwd"]))
    # Ctrl-C as a process started from a terminal has it, even when the tests run where SIGINT is
    # ignored (a job in the background of a shell without job control, which its children inherit)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})  # type: ignore[call-overload]
    for fd, path, flags in (
        (0, os.devnull, os.O_RDONLY),
        (1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        (2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
    ):
        opened = os.open(str(path), flags, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    sys.argv = ["rag", *[str(a) for a in request["args"]]]  # type: ignore[attr-defined]
    import rag.cli

    try:
        rag.cli.run()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        if exit_.code is not None and not isinstance(exit_.code, int):
            print(exit_.code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    return code


def _finish(code: int) -> None:
    """End as the interpreter would: join threads, run exit handlers, flush, exit."""
    import atexit
    import threading

    try:
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def serve() -> None:
    """Read requests from stdin; fork one child per request and report its pid and exit code."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    shared = SharedModel()
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        left = Path(request["stdout"]).with_name("vectors.pickle")
        pid = os.fork()
        if pid == 0:
            shared.install(left)
            _finish(_child(request))
        replies.write(json.dumps({"pid": pid}) + "\n")
        _, status = os.waitpid(pid, 0)
        shared.collect(left)
        replies.write(json.dumps({"exit": os.waitstatus_to_exitcode(status)}) + "\n")


class Command:
    """A `rag` command running in a fork of the server: like `subprocess.Popen`, for what tests use."""

    def __init__(self, server: ForkServer, args: list[str], pid: int, outputs: Path) -> None:
        self.server, self.args, self.pid, self._outputs = server, args, pid, outputs
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        """The exit code; `subprocess.TimeoutExpired` if the command outlives the timeout."""
        if self.returncode is None:
            reply = self.server.read_reply(timeout)
            if reply is None:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            self.returncode = int(reply["exit"])
            self.server.release()
        return self.returncode

    def send_signal(self, number: int) -> None:
        """Signal the command's process."""
        if self.returncode is None:
            os.kill(self.pid, number)

    def result(self, timeout: float | None) -> subprocess.CompletedProcess[str]:
        """Wait (killing the command past the timeout) and collect what it printed."""
        try:
            self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.send_signal(signal.SIGKILL)
            self.wait()
            raise
        encoding = locale.getpreferredencoding(False)
        stdout = (self._outputs / "stdout").read_text(encoding)
        stderr = (self._outputs / "stderr").read_text(encoding)
        assert self.returncode is not None
        return subprocess.CompletedProcess(["rag", *self.args], self.returncode, stdout, stderr)


class ForkServer:
    """The client: one server process, one command at a time."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._busy = threading.Lock()
        self._outputs = Path(tempfile.mkdtemp(prefix="rag-forks-"))
        self._pending = b""

    def start(self, args: list[str], env: dict[str, str], cwd: Path | None = None) -> Command:
        """Start `rag ARGS` in a fork; the caller must wait for it before the next command."""
        if not self._busy.acquire(timeout=600):
            raise RuntimeError("the fork server is still running another command")
        try:  # a command that never started: a new server for the next, which is not kept waiting
            if self._process is None or self._process.poll() is not None:
                self._process = subprocess.Popen(
                    [sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
                )
                self._pending = b""
            request = {
                "args": args,
                "env": env,
                "cwd": str(cwd or Path.cwd()),
                "stdout": str(self._outputs / "stdout"),
                "stderr": str(self._outputs / "stderr"),
            }
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            reply = self.read_reply(120)
            if reply is None:
                raise RuntimeError("the fork server did not start the command")
        except BaseException:
            if self._process is not None:
                self._process.kill()
                self._process.wait()
                self._process = None
            self._busy.release()
            raise
        return Command(self, args, int(reply["pid"]), self._outputs)

    def read_reply(self, timeout: float | None) -> dict[str, int] | None:
        """The server's next reply, or None past the timeout."""
        assert self._process is not None and self._process.stdout is not None
        fd = self._process.stdout.fileno()
        poll = select.poll()  # not select(): it fails on a descriptor numbered past 1024
        poll.register(fd, select.POLLIN)
        while b"\n" not in self._pending:
            if not poll.poll(None if timeout is None else timeout * 1000):
                return None
            data = os.read(fd, 4096)
            if not data:
                raise RuntimeError("the fork server died")
            self._pending += data
        line, _, self._pending = self._pending.partition(b"\n")
        reply: dict[str, int] = json.loads(line)
        return reply

    def release(self) -> None:
        """The command ended: the server takes the next one."""
        self._busy.release()


if __name__ == "__main__":
    serve()
