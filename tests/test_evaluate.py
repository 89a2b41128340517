"""Metrics on hand-made cases, question files with bad lines, and `rag eval` end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import write_jsonl
from test_cli import run

from rag import evaluate
from rag.evaluate import ndcg_at, percentile, predicted_label, recall_at, reciprocal_rank


def test_recall_mrr_ndcg_on_known_cases() -> None:
    ranked = ["a", "b", "c", "d"]
    assert recall_at(ranked, {"b", "x"}, 1) == 0.0
    assert recall_at(ranked, {"b", "x"}, 5) == 0.5
    assert reciprocal_rank(ranked, {"c"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(ranked, {"z"}) == 0.0
    assert ndcg_at(ranked, {"a"}, 10) == 1.0
    # relevant at ranks 2 and 4 of two gold: (1/log2(3) + 1/log2(5)) / (1 + 1/log2(3))
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at(ranked, {"b", "d"}, 10) == pytest.approx(expected)
    assert percentile([10, 20, 30, 40], 50) == 25 and percentile([], 50) is None
    assert predicted_label("Yes, the claim holds [1].") == "yes" and predicted_label("It is unclear.") is None


def _outcome(
    qid: str, gold: list[str], ranked: list[str], cited: list[str], refused: bool, text: str = "x [1]."
) -> evaluate.Outcome:
    from rag.answer import Answer, Citation, PaperRef, Source

    sources = [Source(i, PaperRef(pid, pid), 1.0, "") for i, pid in enumerate(ranked[:3], 1)]
    citations = [Citation(i, PaperRef(pid, pid), "") for i, pid in enumerate(cited, 1)]
    answer = Answer(
        "q",
        text if not refused else "refused",
        citations,
        sources,
        "extractive",
        refused=refused,
        timings={"total": 100.0},
    )
    question = evaluate.Question("q", qid, gold_ids=gold)
    return evaluate.Outcome(question, set(gold), ranked, 10.0, answer)


def test_refusal_and_citation_metrics() -> None:
    outcomes = [
        _outcome("1", ["a"], ["a", "b", "c"], ["a"], refused=False),
        _outcome("2", ["b"], ["c", "b", "a"], ["c", "b"], refused=False, text="x [1]. y [2]."),
        _outcome("3", [], ["c", "a", "b"], [], refused=True),
        _outcome("4", [], ["a", "b", "c"], ["z"], refused=False),  # cites a paper it did not retrieve
        _outcome("5", ["c"], ["a", "b", "c"], [], refused=True),  # a wrong refusal
    ]
    summary = evaluate.summarize(outcomes)
    assert summary["n"] == 5
    assert summary["retrieval"]["recall@1"] == pytest.approx(1 / 3)
    assert summary["retrieval"]["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)
    answers = summary["answers"]
    assert answers["refusal_precision"] == 0.5 and answers["refusal_recall"] == 0.5
    assert answers["citation_validity"] == pytest.approx(3 / 4)
    assert answers["citation_precision"] == pytest.approx(2 / 3)
    assert answers["contains_accuracy"] is None and answers["label_accuracy"] is None
    assert summary["latency_ms"]["answer_p50"] == 100.0
    # counts beside the ratios, with a 95% interval, and the questions behind each miss
    counts = summary["counts"]
    assert counts["refusal_recall"]["k"] == 1 and counts["refusal_recall"]["n"] == 2
    assert counts["citation_precision"]["k"] == 2 and counts["citation_precision"]["n"] == 3
    assert counts["false_refusal_rate"]["k"] == 1 and counts["false_refusal_rate"]["n"] == 3
    assert counts["refusal_recall"]["low"] < 0.5 < counts["refusal_recall"]["high"]
    assert "contains_accuracy" not in counts  # nothing to count
    assert summary["failures"]["refused_but_answerable"] == ["5"]
    assert summary["failures"]["answered_but_unanswerable"] == ["4"]
    assert summary["failures"]["cites_a_non_gold_paper"] == ["2"]


def test_wilson_intervals_and_noise() -> None:
    low, high = evaluate.wilson(43, 48)
    assert low == pytest.approx(0.778, abs=0.001) and high == pytest.approx(0.955, abs=0.001)
    assert evaluate.wilson(0, 0) == (0.0, 1.0)
    assert evaluate.within_noise({"k": 43, "n": 48}, {"k": 44, "n": 48})  # 0.02 apart: noise
    assert not evaluate.within_noise({"k": 20, "n": 48}, {"k": 44, "n": 48})
    assert evaluate.within_noise(None, {"k": 1, "n": 2}) is None


@pytest.mark.fault
def test_bad_question_lines_are_reported_by_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"question": "Fine?", "gold_ids": ["a"]}\n'
        "{broken\n"
        '{"id": "x"}\n'
        '{"question": "Bad gold", "gold_titles": "not a list"}\n'
        "\n"
        '{"question": "Unanswerable", "gold_ids": []}\n',
        encoding="utf-8",
    )
    questions, problems = evaluate.load_questions(path)
    assert [q.id for q in questions] == ["line-1", "line-6"]
    assert not questions[1].answerable and questions[1].has_gold
    assert [str(p) for p in problems] == [
        f"{path}:2: not valid JSON (Expecting property name enclosed in double quotes); skipped",
        f"{path}:3: no 'question' text; skipped",
        f"{path}:4: 'gold_titles' must be a list of strings; skipped",
    ]


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    corpus = write_jsonl(
        tmp_path / "tiny.jsonl",
        [
            {
                "id": "otters",
                "title": "Tool use in sea otters",
                "abstract": "Sea otters crack shellfish with rocks. "
                "We observed 312 otters using stones as anvils.",
            },
            {
                "id": "glaciers",
                "title": "Alpine glacier retreat from radar",
                "abstract": "Satellite radar interferometry shows Alpine glaciers "
                "lost 21% of their area since 2000.",
            },
            {
                "id": "bees",
                "title": "Acoustic swarm prediction in beehives",
                "abstract": "Microphones inside beehives predict swarming two days ahead "
                "from changes in the hum.",
            },
        ],
    )
    questions = write_jsonl(
        tmp_path / "questions.jsonl",
        [
            {
                "id": "q1",
                "kind": "figure",
                "question": "How many sea otters were observed using stones as anvils?",
                "gold_ids": ["otters"],
                "answer_contains": ["312"],
            },
            {
                "id": "q2",
                "kind": "lookup",
                "question": "How much area did Alpine glaciers lose according to satellite radar?",
                "gold_titles": ["Alpine glacier retreat from radar"],
                "answer_contains": ["21%"],
            },
            {"id": "q3", "kind": "unanswerable", "question": "What is the capital of Peru?", "gold_ids": []},
        ],
    )
    return corpus, questions


def test_rag_eval_json_on_a_tiny_corpus(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    corpus, questions = tiny
    store = tmp_path / "user-store"
    out = tmp_path / "out"
    result = run(
        "--store",
        str(store),
        "eval",
        str(questions),
        "--corpus",
        str(corpus),
        "--llm",
        "extractive",
        "--json",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"n", "retrieval", "answers", "counts", "failures", "latency_ms", "settings"}
    assert set(report["retrieval"]) == {"recall@1", "recall@5", "recall@10", "mrr", "ndcg@10"}
    assert set(report["answers"]) == set(evaluate.ANSWER_KEYS)
    assert set(report["latency_ms"]) == set(evaluate.LATENCY_KEYS)
    assert report["n"] == 3
    assert report["retrieval"] == {
        "recall@1": 1.0,
        "recall@5": 1.0,
        "recall@10": 1.0,
        "mrr": 1.0,
        "ndcg@10": 1.0,
    }
    answers = report["answers"]
    assert answers["contains_accuracy"] == 1.0
    assert answers["refusal_precision"] == 1.0 and answers["refusal_recall"] == 1.0
    assert answers["citation_validity"] == 1.0 and answers["citation_precision"] == 1.0
    assert answers["label_accuracy"] is None
    assert not store.exists() or not any(store.iterdir()), "--corpus must not touch the user's store"
    assert json.loads((out / "report.json").read_text()) == report
    lines = [json.loads(line) for line in (out / "per_question.jsonl").read_text().splitlines()]
    assert [line["id"] for line in lines] == ["q1", "q2", "q3"]
    assert lines[0]["retrieved_ids"][0] == "otters" and lines[0]["citations"][0]["paper_id"] == "otters"
    assert lines[2]["refused"] is True
    markdown = (out / "report.md").read_text()
    assert "## Kind: figure (n=1)" in markdown and "| retrieval.recall@5 | 1.000 |" in markdown
    assert "| answers.refusal_recall | 1.000 (1/1, 95% " in markdown
    assert "## Failures (all questions)" in markdown and "- refused but answerable (0): -" in markdown

    other = tmp_path / "other.json"
    other.write_text(json.dumps({**report, "retrieval": {**report["retrieval"], "mrr": 0.5}}))
    compared = run("eval", "--compare", str(out / "report.json"), str(other))
    assert compared.returncode == 0
    assert any(
        line.split()[:4] == ["retrieval.mrr", "1.000", "0.500", "-0.500"]
        for line in compared.stdout.splitlines()
    )
    # a counted rate says whether its change is within noise
    assert any(
        line.startswith("answers.refusal_recall") and line.endswith("within noise")
        for line in compared.stdout.splitlines()
    )
    plain = run("--store", str(store), "eval", str(questions), "--corpus", str(corpus), "--llm", "extractive")
    assert "refusal_recall" in plain.stdout and "(1/1, 95% " in plain.stdout


@pytest.mark.fault
def test_python_api_matches_and_bad_lines_exit_nonzero(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    corpus, questions = tiny
    report = evaluate.run(questions, corpus=[corpus], llm="extractive", progress=False)
    assert report["n"] == 3 and report["retrieval"]["mrr"] == 1.0
    with questions.open("a") as f:
        f.write("{not json\n")
    result = run("eval", str(questions), "--corpus", str(corpus), "--llm", "extractive", "--json")
    assert result.returncode == 3  # evaluated, but a question line was skipped
    assert json.loads(result.stdout)["n"] == 3
    assert f"rag: {questions}:4: not valid JSON" in result.stderr


@pytest.mark.fault
def test_an_out_path_that_cannot_take_the_reports_fails_before_any_question(
    tmp_path: Path, tiny: tuple[Path, Path]
) -> None:
    """A file given as --out (or under one) is a one-line error before the corpus is read or a
    question asked: no answer is logged, the file is untouched."""
    corpus, questions = tiny
    taken = tmp_path / "results.txt"
    taken.write_text("not a directory")
    log = tmp_path / "answers.db"
    for out, error in (
        (taken, f"--out {taken} is a file: give a directory for report.json, report.md, per_question.jsonl"),
        (taken / "run-1", f"--out {taken / 'run-1'}: cannot create the directory (Not a directory)"),
    ):
        result = run(
            "eval",
            str(questions),
            "--corpus",
            str(corpus),
            "--llm",
            "extractive",
            "--out",
            str(out),
            env={"RAG_LOG_PATH": str(log)},
        )
        assert (result.returncode, result.stdout, result.stderr) == (1, "", f"rag: error: {error}\n")
    assert not log.exists()  # no question was answered
    assert taken.read_text() == "not a directory"
    with pytest.raises(evaluate.InputError, match="is a file"):
        evaluate.run(questions, corpus=[corpus], out=taken, progress=False)


@pytest.mark.fault
def test_a_corpus_that_yields_no_paper_is_an_error_not_the_bundled_corpus(
    tmp_path: Path, tiny: tuple[Path, Path]
) -> None:
    """Before: a missing --corpus was skipped with a note and the questions were scored against the
    bundled corpus, which the empty store filled itself with on the first question."""
    _, questions = tiny
    untitled = tmp_path / "no-abstracts.jsonl"
    untitled.write_text('{"title": "A title only"}\n')
    for corpus, why in (
        (tmp_path / "missing.jsonl", f"{tmp_path / 'missing.jsonl'}: no such file; skipped"),
        (untitled, f"{untitled}: 1 of 1 entries has no abstract; skipped (line 1)"),
    ):
        result = run("eval", str(questions), "--corpus", str(corpus), "--llm", "extractive")
        assert (result.returncode, result.stdout) == (1, ""), result.stderr
        assert result.stderr == f"rag: error: no paper read from the corpus to evaluate on ({why})\n"
