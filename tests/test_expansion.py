"""What a paper's short name stands for ("what does GIM stand for?")."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_jsonl

from rag.api import Assistant
from rag.config import Settings
from rag.embeddings import OnnxMiniLM
from rag.expansion import initials, spelled_out
from rag.query import parse


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("what does GIM stand for?", "GIM"),
        ("what does the acronym ZeRO mean?", "ZeRO"),
        ("what is MoE short for?", "MoE"),
        ("what does the xs stand for?", "xs"),
        ("SPDF stands for?", "SPDF"),
        ("what does model soups propose?", ""),
        ("what does the paper mean by merging?", ""),
    ],
)
def test_asking_what_a_name_stands_for_names_it(question: str, name: str) -> None:
    query = parse(question)
    assert query.stands_for == name
    assert not name or query.search == name


@pytest.mark.parametrize(
    ("name", "text", "spelled"),
    [
        (
            "GIM",
            "GIM: Learning Generalizable Image Matcher From Internet Videos",
            "Generalizable Image Matcher",
        ),
        ("MoE", "a sparse Mixture-of-Experts (MoE) layer", "Mixture-of-Experts"),
        (
            "SPDF",
            "SPDF: Sparse Pre-training and Dense Fine-tuning for LLMs",
            "Sparse Pre-training and Dense Fine-tuning",
        ),
        ("ZeRO", "a Zero Redundancy Optimizer (ZeRO) that", "Zero Redundancy Optimizer"),
        ("RMT", "the robust mean teacher (RMT) for", "robust mean teacher"),
        # a run starting in lower case and going on in capitals is chance
        ("LoLDU", "LoLDU leverages Lower-Diag-Upper decomposition", None),
        ("CopySpec", "CopySpec copies context sizes", None),  # a name of words spells nothing
    ],
)
def test_a_name_is_spelled_out_by_the_words_whose_initials_it_takes(
    name: str, text: str, spelled: str | None
) -> None:
    assert spelled_out(name, text) == spelled
    assert initials("CopySpec") == "" and initials("LoRA") == "LRA"


def test_what_a_name_stands_for_is_quoted_from_its_paper_or_said_to_be_unspelled(
    assistant: Assistant,
) -> None:
    """Before, "what does GIM stand for?" quoted what GIM does."""
    answer = assistant.ask("what does gim stand for?", llm="extractive")
    assert answer.text == 'GIM stands for "Generalizable Image Matcher" [1].'
    assert answer.citations[0].paper.title.startswith("GIM:")
    unspelled = assistant.ask("what does CLIP-ReIdent stand for?", llm="extractive")
    assert unspelled.text == "The abstract of [1] does not spell out CLIP-ReIdent."


def test_a_name_many_papers_use_is_spelled_out_by_the_one_that_does(
    tmp_path: Path, embedder: OnnxMiniLM
) -> None:
    """Before: refused, as a name in every paper is a common word to the gate, though one spells it out."""
    uses = [
        "We adapt CLIP to remote sensing images with prompt tuning.",
        "CLIP features detect out-of-distribution samples without training.",
        "We distil CLIP into a small student for mobile phones.",
    ]
    papers = [
        {"id": f"p{i}", "title": f"Study {i} of vision and language", "abstract": text}
        for i, text in enumerate(uses)
    ]
    papers.append(
        {
            "id": "spelled",
            "title": "Continual training of vision-language models",
            "abstract": "Continual training of the Contrastive Language-Image Pre-training (CLIP) model "
            "erodes its zero-shot transfer. We replay old image-text pairs to keep CLIP's transfer.",
        }
    )
    corpus = write_jsonl(tmp_path / "papers.jsonl", papers)
    with Assistant(Settings(store_dir=tmp_path / "store"), embedder=embedder, notify=lambda m: None) as a:
        a.ingest([corpus])
        answer = a.ask("what does clip stand for?", llm="extractive")
    # the fourth paper found (before, only three were searched), cited as [1] as its citation is
    # numbered (before: as the fourth source, [4], while its citation was [1])
    assert [(c.number, c.paper.paper_id) for c in answer.citations] == [(1, "spelled")], answer.decision
    assert answer.text == 'CLIP stands for "Contrastive Language-Image Pre-training" [1].'
