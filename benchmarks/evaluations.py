"""How a paper is evaluated, over the bundled corpus: for every paper whose title has a short name
("GIM" of "GIM: Learning ..."), asked in each of FORMS ("how is NAME evaluated?", "what does NAME
compare against?", ...). An answer is scored "evaluation" when it cites that paper first and a
sentence it quotes reports how the paper was evaluated by the judge below, written for this
benchmark and kept apart from the product's rules: experiments, benchmarks, datasets, baselines, a
comparison, a metric or a percentage. "background" when it quotes a sentence opening with the field
or earlier work ("However, ...", "Existing ...") or the abstract's first sentence; "not first" when
it cites another paper first; "other" else. Papers whose abstract has no sentence the judge takes
for an evaluation are left out. Reported per form and split (a paper's split by its id); --show
prints every answer not scored "evaluation". Run with PYTHONPATH set to an earlier checkout for the
"before" figures.

Run: .venv/bin/python benchmarks/evaluations.py [--store DIR] [--show]
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
    "how is": "how is {name} evaluated?",
    "how was": "how was {name} evaluated?",
    "authors": "how do the authors evaluate {name}?",
    "experiments": "what experiments does {name} run?",
    "compared": "what does {name} compare against?",
    "baselines": "what baselines is {name} compared to?",
}
_EVALUATED = re.compile(
    r"\b(experiment\w*|evaluat\w*|benchmark\w*|datasets?|tested|tests? on|compar\w*|baselines?|relative to"
    r"|outperform\w*|surpass\w*|state-of-the-art|SOTA|accuracy|mAP|BLEU|F1|scores?|metrics?)\b|\d\s*%",
    re.IGNORECASE,
)


def is_evaluation(sentence: str, first: str) -> bool:
    """Whether a sentence (not the abstract's first, whose opening is `first`) reports an evaluation."""
    return bool(_EVALUATED.search(sentence)) and not OPENING.search(sentence) and sentence[:60] != first


def judged(answer_text: str, abstract: str) -> str:
    """'background' when a quoted sentence sets the scene, else 'evaluation' when one reports it."""
    quoted = [s.strip() for s in CITED.split(answer_text) if s.strip()]
    if not quoted:
        return "other"
    first = abstract.strip()[:60]
    if any(OPENING.search(s) or s[:60] == first for s in quoted):
        return "background"
    return "evaluation" if any(is_evaluation(s, first) for s in quoted) else "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="a store of the bundled corpus (default: a new one)")
    parser.add_argument("--show", action="store_true", help="print every answer not scored 'evaluation'")
    args = parser.parse_args()
    assistant = Assistant(load_settings(store_dir=args.store or tempfile.mkdtemp(prefix="rag-evaluations-")))
    if assistant.library.store.count() == 0:
        assistant.ingest()
    names = {}
    for paper_id, meta in assistant.library.store.papers().items():
        title = str(meta["title"])
        abstract = str(assistant.paper(paper_id).get("abstract", ""))
        first = abstract.strip()[:60]
        evaluated = any(is_evaluation(s, first) for s in split_sentences(abstract))
        if ":" in title and title_names(title) and evaluated:
            names[title_names(title)[0]] = (paper_id, abstract)
    counts: dict[tuple[str, str, str], int] = {}
    asked = itertools.product(sorted(names.items()), FORMS.items())
    for (name, (paper_id, abstract)), (form, template) in asked:
        answer = assistant.ask(template.format(name=name), llm="extractive")
        first = bool(answer.citations) and answer.citations[0].paper.paper_id == paper_id
        kind = judged(answer.text, abstract) if first else "not first"
        key = (form, split_of(paper_id), kind)
        counts[key] = counts.get(key, 0) + 1
        if args.show and kind != "evaluation":
            print(f"{kind:10} {template.format(name=name)!r}: {answer.text[:200]!r}")
    kinds = ("evaluation", "background", "other", "not first")
    print(f"{len(names)} papers\n| form | split | " + " | ".join(kinds) + " |\n|---|---|---|---|---|---|")
    for form, split in itertools.product(FORMS, ("calibration", "report")):
        row = [counts.get((form, split, kind), 0) for kind in kinds]
        print(f"| {form} | {split} | " + " | ".join(map(str, row)) + " |")


if __name__ == "__main__":
    main()
