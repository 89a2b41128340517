"""A property asked of a name the papers may only mention (its size, license, openness, maker, date,
training time, whether it beats another): answered from a sentence stating it, else said to be
unstated, never quoted from a sentence that only mentions the name."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import openai_nowhere, write_jsonl

from rag.api import Assistant
from rag.embeddings import OnnxMiniLM
from rag.query import parse
from rag.unstated import unwritten_subject
from rag.yesno import UNSAID


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how big is the c4 dataset?", ("size", "c4", "", "", "")),
        ("what's the size of jft.", ("size", "jft", "", "", "")),
        ("how many images are in coco?", ("count", "coco", "", "images", "")),
        ("what's the parameter count of bagel?", ("count", "bagel", "", "parameters", "")),
        ("how many tokens was mistral trained on?", ("count", "mistral", "", "tokens", "")),
        ("what license do open images use?", ("license", "open images", "", "", "")),
        ("what license do the open images v4 weights have?", ("license", "open images v4", "", "", "")),
        ("under which license is laion-5b released?", ("license", "laion-5b", "", "", "")),
        ("what is laion-5b's license?", ("license", "laion-5b", "", "", "")),
        ("is gemini 1.5 pro open source?", ("open", "gemini 1.5 pro", "", "", "")),
        ("is mmlu publicly available?", ("open", "mmlu", "", "", "")),
        ("which lab developed mistral?", ("maker", "mistral", "", "", "developed")),
        ("who created imagenet?", ("maker", "imagenet", "", "", "created")),
        ("what year was imagenet created?", ("date", "imagenet", "", "", "created")),
        ("when did gpt-4 come out?", ("date", "gpt-4", "", "", "come out")),
        ("how long did it take to train clip?", ("training", "clip", "", "", "")),
        ("how long was clip trained for?", ("training", "clip", "", "", "")),
        ("does roberta beat bert on glue?", ("beats", "roberta", "bert", "", "")),
        ("is dinov2 better than clip?", ("beats", "dinov2", "clip", "", "")),
    ],
)
def test_a_property_and_the_name_it_is_asked_of_are_read_from_the_question(
    question: str, expected: tuple[str, str, str, str, str]
) -> None:
    """Each form names the property and the thing it is asked of, without "the", "dataset" or the
    question's end; what a count counts, and the verb a maker or date is asked with."""
    asked = parse(question).asked_property
    assert asked is not None
    assert (asked.property, asked.subject, asked.other, asked.counted, asked.verb) == expected
    assert asked.described("GPT-4") != "when GPT-4 was come out"


@pytest.mark.parametrize(
    "question",
    [
        "is it open source?",  # a pointer: a chat's follow-up, not a name
        "who wrote the paper?",
        "how big is this model?",
        "is the proposed method open source?",
        "how big is -?",  # no name at all
        "does autotransfer outperform sota baselines?",  # against what it beats, not another name
        "does fopro outperform its counterparts?",
        "which papers are open source?",  # a list
        "what is the size of the largest model in the dataset of web images they release?",  # too long
    ],
)
def test_no_property_is_read_of_a_pointer_a_list_or_a_description(question: str) -> None:
    """A pronoun, "this model" or "the proposed method" names nothing, nor do "sota baselines" (a
    yes/no question about what the paper beats); a list asks for papers, not a property of one."""
    assert parse(question).asked_property is None


