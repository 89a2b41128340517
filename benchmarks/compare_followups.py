"""Comparisons asked as follow-ups in a chat: are the papers of the last answer compared?

For each pair of papers of benchmarks/kinds/comparison.jsonl, a chat whose last answer cited the
two (as a list answer would) is asked each of FOLLOW_UPS ("how do they differ?", "which one
performs better?", ...) through `ChatSession.answer` (the chat's own condensing, no LLM), answered
extractively. Reported per follow-up and split: the answers citing both papers.
With --lists, each list and overview question of benchmarks/kinds is asked in a chat instead, and
after its answer each of AFTER_LISTS ("how do they differ?", "what datasets do they use?", ...);
reported per follow-up, split and how many papers the list cited: the share of them the follow-up's
answer cites, and the answers citing them all.
Run this script with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/compare_followups.py [--store DIR] [--lists]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from rag.answer import Answer, Citation, PaperRef
from rag.api import Assistant
from rag.chat import ChatSession, Turn
from rag.config import load_settings

HERE = Path(__file__).resolve().parent
FOLLOW_UPS = (
    "how do they differ?",
    "what is the difference between them?",
    "what do they have in common?",
    "how are they similar?",
    "which one performs better?",
    "which of them is faster?",
)


def comparison_pairs(store: str | None) -> tuple[Assistant, list[tuple[str, list[PaperRef]]]]:
    """An assistant over a store of the bundled corpus (a new one when none is given), and each pair
    of papers of kinds/comparison.jsonl with its split."""
    assistant = Assistant(load_settings(store_dir=store or tempfile.mkdtemp(prefix="rag-pairs-")))
    if assistant.library.store.count() == 0:
        assistant.ingest()
    ids = {str(meta["title"]): paper_id for paper_id, meta in assistant.library.store.papers().items()}
    rows = [
        json.loads(line) for line in (HERE / "kinds" / "comparison.jsonl").read_text().splitlines() if line
    ]
    return assistant, [
        (row["split"], [PaperRef(ids[title], title) for title in row["papers"]]) for row in rows
    ]


def after_citing(assistant: Assistant, papers: list[PaperRef]) -> ChatSession:
    """A chat (its own condensing, no LLM; extractive answers) whose last answer cited these papers
    as [1], [2], ..., as a list answer would."""
    citations = [Citation(number, paper, "") for number, paper in enumerate(papers, 1)]
    last = Turn("which papers ...?", "which papers ...?", Answer("", "", citations, [], backend="extractive"))
    session = ChatSession(assistant, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
    session.turns.append(last)
    return session


# asked of a list's papers after it: a comparison, then questions asked of each
AFTER_LISTS = (
    "how do they differ?",
    "what datasets do they use?",
    "what do they propose?",
    "how well do they perform?",
    "which of them performs best?",
    "what are the limitations?",
)


def after_lists(assistant: Assistant) -> None:
    """Each list and overview question, then each of AFTER_LISTS: the list's papers answered."""
    rows = [
        json.loads(line)
        for kind in ("list", "overview")
        for line in (HERE / "kinds" / f"{kind}.jsonl").read_text().splitlines()
        if line
    ]
    tally: dict[tuple[str, str, str], list[float]] = {}
    for row in rows:
        session = ChatSession(assistant, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
        stream = session.answer(row["question"])
        listed = stream.finish()
        assert stream.query is not None
        session.turns.append(Turn(row["question"], stream.query.text, listed))
        papers = {c.paper.paper_id for c in listed.citations}
        if len(papers) < 2:
            continue
        for follow_up in AFTER_LISTS:
            cited = {c.paper.paper_id for c in session.answer(follow_up).finish().citations}
            size = "2-4" if len(papers) <= 4 else "5+"
            for key in ((follow_up, row["split"], size), (follow_up, row["split"], "all")):
                counts = tally.setdefault(key, [0, 0.0, 0])
                counts[0] += 1
                counts[1] += len(papers & cited) / len(papers)
                counts[2] += papers <= cited
    print("| follow-up | split | papers listed | asked | share of them cited | all cited |")
    print("|---|---|---|---|---|---|")
    for (follow_up, split, size), (asked, share, every) in sorted(tally.items()):
        print(f"| {follow_up} | {split} | {size} | {asked} | {share / asked:.3f} | {every / asked:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="a store of the bundled corpus (default: a new one)")
    parser.add_argument("--lists", action="store_true", help='"how do they differ?" after list questions')
    args = parser.parse_args()
    if args.lists:
        after_lists(Assistant(load_settings(store_dir=args.store or tempfile.mkdtemp(prefix="rag-lists-"))))
        return
    assistant, pairs = comparison_pairs(args.store)
    tally: dict[tuple[str, str], list[int]] = {}
    for split, papers in pairs:
        for follow_up in FOLLOW_UPS:
            cited = {
                c.paper.paper_id for c in after_citing(assistant, papers).answer(follow_up).finish().citations
            }
            counts = tally.setdefault((follow_up, split), [0, 0])
            counts[0] += 1
            counts[1] += {p.paper_id for p in papers} <= cited
    print("| follow-up | split | asked | both papers cited |\n|---|---|---|---|")
    for (follow_up, split), (asked, both) in sorted(tally.items()):
        print(f"| {follow_up} | {split} | {asked} | {both / asked:.3f} |")


if __name__ == "__main__":
    main()
