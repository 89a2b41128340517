"""Questions about a paper's code, over the bundled corpus: for every paper whose title has a short
name ("GIM" of "GIM: Learning ..."), asked in each of FORMS ("is the code for NAME available?",
"where is the code of NAME?", ...). Scored against the links the paper's record holds (read from
its abstract at ingest, not by the rule under test): a paper linking a code host (github.com ...)
should be answered with that link, citing the paper first; any other, with "The abstract of [1]
does not mention its code.", a sentence of its own saying the code is (to be) released, or its
project page (read with --show). Reported per form and split (a paper's
split by its id), extractive unless --llm; --show prints every answer not scored right.
Run this script with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/code_questions.py [--store DIR] [--llm local] [--show]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import tempfile

from rag.api import Assistant
from rag.config import load_settings
from rag.library.names import title_names

FORMS = {
    "available": "is the code for {name} available?",
    "where": "where is the code of {name}?",
    "release": "does {name} release its code?",
    "open source": "is {name} open source?",
    "github": "github link for {name}",
}
UNSTATED = "does not mention its code"
CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "huggingface.co", "hf.co", "4open.science")


def split_of(paper_id: str) -> str:
    """A paper's half, fixed by its id."""
    return "calibration" if hashlib.sha256(paper_id.encode()).digest()[0] % 2 == 0 else "report"


def scored(assistant: Assistant, question: str, paper_id: str, links: str, llm: str) -> tuple[str, bool]:
    """Whether the answer is right: a linking paper's ("linked") gives a code link and cites it first;
    any other paper's ("unlinked") says its abstract does not mention its code."""
    answer = assistant.ask(question, llm=llm)
    first = bool(answer.citations) and answer.citations[0].paper.paper_id == paper_id
    urls = [link for link in links.split() if any(host in link for host in CODE_HOSTS)]
    if urls:
        return "linked", first and any(url in answer.text for url in urls)
    return "unlinked", first and UNSTATED in answer.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="a store of the bundled corpus (default: a new one)")
    parser.add_argument("--llm", default="extractive", help="extractive (default) or local")
    parser.add_argument("--show", action="store_true", help="print every question not scored right")
    args = parser.parse_args()
    assistant = Assistant(load_settings(store_dir=args.store or tempfile.mkdtemp(prefix="rag-code-")))
    if assistant.library.store.count() == 0:
        assistant.ingest()
    papers = {
        paper_id: (title_names(str(meta["title"]))[0], str(meta.get("links") or ""))
        for paper_id, meta in assistant.library.store.papers().items()
        if ":" in str(meta["title"]) and title_names(str(meta["title"]))
    }
    print("| form | split | linking code (n) | link given, paper first | others (n) | unmentioned | other |")
    print("|---|---|---|---|---|---|---|")
    for form, template in FORMS.items():
        for split in ("calibration", "report"):
            counts = dict.fromkeys(itertools.product(("linked", "unlinked"), (True, False)), 0)
            for paper_id, (name, links) in sorted(papers.items()):
                if split_of(paper_id) == split:
                    question = template.format(name=name)
                    kind, right = scored(assistant, question, paper_id, links, args.llm)
                    counts[kind, right] += 1
                    if args.show and not right:
                        print(f"  ({kind}) {question}")
            linked = counts["linked", True] + counts["linked", False]
            unlinked = counts["unlinked", True] + counts["unlinked", False]
            print(
                f"| {form} | {split} | {linked} | {counts['linked', True]} | {unlinked} | "
                f"{counts['unlinked', True]} | {counts['unlinked', False]} |"
            )


if __name__ == "__main__":
    main()