@pytest.fixture
def mentions(tmp_path: Path, embedder: OnnxMiniLM) -> Assistant:
    """Papers that mention well-known work in passing, and a dataset paper stating its license."""
    records = [
        (
            "detect",
            "Sparse Detectors: Fewer Queries for Object Detection",
            "We propose a sparse detector for object detection. "
            "It reaches 45.1 AP on COCO detection with half the queries. "
            "Our detector is faster than dense ones.",
        ),
        (
            "bio",
            "Open Chat Models in Biomedical Question Answering",
            "Commercial models like OpenAI's GPT-4 and Anthropic's Claude 3 Opus dominate the field. "
            "We evaluate open chat models on biomedical questions. "
            "Mixtral rivals GPT-3.5 on factoid questions.",
        ),
        (
            "shots",
            "Many-Shot Prompting",
            "We study many-shot in-context learning with Gemini 1.5 Pro. "
            "Performance grows with the number of examples.",
        ),
        (
            "photos",
            "The Street Images Dataset V2: A Benchmark for Landmark Retrieval",
            "We introduce a dataset of street photos for landmark retrieval. "
            "The images have a Creative Commons Attribution license. "
            "It holds 2 million images of 40 thousand landmarks.",
        ),
        (
            "cleaned",
            "Cleaner Labels for Street Scenes",
            "We create a relabelled version of the StreetSet benchmark, called StreetSet+. "
            "Models trained on StreetSet+ are more accurate.",
        ),
        (
            "copy",
            "CopyDecode: Faster Chat Turns by Copying",
            "We propose CopyDecode, which copies repeated spans of a chat's history. "
            "It yields a 49% additional speed-up over speculative decoding. "
            "Our 7B model has 7 billion parameters.",
        ),
        (
            "panorama",
            "OmniView: Zero-shot Panorama Super-Resolution using Stable Diffusion",
            "We upscale panoramas without training by guiding Stable Diffusion with the panorama's geometry.",
        ),
        (
            "encoder",
            "ELECTRA: Pre-training Text Encoders as Discriminators",
            "We train a text encoder to detect replaced tokens. "
            "Our approach substantially outperforms BERT given the same compute. "
            "It performs comparably to RoBERTa while using a quarter of its compute.",
        ),
    ]
    corpus = write_jsonl(
        tmp_path / "papers.jsonl", [{"id": i, "title": t, "abstract": a} for i, t, a in records]
    )
    return openai_nowhere(tmp_path, embedder, corpus)


def test_a_property_no_sentence_states_is_said_to_be_unstated_citing_a_paper_that_mentions_the_name(
    mentions: Assistant,
) -> None:
    """A near-miss set (questions whose names the abstracts write, but whose property none states):
    26 of 42 quoted a sentence that only mentions the name ("how many images are in coco?": "45.1 AP
    on COCO"; "is gemini 1.5 pro open source?": a sentence using it). Now the answer says that the
    papers found don't state it and cites the one that mentions the name, whatever backend is set."""
    coco = mentions.ask("how many images are in coco?", llm="openai")
    assert coco.text.startswith(
        "The papers found don't state the number of images in COCO; [1] mentions COCO."
    )
    assert [c.paper.paper_id for c in coco.citations] == ["detect"]
    gemini = mentions.ask("is gemini 1.5 pro open source?", llm="extractive")
    assert gemini.text.startswith(
        f"{UNSAID} The papers found don't state whether Gemini 1.5 Pro is open source"
    )
    assert [c.paper.paper_id for c in gemini.citations] == ["shots"]


def test_who_made_a_name_is_its_papers_authors_only_when_a_paper_is_it(mentions: Assistant) -> None:
    """ "who developed stable diffusion?" answered "The record of [1] has no authors." of a paper whose
    title only uses Stable Diffusion. Now that is said to be unstated; a name that is a paper's own is
    answered from its record, and one no paper is, nor a title writes, is refused as before."""
    assert mentions.ask("who developed gemini 1.5 pro?", llm="extractive").refused
    # a "+" variant is another name: "called StreetSet+" coins no StreetSet (it said ImageNet+'s
    # paper made ImageNet)
    assert mentions.ask("who created streetset?", llm="extractive").refused
    variant = mentions.ask("who created streetset+?", llm="extractive")
    assert [c.paper.paper_id for c in variant.citations] == ["cleaned"]
    titled = mentions.ask("who developed stable diffusion?", llm="extractive")
    assert titled.text.startswith("The papers found don't state who developed Stable Diffusion; [1] mentions")
    assert [c.paper.paper_id for c in titled.citations] == ["panorama"]
    own = mentions.ask("who developed omniview?", llm="extractive")
    assert (
        own.text.startswith("The record of [1] has no authors.")
        and own.citations[0].paper.paper_id == "panorama"
    )


