"""What a list question is about: "X or Y" alternatives, word forms, and the acronyms the papers define."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.library.acronyms import definitions, expand, long_form
from rag.library.keyword import FORMAT_VERSION, KeywordIndex, tokenize
from rag.library.names import (
    TITLE_ACRONYM,
    NameCollector,
    NameIndex,
    coined_names,
    needed_name,
    title_acronyms,
    title_names,
)
from rag.topic import alternatives, compounded_only, coverage, dwells_on, on_topic, same_word, titled

ABSTRACTS = [
    "We fine-tune diffusion models with reinforcement learning (RL) from human feedback.",
    "Low-Rank Adaptation (LoRA) freezes the weights. We study RL agents.",
    "The Zero Redundancy Optimizer (ZeRO) partitions optimizer states.",
    "Out-of-distribution (OOD) inputs are flagged. Retrieval-augmented learning (REAL) helps.",
    "Contrastive language-image pre-training (CLIP) learns from web image-text pairs.",
    "Our SAMs (SAM) adapt.",
]


def test_a_topic_with_or_is_covered_by_either_side() -> None:
    topic = "audio classification or captioning"
    sets = alternatives(topic, set(tokenize(topic)))
    assert {"audio", "classification"} in sets and {"audio", "captioning"} in sets
    weights = {"audio": 1.0, "classification": 1.0, "captioning": 1.0}
    # a paper on audio captioning only covers the whole topic through one side of the "or"
    assert coverage(weights, sets, {"audio", "captioning"}, forms=False) == 1.0
    assert coverage(weights, [set(weights)], {"audio", "captioning"}, forms=False) < 0.7
    assert alternatives("dataset distillation", {"dataset", "distillation"}) == [{"dataset", "distillation"}]


def test_a_short_topic_needs_most_of_its_words_and_a_long_one_is_searched_by_meaning() -> None:
    assert on_topic(1.0, 2) and on_topic(0.75, 3)
    assert not on_topic(0.5, 2)  # "weather forecasting" in a paper writing only "forecasting"
    assert on_topic(0.5, 4)  # a described topic ("adapt clip to few-shot classification")


def test_a_field_is_held_when_several_titles_name_a_short_topic() -> None:
    assert titled([1.0, 0.8, 0.2], 1) and not titled([1.0, 0.5, 0.2], 1)
    assert not titled([1.0, 1.0], 4)  # a described topic: the decision alone says


def test_word_forms_count_for_a_list_topic() -> None:
    assert same_word("quantize", "quantization") and same_word("correcting", "correction")
    assert not same_word("adapting", "adaptation") and not same_word("model", "modal")
    weights = {"quantize": 2.0, "llm": 1.0}
    words = {"quantization", "llm"}
    assert coverage(weights, [set(weights)], words, forms=True) == 1.0
    assert coverage(weights, [set(weights)], words, forms=False) == 1 / 3


def test_a_hyphen_does_not_make_another_word_for_a_list_topic() -> None:
    weights = {"pretrained": 2.0, "gan": 1.0}
    words = set(tokenize("We adapt a pre-trained GAN."))
    assert coverage(weights, [set(weights)], words, forms=True) == 1.0
    assert coverage(weights, [set(weights)], words, forms=False) == 1 / 3
    hyphenated = {"pre-trained": 2.0, "gan": 1.0}
    assert coverage(hyphenated, [set(hyphenated)], set(tokenize("a pretrained GAN")), forms=True) == 1.0


def test_a_word_inside_an_of_compound_is_not_the_topic_unless_the_topic_has_the_compound() -> None:
    """A researcher's probe: "papers on speech recognition" listed Bit Cipher for "part-of-speech (POS)
    tagging and named entity recognition"; the collection has no speech recognition paper."""
    bit_cipher = "We probe part-of-speech (POS) tagging and named entity recognition."
    assert compounded_only([bit_cipher], {"speech", "recognition"}) == {"speech"}
    assert compounded_only([bit_cipher, "We also transcribe speech."], {"speech", "recognition"}) == set()
    assert compounded_only(["A sparse mixture-of-experts model."], {"mixture", "expert"}) == set()
    assert compounded_only(["State-of-the-art results."], {"art", "generation"}) == {"art"}


