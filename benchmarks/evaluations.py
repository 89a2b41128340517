"""How a paper is evaluated, over the bundled corpus: for every paper whose title has a short name
("GIM" of "GIM: Learning ..."), asked in each of FORMS ("how is NAME evaluated?", "what does NAME
compare against?", ...). An answer is scored "evaluation" when it cites that paper first and a
sentence it quotes reports how the paper was evaluated by the judge below, written for this
benchmark and kept apart from the product's rules: experiments, benchmarks, datasets, baselines, a
comparison, a metric or a percentage. "background" when it quotes a sentence opening with the field
or earlier work ("However, ...", "Existing ...") or the abstract's first sentence; "refused" when it
answers that the papers don't say; "not first" when it cites another paper first; "other" else.
Papers whose abstract has no sentence the judge takes for an evaluation are left out. Reported per
form and split (a paper's split by its id); --show prints every answer not scored "evaluation". Run
with PYTHONPATH set to an earlier checkout for the "before" figures.

Run: .venv/bin/python benchmarks/evaluations.py [--store DIR] [--show]
"""

from __future__ import annotations

import re

from findings import OPENING, ask_forms, judge_by, named_papers
from store_args import opened

from rag.citations import split_sentences

FORMS = {
    "how is": "how is {name} evaluated?",
    "how was": "how was {name} evaluated?",
    "authors": "how do the authors evaluate {name}?",
    "experiments": "what experiments does {name} run?",
    "compared": "what does {name} compare against?",
    "baselines": "what baselines is {name} compared to?",
    "compared to": "what is {name} compared to?",
}
_EVALUATED = re.compile(
    r"\b(experiment\w*|evaluat\w*|benchmark\w*|datasets?|tested|tests? on|compar\w*|baselines?|relative to"
    r"|outperform\w*|surpass\w*|state-of-the-art|SOTA|accuracy|mAP|BLEU|F1|scores?|metrics?)\b|\d\s*%",
    re.IGNORECASE,
)


def is_evaluation(sentence: str, first: str) -> bool:
    """Whether a sentence (not the abstract's first, whose opening is `first`) reports an evaluation."""
    return bool(_EVALUATED.search(sentence)) and not OPENING.search(sentence) and sentence[:60] != first


judged = judge_by(is_evaluation, "evaluation")


def main() -> None:
    assistant, show = opened(
        __doc__.splitlines()[0], "rag-evaluations-", "print every answer not scored 'evaluation'"
    )
    named = named_papers(
        assistant,
        lambda abstract: any(is_evaluation(s, abstract.strip()[:60]) for s in split_sentences(abstract)),
    )
    kinds = ("background", "other", "refused")
    ask_forms(assistant, named, FORMS, judged, "evaluation", show, f"{len(named)} papers", kinds)


if __name__ == "__main__":
    main()
