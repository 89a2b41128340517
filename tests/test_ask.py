"""Answers over the full bundled corpus: refusal off-topic, answers on the dev set, `rag ask`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ROOT, no_user_settings
from doubles import Scripted
from test_cli import run

from rag.answer import Citation
from rag.api import Assistant
from rag.chat import ChatSession, Turn
from rag.citations import cited_numbers, split_sentences
from rag.config import Settings
from rag.contribution import writes_name
from rag.embeddings import OnnxMiniLM
from rag.errors import NoMatchError
from rag.events import Notice, Replaced, Token
from rag.followups import placed_in
from rag.library.corpus import normalize_title
from rag.query import parse

DEV = [
    json.loads(line)
    for line in (ROOT / "benchmarks" / "dev_questions.jsonl").read_text().splitlines()
    if line
]


@pytest.fixture(scope="module")
def full_store(tmp_path_factory: pytest.TempPathFactory, embedder: OnnxMiniLM) -> Path:
    """The bundled corpus, ingested once; the tests only read it."""
    store = tmp_path_factory.mktemp("full-store")
    with no_user_settings(store):
        Assistant(Settings(store_dir=store), embedder=embedder).ingest()
    return store


@pytest.fixture(scope="module")
def full(full_store: Path, embedder: OnnxMiniLM) -> Assistant:
    """An assistant over the bundled corpus, shared by the tests of this module (it only reads)."""
    return Assistant(Settings(store_dir=full_store), embedder=embedder)


@pytest.mark.parametrize(
    "question",
    [
        "What is the best recipe for sourdough bread?",
        "Who won the 1998 football World Cup?",
        "How do I file my taxes?",
        # lists whose topic no paper covers: before, papers sharing one of its words were listed
        # ("QuantLMs ... computing overhead", a time-series model for "weather forecasting")
        "which papers are about quantum computing?",
        "papers on weather forecasting",
    ],
)
def test_off_topic_questions_are_refused_without_a_model(full: Assistant, question: str) -> None:
    # An OpenAI backend nobody listens for: any model call would fall back and say so.
    settings = {
        **full.settings.model_dump(),
        "openai_api_key": "sk-x",
        "openai_base_url": "http://127.0.0.1:9/v1",
    }
    answer = Assistant(Settings(**settings), embedder=full.library.embedder).ask(question, llm="openai")
    assert answer.refused and answer.text == "The indexed papers don't answer this question."
    assert answer.citations == [] and answer.backend == "none" and answer.fallback_reason is None


def test_dev_set_refusal_and_answer_rates(full: Assistant) -> None:
    # Measured on the "report" half only: benchmarks/calibrate.py fits the decision's weights on
    # the "calibrate" half, so these are questions the weights never saw.
    report = [q for q in DEV if q["split"] == "report"]
    assert {q["split"] for q in DEV} == {"calibrate", "report"}
    refused = {q["id"]: full.ask(q["question"], llm="extractive").refused for q in report}
    unanswerable = [q["id"] for q in report if not q["gold_titles"]]
    answerable = [q["id"] for q in report if q["gold_titles"]]
    assert (len(unanswerable), len(answerable)) == (26, 93)
    refusal_recall = sum(refused[i] for i in unanswerable) / len(unanswerable)
    answer_rate = sum(not refused[i] for i in answerable) / len(answerable)
    # On the report half (2026-12-04): 25/26 refused (dev-157 answered), 90/93 answered.
    assert refusal_recall >= 0.9, (refusal_recall, [i for i in unanswerable if not refused[i]])
    assert answer_rate >= 0.9, (answer_rate, [i for i in answerable if refused[i]])


def test_extractive_answers_cite_the_paper_holding_the_figure(full: Assistant) -> None:
    figure = [q for q in DEV if q["kind"] == "figure"]
    hits = 0
    for q in figure:
        answer = full.ask(q["question"], llm="extractive")
        if any(s in answer.text for s in q["answer_contains"]):
            hits += 1
            # the sentences quoting the figure cite the question's gold paper
            quoting = [s for s in split_sentences(answer.text) if any(f in s for f in q["answer_contains"])]
            numbers = {n for sentence in quoting for n in cited_numbers(sentence)}
            cited = {normalize_title(c.paper.title) for c in answer.citations if c.number in numbers}
            gold = {normalize_title(t) for t in q["gold_titles"]}
            assert quoting and cited & gold, (q["id"], answer.text, answer.references())
    assert hits / len(figure) >= 0.5


def test_rag_ask_streams_the_answer_then_references(full_store: Path) -> None:
    result = run(
        "--store", str(full_store), "ask", "How well does a fine-tuned CLIP model re-identify players?"
    )
    assert result.returncode == 0, result.stderr
    body, references = result.stdout.split("\nReferences:\n")
    assert "98.44 % mAP" in body and "[1]" in body
    assert references.strip().startswith(
        "[1] CLIP-ReIdent: Contrastive Training for Player Re-Identification"
    )


def test_a_citations_evidence_is_the_sentence_the_answer_quotes_and_its_passage_the_whole_text(
    full_store: Path,
) -> None:
    """A researcher's probe: `ask --json "how many parameters does TTM have"` quoted the "<1M parameters"
    sentence while its citation's evidence was the chunk retrieval ranked first, "Code and
    pre-trained models will be open-sourced." (the MCP and HTTP references quoted from that chunk too)."""
    question = "how many parameters does TTM have"
    payload = json.loads(run("--store", str(full_store), "ask", question, "--json").stdout)
    cited = payload["citations"][0]
    assert "<1M parameters" in cited["evidence"] and cited["evidence"] in payload["text"]
    assert cited["evidence"] in cited["passage"] and "open-sourced" in cited["passage"]
    assert Citation.from_dict(cited).passage == cited["passage"]  # the answer log reads it back


def test_a_comparison_quotes_what_one_side_says_of_the_other(full: Assistant) -> None:
    """A researcher's probe: "is quantease better than gptq?" quoted what each paper is, not
    QuantEase's "relative improvements up to 15% over methods such as GPTQ"."""
    for question in ("is quantease better than gptq?", "how do gptq and quantease differ?"):
        answer = full.ask(question, llm="extractive")
        line = next(line for line in answer.text.splitlines() if line.startswith("- quantease:"))
        assert "up to 15% over methods such as GPTQ" in line, answer.text


