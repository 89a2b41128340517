"""Prompt templates: files in prompts/ (or a directory in the settings), loaded and checked here."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

# Each template and the placeholders it must use (and may only use).
REQUIRED = {
    "system": set(),
    "answer": {"sources", "question"},
    "list": {"sources", "question"},
    "figure": {"sources", "question"},
    "compare": {"sources", "question"},
    "each": {"sources", "question"},
    "yesno": {"sources", "question"},
    "condense": {"history", "question"},
}
# Templates added after the first release: a directory of one's own made before them uses the
# shipped ones, so an upgrade does not stop it loading.
ADDED = {"list", "figure", "compare", "each", "yesno"}


@dataclass(frozen=True)
class Prompts:
    """The loaded templates."""

    system: str
    answer: str
    list: str  # the answer template for "which papers ..." questions
    figure: str  # the answer template for questions asking for a number
    compare: str  # the answer template for a comparison of named papers
    each: str  # the answer template for a question asked of each of several papers ("what do they use?")
    yesno: str  # the answer template for a yes/no question
    condense: str

    def instructions(self) -> tuple[str, ...]:
        """The templates' own lines a reply must not repeat (five words or more, no placeholder),
        without their labels ("Answer:", "- ")."""
        lines = (line for text in vars(self).values() for line in text.splitlines())
        labelled = (
            re.sub(r"^\s*(?:-|(?:Answer|Question|Title|Rules|Example):)\s*", "", line) for line in lines
        )
        return tuple(line for line in dict.fromkeys(labelled) if len(line.split()) >= 5 and "{" not in line)


def placeholders(template: str) -> set[str]:
    """The named placeholders of a str.format template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def load_prompts(directory: Path, shipped: Path | None = None) -> Prompts:
    """Read and check every template in a directory (one added since the first release may come
    from `shipped` instead); a missing or wrong one is an InputError."""
    texts = {}
    for name, required in REQUIRED.items():
        path = directory / f"{name}.txt"
        if shipped is not None and name in ADDED and not path.exists():
            path = shipped / f"{name}.txt"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read prompt template {path}: {exc.strerror}") from None
        try:
            found = placeholders(text)
        except ValueError as exc:
            raise InputError(f"prompt template {path} is malformed: {exc}") from None
        if found != required:
            missing, unknown = required - found, found - required
            problems = []
            if missing:
                problems.append("missing " + ", ".join(f"{{{p}}}" for p in sorted(missing)))
            if unknown:
                problems.append("unknown " + ", ".join(f"{{{p}}}" for p in sorted(unknown)))
            raise InputError(f"prompt template {path}: {'; '.join(problems)} (literal braces are {{{{ }}}})")
        texts[name] = text.strip()
    return Prompts(**texts)
