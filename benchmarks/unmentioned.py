"""Whether a paper uses a technique its abstract never writes, over the bundled corpus: for every
paper whose title has a short name ("GIM" of "GIM: Learning ..."), "does NAME use TECHNIQUE?" for
each technique of TECHNIQUES. The judge below is written for this benchmark and kept apart from the
product's rules: an abstract (with its title) "writes" a technique when it has every word of it (in
lower case, a word's plural too) or its acronym. When it does not, the right answer cites the paper
first and says it does not know ("don't say", "does not mention"), "quotes" when it quotes a sentence
instead, "wrong" when it answers yes or no. When it does, "claims absence" when it says the abstract
does not mention it, "answered" else. Reported per split (a paper's split by its id); --show prints
every answer not right. Run with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/unmentioned.py [--store DIR] [--show]
"""

from __future__ import annotations

import re

from findings import named_papers, split_of
from store_args import opened

TECHNIQUES = {
    "reinforcement learning": "RL",
    "knowledge distillation": "KD",
    "contrastive learning": "",
    "a diffusion model": "",
    "graph neural networks": "GNN",
    "low-rank adaptation": "LoRA",
    "a transformer": "",
    "data augmentation": "",
    "a large language model": "LLM",
    "adversarial training": "",
}
_UNSURE = re.compile(r"\b(?:don't say|does not mention|do not say)\b", re.IGNORECASE)
_VERDICT = re.compile(r"^\s*(?:yes|no)\b", re.IGNORECASE)


def writes(abstract: str, technique: str, acronym: str) -> bool:
    """Whether the text has every word of the technique (or a plural of it), or its acronym."""
    words = set(re.findall(r"[a-z0-9-]+", abstract.lower()))
    needed = [w for w in technique.lower().split() if w not in ("a", "an")]
    has_words = all(w in words or f"{w}s" in words or w.rstrip("s") in words for w in needed)
    return has_words or bool(acronym and re.search(rf"\b{acronym}s?\b", abstract))


def main() -> None:
    assistant, show = opened(__doc__.splitlines()[0], "rag-unmentioned-", "print every answer not right")
    counts: dict[tuple[str, str], int] = {}
    for name, (paper_id, abstract) in sorted(named_papers(assistant).items()):
        title = str(assistant.paper(paper_id)["title"])
        for technique, acronym in TECHNIQUES.items():
            question = f"does {name} use {technique}?"
            answer = assistant.ask(question, llm="extractive")
            first = bool(answer.citations) and answer.citations[0].paper.paper_id == paper_id
            if writes(f"{title} {abstract}", technique, acronym):
                kind = "claims absence" if "does not mention" in answer.text else "answered"
            elif not first:
                kind = "not first"
            else:
                kind = (
                    "unsure"
                    if _UNSURE.search(answer.text)
                    else "wrong"
                    if _VERDICT.match(answer.text)
                    else "quotes"
                )
            key = (split_of(paper_id), kind)
            counts[key] = counts.get(key, 0) + 1
            if show and kind not in ("unsure", "answered"):
                print(f"{kind:14} {question!r}: {answer.text[:160]!r}")
    kinds = ("unsure", "quotes", "wrong", "not first", "answered", "claims absence")
    print("| split | " + " | ".join(kinds) + " |\n|---|" + "---|" * len(kinds))
    for split in ("calibration", "report"):
        print(f"| {split} | " + " | ".join(str(counts.get((split, k), 0)) for k in kinds) + " |")


if __name__ == "__main__":
    main()