def test_rag_ask_json_is_the_answer_dict(full_store: Path) -> None:
    result = run("--store", str(full_store), "ask", "What is the best recipe for sourdough bread?", "--json")
    payload = json.loads(result.stdout)
    assert payload["refused"] is True and payload["citations"] == []
    assert set(payload) >= {
        "text",
        "citations",
        "sources",
        "backend",
        "fallback_reason",
        "refused",
        "unsupported",
        "timings",
    }
    answered = json.loads(
        run("--store", str(full_store), "ask", "player re-identification with CLIP", "--json").stdout
    )
    assert answered["backend"] == "extractive" and answered["citations"][0]["title"].startswith(
        "CLIP-ReIdent"
    )


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("what is model soups?", "Model soups"),
        ("how does model soups work?", "Model soups"),
        ("What does the Model soups paper propose?", "Model soups"),
        ("model soups", "Model soups"),
        ("what mAP does CLIP-ReIdent achieve?", "CLIP-ReIdent"),
        ("instrutblip results", "InstructBLIP"),  # a typo in the name
        ("what is tulu 3?", "TÜLU 3"),
        ("unlearn canvas dataset", "UnlearnCanvas"),
    ],
)
def test_questions_that_name_a_paper_are_answered_from_it(full: Assistant, question: str, title: str) -> None:
    answer = full.ask(question, llm="extractive")
    assert not answer.refused, answer.decision
    assert answer.citations[0].paper.title.startswith(title)


@pytest.mark.parametrize("topic", ["few-shot learning", "continual learning", "large language models"])
def test_who_proposed_a_topic_that_several_titles_write_is_refused(full: Assistant, topic: str) -> None:
    """Words that several titles write name their topic, not a paper: no record answers "who proposed
    few-shot learning?" (it said "The record of [1] has no authors." of Transductive Few-Shot Learning)."""
    answer = full.ask(f"who proposed {topic}?", llm="extractive")
    assert answer.refused and answer.citations == [], answer.text


def test_after_a_choice_that_found_none_they_are_still_the_papers_chosen_among(full: Assistant) -> None:
    """ "which of them need no extra training?" answered with none of the listed papers leaves "they"
    as the listed papers: "how do they differ?" compares them (it searched "how do they differ?
    (regarding: which papers need no extra training?)" and refused)."""
    from rag.chat import ChatSession, Turn

    session = ChatSession(full, k=5, llm="extractive", mode="hybrid")
    for question in (
        "which papers are about model merging?",
        "which of them need no extra training?",
        "how do they differ?",
    ):
        answer = session.answer(question).finish()
        session.turns.append(Turn(question, answer.question, answer))
    listed, none, differ = session.turns
    titles = [c.paper.title for c in listed.answer.citations]
    assert [t.split(" ")[0] for t in titles] == ["PLeaS", "Twin-Merging:"], titles
    assert none.answer.text == "None of the papers of the last answer says so."
    assert differ.standalone == "how do PLeaS and Twin-Merging differ?"
    assert [c.paper.title for c in differ.answer.citations] == titles, differ.answer.text


def test_a_refusal_names_the_closest_papers(full: Assistant, full_store: Path) -> None:
    answer = full.ask("what is alphafold?", llm="extractive")
    assert answer.refused and len(answer.closest) == 3
    assert answer.closest_line().startswith(f"Closest: [1] {answer.closest[0].paper.title}; [2] ")
    result = run("--store", str(full_store), "ask", "how does kubernetes schedule pods?")
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "The indexed papers don't answer this question." and lines[1].startswith(
        "Closest: [1] "
    )


def _cited_relevant(full: Assistant, questions: list[dict]) -> tuple[int, int, int]:
    """Relevant papers, papers cited, and relevant papers cited (titles matched as `rag eval` does)."""
    relevant = cited = cited_relevant = 0
    for q in questions:
        answer = full.ask(q["question"], llm="extractive")
        titles = {normalize_title(c.paper.title) for c in answer.citations}
        gold = {normalize_title(t) for t in q["gold_titles"]}
        relevant += len(gold)
        cited += len(titles)
        cited_relevant += len(titles & gold)
    return relevant, cited, cited_relevant


def test_which_papers_questions_cite_the_relevant_papers(full: Assistant) -> None:
    # The goal is 0.8 recall at 0.85 precision. The 28 list questions written first
    # (dev-052 to dev-204, both halves): the extractive answer cites 86 of their 114 relevant papers,
    # and 86 of its 101 citations are relevant (benchmarks/README.md). This guards that level with
    # the floors set when there were only these 28.
    lists = [q for q in DEV if len(q["gold_titles"]) >= 2]
    first = [q for q in lists if int(q["id"].removeprefix("dev-")) < 205]
    relevant, cited, cited_relevant = _cited_relevant(full, first)
    assert len(first) == 28
    assert cited_relevant / relevant >= 0.7, (cited_relevant, relevant)
    assert cited_relevant / cited >= 0.85, (cited_relevant, cited)
    # The 35 added later (dev-205 to dev-239, broader topics, up to 18 relevant papers): 94 of 170
    # relevant papers cited, 94 of 108 citations relevant.
    later = [q for q in lists if q not in first]
    relevant, cited, cited_relevant = _cited_relevant(full, later)
    assert len(later) == 35
    assert cited_relevant / relevant >= 0.5, (cited_relevant, relevant)
    assert cited_relevant / cited >= 0.85, (cited_relevant, cited)
    # -k widens a list: with k=2 the answer draws on 4 papers at most
    assert len(full.ask(lists[0]["question"], llm="extractive", k=2).citations) <= 4
    # "papers on X" is a list question too: the papers whose abstracts are about X, nothing else
    answer = full.ask("papers on named entity recognition", llm="extractive")
    assert {c.paper.title.split(":")[0] for c in answer.citations} >= {"CrossNER", "Reddit-Impacts"}
    lines = answer.text.splitlines()  # one list item a paper, each cited
    assert len(lines) == len(answer.citations) and all(line.startswith("- ") for line in lines)


@pytest.mark.parametrize(
    "question",
    [
        "what are the main findings on dataset distillation?",
        "what are the key results in dataset distillation?",
        "what do papers find about dataset distillation?",
    ],
)
def test_the_findings_on_a_topic_list_its_papers_each_with_what_it_found(
    full: Assistant, question: str
) -> None:
    """Before, the best-scoring paper answered alone, with "In this paper, unlike previous methods
    ... we are the first to recognize ..."; the findings of a topic no paper is called are a list."""
    answer = full.ask(question, llm="extractive")
    lines = answer.text.splitlines()
    assert len(lines) >= 3 and len(lines) == len(answer.citations), answer.text
    titles = [c.paper.title for c in answer.citations]
    assert any(t.startswith("FYI: Flip Your Images for Dataset Distillation") for t in titles), titles
    fyi = next(line for line in lines if "FYI" in line)
    assert "demonstrate that FYI can be seamlessly integrated" in fyi  # its finding, not its proposal


def test_a_list_of_papers_combining_two_things_lists_only_papers_on_both(full: Assistant) -> None:
    """Before, "which papers combine lora and mixture of experts?" listed five LoRA papers and three
    mixture-of-experts papers: the one paper on both was one of eight."""
    answer = full.ask("which papers combine lora and mixture of experts?", llm="extractive")
    titles = [c.paper.title for c in answer.citations]
    assert titles == ["Leveraging Open Knowledge for Advancing Task Expertise in Large Language Models"], (
        titles
    )
    # none is on both: nothing is listed
    assert full.ask("which papers combine federated learning and diffusion models?", llm="extractive").refused


