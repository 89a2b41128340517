"""The local model: a GGUF file served by llama-cpp-python's OpenAI-compatible server in a child process.

A crash inside llama.cpp (a segfault on an unsupported CPU, a model process killed mid-answer)
ends that process only: the caller sees LLMUnavailable with what happened, and the fallback
chain goes on. The server is started on first use on 127.0.0.1 with a free port, kept (and its
model loaded, its prompt cache warm) while the owner lives, and stopped with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import weakref
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

from .llm import LLMUnavailable, Messages, ReplyCut
from .openai_chat import OpenAIChat

# The server keeps logits for the last token only: its default (logits_all) computes and copies
# the whole vocabulary's logits of every prompt token, which only log-probabilities need. (Its
# prompt cache, --cache, is left off: each saved state copies up to n_batch rows of logits,
# 311 MB for this vocabulary, and made answers several times slower: benchmarks/README.md, #22.)
SERVER_OPTIONS = ["--verbose", "False", "--logits_all", "False"]


def physical_cores() -> int:
    """The number of physical cores this process may run on (hyper-threads do not help llama.cpp)."""
    try:
        cpus = os.sched_getaffinity(0)
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
    cores = set()
    for cpu in cpus:
        topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            cores.add(((topology / "physical_package_id").read_text(), (topology / "core_id").read_text()))
        except OSError:
            cores.add(("", str(cpu)))
    return max(1, len(cores))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask Linux to stop the server when the process that started it dies (even by SIGKILL)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


_spawner_lock = threading.Lock()
_spawner: ThreadPoolExecutor | None = None


def _spawn(command: list[str], **options: Any) -> subprocess.Popen[bytes]:
    """Start a process from one thread that lives as long as this process: Linux sends the death
    signal when the *thread* that started a child ends, and `rag serve` answers each request in a
    thread of its own (a review: the model was stopped, and loaded again, after every request)."""
    global _spawner
    with _spawner_lock:
        if _spawner is None:
            _spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rag-spawner")
        spawner = _spawner
    return spawner.submit(lambda: subprocess.Popen(command, **options)).result()


def describe_exit(returncode: int) -> str:
    """'crashed: signal 11 (SIGSEGV)' or 'exited with code 1'."""
    if returncode < 0:
        try:
            name = f" ({signal.Signals(-returncode).name})"
        except ValueError:
            name = ""
        return f"crashed: signal {-returncode}{name}"
    return f"exited with code {returncode}"


def _stop(process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log.close()


class LocalModel:
    """A GGUF chat model in a llama-cpp-python server child process, started on first use."""

    def __init__(
        self,
        model_path: Path,
        *,
        context: int,
        threads: int | None = None,
        timeout: float = 30.0,
        deadline: float = 120.0,
        startup_timeout: float = 120.0,
    ) -> None:
        self.name = "local"
        self.model = model_path.name
        self.model_path = model_path
        self.context = context
        self.threads = threads or physical_cores()
        self.timeout = timeout
        self.deadline = deadline  # for each reply, once the server runs
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._client: OpenAIChat | None = None
        self._log: IO[bytes] | None = None
        self._finalizer: weakref.finalize | None = None
        self._load_error: str | None = None
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """The server process id while it runs."""
        return self._process.pid if self._process and self._process.poll() is None else None

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        self._log.flush()
        lines = Path(self._log.name).read_text(errors="replace").strip().splitlines()
        useful = [line.strip() for line in lines if line.strip() and not line.startswith(("INFO", "  "))]
        return (useful or lines or [""])[-1][:300]

    def _start(self) -> OpenAIChat:
        if self._load_error:
            raise LLMUnavailable(self._load_error)
        try:
            import llama_cpp  # noqa: F401
        except ImportError:
            raise LLMUnavailable("llama-cpp-python is not installed: run `make install-local`") from None
        if not self.model_path.is_file():
            raise LLMUnavailable(f"local model file {self.model_path} does not exist")
        port = _free_port()
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model_path)]
        command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(self.context)]
        command += ["--n_threads", str(self.threads), "--n_threads_batch", str(self.threads)]
        command += SERVER_OPTIONS
        self._log = tempfile.NamedTemporaryFile(prefix="rag-local-model-", suffix=".log")  # noqa: SIM115
        self._process = _spawn(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Its own session: a terminal's Ctrl-C (SIGINT to the foreground process group) reaches
            # the chat, not the model, which stays loaded; it still dies with its parent.
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        self._finalizer = weakref.finalize(self, _stop, self._process, self._log)
        url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2):
                    break
            except OSError:
                returncode = self._process.poll()
                if returncode is not None:
                    self._load_error = (
                        f"cannot load the local model {self.model_path}: the model process "
                        f"{describe_exit(returncode)} ({self._log_tail() or 'no message'})"
                    )
                    self.close()
                    raise LLMUnavailable(self._load_error) from None
                if time.monotonic() > deadline:
                    self.close()
                    raise LLMUnavailable(
                        f"the local model did not start within {self.startup_timeout:g} s"
                    ) from None
                time.sleep(0.2)
        return OpenAIChat(
            name="local",
            model="local",
            api_key="local",
            base_url=url,
            timeout=self.timeout,
            max_retries=0,
            deadline=self.deadline,
        )

    def _client_or_start(self) -> OpenAIChat:
        with self._lock:
            if self._client is None or self.pid is None:
                self.close()
                self._client = self._start()
            return self._client

    def _death(self) -> str | None:
        """What happened to the server process, if it is gone."""
        process = self._process
        if process is None:
            return None
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=2)
        return None if process.returncode is None else f"local model {describe_exit(process.returncode)}"

    def stream(self, messages: Messages, *, max_tokens: int, temperature: float) -> Iterator[str]:
        """Stream a reply from the served model; its death mid-answer is LLMUnavailable (and so is a
        reply past its deadline or tokens, which leaves the server running)."""
        client = self._client_or_start()
        try:
            yield from client.stream(messages, max_tokens=max_tokens, temperature=temperature)
        except ReplyCut:
            raise  # the server stops generating when the connection closes, and stays loaded
        except LLMUnavailable as exc:
            death = self._death()
            self.close()
            raise LLMUnavailable(death or str(exc)) from None
        if self._process is not None and self._process.poll() is not None:
            death = self._death()
            self.close()
            raise LLMUnavailable(death or "the local model stopped")

    def close(self) -> None:
        """Stop the server process (it is started again on the next question)."""
        if self._finalizer is not None:
            self._finalizer()
        self._process = self._client = self._log = self._finalizer = None
