"""Questions about a paper's record by the names it is called by, over the bundled corpus.

1. "who wrote NAME?" for every paper whose title has a short name ("GIM" of "GIM: Learning ...");
   reported: the paper cited first, refused.
2. "who proposed NAME?" for the names the abstracts coin outside their titles: acronyms an abstract
   defines in a sentence about its own work (`coined_names`) and names written right after "we
   propose/introduce/present/develop/release", when the paper's title does not write them ("ZEB"
   in GIM's abstract); reported: the coining paper cited first, refused.
3. "who proposed X?" for ordinary terms of the field that titles write but no paper is called by
   ("the transformer"); reported: refused (right; answered, some paper's record is wrong).
Run this script with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/record_names.py [--store DIR]
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


GENERIC = (
    "the transformer",
    "diffusion models",
    "attention",
    "contrastive learning",
    "dataset distillation",
    "knowledge distillation",
    "neural architecture search",
    "image generation",
    "language models",
    "vision transformers",
    "domain adaptation",
    "few-shot learning",
    "quantization",
    "pruning",
    "reinforcement learning",
)


def asked(assistant: Assistant, questions: dict[str, str | None]) -> tuple[int, int]:
    """How many answers cite the paper expected first (None: none is), and how many are refused."""
    right = refused = 0
    for question, paper_id in sorted(questions.items()):
        answer = assistant.ask(question, llm="extractive")
        right += bool(answer.citations) and answer.citations[0].paper.paper_id == paper_id
        refused += answer.refused
    return right, refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="a store of the bundled corpus (default: a new one)")
    args = parser.parse_args()
    assistant = Assistant(load_settings(store_dir=args.store or tempfile.mkdtemp(prefix="rag-coined-")))
    if assistant.library.store.count() == 0:
        assistant.ingest()
    short = {
        f"who wrote {title_names(str(meta['title']))[0]}?": paper_id
        for paper_id, meta in assistant.library.store.papers().items()
        if ":" in str(meta["title"]) and title_names(str(meta["title"]))
    }
    coined_by = {f"who proposed {name}?": paper_id for name, paper_id in coined(assistant).items()}
    generic = {f"who proposed {term}?": None for term in GENERIC}
    for label, questions in (
        ("short names", short),
        ("names coined outside their titles", coined_by),
        ("ordinary terms", generic),
    ):
        right, refused = asked(assistant, questions)
        print(f"{label}: {len(questions)} questions, the paper cited first {right}, refused {refused}")


if __name__ == "__main__":
    main()