def test_a_comparison_quotes_each_papers_own_work_not_its_background(full: Assistant) -> None:
    """Before, Twin-Merging's line opened with its background, "Traditional model merging methods
    often show significant performance gaps ...", as if it were what Twin-Merging does."""
    answer = full.ask("how do model soups and twin-merging differ?", llm="extractive")
    line = next(line for line in answer.text.splitlines() if line.startswith("- twin-merging:"))
    assert "we propose Twin-Merging" in line and "Traditional model merging methods" not in line, line
    # unless the question asks for the problem each addresses
    answer = full.ask(
        "how do model soups and twin-merging differ in the problem they address?", llm="extractive"
    )
    line = next(line for line in answer.text.splitlines() if line.startswith("- twin-merging:"))
    assert "a one-size-fits-all model lacks flexibility" in line and "we propose Twin-Merging" in line, line


def test_the_findings_of_a_paper_named_in_a_longer_subject_stay_its_own(full: Assistant) -> None:
    answer = full.ask("what were the results of model soups on imagenet?", llm="extractive")
    assert [c.paper.title.split(":")[0] for c in answer.citations] == ["Model soups"]
    assert "90.94% top-1 accuracy on ImageNet" in answer.text


def test_the_figure_in_the_unit_asked_for_and_a_version_written_as_vn(full: Assistant) -> None:
    # "how often" asks for a percentage; "version 4" is written "V4" in the title
    answer = full.ask("how often did claude 3 opus comply with harmful queries from free users?")
    assert (
        "14%" in answer.text
        and answer.citations[0].paper.title == "Alignment faking in large language models"
    )
    answer = full.ask("how many images are in open images version 4?")
    assert "9.2M" in answer.text and answer.citations[0].paper.title.startswith("The Open Images Dataset V4")


def test_the_extractive_answer_quotes_the_figure_asked_for(full: Assistant) -> None:
    answer = full.ask("how much faster is flowturbo?", llm="extractive")
    assert "53.1%" in answer.text and answer.citations[0].paper.title.startswith("FlowTurbo")
    assert answer.unsupported == []  # verbatim quotes are never unsupported


def test_a_detail_asked_of_a_named_paper_is_quoted_before_the_sentence_presenting_it(full: Assistant) -> None:
    """The paper's name in the question no longer picks its headline sentence ("we present Magic
    1-For-1 ...") when the question asks how fast it is or which models it fine-tunes."""
    answer = full.ask("how fast is magic 1-for-1?", llm="extractive")
    assert answer.text.startswith("With those techniques, we are able to generate 5-second video clips")
    assert "we present Magic 1-For-1" not in answer.text
    answer = full.ask("which datasets is hyperreenact evaluated on?", llm="extractive")
    assert answer.text.startswith("We compare our method") and "VoxCeleb1" in answer.text.split(". ")[0]


def test_how_a_paper_works_is_its_method_not_its_experiments(full: Assistant) -> None:
    """ "how does fyi work?" quotes the sentence introducing FYI, then how it works, not the
    experiments showing that it does (before: "Experiments on CIFAR-10/100 ... demonstrate that FYI
    ..." came first); asked how well it does, the experiments are the answer."""
    answer = full.ask("how does fyi work?", llm="extractive")
    assert answer.text.startswith("To address this problem, we introduce a surprisingly simple"), answer.text
    assert "[1] To this end, FYI embeds a horizontal flipping technique" in answer.text
    assert "Experiments on CIFAR-10/100" not in answer.text
    answer = full.ask("what does fyi outperform?", llm="extractive")
    assert "Experiments on CIFAR-10/100" in answer.text


def test_the_advantages_an_abstract_states_are_quoted_and_others_answered_as_asked(full: Assistant) -> None:
    """ "what are the advantages of moe++?" quotes the sentence stating them (before: the one
    proposing MoE++), one announcing them with the next; an abstract stating none is answered as
    any question is, never with "does not state"."""
    answer = full.ask("what are the advantages of moe++?", llm="extractive")
    assert answer.text.startswith("This design offers three key advantages"), answer.text
    answer = full.ask("what are the advantages of instatune?", llm="extractive")
    assert answer.text.startswith("InstaTune has multiple benefits. [1] Firstly, "), answer.text
    answer = full.ask("what are the advantages of gim?", llm="extractive")
    assert not answer.refused and "does not" not in answer.text and "GIM" in answer.citations[0].paper.title


def test_a_paper_that_writes_the_topic_as_its_defined_acronym_is_listed(full: Assistant) -> None:
    # "Generalizing Few-Shot NAS ..." never spells out neural architecture search in its title;
    # the retrieved abstracts define NAS, so its title names the topic.
    answer = full.ask("which papers propose neural architecture search methods?", llm="extractive")
    assert "Generalizing Few-Shot NAS with Gradient Matching" in {c.paper.title for c in answer.citations}


def test_acronyms_count_only_when_a_text_defines_them() -> None:
    from rag.topic import acronyms, defined_acronyms, names_acronym

    assert acronyms("which papers use mixture of experts?") == {"moe": {"mixture", "expert"}}
    assert "nas" in acronyms("which papers propose neural architecture search methods?")
    texts = ["We study neural architecture search (NAS) at scale.", "Classical neural networks fail."]
    question = "how do classical neural networks compare with neural architecture search?"
    assert set(defined_acronyms(acronyms(question), texts)) == {"nas"}  # CNN is no one's acronym here
    assert names_acronym("ShiftNAS: Improving One-shot NAS", "nas")
    assert names_acronym("MoE++: Accelerating Mixture-of-Experts", "moe")
    assert not names_acronym("a canvas of art", "vas") and not names_acronym("NASNet", "nas")


def test_a_model_list_names_every_listed_paper(full: Assistant) -> None:
    from doubles import Scripted

    question = "which papers propose neural architecture search methods?"
    listed = {c.paper.title for c in full.ask(question, llm="extractive").citations}
    # A model that names one of the papers it is given: the others are added with their sentences.
    settings = Settings(**{**full.settings.model_dump(), "openai_api_key": "sk-test"})
    reply = "- Trains one big single-stage model for neural architecture search [1]."
    model = Assistant(settings, embedder=full.library.embedder, llms={"openai": Scripted(reply)})
    tokens: list[str] = []
    answer = model.ask(question, llm="openai", on_token=tokens.append)
    assert answer.backend == "openai" and answer.text.startswith(reply)
    assert "\n\nAlso on this topic:\n- " in answer.text
    assert {c.paper.title for c in answer.citations} == listed and len(listed) >= 5
    assert answer.unsupported == []  # the added sentences are quotes
    assert "".join(tokens).endswith(answer.text.split("Also on this topic:")[1])  # streamed, not replaced


