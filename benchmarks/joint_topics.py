"""Lists asking for papers on two things at once ("which papers combine LoRA and mixture of
experts?"), over the bundled corpus. The pairs are made from PHRASES: a pair's gold papers are the
ones whose title or abstract writes both phrases (any of each phrase's written forms, by a rule of
this script, apart from the product's); pairs with 1 to 5 such papers are asked as "present",
pairs with none (though each phrase is written by at least 3 papers) as "absent". Each pair is asked
in one of FORMS, in turn. Reported per split (by a hash of the pair): for present pairs, cited-paper
recall and precision against the gold (a lower bound: a paper writing one of the two in other words
counts as wrong); for absent ones, the share answered without listing any paper (refused). --show
prints every answer. Extractive. Run with PYTHONPATH at an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/joint_topics.py [--store DIR] [--show]
"""

from __future__ import annotations

import hashlib
import itertools
import re
import statistics

from store_args import opened

# each phrase as asked, with the forms an abstract may write it in
PHRASES = {
    "lora": r"\blora\b|low-rank adaptation",
    "mixture of experts": r"mixture[- ]of[- ]experts?|\bmoe\b",
    "knowledge distillation": r"knowledge distillation",
    "vision transformers": r"vision transformers?|\bvits?\b",
    "clip": r"\bclip\b",
    "diffusion models": r"diffusion models?",
    "quantization": r"quantiz",
    "pruning": r"\bprun",
    "contrastive learning": r"contrastive learning",
    "few-shot learning": r"few-shot",
    "domain adaptation": r"domain adaptation",
    "reinforcement learning": r"reinforcement learning",
    "large language models": r"large language models?|\bllms?\b",
    "data augmentation": r"data augmentation",
    "federated learning": r"federated learning",
    "semantic segmentation": r"semantic segmentation",
    "object detection": r"object detection",
    "self-supervised learning": r"self-supervised",
    "instruction tuning": r"instruction[- ]tun",
    "neural architecture search": r"neural architecture search|\bnas\b",
    "zero-shot learning": r"zero-shot",
    "video generation": r"video generation",
    "code generation": r"code generation",
    "speech recognition": r"speech recognition",
}
FORMS = (
    "which papers combine {a} and {b}?",
    "papers that use both {a} and {b}",
    "are there papers combining {a} with {b}?",
)
MAX_GOLD = 5
MIN_WRITERS = 3


def split_of(pair: tuple[str, str]) -> str:
    """A pair's half, fixed by its phrases."""
    return "calibration" if hashlib.sha256(" & ".join(pair).encode()).digest()[0] % 2 == 0 else "report"


def pairs(texts: dict[str, str]) -> list[tuple[tuple[str, str], set[str]]]:
    """Every pair of phrases with its gold titles: present (1..MAX_GOLD) and absent (0) ones."""
    writers = {p: {t for t, text in texts.items() if re.search(f, text, re.I)} for p, f in PHRASES.items()}
    chosen = []
    for a, b in itertools.combinations(PHRASES, 2):
        both = writers[a] & writers[b]
        if 1 <= len(both) <= MAX_GOLD or (not both and min(len(writers[a]), len(writers[b])) >= MIN_WRITERS):
            chosen.append(((a, b), both))
    return chosen


def main() -> None:
    assistant, show = opened(__doc__.splitlines()[0], "rag-joint-", "print every answer")
    texts = {
        str(meta["title"]): f"{meta['title']}. {assistant.paper(paper_id).get('abstract', '')}"
        for paper_id, meta in assistant.library.store.papers().items()
    }
    results: dict[tuple[str, bool], list[tuple[float, float] | bool]] = {}
    for number, (pair, gold) in enumerate(pairs(texts)):
        question = FORMS[number % len(FORMS)].format(a=pair[0], b=pair[1])
        answer = assistant.ask(question, llm="extractive")
        cited = {c.paper.title for c in answer.citations} if not answer.refused else set()
        key = (split_of(pair), bool(gold))
        if gold:
            hit = len(cited & gold)
            results.setdefault(key, []).append((hit / len(gold), hit / len(cited) if cited else 1.0))
        else:
            results.setdefault(key, []).append(not cited)
        if show:
            kind = "present" if gold else "absent"
            print(f"{kind} {question!r} gold={sorted(gold)}\n  {answer.text[:600]!r}")
    print("| split | present pairs | recall | precision | absent pairs | nothing listed |")
    print("|---|---|---|---|---|---|")
    for split in ("calibration", "report"):
        present = [r for r in results.get((split, True), []) if isinstance(r, tuple)]
        absent = results.get((split, False), [])
        recall = statistics.mean(r for r, _ in present) if present else 0.0
        precision = statistics.mean(p for _, p in present) if present else 0.0
        listed = sum(bool(r) for r in absent) / len(absent) if absent else 0.0
        print(f"| {split} | {len(present)} | {recall:.3f} | {precision:.3f} | {len(absent)} | {listed:.3f} |")


if __name__ == "__main__":
    main()
