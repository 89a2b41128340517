"""The fitted models as data: rag/calibration.json, its loader and writer, and the code that uses it."""

from __future__ import annotations

import importlib.util
import json
import math
import re
import shutil
import sys
from dataclasses import fields, replace
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from rag import calibration
from rag.calibration import (
    CALIBRATION_PATH,
    CalibrationError,
    LogisticModel,
    load_calibration,
    questions_sha256,
    write_model,
)
from rag.citations import PaperText
from rag.decide import Signals, answer_probability
from rag.errors import RagError
from rag.extractive import list_features, list_members

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "benchmarks" / "dev_questions.jsonl"


def model(**changes: object) -> LogisticModel:
    base = LogisticModel(
        name="decision",
        features={"a": 2.0, "b": 0.5},
        bias=-1.0,
        threshold=0.5,
        questions_sha256="0" * 64,
        questions=3,
        command="python benchmarks/calibrate.py --write",
        fitted="2026-01-01",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def papers_and_ranking() -> tuple[list[PaperText], dict[int, list[tuple[float, int]]]]:
    papers = [
        PaperText(number, [], np.zeros((1, 2)), covered=covered)
        for number, covered in ((1, 0.9), (2, 0.8), (3, 0.2), (4, 0.1))
    ]
    ranked = {1: [(0.7, 0)], 2: [(0.65, 1)], 3: [(0.3, 0)], 4: [(0.2, 0)]}
    return papers, ranked


@pytest.fixture
def calibration_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped file that the code loads instead of it."""
    path = tmp_path / "calibration.json"
    shutil.copy(CALIBRATION_PATH, path)
    monkeypatch.setattr(calibration, "CALIBRATION_PATH", path)
    return path


def test_the_shipped_file_is_in_the_package_and_loads_both_models() -> None:
    assert CALIBRATION_PATH.parent == Path(calibration.__file__).parent
    shipped = load_calibration()
    for name in ("decision", "list"):
        m = shipped.model(name)
        assert m.name == name and 0 < m.threshold < 1
        assert re.fullmatch(r"[0-9a-f]{64}", m.questions_sha256)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", m.fitted) and m.questions > 0
        assert m.command.startswith("python benchmarks/calibrate")
    assert "refusal_threshold" in shipped.model("decision").note


def test_the_models_have_the_features_the_code_computes() -> None:
    shipped = load_calibration()
    assert list(shipped.model("decision").features) == [f.name for f in fields(Signals)]
    signals = Signals(0.6, 0.5, 0.4, 1.0, 0.0)
    assert signals.features() == {
        "similarity": 0.6,
        "coverage": 0.5,
        "title_rarity": 0.4,
        "agreement": 1.0,
        "unseen": 0.0,
    }
    papers, ranked = papers_and_ranking()
    features = list_features(ranked, papers)
    assert sorted(features) == [1, 2, 3, 4]
    for per_paper in features.values():
        assert list(per_paper) == list(shipped.model("list").features)
    assert features[2] == pytest.approx(
        {"sentence_below_best": -0.05, "coverage_below_best": -0.1, "rank_share": 0.5}
    )


def test_probability_is_the_logistic_of_the_weighted_features() -> None:
    assert model().probability({"a": 1.0, "b": 2.0}) == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert model().probability({"b": 0.0, "a": 0.5}) == pytest.approx(0.5)


def test_answer_probability_uses_the_decision_model_of_the_file(calibration_copy: Path) -> None:
    record = json.loads(calibration_copy.read_text())["decision"]
    signals = Signals(0.55, 0.7, 0.3, 1.0, 0.2)
    score = record["bias"] + sum(w * getattr(signals, name) for name, w in record["features"].items())
    assert answer_probability(signals) == pytest.approx(1 / (1 + math.exp(-score)))
    write_model(model(features={f.name: 0.0 for f in fields(Signals)}, bias=0.0), calibration_copy)
    assert answer_probability(signals) == pytest.approx(0.5)


def test_list_members_use_the_list_model_and_its_threshold(calibration_copy: Path) -> None:
    papers, ranked = papers_and_ranking()
    assert list_members(ranked, papers) == [1, 2]  # the shipped model: close seconds listed, the tail not
    shipped = load_calibration().model("list")
    write_model(replace(shipped, threshold=0.0), calibration_copy)
    assert list_members(ranked, papers) == [1, 2, 3, 4]
    write_model(replace(shipped, threshold=1.0), calibration_copy)
    assert list_members(ranked, papers) == [1]  # none reaches it: the most probable one alone


@pytest.mark.parametrize(
    ("given", "missing", "unknown"),
    [({"a": 1.0}, "b", None), ({"a": 1.0, "b": 1.0, "c": 1.0}, None, "c"), ({"a": 1.0, "B": 1.0}, "b", "B")],
)
def test_a_missing_or_unknown_feature_is_an_error(
    given: dict[str, float], missing: str | None, unknown: str | None
) -> None:
    with pytest.raises(CalibrationError) as raised:
        model().probability(given)
    message = str(raised.value)
    assert "'decision'" in message
    assert (f"missing ['{missing}']" if missing else "missing []") in message
    assert (f"unknown ['{unknown}']" if unknown else "unknown []") in message


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: "{not json", "not valid JSON"),
        (lambda d: [], "must hold a JSON object"),
        (lambda d: {k: v for k, v in d.items() if k != "list"}, "'list' model is missing"),
        (
            lambda d: {**d, "decision": {k: v for k, v in d["decision"].items() if k != "bias"}},
            "decision.bias",
        ),
        (lambda d: {**d, "list": {**d["list"], "threshold": "high"}}, "list.threshold"),
        (
            lambda d: {**d, "list": {**d["list"], "features": {"rank_share": None}}},
            "list.features.rank_share",
        ),
        (lambda d: {**d, "decision": {**d["decision"], "features": []}}, "decision.features"),
        (lambda d: {**d, "decision": {**d["decision"], "fitted": None}}, "decision.fitted"),
    ],
)
def test_a_malformed_file_is_an_error_naming_the_file_and_field(
    tmp_path: Path, change: object, named: str
) -> None:
    data = json.loads(CALIBRATION_PATH.read_text())
    broken = change(data)  # type: ignore[operator]
    path = tmp_path / "calibration.json"
    path.write_text(broken if isinstance(broken, str) else json.dumps(broken))
    with pytest.raises(RagError) as raised:
        load_calibration(path)
    assert str(path) in str(raised.value) and named in str(raised.value)


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(RagError, match=re.escape(str(tmp_path / "none.json"))):
        load_calibration(tmp_path / "none.json")


def test_writing_one_model_keeps_the_other_and_is_reloaded(calibration_copy: Path) -> None:
    before = load_calibration()
    refit = replace(before.model("decision"), bias=-3.0, note="", fitted="2027-01-01")
    write_model(refit, calibration_copy)
    after = load_calibration()
    assert after.model("decision") == refit
    assert after.model("list") == before.model("list")
    assert (
        json.loads(calibration_copy.read_text())["list"] == json.loads(CALIBRATION_PATH.read_text())["list"]
    )
    assert load_calibration(CALIBRATION_PATH).model("decision").bias != -3.0  # the shipped file untouched


def test_writing_into_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "new.json"
    write_model(model(name="list"), path)
    assert json.loads(path.read_text())["list"]["features"] == {"a": 2.0, "b": 0.5}
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_questions_hash_is_of_the_records_not_their_layout(tmp_path: Path) -> None:
    records = [{"id": "q1", "question": "A?", "split": "calibrate"}, {"id": "q2", "question": "B?"}]
    plain, spaced, changed = (tmp_path / name for name in ("plain.jsonl", "spaced.jsonl", "changed.jsonl"))
    plain.write_text("".join(json.dumps(r) + "\n" for r in records))
    spaced.write_text("\n" + "\n".join(json.dumps(dict(reversed(r.items())), indent=None) for r in records))
    changed.write_text(plain.read_text().replace("A?", "A!"))
    assert questions_sha256(plain, {"q1"}) == questions_sha256(spaced, {"q1"})
    assert questions_sha256(plain, {"q1"}) != questions_sha256(changed, {"q1"})
    assert questions_sha256(plain, {"q1"}) != questions_sha256(plain, {"q1", "q2"})
    with pytest.raises(CalibrationError, match="q3"):
        questions_sha256(plain, {"q1", "q3"})


def test_the_decision_hash_is_of_the_questions_it_was_fitted_on() -> None:
    # Fitted on the 95 "calibrate" questions the file held then (dev-001 to dev-190).
    records = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    ids = [r["id"] for r in records if r.get("split") == "calibrate" and int(r["id"][4:]) <= 190]
    shipped = load_calibration().model("decision")
    assert len(ids) == shipped.questions
    assert questions_sha256(QUESTIONS, ids) == shipped.questions_sha256


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_scripts_write_their_model_with_its_provenance(
    calibration_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.evaluate import load_questions

    questions, _ = load_questions(QUESTIONS)
    fitted_on = [q for q in questions if q.split == "calibrate"][:5]
    decide_script, list_script = _script("calibrate"), _script("calibrate_lists")
    monkeypatch.setattr(sys, "argv", ["benchmarks/calibrate.py", "--store", "s", "--write"])
    args = decide_script.argparse.Namespace(threshold=0.5)
    signal_names = [f.name for f in fields(Signals)]
    decision = decide_script.fitted_model([-1.0, 1.0, 2.0, 3.0, 4.0, 5.0], signal_names, fitted_on, args)
    write_model(decision)
    monkeypatch.setattr(sys, "argv", ["calibrate_lists.py", "--write"])
    samples = [(q.id, "calibrate", 2, np.zeros((1, 3)), np.zeros(1)) for q in fitted_on[:2]]
    list_names = list(load_calibration().model("list").features)
    write_model(list_script.fitted_model([1.0, 2.0, 3.0, 4.0], 0.6, list_names, QUESTIONS, samples))
    data = json.loads(calibration_copy.read_text())
    assert data["decision"]["features"] == dict(zip(signal_names, [1.0, 2.0, 3.0, 4.0, 5.0], strict=True))
    assert data["decision"]["bias"] == -1.0 and data["decision"]["questions"] == 5
    assert data["decision"]["command"] == "python benchmarks/calibrate.py --store s --write"
    assert data["decision"]["questions_sha256"] == questions_sha256(QUESTIONS, [q.id for q in fitted_on])
    assert data["list"]["features"] == {
        "sentence_below_best": 2.0,
        "coverage_below_best": 3.0,
        "rank_share": 4.0,
    }
    assert data["list"]["threshold"] == 0.6 and data["list"]["bias"] == 1.0
    assert data["list"]["command"] == "python benchmarks/calibrate_lists.py --write"
    assert data["list"]["questions_sha256"] == questions_sha256(QUESTIONS, [q.id for q in fitted_on[:2]])
    assert answer_probability(Signals(0, 0, 0, 0, 0)) == pytest.approx(1 / (1 + math.e))