def test_a_model_list_labelling_its_items_cites_each_title_with_its_paper(full: Assistant) -> None:
    """A small model writes "- [1] Title [2] Title" (each citation before its item, two items on one
    line): each title is cited with its own paper, and the answer streams as it ends."""
    from doubles import Scripted

    question = "which papers propose neural architecture search methods?"
    settings = Settings(**{**full.settings.model_dump(), "openai_api_key": "sk-test"})
    shown = Scripted("x")
    Assistant(settings, embedder=full.library.embedder, llms={"openai": shown}).ask(question, llm="openai")
    sources = re.findall(r'<source id="(\d+)">\nTitle: ([^\n]+)', shown.requests[0][1]["content"])
    assert len(sources) >= 3
    (one, first), (two, second), (three, third) = sources[:3]
    reply = f"- [{one}] {first} [{two}] {second}\n- [{three}] {third}"
    model = Assistant(settings, embedder=full.library.embedder, llms={"openai": Scripted(reply)})
    tokens: list[str] = []
    answer = model.ask(question, llm="openai", on_token=tokens.append)
    assert answer.backend == "openai"
    lines = answer.text.splitlines()[:3]
    assert [line.rsplit(" [", 1)[0] for line in lines] == [f"- {first}", f"- {second}", f"- {third}"]
    by_number = {c.number: c.paper.title for c in answer.citations}
    assert [by_number[cited_numbers(line)[0]] for line in lines] == [first, second, third]
    assert "".join(tokens).startswith("\n".join(lines))  # streamed as the answer reads


@pytest.mark.parametrize(
    "question", ["Compare ZeRO and SPDF.", "Is ZeRO more efficient than SPDF?", "does zero outperform spdf?"]
)
def test_a_comparison_quotes_each_paper_with_every_sentence_cited(full: Assistant, question: str) -> None:
    """A side quoted with two sentences cites both: the support check has nothing to withdraw (it
    used to rewrite the answer, which a terminal then showed twice)."""
    stream = full.stream(question, llm="extractive")
    assert not [e for e in stream if isinstance(e, Replaced)]
    answer = stream.answer
    assert not answer.refused and len({c.paper.paper_id for c in answer.citations}) == 2
    lines = answer.text.split("\n\nNeither abstract compares ")[0].splitlines()  # "outperform"
    assert len(lines) == 2 and any(len(split_sentences(line)) > 1 for line in lines)
    for line in lines:
        assert all(cited_numbers(sentence) for sentence in split_sentences(line)), line


