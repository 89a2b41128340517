"""How often the sentence `rag mcp` gives as a citation's evidence is the one the answer quotes.

Extractive answers quote their papers' sentences word for word, so for them the right evidence is
known: the sentence of the cited paper that the answer's sentence citing it contains. For every
answered question of benchmarks/dev_questions.jsonl, per split, this counts the citations whose
evidence (rag/quotes.py, over the paper's whole abstract) is inside a sentence of the answer that
cites it. Nothing here was tuned on either split.

Run: .venv/bin/python benchmarks/citation_quotes.py --store DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rag.api import Assistant
from rag.citations import cited_numbers, split_sentences, strip_citations
from rag.config import Settings
from rag.quotes import quotes

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    args = parser.parse_args()
    questions = [json.loads(line) for line in (HERE / "dev_questions.jsonl").open(encoding="utf-8")]
    settings = Settings(store_dir=args.store, llm="extractive", log=False)
    assistant = Assistant(settings, notify=lambda message: None)
    for split in ("calibrate", "report"):
        answers = citations = quoted = 0
        for question in (q for q in questions if q.get("split") == split):
            answer = assistant.ask(question["question"])
            if answer.refused or not answer.citations:
                continue
            answers += 1
            texts = {
                c.paper.paper_id: assistant.paper(c.paper.paper_id)["abstract"] for c in answer.citations
            }
            found = quotes(answer, texts)
            sentences = split_sentences(answer.text)
            for citation in answer.citations:
                citing = [strip_citations(s) for s in sentences if citation.number in cited_numbers(s)]
                if citing:
                    citations += 1
                    quoted += any(found[citation.number].rstrip(".") in s for s in citing)
        print(
            f"{split}: {answers} answers, {citations} citations, evidence quoted by the answer: "
            f"{quoted} ({quoted / max(citations, 1):.3f})"
        )


if __name__ == "__main__":
    main()
