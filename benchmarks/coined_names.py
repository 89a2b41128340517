"""'who proposed NAME?' for the names the bundled abstracts coin outside their titles.

The names: acronyms an abstract defines in a sentence about its own work (`coined_names`) and
names written right after "we propose/introduce/present/develop/release", when the paper's title
does not write them ("ZEB" in GIM's abstract). Each is asked as "who proposed NAME?"; reported:
how many answers cite the coining paper first, how many are refused.
Run this script with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/coined_names.py [--store DIR]
"""

from __future__ import annotations

import argparse
import re
import tempfile

from rag.api import Assistant
from rag.citations import split_sentences
from rag.config import load_settings
from rag.library.names import coined_names, title_names

_PROPOSED = re.compile(
    r"\bwe (?:also )?(?:propose|introduce|present|develop|release)\s+(?:a |an |the )?"
    r"([A-Z][\w+-]*[A-Z0-9][\w+-]*)"
)


def coined(assistant: Assistant) -> dict[str, str]:
    """Each name coined outside its paper's title, with the id of the first paper coining it."""
    cases: dict[str, str] = {}
    for paper_id in assistant.library.store.papers():
        paper = assistant.paper(paper_id)
        heads = {name.casefold() for name in title_names(paper["title"])}
        for sentence in split_sentences(paper["abstract"]):
            for name in set(coined_names(sentence)) | set(_PROPOSED.findall(sentence)):
                if name.casefold() not in heads and name.casefold() not in paper["title"].casefold():
                    cases.setdefault(name, paper_id)
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="a store of the bundled corpus (default: a new one)")
    args = parser.parse_args()
    assistant = Assistant(load_settings(store_dir=args.store or tempfile.mkdtemp(prefix="rag-coined-")))
    if assistant.store.count() == 0:
        assistant.ingest()
    cases = coined(assistant)
    right = refused = 0
    for name, paper_id in sorted(cases.items()):
        answer = assistant.ask(f"who proposed {name}?", llm="extractive")
        right += bool(answer.citations) and answer.citations[0].paper.paper_id == paper_id
        refused += answer.refused
    print(f"{len(cases)} names coined outside their titles: coining paper first {right}, refused {refused}")


if __name__ == "__main__":
    main()
