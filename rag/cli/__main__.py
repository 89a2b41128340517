"""`python -m rag.cli` is the `rag` command."""

from . import run

run()