def test_a_paper_is_about_what_a_list_excludes_by_its_title_or_two_sentences() -> None:
    """A review: a sentence repeated by two overlapping chunks counted twice, and a training-free
    paper was about training."""
    textual = {"textual": 1.0, "modality": 1.0}
    once = "We adapt CLIP. It bridges visual and textual modalities. It beats baselines."
    assert not dwells_on([textual], "A baseline for CLIP", once)
    assert dwells_on([textual], "A baseline for CLIP", once + " Textual modalities help too.")
    assert dwells_on([textual], "Textual modalities for CLIP", "We adapt CLIP.")
    training = {"training": 1.0}
    free = "We transfer camera motion without training. Our training-free method needs no training data."
    assert not dwells_on([training], "Training-free Camera Motion Transfer", free)
    # any of a thing's forms: an acronym, or its long form
    llm = [{"llm": 1.0}, {"large": 1.0, "language": 1.0, "model": 1.0}]
    assert dwells_on(llm, "Low-Precision Training of Large Language Models", "We train in 8 bits.")


def test_acronyms_are_found_with_their_long_forms() -> None:
    assert long_form("RL", "we tune diffusion models with reinforcement learning") == "reinforcement learning"
    assert long_form("LoRA", "the weights are adapted by Low-Rank Adaptation") == "low-rank adaptation"
    assert long_form("ZeRO", "The Zero Redundancy Optimizer") == "zero redundancy optimizer"
    assert long_form("OOD", "Out-of-distribution") == "out-of-distribution"
    assert long_form("SAM", "Our SAMs") is None  # a plural, not a definition
    glossary = definitions(ABSTRACTS)
    assert glossary["rl"] == ("RL", "reinforcement learning")
    assert glossary["lora"] == ("LoRA", "low-rank adaptation")
    assert "sam" not in glossary


def test_a_question_is_searched_with_the_long_form_of_its_acronyms() -> None:
    glossary = definitions(ABSTRACTS)
    words = {"real", "clips", "clip", "zero", "set"}  # what an English vocabulary has whole

    def is_word(word: str) -> bool:
        return word in words

    assert expand("papers using rl", glossary, is_word) == "papers using rl (reinforcement learning)"
    assert expand("which papers use lora?", glossary, is_word).endswith("(low-rank adaptation)")
    assert expand("what is ZeRO?", glossary, is_word) == "what is ZeRO? (zero redundancy optimizer)"
    # a plain word that happens to be an acronym elsewhere is left alone
    assert expand("what is zero?", glossary, is_word) == "what is zero?"
    assert expand("papers on real video clips", glossary, is_word) == "papers on real video clips"
    # spelled out already: nothing to add
    spelled = "reinforcement learning (rl) agents"
    assert expand(spelled, glossary, is_word) == spelled


def test_the_keyword_index_keeps_the_acronyms_and_rebuilds_an_older_format(tmp_path: Path) -> None:
    index = KeywordIndex.build([f"p{i}#0" for i in range(len(ABSTRACTS))], ABSTRACTS, revision="r1")
    assert index.glossary["rl"] == ("RL", "reinforcement learning")
    index.save(tmp_path / "kw.npz")
    loaded = KeywordIndex.load(tmp_path / "kw.npz")
    assert loaded is not None and loaded.glossary == index.glossary
    # an index saved before the glossary (format 3) is not read: the caller rebuilds it
    np.savez(tmp_path / "old.npz", format=np.array([FORMAT_VERSION - 1]))
    assert KeywordIndex.load(tmp_path / "old.npz") is None


def _names() -> NameIndex:
    collector = NameCollector()
    papers = {
        "toon": ("ToonTalker: Cross-Domain Face Reenactment", "We target cross-domain face reenactment."),
        "sfda": (
            "SF(DA)^2: Source-free Domain Adaptation Through the Lens of Data Augmentation",
            "We adapt.",
        ),
        "moe": ("MoE++: Accelerating Mixture-of-Experts Methods with Zero-Computation Experts", "Experts."),
        "bt2": ("BT^2: Backward-compatible Training with Basis Transformation", "Embeddings."),
        "ofa": ("One for All: Towards Training One Graph Model for All Classification Tasks", "Graphs."),
        "rmt": ("RMT: Retentive Networks Meet Vision Transformers", "A vision backbone."),
        "teacher": ("Robust Mean Teacher", "We propose a robust mean teacher (RMT) for adaptation."),
    }
    for paper_id, (title, text) in papers.items():
        collector.add(paper_id, title, text)
    return collector.index()


def _find(index: NameIndex, question: str) -> list[str]:
    ordinary = {"one", "for", "all", "robust", "mean", "teacher"}

    def shared(text: str) -> int:  # ordinary words are written by many papers, names by one
        return 99 if text.casefold().split() and set(text.casefold().split()) <= ordinary else 1

    found = index.find(question, is_word=lambda w: w in ordinary, shared=shared)
    return [m.paper_id for m in found]


