"""Files a user asks for (`--bib`, `/save`, `/bib`): never written over unless asked, never half-written."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def write_file(path: Path, text: str, *, overwrite: bool) -> None:
    """Write text to path whole or not at all; FileExistsError if the file exists and overwrite is
    False (checked as the file is created, so a file that appears meanwhile is not lost either)."""
    if not overwrite:
        with path.open("x", encoding="utf-8") as handle:
            try:
                handle.write(text)
                handle.flush()
            except BaseException:
                handle.close()
                path.unlink(missing_ok=True)  # ours: created just now
                raise
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)  # the old file stays whole until the new one is
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
