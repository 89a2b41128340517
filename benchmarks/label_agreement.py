"""How far a second labelling of the list questions agrees with the dev set's gold papers.

`list_second_labels.jsonl` holds, for each list question of `dev_questions.jsonl` with several
gold papers, the 15 papers retrieval gives the extractive list to choose from (3 x k), judged
again from title and abstract by labellers who saw neither the gold papers, nor the ranking, nor
what the system lists (candidates shuffled). This prints their agreement with the gold papers on
those candidates (agreement, Cohen's kappa) and what each side marks relevant that the other
does not.

Run: python benchmarks/label_agreement.py [--json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rag.evaluate import normalize_title

HERE = Path(__file__).resolve().parent


def agreement(questions: Path, second: Path) -> dict[str, float | int]:
    """Counts and Cohen's kappa of the gold labels against the second labels, candidate by candidate."""
    gold = {}
    for line in questions.read_text(encoding="utf-8").splitlines():
        question = json.loads(line)
        gold[question["id"]] = {normalize_title(t) for t in question.get("gold_titles") or []}
    both = gold_only = second_only = neither = 0
    for line in second.read_text(encoding="utf-8").splitlines():
        labels = json.loads(line)
        relevant = {normalize_title(t) for t in labels["relevant_titles"]}
        for title in map(normalize_title, labels["judged_titles"]):
            in_gold, in_second = title in gold[labels["id"]], title in relevant
            both += in_gold and in_second
            gold_only += in_gold and not in_second
            second_only += in_second and not in_gold
            neither += not in_gold and not in_second
    n = both + gold_only + second_only + neither
    observed = (both + neither) / n
    relevant_by_chance = (both + gold_only) * (both + second_only)
    other_by_chance = (neither + second_only) * (neither + gold_only)
    chance = (relevant_by_chance + other_by_chance) / n**2
    return {
        "candidates": n,
        "both": both,
        "gold_only": gold_only,
        "second_only": second_only,
        "neither": neither,
        "agreement": round(observed, 3),
        "kappa": round((observed - chance) / (1 - chance), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default=str(HERE / "dev_questions.jsonl"))
    parser.add_argument("--second", default=str(HERE / "list_second_labels.jsonl"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = agreement(Path(args.questions), Path(args.second))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{result['candidates']} candidates: relevant to both {result['both']}, gold only "
        f"{result['gold_only']}, second labels only {result['second_only']}, neither {result['neither']}"
    )
    print(f"agreement {result['agreement']:.3f}, Cohen's kappa {result['kappa']:.3f}")


if __name__ == "__main__":
    main()
