"""Papers of the last answer pointed at by place, number or "them" in a chat: are they answered?

For each pair of papers of benchmarks/kinds/comparison.jsonl, a chat whose last answer cited the
two as [1] and [2] (as a list answer would) is asked about them by place ("who wrote the first
one?", "the latter"), by number ("[2]") or together ("who wrote them?") through
`ChatSession.answer` (the chat's own condensing, no LLM), answered extractively; a chain asks its
questions in turn and scores the last ("tell me more about the first one", then "how do they
differ?"). Reported per split: the answers citing every paper pointed at, the first one first, and
the refused ones.
Run this script with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/ordinal_followups.py [--store DIR]
"""

from __future__ import annotations

import argparse

from compare_followups import after_citing, comparison_pairs

from rag.followups import Turn

# each follow-up (or chain of them), and which of the two papers (0: [1], 1: [2]) it points at
FOLLOW_UPS: tuple[tuple[str | tuple[str, ...], tuple[int, ...]], ...] = (
    ("who wrote the first one?", (0,)),
    ("tell me more about the second one", (1,)),
    ("what does [2] propose?", (1,)),
    ("does the first paper use a transformer?", (0,)),
    ("what is the latter about?", (1,)),
    ("compare the first two", (0, 1)),
    ("who wrote them?", (0, 1)),
    ("when were they published?", (0, 1)),
    (("tell me more about the first one", "how do they differ?"), (0, 1)),
    (("what does [2] propose?", "how do they compare?"), (0, 1)),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="a store of the bundled corpus (default: a new one)")
    args = parser.parse_args()
    assistant, pairs = comparison_pairs(args.store)
    tally: dict[str, list[int]] = {}
    for split, papers in pairs:
        for follow_up, places in FOLLOW_UPS:
            *before, last = (follow_up,) if isinstance(follow_up, str) else follow_up
            session = after_citing(assistant, papers)
            for question in before:
                stream = session.answer(question)
                earlier = stream.finish()
                assert stream.query is not None
                session.turns.append(Turn(question, stream.query.text, earlier))
            answer = session.answer(last).finish()
            counts = tally.setdefault(split, [0, 0, 0])
            counts[0] += 1
            cited = [c.paper.paper_id for c in answer.citations]
            pointed = [papers[place].paper_id for place in places]
            counts[1] += cited[:1] == pointed[:1] and set(pointed) <= set(cited)
            counts[2] += answer.refused
    print("| split | follow-ups | the papers pointed at cited, the first first | refused |")
    print("|---|---|---|---|")
    for split, (asked, first, refused) in sorted(tally.items()):
        print(f"| {split} | {asked} | {first / asked:.3f} | {refused / asked:.3f} |")


if __name__ == "__main__":
    main()
