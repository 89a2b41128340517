"""'what about NAME?' in a chat after an answer about another paper: the same question about NAME?

For each paper Z with a short name ("GIM" of "GIM: Learning ..."), a chat first asks a question of
FORMS about the paper before it in title order (X), then "what about Z?", through
`ChatSession.answer` (the chat's own rules, no LLM), answered extractively. The second answer is
scored as `findings.py` or `evaluations.py` score the form asked directly: "right" when it cites Z
first and quotes what the form asks for by that script's judge (written apart from the product's
rules), "not first" when it cites another paper first, "other" else. For the evaluation form, only
papers whose abstract has a sentence that judge takes for an evaluation. Per form and split (by
Z's id). Run with PYTHONPATH at an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/asked_again.py [--store DIR] [--show]
"""

from __future__ import annotations

import itertools

import evaluations
import findings
from store_args import opened

from rag.chat import ChatSession, Turn
from rag.citations import split_sentences
from rag.library.names import title_names

FORMS = {"find": "what does {name} find?", "evaluated": "how is {name} evaluated?"}
JUDGES = {"find": (findings.judged, "finding"), "evaluated": (evaluations.judged, "evaluation")}


def main() -> None:
    assistant, show = opened(__doc__.splitlines()[0], "rag-again-", "print every answer not scored right")
    papers = sorted(
        (title_names(str(meta["title"]))[0], paper_id, str(assistant.paper(paper_id).get("abstract", "")))
        for paper_id, meta in assistant.library.store.papers().items()
        if ":" in str(meta["title"]) and title_names(str(meta["title"]))
    )
    counts: dict[tuple[str, str, str], int] = {}
    for (form, template), (before, after) in itertools.product(FORMS.items(), itertools.pairwise(papers)):
        name, paper_id, abstract = after
        first = abstract.strip()[:60]
        if form == "evaluated" and not any(
            evaluations.is_evaluation(s, first) for s in split_sentences(abstract)
        ):
            continue
        session = ChatSession(assistant, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
        opening = template.format(name=before[0])
        session.turns.append(Turn(opening, opening, assistant.ask(opening, llm="extractive")))
        answer = session.answer(f"what about {name}?").finish()
        judge, right = JUDGES[form]
        cited_first = bool(answer.citations) and answer.citations[0].paper.paper_id == paper_id
        kind = (
            "not first" if not cited_first else "right" if judge(answer.text, abstract) == right else "other"
        )
        key = (form, findings.split_of(paper_id), kind)
        counts[key] = counts.get(key, 0) + 1
        if show and kind != "right":
            print(f"{kind:9} {opening!r} -> 'what about {name}?': {answer.text[:200]!r}")
    kinds = ("right", "other", "not first")
    print("| form | split | " + " | ".join(kinds) + " |\n|---|---|---|---|---|")
    for form, split in itertools.product(FORMS, ("calibration", "report")):
        row = [counts.get((form, split, kind), 0) for kind in kinds]
        print(f"| {form} | {split} | " + " | ".join(map(str, row)) + " |")


if __name__ == "__main__":
    main()
