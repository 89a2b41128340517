"""Follow-up questions (issue 5): does retrieval find the intended paper with and without condensing?

For each pair in benchmarks/followups.jsonl, a chat session asks the first question
(extractive answer), then the follow-up is retrieved three ways: as typed (no condensing),
condensed by the rule (the paper the previous answer cited first is carried along), and
condensed as the chat does with the local LLM (prompts/condense.txt; the bundled
SmolLM2-135M unless RAG_LOCAL_MODEL names a better GGUF): its rewrite when it is a
question, else the rule. Reported: the fraction of follow-ups whose top-3
papers contain the intended paper.

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
from rag.corpus import normalize_title

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
    if assistant.store.count() == 0:
        assistant.ingest()
    pairs = [json.loads(line) for line in (HERE / "followups.jsonl").read_text().splitlines() if line]
    ways = ["as typed", "rule", *([] if args.no_llm else ["local LLM"])]
    found = {way: 0 for way in ways}
    rows: list[dict[str, Any]] = []
    accepted = 0
    for pair in pairs:
        gold = normalize_title(pair["gold_titles"][0])
        session = ChatSession(assistant, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
        first = assistant.ask(pair["question"], llm="extractive")
        session.turns.append(Turn(pair["question"], pair["question"], first))
        queries = {"as typed": pair["followup"], "rule": carry_context(pair["followup"], session.turns[-1])}
        if not args.no_llm:
            history = [(pair["question"], first.text)]
            # What the chat does: the LLM's rewrite when it is a question, else the rule.
            condensed = assistant.condense(pair["followup"], history, llm="local")
            accepted += condensed is not None
            queries["local LLM"] = condensed or queries["rule"]
        row: dict[str, Any] = {"id": pair["id"], "followup": pair["followup"]}
        for way, query in queries.items():
            top = [normalize_title(h.title) for h in assistant.search(query, k=3)]
            hit = gold in top
            found[way] += hit
            row[way] = {"query": query, "hit": hit}
        rows.append(row)
    result = {way: round(found[way] / len(pairs), 3) for way in ways} | {"pairs": len(pairs)}
    if not args.no_llm:
        result["llm_rewrites_accepted"] = accepted
    if args.json:
        print(json.dumps({"top3_contains_intended": result, "per_pair": rows}, indent=2))
    else:
        print(f"{len(pairs)} follow-ups; fraction whose top-3 papers contain the intended paper:")
        for way in ways:
            print(f"  {way:10} {found[way]}/{len(pairs)} = {found[way] / len(pairs):.3f}")
        if not args.no_llm:
            print(f"LLM rewrites accepted (questions): {accepted}/{len(pairs)}; the rest used the rule")
            print("Questions searched for with the local LLM:")
            for row in rows:
                print(f"  {row['id']}: {row['local LLM']['query']!r}")


if __name__ == "__main__":
    main()
