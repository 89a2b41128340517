"""The hardware a paper runs on, over the bundled corpus: for every paper whose title has a short name
("GIM" of "GIM: Learning ..."), asked in each of FORMS ("what hardware does NAME use?", ...). The
judge below is written for this benchmark and kept apart from the product's rules. For a paper whose
abstract names hardware (a GPU, TPU, CPU, NVIDIA card, device, accelerator ...), an answer citing
it first is scored "hardware" when a sentence it quotes names hardware, "other" else. For a paper
whose abstract names none, it is scored "says none" when it quotes no sentence of the abstract,
"quotes" else. "not first" when it cites another paper first (or none). Reported per form, split
(a paper's split by its id) and whether the abstract names hardware; --show prints every answer not
scored "hardware" or "says none". Run with PYTHONPATH set to an earlier checkout for the "before"
figures.

Run: .venv/bin/python benchmarks/hardware.py [--store DIR] [--show]
"""

from __future__ import annotations

import re

from findings import CITED, ask_forms, named_papers
from store_args import opened

FORMS = {
    "what hardware": "what hardware does {name} use?",
    "which gpus": "which gpus does {name} need?",
}
HARDWARE = re.compile(
    r"\b(gpu|tpu|cpu|nvidia|a100|v100|h100|a6000|rtx|hardware|devices?|accelerators?|fpga|smartphones?"
    r"|laptops?)s?\b",
    re.IGNORECASE,
)


def judged(answer_text: str, abstract: str) -> str:
    """ "hardware", "other", "says none" or "quotes" (see the module's text)."""
    quoted = [s.strip() for s in CITED.split(answer_text) if s.strip()]
    if HARDWARE.search(abstract):
        return "hardware" if any(HARDWARE.search(s) for s in quoted) else "other"
    return "quotes" if any(s.rstrip(".") in abstract for s in quoted) else "says none"


def main() -> None:
    assistant, show = opened(__doc__.splitlines()[0], "rag-hardware-", "print every answer not scored right")
    named = named_papers(assistant)
    for names_it in (True, False):
        papers = {k: v for k, v in named.items() if bool(HARDWARE.search(v[1])) is names_it}
        scored, kinds = ("hardware", ("other",)) if names_it else ("says none", ("quotes",))
        heading = f"\n{len(papers)} papers whose abstract {'names' if names_it else 'names no'} hardware"
        ask_forms(assistant, papers, FORMS, judged, scored, show, heading, kinds)


if __name__ == "__main__":
    main()
