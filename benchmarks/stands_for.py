"""What a paper's short name stands for, over the bundled corpus: "what does NAME stand for?" for
every paper whose title's short name is written mostly in capitals (GIM, LoRA-like; not CopySpec).
Reported: answers spelling the name out citing that paper first, saying its abstract does not,
other; every answer is printed to be judged by reading (a spelling is right when the initials are
the name's and the paper says so). Run this script with PYTHONPATH set to an earlier checkout for
the "before" figures.

Run: .venv/bin/python benchmarks/stands_for.py [--store DIR]
"""

from __future__ import annotations

import argparse
import tempfile

from rag.api import Assistant
from rag.config import load_settings
from rag.library.names import title_names


def acronym_like(name: str) -> bool:
    """Written mostly in capitals (GIM, LoRA), as `rag.expansion.initials` reads a name; here so that
    an earlier checkout, without that module, runs too."""
    letters = [c for c in name if c.isalpha()]
    capitals = [c for c in letters if c.isupper()]
    return len(capitals) >= 2 and 2 * len(capitals) >= len(letters)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="a store of the bundled corpus (default: a new one)")
    args = parser.parse_args()
    assistant = Assistant(load_settings(store_dir=args.store or tempfile.mkdtemp(prefix="rag-stands-")))
    if assistant.library.store.count() == 0:
        assistant.ingest()
    names = {
        title_names(str(meta["title"]))[0]: paper_id
        for paper_id, meta in assistant.library.store.papers().items()
        if ":" in str(meta["title"]) and title_names(str(meta["title"]))
    }
    counts = {"spelled": 0, "unspelled": 0, "other": 0}
    for name, paper_id in sorted(names.items()):
        if not acronym_like(name):
            continue
        answer = assistant.ask(f"what does {name} stand for?", llm="extractive")
        first = bool(answer.citations) and answer.citations[0].paper.paper_id == paper_id
        kind = "spelled" if first and " stands for " in answer.text else "other"
        kind = "unspelled" if first and "does not spell out" in answer.text else kind
        counts[kind] += 1
        print(f"{kind:9} {name}: {answer.text[:160]!r}")
    print(f"names: {sum(counts.values())}, " + ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