@pytest.mark.parametrize(
    ("first", "question", "follow_up"),
    [
        (
            "what is clip-reident?",
            "what is the best way to learn the guitar?",
            "What mAP was reached on the challenge?",
        ),
        ("what is model soups?", "how do i tune a violin?", "What top-1 accuracy on ImageNet was reached?"),
    ],
)
def test_a_question_the_last_paper_writes_no_word_of_is_no_follow_up(
    full: Assistant, first: str, question: str, follow_up: str
) -> None:
    """Carrying the last paper's title along makes any question find it; one that neither points
    back nor asks about anything that paper writes ("guitar", "violin": one word no paper writes,
    too few to call it off-topic by that alone) is a question of its own, and refused."""
    session = ChatSession(full, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
    session.turns.append(Turn(first, first, full.ask(first, llm="extractive")))
    evidence, followed = session.evidence(question)
    assert not followed and evidence.query.text == question
    assert full.answer(evidence, llm="extractive").finish().refused
    # one not pointing back but asking about what the paper writes still follows up
    assert session.evidence(follow_up)[1]


def test_an_ellipsis_about_what_the_last_paper_never_writes_is_a_new_topic(full: Assistant) -> None:
    """ "what about X?" points back only weakly: after FYI (dataset distillation), "what about model
    merging?" asks about model merging; after Model soups, "and on imagenet?" stays on it."""
    for first, question, stays in [
        ("how does fyi work?", "what about model merging?", False),
        ("what is model soups?", "and what about lora?", False),
        ("what is model soups?", "and on imagenet?", True),
    ]:
        session = ChatSession(full, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
        answer = full.ask(first, llm="extractive")
        session.turns.append(Turn(first, first, answer))
        evidence, followed = session.evidence(question)
        assert followed is stays, question
        on_last = evidence.sources[0].paper.paper_id == answer.citations[0].paper.paper_id
        assert on_last is stays, question


@pytest.mark.parametrize(
    ("first", "question", "stays"),
    [
        # many papers write ViT and ImageNet: asked without "the", they are asked in general
        ("papers on neural architecture search", "what is a vit?", False),
        ("what is model soups?", "what is imagenet?", False),
        # a few papers write a generator network, ELECTRA among them: its own
        ("what is electra?", "what is the generator network?", True),
        # a description of the paper found alone: it writes two of its words the last paper never writes
        ("what is zeroq?", "what is the dataset of 5 billion image-text pairs?", False),
        ("what is gptq?", "what is the method that averages fine-tuned model weights?", False),
        # a few papers write it, 2DMSE among them, but the paper found first is titled with it
        ("what is 2dmse?", "what is matryoshka representation learning?", False),
        # the last paper writes it, and "the" points at its rank, though another paper's title
        # writes "Low-Rank" (a review)
        ("what is hydra?", "what is the rank?", True),
        ("what is cabage?", "what is the generator?", True),
        # a description of the last paper still points back (a review)
        ("what is zeroq?", "how does the method which uses distilled data work?", True),
        ("what is laion-5b?", "who released the dataset that was filtered with clip?", True),
        # the last paper's title alone writes it: asked anew, and defined (a second review)
        ("what is gptq?", "what is the post-training quantization?", False),
    ],
)
def test_what_a_thing_is_asked_mid_chat_is_the_last_papers_by_how_they_write_it(
    full: Assistant, first: str, question: str, stays: bool
) -> None:
    """ "what is X?" after an answer: carrying the last paper's title along finds it for anything it
    mentions, so the follow-up reading would win for a ViT that BigNAS writes in passing."""
    session = ChatSession(full, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
    answer = full.ask(first, llm="extractive")
    session.turns.append(Turn(first, first, answer))
    evidence, followed = session.evidence(question)
    assert followed is stays
    last = {c.paper.paper_id for c in answer.citations}
    assert (evidence.sources[0].paper.paper_id in last) is stays
    if not stays:
        assert evidence.query.text == question


def test_it_after_a_thing_asked_aside_and_refused_is_still_the_paper_before(full: Assistant) -> None:
    """ "what is imagenet?" after Model soups is asked anew and refused; "who wrote the paper?" then
    asks about Model soups (a second review: it was searched "regarding: what is imagenet?")."""
    session = ChatSession(full, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
    for question in ("what is model soups?", "what is imagenet?"):
        evidence, _ = session.evidence(question)
        session.turns.append(Turn(question, evidence.query.text, full.answer(evidence).finish()))
    assert session.turns[1].answer.refused
    evidence, followed = session.evidence("who wrote the paper?")
    assert followed and evidence.sources[0].paper.title.startswith("Model soups")


def test_a_new_topic_announced_mid_chat_is_asked_anew(full: Assistant) -> None:
    """ "different topic: what methods exist for data pruning?" after Model soups: asked as typed, a list."""
    session = ChatSession(full, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
    first = "what is model soups?"
    session.turns.append(Turn(first, first, full.ask(first, llm="extractive")))
    evidence, followed = session.evidence("ok, different topic: what methods exist for data pruning?")
    assert not followed and evidence.query.text == "what methods exist for data pruning?"
    assert evidence.query.is_list


def test_record_questions_over_the_bundled_corpus_answer_from_the_named_record(
    full: Assistant,
) -> None:
    # The Daily Papers dumps carry no authors, venue or DOI: the answer says so, never quotes the abstract.
    answer = full.ask("who are the authors of model soups?", llm="extractive")
    assert answer.text == "The record of [1] has no authors." and answer.backend == "record"
    assert [c.paper.title.split(":")[0] for c in answer.citations] == ["Model soups"]
    dated = full.ask("when was model soups published?", llm="extractive")
    assert dated.text.startswith("The record of [1] has no year. Its source lists it under ")
    # The gate alone would answer these from an unrelated paper (one title word in common, or none):
    # no title found names the paper asked about.
    for question in (
        "who wrote the attention is all you need paper?",
        "who wrote the bert paper?",
        "when was GPT-4 released?",
    ):
        refused = full.ask(question, llm="extractive")
        assert refused.refused and refused.citations == [] and refused.closest, (question, refused.text)


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("ZeRO", "ZeRO: Memory Optimizations"),  # "zero" is a common word of the collection
        ("tell me about ZeRO", "ZeRO: Memory Optimizations"),
        ("what is ZeRO?", "ZeRO: Memory Optimizations"),
        ("what does powerscheduler do?", "Power Scheduler: "),  # a name run together: no paper writes it
        ("summarize points", "POINTS: "),  # other titles write "point" too
        ("what is \x1b[1mZeRO\x1b[0m?", "ZeRO: Memory Optimizations"),  # pasted with its colours
    ],
)
def test_a_paper_called_by_its_short_name_is_answered_from_it(
    full: Assistant, question: str, title: str
) -> None:
    """The words naming a paper (the name index, which ranks it first) weigh as its title's rare
    words, however common or however written, and that paper answers."""
    answer = full.ask(question, llm="extractive")
    assert not answer.refused, answer.decision
    assert answer.citations[0].paper.title.startswith(title)


@pytest.mark.parametrize("question", ["what is alphafold?", "is yolo used for detection?"])
def test_a_name_no_paper_bears_is_still_refused(full: Assistant, question: str) -> None:
    assert full.ask(question, llm="extractive").refused


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("tell me about one head eight arms", "One Head Eight Arms: Block Matrix"),
        ("quality not quantity", "Quality Not Quantity: On the Interaction"),
    ],
)
def test_a_question_naming_a_paper_by_its_titles_words_is_answered_from_it(
    full: Assistant, question: str, title: str
) -> None:
    """Another paper may have a sentence closer to the question's words; the paper it names answers."""
    answer = full.ask(question, llm="extractive")
    assert answer.citations and answer.citations[0].paper.title.startswith(title), answer.text


def test_a_name_written_run_together_is_not_a_word_no_paper_writes(full: Assistant) -> None:
    """ "powerscheduler" is in no abstract, but it names Power Scheduler: a model's answer writing it
    is not a claim about something the collection lacks (verify.foreign)."""
    assert "powerscheduler" not in full.gather("what does powerscheduler do?").unseen
    assert "guitar" in full.gather("how would power scheduler help me learn the guitar?").unseen


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("what did datacomp find about data filtering?", "DataComp: In search of the next generation"),
        ("what does five evaluate?", "FiVE: A Fine-grained Video Editing Benchmark"),
        ("what datasets does five use?", "FiVE: A Fine-grained Video Editing Benchmark"),
        # after a modal verb too (before: refused, PLeaS not among the papers found)
        ("can pleas work without data?", "PLeaS -- Merging Models with Permutations"),
        # a name an abstract coins "termed as" ("termed as PerSAM"; before: no paper's name)
        ("what datasets does persam use?", "Personalize Segment Anything Model with One Shot"),
    ],
)
def test_a_name_of_ordinary_words_as_the_subject_of_a_question_names_its_paper(
    full: Assistant, question: str, title: str
) -> None:
    """ "does five use", "did datacomp find": a name after "does", "did", "do" or a modal, a verb
    following, is the subject the question asks about (before: Data Filtering Networks quoted for
    DataComp, another paper's sentence for "what does five evaluate?", and "what datasets does five
    use?" refused)."""
    answer = full.ask(question, llm="extractive")
    assert [c.paper.title.startswith(title) for c in answer.citations] == [True], answer.text


@pytest.mark.parametrize(
    ("question", "mechanism"),
    [
        ("how does gptq work?", True),
        ("explain how cloob works", True),
        ("what is the approach of persam?", True),
        ("how is zeroq implemented?", True),
        ("what method does electra use?", True),
        ("how does it work? (regarding: GPTQ)", True),
        ("how does gptq work on llama?", False),  # how well, on something
        ("what methods does gptq use?", False),  # the things it uses, by name
        ("how does gptq compare to awq?", False),
    ],
)
def test_questions_asking_how_a_paper_works(question: str, mechanism: bool) -> None:
    assert parse(question).mechanism is mechanism


def test_how_a_paper_works_quotes_what_it_proposes_then_how_not_its_results(full: Assistant) -> None:
    """The sentence presenting the method and those right after it, until one reports a result
    (before: "how does gptq work?" quoted its four GPU hours; "how does electra work?" a sentence of
    the field's background)."""
    gptq = full.ask("how does gptq work?", llm="extractive").text
    assert gptq.startswith("In this paper, we address this challenge, and propose GPTQ, a new one-shot"), gptq
    electra = full.ask("how does electra work?", llm="extractive")
    assert [c.paper.title.split(":")[0] for c in electra.citations] == ["ELECTRA"]
    assert electra.text.startswith("As an alternative, we propose a more sample-efficient pre-training task")
    assert "replacing some tokens with plausible alternatives" in electra.text
    assert "they generally require large amounts of compute" not in electra.text  # the background
    assert "outperforms" not in electra.text and "experiments" not in electra.text.casefold()


