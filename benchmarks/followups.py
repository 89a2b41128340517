"""Follow-ups and new topics in a chat: does retrieval find the intended paper?

For each pair in benchmarks/followups.jsonl, a chat session asks the first question
(extractive answer), then the second question is retrieved: as typed, always with the rule
(the paper the previous answer cited first carried along), as the chat decides without an
LLM (by evidence: the contextual search only when it is clearly stronger), and as the chat
decides with the local LLM (its rewrite when it is a question; the bundled SmolLM2-135M unless
RAG_LOCAL_MODEL names a better GGUF). Pairs are of two kinds: "follow-up" (the second question
only makes sense in context) and "new-topic" (a standalone question about another paper).
A third kind, "off-topic", asks something no paper answers ("who won the 1998 football world
cup?"): it is right when searched as typed, and the chat's answer refuses.
Reported per kind: the fraction whose top-3 papers contain the intended paper (off-topic: searched
as typed); and, for the evidence the chat (without an LLM) answers from, the first paper right (a
follow-up stays on its paper, a new topic leaves it; an off-topic question is refused) per kind
and split (calibration, report) and per kind and form of the second question (pronoun,
possessive, "the authors", ellipsis, none).
Run this script with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/followups.py [--store DIR] [--no-llm] [--json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from rag.api import Assistant
from rag.chat import ChatSession, Turn, carry_context
from rag.config import load_settings
from rag.library.corpus import normalize_title

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--store", default=None, help="a store holding the bundled corpus (default: a new temp one)"
    )
    parser.add_argument("--no-llm", action="store_true", help="skip LLM condensing")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    assistant = Assistant(load_settings(store_dir=args.store or tempfile.mkdtemp(prefix="rag-fu-")))
    if assistant.library.store.count() == 0:
        assistant.ingest()
    pairs = [json.loads(line) for line in (HERE / "followups.jsonl").read_text().splitlines() if line]
    ways = ["as typed", "rule", "chat", *([] if args.no_llm else ["chat + local LLM"])]
    kinds = sorted({pair["kind"] for pair in pairs})
    found = {(kind, way): 0 for kind in kinds for way in ways}
    rows: list[dict[str, Any]] = []
    accepted = 0
    firsts: dict[tuple[str, str], list[int]] = {}
    for pair in pairs:
        gold = normalize_title(pair["gold_titles"][0]) if pair["gold_titles"] else None
        session = ChatSession(assistant, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
        first = assistant.ask(pair["question"], llm="extractive")
        session.turns.append(Turn(pair["question"], pair["question"], first))
        chosen = session.evidence(pair["followup"])[0]
        queries = {
            "as typed": pair["followup"],
            "rule": carry_context(pair["followup"], session.turns[-1]),
            "chat": chosen.query.text,
        }
        if gold is None:  # off-topic: no paper answers it, and the chat must say so
            right = assistant.answer(chosen, llm="extractive").finish().refused
        else:
            right = bool(chosen.sources) and normalize_title(chosen.sources[0].paper.title) == gold
        for group in ((pair["kind"], pair["split"]), (pair["kind"], pair["form"])):
            firsts.setdefault(group, [0, 0])
            firsts[group][0] += right
            firsts[group][1] += 1
        if not args.no_llm:
            session.llm, session.condense_with_llm = "local", True
            queries["chat + local LLM"] = session.evidence(pair["followup"])[0].query.text
            accepted += queries["chat + local LLM"] not in (queries["as typed"], queries["rule"])
        row: dict[str, Any] = {"id": pair["id"], "kind": pair["kind"], "followup": pair["followup"]}
        row["first"] = chosen.sources[0].paper.title if chosen.sources else None
        for way, query in queries.items():
            top = [normalize_title(h.paper.title) for h in assistant.search(query, k=3)]
            hit = gold in top if gold else query == pair["followup"]
            found[pair["kind"], way] += hit
            row[way] = {"query": query, "hit": hit}
        rows.append(row)
    totals = {kind: sum(1 for p in pairs if p["kind"] == kind) for kind in kinds}
    result: dict[str, Any] = {
        kind: {way: f"{found[kind, way]}/{totals[kind]}" for way in ways} for kind in kinds
    }
    if not args.no_llm:
        result["llm_rewrites_accepted"] = accepted
    result["chat_first_paper_right"] = {f"{k} {g}": f"{a}/{n}" for (k, g), (a, n) in sorted(firsts.items())}
    if args.json:
        print(json.dumps({"top3_contains_intended": result, "per_pair": rows}, indent=2))
    else:
        print("second questions whose top-3 papers contain the intended paper:")
        for kind in kinds:
            print(f"  {kind:10} " + "  ".join(f"{way}: {result[kind][way]}" for way in ways))
        if not args.no_llm:
            print(f"LLM rewrites used: {accepted}/{len(pairs)}")
        print("chat's evidence, first paper right (follow-up: stays; new-topic: leaves; off-topic: refused):")
        for group, figure in result["chat_first_paper_right"].items():
            print(f"  {group:30} {figure}")
        for row in rows:
            print(
                f"  {row['id']}: chat searched {row['chat']['query']!r}"
                + ("" if row["chat"]["hit"] else " (miss)")
                + f"; first: {row['first']!r}"
            )


if __name__ == "__main__":
    main()
