"""The command line the benchmarks over one store share: --store (a new store of the bundled corpus
by default) and --show."""

from __future__ import annotations

import argparse
import tempfile

from rag.api import Assistant
from rag.config import load_settings


def opened(description: str, prefix: str, show_help: str) -> tuple[Assistant, bool]:
    """The assistant over --store (a new store of the bundled corpus by default, ingested), and --show."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--store", default=None, help="a store of the bundled corpus (default: a new one)")
    parser.add_argument("--show", action="store_true", help=show_help)
    args = parser.parse_args()
    assistant = Assistant(load_settings(store_dir=args.store or tempfile.mkdtemp(prefix=prefix)))
    if assistant.library.store.count() == 0:
        assistant.ingest()
    return assistant, args.show