def test_what_a_named_work_is_is_the_sentence_naming_it_after_the_one_describing_it(full: Assistant) -> None:
    """ "what is panda-70m?" quoted "We dub the dataset as Panda-70M." alone, "what is primer?" a
    result ("Primer uses 1/3 of the training compute ..."), "what is instructblip?" a comparison. A
    sentence naming the work ("named Primer", "We release ONE-PEACE, a ...") is quoted, after the one
    proposing it when it names what that one described ("the dataset", "the resulting framework");
    how it works starts from the sentence proposing it."""
    for question, start, then in (
        ("what is primer?", "We identify an architecture, named Primer, that has", None),
        ("what exactly is one-peace?", "We release ONE-PEACE, a highly extensible model", None),
        ("what is panda-70m?", "Accordingly, to establish a video", "We dub the dataset as Panda-70M."),
        ("what is vqgraph?", "To address this issue, we propose to learn", "The resulting framework VQGraph"),
    ):
        answer = full.ask(question, llm="extractive")
        assert answer.text.startswith(start), (question, answer.text)
        assert then is None or then in answer.text, (question, answer.text)
        assert len(answer.citations) == 1, question
    how = full.ask("how does vqgraph work?", llm="extractive").text
    assert how.startswith("To address this issue, we propose to learn") and "variant of VQ-VAE" in how, how
    # a coined by-product's name ("called ImageNet+") presents no work: the sentence proposing one does
    reinforce = full.ask("how does reinforce data, multiply impact work?", llm="extractive").text
    assert reinforce.startswith("We propose Dataset Reinforcement, a strategy"), reinforce


def test_a_name_asked_about_is_answered_from_a_paper_writing_it(full: Assistant) -> None:
    """ "what is distilbert?" quoted Multi-student Diffusion Distillation, which never writes
    DistilBERT, ranked first for "distil": a name the question asks about, that a paper found writes,
    is answered from a paper writing it."""
    answer = full.ask("what is distilbert?", llm="extractive")
    assert answer.citations[0].paper.title.startswith("Build a Robust QA System"), answer.text
    assert "DistilBERT" in answer.text


def test_what_a_thing_is_is_the_sentence_of_a_paper_found_that_opens_by_saying_so(full: Assistant) -> None:
    """ "what is clip?" was refused ("clip" is a common word to the gate), "what is uda?" said only that
    a paper mentions UDA: where no paper found is the thing asked about, a sentence opening by saying
    what it is answers, cited."""
    clip = full.ask("what is clip?", llm="extractive")
    assert not clip.refused, clip.text
    assert clip.text.startswith("Contrastive Language-Image Pre-training (CLIP) is an approach"), clip.text
    uda = full.ask("what exactly is UDA?", llm="extractive")
    assert uda.text.startswith("Unsupervised Domain Adaptation (UDA) aims to adapt models"), uda.text
    # a mention spelling the work out is the one quoted (a review: "Second, we find that Poly/MHR ...")
    poly = full.ask("what is poly?", llm="extractive")
    assert poly.text.startswith('No paper found introduces Poly; [1] mentions it: "Polytropon'), poly.text
    # "have emerged as a ..." says what they are too ("what is lora?" quoted "Our approach relies on
    # synthetic data to transfer LoRA modules.")
    lora = full.ask("what is lora?", llm="extractive")
    assert lora.text.startswith("Low-Rank Adaptations (LoRAs) have emerged as a powerful"), lora.text
    from rag.mentioned import _defines, _loosely

    clip_name = _loosely("clip")
    for sentence, defines in (
        ("CLIP is an approach to learn from captions.", True),
        ("The CLIP, a dual encoder, is trained on pairs.", True),
        ("Knowledge distillation (CLIP) aims to compress a model.", True),
        ("We fine-tune CLIP, a dual encoder, on our data.", False),  # not what the sentence is about
        ("Recently, CLIP is a popular choice.", False),
        ("The CLIP model is a dual encoder.", False),
        ("CLIP has recently become the standard image-text encoder.", True),
        ("CLIP has become popular.", False),
    ):
        assert _defines(clip_name, sentence) is defines, sentence


def test_a_name_in_passing_keeps_the_best_sentences_and_a_paper_is_its_name(full: Assistant) -> None:
    """A second review: a name the question mentions in passing ("with lora", "gpu memory") dropped
    the best sentences of the answering paper, and "GPUs" was not "gpu"; "what is the gim paper?" and
    "what is the need for speed?" lost the sentence presenting the paper (its kind and its title's
    article kept the name from matching); a paper titled with words of what is asked ("post-training
    quantization") kept the sentence defining it from being quoted."""
    for question, start in (
        ("is training a small video model from scratch better than fine-tuning with lora?", "In this paper"),
        ("what is the gim paper?", "To address this problem, we propose GIM, a self-training"),
        ("what is the need for speed?", "We introduce the One-shot Pruning Technique"),
        ("what is post-training quantization?", "Post-training quantization is the leading method"),
    ):
        answer = full.ask(question, llm="extractive")
        assert answer.text.startswith(start), (question, answer.text)
    zero = full.ask("how to train trillion-parameter models with less gpu memory?", llm="extractive")
    assert zero.citations[0].paper.title.startswith("ZeRO"), zero.text  # "gpu" is written "GPUs"
    # a third review: a name in passing still chooses the paper writing it, as the first review found
    # it should ("efficientnets": BigNAS, not ShiftNAS); and a kind of work may be part of the name
    bignas = full.ask("which method beats efficientnets without retraining subnets?", llm="extractive")
    assert bignas.citations[0].paper.title.startswith("BigNAS"), bignas.text
    # a fourth review: a name many papers write ("llms", "vlms") is asked in passing, and chooses none
    anomalies = full.ask("can vlms detect anomalies in surveillance video with llms?", llm="extractive")
    assert anomalies.citations[0].paper.title.startswith("Follow the Rules"), anomalies.text
    consistency = full.ask("what are consistency models?", llm="extractive")
    assert consistency.text.startswith("Consistency models are a nascent family"), consistency.text


def test_a_count_with_words_between_the_number_and_the_thing_counted_is_quoted(full: Assistant) -> None:
    """ "how many steps does nitrofusion use?": "1-4 denoising steps" (before: not read as a number of
    steps, and not quoted); "2 bits per parameter" is no number of parameters."""
    steps = full.ask("how many steps does nitrofusion use?", llm="extractive")
    assert "choose between 1-4 denoising steps" in steps.text, steps.text
    parameters = full.ask("how many parameters does pv-tuning use?", llm="extractive")
    assert not parameters.text.startswith("Using PV-Tuning, we achieve"), parameters.text


def test_a_name_before_a_dash_written_as_two_hyphens_is_the_papers_name(full: Assistant) -> None:
    """ "We present MetaShift--a collection ...": the sentence presenting MetaShift (before: the
    dash hid the name, and "how was metashift built?" quoted a sentence on its uses)."""
    assert writes_name("We present MetaShift--a collection of images.", "MetaShift")
    assert not writes_name("a pre-GIM stage", "GIM") and not writes_name("GIM-based", "GIM")
    answer = full.ask("how was metashift built?", llm="extractive")
    assert answer.text.startswith("We present MetaShift--a collection") and "Visual Genome" in answer.text