def test_papers_are_found_by_their_short_names_in_any_case_spacing_and_punctuation() -> None:
    index = _names()
    assert _find(index, "what are the main results of toontalker?") == ["toon"]
    assert _find(index, "how does Toon-Talker work") == ["toon"]
    for written in ("SF(DA)^2", "sf(da)^2", "sfda2", "sf da 2"):
        assert _find(index, f"what does {written} propose?") == ["sfda"]
    assert _find(index, "is moe++ faster than moe?") == ["moe"]
    # a short name of pieces written as one ("BT^2"), not three letters apart ("b t 2")
    for written in ("BT^2", "bt^2", "bt2"):
        assert _find(index, f"does {written} outperform moe++?") == ["bt2", "moe"]
    assert _find(index, "is b t 2 a model?") == []
    assert _find(index, "which papers use mixture of experts?") == []
    # a name two papers bear brings both, the title's first
    assert _find(index, "what accuracy does RMT reach?") == ["rmt", "teacher"]
    # the names survive the keyword index's file
    assert NameIndex.from_lines(index.lines()).names == index.names


@pytest.mark.parametrize(
    ("title", "names"),
    [
        ("ToonTalker: Cross-Domain Face Reenactment", ["ToonTalker"]),
        ("Tiny Time Mixers (TTMs): Fast Pre-trained Models", ["Tiny Time Mixers", "TTMs"]),
    ],
)
def test_a_title_names_its_paper_by_its_head(title: str, names: list[str]) -> None:
    assert title_names(title) == names


def test_a_name_before_is_all_you_need_names_its_paper_unless_others_write_it() -> None:
    """ "SuSana Distancia is all you need: ..." (before: no name, its head being six words); "GPT-4 Is
    All You Need: ..." names no paper when others write GPT-4 (a review: it took GPT-4's questions)."""
    assert needed_name("SuSana Distancia is all you need: Enforcing class separability") == "SuSana Distancia"
    assert needed_name("One Model is All You Need: Multi-Task Learning") is None  # ordinary words
    collector = NameCollector()
    collector.add("susana", "SuSana Distancia is all you need: Class separability", "Few-shot losses.")
    collector.add("tab", "GPT-4 Is All You Need: Zero-Shot Tabular Classification", "Tables with GPT-4.")
    index = collector.index()
    writers = {"susana distancia": 1, "gpt-4": 3}

    def find(question: str) -> list[str]:
        found = index.find(question, is_word=lambda w: False, shared=lambda t: writers.get(t.casefold(), 1))
        return [m.paper_id for m in found]

    assert find("what losses does the SuSana Distancia paper propose?") == ["susana"]
    assert find("how well does GPT-4 write code?") == []


def test_the_acronym_of_a_titles_head_names_its_paper_where_framed_however_many_write_it() -> None:
    """A researcher's library: "what is dpo?" quoted Online DPO (its title's head "Online DPO"), as
    DPO, which several abstracts write, named no paper; the paper titled "Direct Preference
    Optimization: ..." and defining "(DPO)" is DPO's, when the question frames it as a name."""
    collector = NameCollector()
    dpo = "We call it Direct Preference Optimization (DPO). DPO is stable."
    collector.add(
        "dpo", "Direct Preference Optimization: Your Language Model Is Secretly a Reward Model", dpo
    )
    collector.add("online", "Online DPO: Online Direct Preference Optimization", "We propose OFS-DPO.")
    collector.add("tulu", "TULU 3: Open Post-Training", "We train with Direct Preference Optimization (DPO).")
    index = collector.index()
    assert [n.source for n in index.names if n.paper_id == "dpo" and n.written == "DPO"] == [TITLE_ACRONYM]

    def find(question: str) -> list[str]:
        found = index.find(
            question, is_word=lambda w: False, shared=lambda t: {"dpo": 5}.get(t.casefold(), 1)
        )
        return [m.paper_id for m in found]

    for question in (
        "what is dpo?",
        "how does DPO work?",
        "tell me about dpo",
        "what does the dpo paper show?",
    ):
        assert find(question) == ["dpo"], question
    assert find("does tulu 3 train with dpo?") == ["tulu"]  # DPO not framed as a name: what is used
    assert find("which papers beat DPO on alignment?") == []
    assert find("what is online dpo?") == ["online"]
    # a survey or overview of a field names none of its acronyms, nor does an abstract writing its
    # title's acronym without coining it (a review: "who proposed gan?" answered from a GAN overview)
    for title, text in [
        ("Neural Architecture Search: A Survey", "We present Neural Architecture Search (NAS) methods."),
        (
            "Generative Adversarial Networks: An Overview",
            "We call them Generative Adversarial Networks (GANs).",
        ),
        ("A Survey of Graph Neural Networks", "We propose a view of Graph Neural Networks (GNNs)."),
        ("Retrieval-Augmented Generation: Benchmarks", "Retrieval-Augmented Generation (RAG) helps LLMs."),
        (
            "Retrieval-Augmented Generation: A Survey and Benchmark",
            "We present Retrieval-Augmented Generation (RAG).",
        ),
        (
            "Retrieval-Augmented Generation: Review and Outlook",
            "We present Retrieval-Augmented Generation (RAG).",
        ),
        # a concept defined, not coined (a review: "what is FL?" answered from one FL paper)
        (
            "Federated Learning: Training with Sparse Updates",
            "Federated learning (FL) is a distributed paradigm.",
        ),
        ("Machine Unlearning: Forgetting on Request", "We formally define machine unlearning (MU)."),
    ]:
        assert title_acronyms(title, text) == [], title
    # an acronym derived, or defined where it opens its sentence; a task word after a colon (a review)
    for title, text, acronym in [
        (
            "Contrastive Preference Learning: Learning from Human Feedback without RL",
            "Instead we derive Contrastive Preference Learning (CPL), an algorithm.",
            "CPL",
        ),
        (
            "Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
            "We study RLHF. We formulate Direct Preference Optimization (DPO), a new algorithm.",
            "DPO",
        ),
        ("Code Review Automation: Peer Review with LLMs", "We propose Code Review Automation (CRA).", "CRA"),
    ]:
        assert title_acronyms(title, text) == [acronym], title


