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

import re

from findings import OPENING, ask_forms, judge_by, named_papers
from store_args import opened

from rag.citations import split_sentences

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


judged = judge_by(reports_speed, "speed")


def main() -> None:
    assistant, show = opened(__doc__.splitlines()[0], "rag-speed-", "print every answer not scored 'speed'")
    named = named_papers(
        assistant,
        lambda abstract: any(reports_speed(s, abstract.strip()[:60]) for s in split_sentences(abstract)),
    )
    ask_forms(assistant, named, FORMS, judged, "speed", show, f"{len(named)} papers")


if __name__ == "__main__":
    main()
