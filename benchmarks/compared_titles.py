"""A paper whose title is its only name, compared in a chat: for each paper of the bundled corpus
without a short name, "tell me about TITLE", then "how does it compare to NAME?", NAME the short
name of another paper drawn at random (seed 5). Reported: follow-ups whose answer cites both
papers and only them, overall and for titles writing "and" (a comparison's form would split
them); --show prints the others. Run this script with PYTHONPATH set to an earlier checkout for
the "before" figures.

Run: .venv/bin/python benchmarks/compared_titles.py [--store DIR] [--show]
"""

from __future__ import annotations

import random

from store_args import opened

from rag.chat import ChatSession
from rag.followups import Turn
from rag.library.names import title_names


def main() -> None:
    assistant, show = opened(
        __doc__.splitlines()[0], "rag-titles-", "print every follow-up not answered from both"
    )
    titles = sorted(str(meta["title"]) for meta in assistant.library.store.papers().values())
    untitled = [title for title in titles if not title_names(title)]
    named = [title_names(title)[0] for title in titles if ":" in title and title_names(title)]
    draw = random.Random(5)
    counts = {"all": [0, 0], "writing 'and'": [0, 0]}  # [asked, both cited]
    for title in untitled:
        other = draw.choice(named)
        session = ChatSession(assistant, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
        opening = f"tell me about {title}"
        first = session.answer(opening).finish()
        if not first.citations or first.citations[0].paper.title != title:
            continue  # the opening found another paper: no follow-up to ask
        session.turns.append(Turn(opening, opening, first))
        cited = {c.paper.title for c in session.answer(f"how does it compare to {other}?").finish().citations}
        both = len(cited) == 2 and title in cited and any(other.casefold() in t.casefold() for t in cited)
        for group in ("all", "writing 'and'") if " and " in title else ("all",):
            counts[group][0] += 1
            counts[group][1] += both
        if show and not both:
            print(f"{title[:70]!r} vs {other!r}: {sorted(t[:40] for t in cited)}")
    print("| titles | compared | both papers and only they cited |\n|---|---|---|")
    for group, (asked, both) in counts.items():
        print(f"| {group} | {asked} | {both} |")


if __name__ == "__main__":
    main()