def test_an_abstract_coins_a_name_by_calling_or_introducing_it() -> None:
    """ "termed as PerSAM", "We introduce DMD2, a set ..." (before: neither was a name), not the first
    words of a longer phrase ("We propose REtrieval-Augmented Learning (REAL)": REAL)."""
    assert coined_names("In this paper, we propose an approach for SAM, termed as PerSAM.") == ["PerSAM"]
    assert coined_names("We introduce DMD2, a set of techniques that lift this limitation.") == ["DMD2"]
    assert coined_names("We propose REtrieval-Augmented Learning (REAL) for tails.") == ["REAL"]
    assert coined_names("We introduce LoRA adapters into every layer.") == []
    # an acronym with a hyphen (a researcher's probe: "how many gpus were used to train MT-NLG" quoted
    # its parameter count; now "The abstract of [1] states no number of gpus.")
    mt_nlg = "We present the training of the largest model, Megatron-Turing NLG 530B (MT-NLG)."
    assert coined_names(mt_nlg) == ["MT-NLG"]
    assert coined_names("We present a method for few-shot learning (few-shot) and (re-ID).") == []
    # a kind the abstract writes in the plural is no name (a review: "what is a VL-LLM?" named it)
    assert coined_names("We present a new vision-language LLM (VL-LLM). VL-LLMs are costly.") == []
    assert coined_names("We propose the Dual-Stream Network (DS-Net). Many DS-Nets stack.") == ["DS-Net"]
    assert coined_names('We present a new "vision-language" LLM (VL-LLM). VL-LLMs cost.') == []


def test_a_name_of_ordinary_words_counts_only_where_the_question_uses_it_as_one() -> None:
    index = _names()
    assert _find(index, "what are the main results of One for All?") == ["ofa"]
    assert _find(index, "what is one for all?") == ["ofa"]
    assert _find(index, 'is "one for all" trained on graphs?') == ["ofa"]
    assert _find(index, 'what is "one for all tasks" about?') == []  # quoted, but not the name alone
    assert _find(index, 'summarize "one for all."') == ["ofa"]  # a stop inside the quotes
    assert _find(index, "is there one model that works for all tasks?") == []
    assert _find(index, "can one for all tasks be trained with a single model?") == []


def test_a_one_word_name_of_an_ordinary_word_names_its_paper_only_where_framed() -> None:
    """A review: with one-word names no other paper writes allowed anywhere, "which optimizers converge
    faster than adam on transformers?" named AdAM (few-shot image generation), and crash, teen, ear,
    summit, eagle, genie, tram named their papers too. Only a frame makes such a word a name."""
    collector = NameCollector()
    collector.add(
        "adam", "AdAM: Few-shot Image Generation via Adaptation-Aware Kernel Modulation", "Kernels."
    )
    index = collector.index()

    def find(question: str) -> list[str]:
        found = index.find(question, is_word=lambda w: True, shared=lambda t: 1)
        return [m.paper_id for m in found]

    assert find("which optimizers converge faster than adam on transformers?") == []
    assert find("what is adam?") == ["adam"] and find("what does AdAM modulate?") == ["adam"]