@pytest.mark.fault
def test_a_model_asked_how_a_paper_works_is_shown_the_sentences_saying_how(full: Assistant) -> None:
    """A model's prompt holds what the extractive answer quotes (before: GPTQ's "four GPU hours",
    which Qwen answered with: "GPTQ works by quantizing GPT models ... in four GPU hours")."""
    settings = Settings(**{**full.settings.model_dump(), "openai_api_key": "sk-test"})
    scripted = Scripted("GPTQ quantizes weights with second-order information [1].")
    model = Assistant(settings, embedder=full.library.embedder, llms={"openai": scripted})
    model.ask("how does gptq work?", llm="openai")
    prompt = "\n".join(m["content"] for m in scripted.requests[0])
    assert "propose GPTQ, a new one-shot weight quantization method" in prompt
    assert "four GPU hours" not in prompt


def test_a_questions_own_filter_on_a_field_no_paper_records_is_left_out_saying_so(
    full_store: Path, embedder: OnnxMiniLM, tmp_path: Path
) -> None:
    """The bundled papers record no year nor authors: "model merging papers from 2024" answers on
    model merging, with a note (before: an error, exit 1); a filter given, or a question asking for
    the filter's papers alone ("papers by NAME"), still says that no paper records it."""
    notes: list[str] = []
    settings = Settings(store_dir=full_store, log_path=tmp_path / "answers.db")
    full = Assistant(settings, embedder=embedder, notify=notes.append)
    stream = full.stream("model merging papers from 2024", llm="extractive")
    said = "No paper in the store records a year (274 record a day without a year): year=2024 is not applied."
    assert [e.text for e in stream if isinstance(e, Notice)] == [said]  # as a chat, a server stream show it
    answer = stream.answer
    assert answer is not None and not answer.refused and answer.unapplied == said
    assert "Twin-Merging" in " ".join(c.paper.title for c in answer.citations)
    assert full.log.entries(limit=1)[0]["unapplied"] == said  # the answer log keeps it
    full.search("model merging papers from 2024")
    assert notes == [said]  # a search says it too
    with pytest.raises(NoMatchError, match="no paper in the store records authors"):
        full.ask("papers by kaiming he", llm="extractive")
    with pytest.raises(NoMatchError, match="no paper in the store records a year"):
        full.ask("model merging papers", llm="extractive", filters={"year": "2024"})


def test_the_latest_paper_of_papers_without_a_year_cannot_be_told(full: Assistant) -> None:
    answer = full.ask("what is the latest paper on model merging?", llm="extractive")
    assert len(answer.citations) > 1  # the papers on model merging (before: one, as if the newest)
    assert answer.text.endswith(
        "\n\nThe records of these papers give no year: which is the most recent cannot be told."
    )


def test_a_list_asking_for_a_number_of_papers_lists_that_many(full: Assistant) -> None:
    """ "give me three papers about X" lists the three likeliest (before: refused, its request
    searched as the topic), for the extractive answer as for a model's (its sources are those)."""
    every = full.ask("papers about dataset distillation", llm="extractive")
    assert len({c.paper.paper_id for c in every.citations}) > 3
    for question, count in (
        ("give me three papers about dataset distillation", 3),
        ("name 2 papers on dataset distillation", 2),
    ):
        answer = full.ask(question, llm="extractive")
        assert not answer.refused and len({c.paper.paper_id for c in answer.citations}) == count, answer.text


@pytest.mark.fault
def test_a_model_repeating_its_instructions_streams_only_its_answer(full: Assistant) -> None:
    """Qwen began an answer with the figure template's instruction, cited ("The question asks for a
    number: give it exactly ... in brackets. [1]"), which streamed before the answer was replaced."""
    settings = Settings(**{**full.settings.model_dump(), "openai_api_key": "sk-test"})
    instruction = next(
        line for line in full.prompts.figure.splitlines() if line.startswith("The question asks")
    )
    answer = "GPTQ can quantize GPT models with 175 billion parameters in approximately four GPU hours [1]."
    for reply in (f"{instruction} [1] {answer}", f"{answer}\n{instruction}"):
        model = Assistant(settings, embedder=full.library.embedder, llms={"openai": Scripted(reply, piece=2)})
        stream = model.stream("how many gpu hours does gptq need?", llm="openai")
        events = list(stream)
        streamed = "".join(e.text for e in events if isinstance(e, Token))
        assert "The question asks" not in streamed and not any(isinstance(e, Replaced) for e in events)
        assert stream.answer.backend == "openai" and stream.answer.text.strip() == answer


def test_a_yes_no_question_asking_by_a_name_the_abstract_coins_is_settled(full: Assistant) -> None:
    """ "is persam training-free?": PerSAM is the name its abstract coins, the subject, not a word to
    find beside "training-free" (before: no verdict, and Qwen's right "Yes." was replaced); a
    coined name asked about as the object stays asked ("does parzc use mabn?")."""
    persam = full.ask("is persam training-free?", llm="extractive")
    assert persam.text.startswith("Yes. In this paper, we propose a training-free"), persam.text
    parzc = full.ask("does parzc use mabn?", llm="extractive")
    assert parzc.text.startswith("Yes.") and "(MABN)" in parzc.text, parzc.text


def test_a_yes_no_question_no_sentence_settles_quotes_the_papers_own_work(full: Assistant) -> None:
    """Unsettled, it quotes the paper's own sentences closest to it, not its background (before:
    "Recently, great progress has been made in video generation technology ..." for RDTF)."""
    answer = full.ask("does rdtf use tvqa?", llm="extractive")
    assert [c.paper.title.split(":")[0] for c in answer.citations] == ["RDTF"]
    assert not answer.text.startswith(("Yes.", "No.")) and "Recently, great progress" not in answer.text


def test_a_metric_the_named_papers_abstract_does_not_report_is_said_to_be_missing(full: Assistant) -> None:
    """ "what accuracy does eva reach on imagenet?": EVA's abstract gives no accuracy (before: two
    sentences on its method were quoted as if they answered); one that does is quoted."""
    eva = full.ask("what accuracy does eva reach on imagenet?", llm="extractive")
    assert eva.text == "The abstract of [1] states no accuracy figure."
    capitals = full.ask("What accuracy does EVA reach on ImageNet?", llm="extractive")
    assert capitals.text == eva.text  # a review found the capitals skipped it
    assert eva.citations[0].paper.title.startswith("EVA")
    soups = full.ask("what accuracy does model soups reach on imagenet?", llm="extractive")
    assert "90.94% top-1 accuracy on ImageNet" in soups.text
    rmt = full.ask("what is the top-1 accuracy of rmt?", llm="extractive")  # "84.1% Top1-acc"
    assert "84.1%" in rmt.text
    ranlaynet = full.ask("what mAP does ranlaynet reach?", llm="extractive")  # "0.398 and 0.588 mAP95"
    assert "states no" not in ranlaynet.text
    for other in ("what does eva do to improve accuracy?", "which attention map does clora update?"):
        assert "states no" not in full.ask(other, llm="extractive").text, other