def test_a_comparison_needs_a_sentence_comparing_both_names(mentions: Assistant) -> None:
    """ "does roberta beat bert?" quoted "... outperforms BERT ...", a sentence without RoBERTa; "does
    gpt-4 outperform claude 3 opus?" quoted a sentence listing both. A sentence writing both names
    with a comparison's words answers; else the abstracts don't say."""
    uncompared = mentions.ask("does roberta beat bert?", llm="extractive")
    assert uncompared.text.startswith(
        f"{UNSAID} The papers found don't state a comparison of RoBERTa with BERT"
    )
    listed = mentions.ask("does gpt-4 outperform claude 3 opus?", llm="extractive")
    assert listed.text.startswith(f"{UNSAID} The papers found don't state a comparison of GPT-4")
    own = mentions.ask("does electra outperform roberta?", llm="extractive")
    assert "comparably to RoBERTa" in own.text and not own.text.startswith(UNSAID)


@pytest.mark.parametrize(
    "question",
    [
        "what license do the street images dataset v2 weights have?",
        "what license does the street images dataset use?",  # its title's head without the version
        "what license do street images use?",  # "images" is part of the name, not what it is
    ],
)
def test_a_papers_own_abstract_states_its_license_without_its_name(
    mentions: Assistant, question: str
) -> None:
    """The paper a name is (its title's head, "The Street Images Dataset V2") states the property in
    a sentence without the name ("The images have a Creative Commons Attribution license."): not
    unstated (a review: "google landmarks dataset" of "Google Landmarks Dataset v2" was)."""
    licensed = mentions.ask(question, llm="extractive")
    assert "Creative Commons" in licensed.text and licensed.citations[0].paper.paper_id == "photos"


def test_what_a_papers_own_abstract_lacks_is_said_to_be_missing_from_it(mentions: Assistant) -> None:
    """A property the abstract of the paper a name is does not state is said to be missing from it."""
    missing = mentions.ask("how long did it take to train electra?", llm="extractive")
    assert missing.text.startswith("The abstract of [1] does not state how long ELECTRA took to train.")


def test_a_property_of_a_name_no_paper_found_writes_is_refused(mentions: Assistant) -> None:
    """ "how big is the c4 dataset?" was answered from a dataset-compression paper that never writes
    C4. A name none of the papers found writes (nor all its words) is refused; one whose words a paper
    writes apart is a description and answered as any question."""
    evidence = mentions.gatherer.gather("how big is the c4 dataset?")
    assert unwritten_subject(evidence) == "c4"
    refused = mentions.ask("how big is the c4 dataset?", llm="extractive")
    assert refused.refused
    described = mentions.gatherer.gather("how big is the street photos benchmark?")
    assert unwritten_subject(described) is None


def test_what_a_sentence_states_in_other_words_is_not_said_to_be_unstated(mentions: Assistant) -> None:
    """A second review: "does copyspec beat speculative decoding?" was said not to be stated though
    its abstract has "a 49% additional speed-up over speculative decoding"; so were a rival written
    by its last word ("OpenAI's CLIP" for "openai clip") and a topic ("open chat models")."""
    faster = mentions.ask("does copydecode beat speculative decoding?", llm="extractive")
    assert "speed-up over speculative decoding" in faster.text and not faster.text.startswith(UNSAID)
    rival = mentions.ask("does mixtral outperform the mistral gpt-3.5?", llm="extractive")  # its last word
    assert "Mixtral rivals GPT-3.5" in rival.text and not rival.text.startswith(UNSAID)
    topic = mentions.ask("do open chat models outperform commercial models?", llm="extractive")
    assert "don't state a comparison" not in topic.text
