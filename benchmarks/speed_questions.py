"""How fast a paper's method is, over the bundled corpus: for every paper whose title has a short
name ("GIM" of "GIM: Learning ...") and whose abstract reports a speed, asked in each of FORMS ("how
fast is NAME?", "what speedup does NAME give?", ...). An answer is scored "speed" when it cites that
paper first and a sentence it quotes reports a speed by the judge below, written for this benchmark
and kept apart from the product's rules: a word of speed (fast, speedup, latency, throughput,
real-time, accelerate), or a time (hours, seconds, ms) or a factor ("3.25x") after a number.
"background" when it quotes a sentence opening with the field or earlier work ("However, ...",
"Existing ...") or the abstract's first sentence; "not first" when it cites another paper first;
"other" else. Reported per form and split (a paper's split by its id); --show prints every answer
not scored "speed". Run with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/speed_questions.py [--store DIR] [--show]
"""

from __future__ import annotations

import argparse
import itertools
import re
import tempfile

from findings import CITED, OPENING, split_of

from rag.api import Assistant
from rag.citations import split_sentences
from rag.config import load_settings
from rag.library.names import title_names

FORMS = {
    "how fast": "how fast is {name}?",
    "speedup": "what speedup does {name} give?",
    "how long": "how long does {name} take?",
    "is fast": "is {name} fast?",
    "inference speed": "what is the inference speed of {name}?",
}
_SPEED = re.compile(
    r"\b(fast\w*|speed\w*|quick\w*|latency|throughput|real-time|accelerat\w*|wall-clock|runtime)\b"
    r"|\d\s*(x|\u00d7|times)\s+(faster|speed|less time|fewer)"
    r"|\b(\d[\d.,]*|one|two|three|four|five|six|seven|eight|nine|ten|a few|several|few)\s*(GPU[- ])?"
    r"(hours?|hrs?|minutes?|mins?|seconds?|secs?|ms|milliseconds?)\b",
    re.IGNORECASE,
)


def reports_speed(sentence: str, first: str) -> bool:
    """Whether a sentence (not the abstract's first, whose opening is `first`) reports a speed."""
    return bool(_SPEED.search(sentence)) and not OPENING.search(sentence) and sentence[:60] != first


def judged(answer_text: str, abstract: str) -> str:
    """'background' when a quoted sentence sets the scene, else 'speed' when one reports a speed."""
    quoted = [s.strip() for s in CITED.split(answer_text) if s.strip()]
    if not quoted:
        return "other"
    first = abstract.strip()[:60]
    if any(OPENING.search(s) or s[:60] == first for s in quoted):
        return "background"
    return "speed" if any(reports_speed(s, first) for s in quoted) else "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="a store of the bundled corpus (default: a new one)")
    parser.add_argument("--show", action="store_true", help="print every answer not scored 'speed'")
    args = parser.parse_args()
    assistant = Assistant(load_settings(store_dir=args.store or tempfile.mkdtemp(prefix="rag-speed-")))
    if assistant.library.store.count() == 0:
        assistant.ingest()
    names = {}
    for paper_id, meta in assistant.library.store.papers().items():
        title = str(meta["title"])
        abstract = str(assistant.paper(paper_id).get("abstract", ""))
        first = abstract.strip()[:60]
        fast = any(reports_speed(s, first) for s in split_sentences(abstract))
        if ":" in title and title_names(title) and fast:
            names[title_names(title)[0]] = (paper_id, abstract)
    counts: dict[tuple[str, str, str], int] = {}
    asked = itertools.product(sorted(names.items()), FORMS.items())
    for (name, (paper_id, abstract)), (form, template) in asked:
        answer = assistant.ask(template.format(name=name), llm="extractive")
        first = bool(answer.citations) and answer.citations[0].paper.paper_id == paper_id
        kind = judged(answer.text, abstract) if first else "not first"
        key = (form, split_of(paper_id), kind)
        counts[key] = counts.get(key, 0) + 1
        if args.show and kind != "speed":
            print(f"{kind:10} {template.format(name=name)!r}: {answer.text[:200]!r}")
    kinds = ("speed", "background", "other", "not first")
    print(f"{len(names)} papers\n| form | split | " + " | ".join(kinds) + " |\n|---|---|---|---|---|---|")
    for form, split in itertools.product(FORMS, ("calibration", "report")):
        row = [counts.get((form, split, kind), 0) for kind in kinds]
        print(f"| {form} | {split} | " + " | ".join(map(str, row)) + " |")


if __name__ == "__main__":
    main()