def test_a_long_lists_later_places_are_pointed_at_by_ordinal_or_numeral(full: Assistant) -> None:
    """ "who wrote the seventh one?", "what does the 8th paper propose?" after a list of more than five
    (before: places stopped at "fifth", and these were searched as typed)."""
    first = "which papers are about image captioning?"
    answer = full.ask(first, llm="extractive")
    papers = list(dict.fromkeys(c.paper.paper_id for c in answer.citations))
    assert len(papers) >= 8, answer.text
    turns = [Turn(first, first, answer)]
    for question, place in [("who wrote the seventh one?", 7), ("what does the 8th paper propose?", 8)]:
        placed = placed_in(question, turns)
        assert placed is not None and placed.papers == [papers[place - 1]], question
    assert placed_in("who wrote the ninth year?", turns) is None


@pytest.mark.parametrize(
    "question", ["which papers are similar to gptq?", "papers like GPTQ", "what else is like the GPTQ paper?"]
)
def test_papers_like_a_paper_are_found_by_its_text_and_listed_without_it(
    full: Assistant, question: str
) -> None:
    """Before, "which papers are similar to gptq?" was a list on the topic "similar to gptq": it listed
    GPTQ itself (in 99% of such questions, benchmarks/similar_papers.py) and hardly any other."""
    evidence = full.gather(question)
    assert evidence.like.startswith("GPTQ: ")
    answer = full.answer(evidence, llm="extractive").finish()
    titles = [c.paper.title for c in answer.citations]
    assert not answer.refused and len(titles) == 5 and len(answer.text.splitlines()) == 5, answer.text
    assert not any(t.startswith("GPTQ") for t in titles)
    assert "QuantEase: Optimization-based Quantization for Language Models" in titles


def test_papers_like_what_no_paper_is_called_are_a_list_on_that_topic(full: Assistant) -> None:
    evidence = full.gather("which papers are related to model merging?")
    assert evidence.like == "" and evidence.query.search == "model merging"
    titles = [c.paper.title for c in full.answer(evidence, llm="extractive").finish().citations]
    assert any(t.startswith("Twin-Merging") for t in titles) and any(t.startswith("PLeaS") for t in titles)


@pytest.mark.parametrize(
    "follow_up", ["which papers are similar to it?", "similar papers?", "more like this"]
)
def test_papers_like_the_paper_of_the_last_answer(full: Assistant, follow_up: str) -> None:
    session = ChatSession(full, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
    first = "what is gptq?"
    session.turns.append(Turn(first, first, full.ask(first, llm="extractive")))
    stream = session.answer(follow_up)
    answer = stream.finish()
    assert stream.query.text == "which papers are similar to GPTQ?"
    titles = [c.paper.title for c in answer.citations]
    assert len(titles) == 5 and "QuantEase: Optimization-based Quantization for Language Models" in titles


@pytest.mark.parametrize(
    ("follow_up", "asked"),
    [
        ("what are the limitations?", "what are the limitations of GPTQ?"),
        ("any drawbacks?", "any drawbacks of GPTQ?"),
        ("what's the main limitation?", "what's the main limitation of GPTQ?"),
        ("does it have limitations?", "does GPTQ have limitations?"),
        ("future work?", "future work of GPTQ?"),
    ],
)
def test_an_aspect_asked_of_no_paper_is_asked_of_the_last_answers(
    full: Assistant, follow_up: str, asked: str
) -> None:
    """Before, "what are the limitations?" after an answer about GPTQ was searched as typed: refused,
    or ("any drawbacks?") answered from another paper."""
    session = ChatSession(full, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
    first = "what is gptq?"
    session.turns.append(Turn(first, first, full.ask(first, llm="extractive")))
    stream = session.answer(follow_up)
    answer = stream.finish()
    assert stream.query.text == asked
    assert [c.paper.title.split(":")[0] for c in answer.citations] == ["GPTQ"], answer.text
    # a question naming its own subject is its own
    assert session.evidence("what are the limitations of model soups?")[0].query.text.endswith("model soups?")


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("how many parameters does model soups have?", "The abstract of [1] states no number of parameters."),
        ("how many classes does clip-reident use?", "The abstract of [1] states no number of classes."),
        # a count the abstract gives, in digits or in words, is quoted as before
        ("how many images are in laion-5b?", None),
        ("how many gpus did gptq use?", None),
    ],
)
def test_a_count_the_named_papers_abstract_never_gives_is_said_to_be_missing(
    full: Assistant, question: str, said: str | None
) -> None:
    """Before, "how many parameters does model soups have?" quoted two sentences with no number."""
    answer = full.ask(question, llm="extractive")
    assert not answer.refused and len({c.paper.paper_id for c in answer.citations}) == 1
    if said:
        assert answer.text == said
    else:
        assert "states no number" not in answer.text and re.search(r"\d|\bfour\b", answer.text), answer.text


def test_an_aspect_asked_of_no_paper_after_a_list_is_asked_of_each(full: Assistant) -> None:
    """ "what are the limitations?" after a list: a line for each listed paper, as "what are their
    limitations?" (before: asked of the list's first paper only)."""
    session = ChatSession(full, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
    first = "which papers study dataset distillation?"
    listed = full.ask(first, llm="extractive")
    session.turns.append(Turn(first, first, listed))
    answer = session.answer("what are the limitations?").finish()
    papers = list(dict.fromkeys(c.paper.paper_id for c in listed.citations))
    assert len(papers) >= 3
    assert list(dict.fromkeys(c.paper.paper_id for c in answer.citations)) == papers
    assert len(answer.text.splitlines()) == len(papers), answer.text


@pytest.mark.parametrize(
    "question",
    ["papers on llms", "which papers are about language models?", "i'm looking for papers about clip"],
)
def test_a_list_on_a_field_many_titles_name_is_answered_however_common_its_words(
    full: Assistant, question: str
) -> None:
    """Before, these were refused: their words are so common that the decision read them as
    unspecific, although many papers are titled with them."""
    answer = full.ask(question, llm="extractive")
    assert not answer.refused and len(answer.citations) >= 3, answer.text
    terms = {"llms": "llm", "language models": "language model", "clip": "clip"}
    written = next(term for key, term in terms.items() if key in question)
    assert sum(written in c.paper.title.lower() for c in answer.citations) >= 2


def test_a_list_question_mid_chat_not_pointing_back_asks_for_papers_of_its_own(full: Assistant) -> None:
    """Before, "papers that propose a benchmark" after a list on LoRA was carried along with the
    list's first paper and answered from that paper alone."""
    session = ChatSession(full, k=5, llm="extractive", mode="hybrid", condense_with_llm=False)
    first = "papers that use lora"
    session.turns.append(Turn(first, first, full.ask(first, llm="extractive")))
    evidence, followed = session.evidence("papers that propose a benchmark")
    assert not followed and evidence.query.text == "papers that propose a benchmark"
    answer = full.answer(evidence, llm="extractive").finish()
    assert len(answer.citations) >= 3 and any("Benchmark" in c.paper.title for c in answer.citations)
