"""Evidence into prompts: numbered sources in tags, instructions defused, the template the query's
kind asks for."""

from __future__ import annotations

import re

from .answer import Source
from .injection import defuse
from .prompts import Prompts
from .query import Query

Messages = list[dict[str, str]]


def _escape(text: str) -> str:
    # Angle brackets become look-alike quotes so no source can open or close a <source> tag, nor
    # write a chat template's tokens ("<|im_end|>"); a comparison stays as written ("<1M parameters",
    # "p < 0.05": the model copied "\u20391M" before).
    return _TAG_START.sub("\u2039", text)  # every tag and template token opens with "<"


_TAG_START = re.compile(r"<(?!\s*[\d.=$~-])")


def format_sources(sources: list[Source], evidence: dict[int, str] | None = None) -> str:
    """The numbered sources in <source> tags (they read as data): the chosen evidence, if any,
    of the papers it names; else every source with its best chunk."""
    blocks = []
    for s in sources:
        if evidence is not None and s.number not in evidence:
            continue
        text = s.evidence if evidence is None else evidence[s.number]
        title = _escape(defuse(s.paper.title) if s.paper.title else "(untitled)")
        blocks.append(f'<source id="{s.number}">\nTitle: {title}\n{_escape(defuse(text))}\n</source>')
    return "\n\n".join(blocks)


def system_message(prompts: Prompts) -> dict[str, str]:
    """The answers' system message: the same tokens open every request to a model (answers and a
    chat's condensing), so a local model keeps them evaluated from one request to the next."""
    return {"role": "system", "content": prompts.system.format()}


def build_messages(
    prompts: Prompts, query: Query, sources: list[Source], evidence: dict[int, str] | None = None
) -> Messages:
    """The chat messages: the system rules (a fixed prefix the model caches), then sources and
    question, in the list template for a "which papers ..." question, the figure template for one
    asking for a number, the compare template for a comparison, the each template for a question
    asked of each of several papers, the yesno one for a yes/no question."""
    template = prompts.answer
    if query.is_list:
        template = prompts.list
    elif query.asks_figure:
        template = prompts.figure
    elif query.sides:
        template = prompts.compare if query.kind == "comparison" else prompts.each
    elif query.kind == "yesno":
        template = prompts.yesno
    # "how many papers ...?" is asked as the list it is: the answer's count is of the papers it lists,
    # and a model counting for itself may miss those the list then gets added
    question = query.counted_as or query.text
    return [
        system_message(prompts),
        {
            "role": "user",
            "content": template.format(sources=format_sources(sources, evidence), question=question),
        },
    ]
