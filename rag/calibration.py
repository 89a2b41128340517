"""The fitted models (answer or refuse, which papers a list names), read from calibration.json."""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import RagError

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")
MODEL_NAMES = ("decision", "list")  # the entries the file must hold
REQUIRED_FIELDS = ("features", "bias", "threshold", "questions_sha256", "command", "fitted")


class CalibrationError(RagError):
    """The calibration file, or the features given to one of its models, cannot be used."""


@dataclass(frozen=True)
class LogisticModel:
    """A logistic model over named features, with the threshold and provenance of its fit."""

    name: str
    features: dict[str, float]  # feature name -> weight
    bias: float
    threshold: float
    questions_sha256: str  # `questions_sha256` of the question records it was fitted on
    questions: int  # how many
    command: str  # the command line that fitted it and wrote it here
    fitted: str  # the date, YYYY-MM-DD
    note: str = ""
    source: str = field(default="", compare=False)  # the file it was read from, for messages

    def probability(self, features: Mapping[str, float]) -> float:
        """The logistic of the bias plus the weighted features; every feature named, none more."""
        if features.keys() != self.features.keys():
            missing = sorted(self.features.keys() - features.keys())
            unknown = sorted(features.keys() - self.features.keys())
            where = f" ({self.source})" if self.source else ""
            raise CalibrationError(
                f"calibration model {self.name!r}{where} got features missing {missing}, unknown {unknown}; "
                f"it was fitted on {list(self.features)}"
            )
        # In the model's feature order, so a refit file changes results only through its numbers.
        score = self.bias + sum(weight * features[name] for name, weight in self.features.items())
        return 1.0 / (1.0 + math.exp(-score))

    def record(self) -> dict[str, Any]:
        """The model as its calibration.json entry."""
        return {
            "features": dict(self.features),
            "bias": self.bias,
            "threshold": self.threshold,
            "questions_sha256": self.questions_sha256,
            "questions": self.questions,
            "command": self.command,
            "fitted": self.fitted,
            **({"note": self.note} if self.note else {}),
        }


@dataclass(frozen=True)
class Calibration:
    """Every fitted model, by name, and the file they came from."""

    path: Path
    models: dict[str, LogisticModel]

    def model(self, name: str) -> LogisticModel:
        """The model of that name ("decision" or "list")."""
        try:
            return self.models[name]
        except KeyError:
            raise CalibrationError(f"{self.path}: no {name!r} model") from None


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CalibrationError(f"{where} must be a number, not {value!r}")
    return float(value)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise CalibrationError(f"{where} must be a string, not {value!r}")
    return value


def _model(name: str, record: Any, path: Path) -> LogisticModel:
    """One entry of the file, checked field by field."""
    where = f"{path}: {name}"
    if not isinstance(record, dict):
        raise CalibrationError(f"{where} must be an object")
    missing = [key for key in REQUIRED_FIELDS if key not in record]
    if missing:
        raise CalibrationError(f"{where}.{missing[0]} is missing")
    features = record["features"]
    if not isinstance(features, dict) or not features:
        raise CalibrationError(f"{where}.features must map feature names to weights")
    questions = record.get("questions", 0)
    if isinstance(questions, bool) or not isinstance(questions, int):
        raise CalibrationError(f"{where}.questions must be a whole number, not {questions!r}")
    return LogisticModel(
        name=name,
        features={str(k): _number(v, f"{where}.features.{k}") for k, v in features.items()},
        bias=_number(record["bias"], f"{where}.bias"),
        threshold=_number(record["threshold"], f"{where}.threshold"),
        questions_sha256=_text(record["questions_sha256"], f"{where}.questions_sha256"),
        questions=questions,
        command=_text(record["command"], f"{where}.command"),
        fitted=_text(record["fitted"], f"{where}.fitted"),
        note=_text(record.get("note", ""), f"{where}.note"),
        source=str(path),
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CalibrationError(f"cannot read the calibration file {path}: {exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CalibrationError(f"the calibration file {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CalibrationError(f"the calibration file {path} must hold a JSON object")
    return data


@functools.lru_cache(maxsize=8)
def _load(path: Path) -> Calibration:
    data = _read(path)
    for name in MODEL_NAMES:
        if name not in data:
            raise CalibrationError(f"{path}: the {name!r} model is missing")
    return Calibration(path, {name: _model(name, record, path) for name, record in data.items()})


def load_calibration(path: Path | None = None) -> Calibration:
    """The fitted models of a calibration file (default: the shipped rag/calibration.json); cached."""
    return _load(Path(path or CALIBRATION_PATH).resolve())


def write_model(model: LogisticModel, path: Path | None = None) -> Path:
    """Put one model into a calibration file, keeping its other entries; returns the file."""
    target = Path(path or CALIBRATION_PATH).resolve()
    data = _read(target) if target.exists() else {}
    data[model.name] = model.record()
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    # Written whole then renamed, so a reader never sees half a file.
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".calibration-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _load.cache_clear()
    return target


def questions_sha256(path: Path, ids: Collection[str]) -> str:
    """The sha256 of the named question records of a JSONL file, in file order, each as
    compact JSON with sorted keys and a newline (ids as `rag.evaluate.load_questions` gives them)."""
    digest = hashlib.sha256()
    found = set()
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(record, dict):
            continue
        question_id = str(record.get("id") or f"line-{number}")
        if question_id in ids:
            found.add(question_id)
            canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            digest.update(canonical.encode("utf-8") + b"\n")
    if len(found) != len(set(ids)):
        raise CalibrationError(f"{path} lacks the questions {sorted(set(ids) - found)}")
    return digest.hexdigest()
