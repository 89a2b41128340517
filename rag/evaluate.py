"""Evaluation: question files, retrieval and answer metrics, reports, and report comparison."""

from __future__ import annotations

import json
import math
import os
import re
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError, NoMatchError
from .library.corpus import Problem, normalize_title
from .library.filters import NO_FILTER, Filter

if TYPE_CHECKING:
    from .answer import Answer
    from .api import Assistant
    from .config import SearchMode, Settings

REPORT_FILES = ("report.json", "report.md", "per_question.jsonl")
RETRIEVAL_KEYS = ("recall@1", "recall@5", "recall@10", "mrr", "ndcg@10")
ANSWER_KEYS = (
    "contains_accuracy",
    "label_accuracy",
    "refusal_precision",
    "refusal_recall",
    "citation_validity",
    "citation_precision",
    "support_rate",
    "false_refusal_rate",
    "list_recall",
    "list_precision",
    "cited_answer_rate",
    "replaced_rate",
    "prompt_tokens_p50",
)
LATENCY_KEYS = (
    "retrieve_p50",
    "retrieve_p95",
    "first_token_p50",
    "first_token_p95",
    "answer_p50",
    "answer_p95",
)
LABELS = ("yes", "no", "true", "false")


@dataclass
class Question:
    """One evaluation question; an empty gold list means the corpus cannot answer it."""

    question: str
    id: str
    kind: str = "question"
    gold_ids: list[str] | None = None
    gold_titles: list[str] | None = None
    answer_contains: list[str] = field(default_factory=list)
    answer: str | None = None
    split: str | None = None  # e.g. "calibrate" or "report": which questions tune, which measure
    filters: Filter = NO_FILTER  # the papers it is asked of ("filter": {"year": "2021..2023", ...})

    @property
    def answerable(self) -> bool:
        return bool(self.gold_ids or self.gold_titles)

    @property
    def has_gold(self) -> bool:
        return self.gold_ids is not None or self.gold_titles is not None


def _string_list(record: dict[str, Any], key: str) -> list[str] | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise ValueError(f"'{key}' must be a list of strings")
    return [str(v) for v in value]


def _filter(record: dict[str, Any]) -> Filter:
    """A question's own filter: "filter": {"year": "2021..2023", "author": "Turing", ...} or its
    /filter text ("year=2023 category=cs.CL")."""
    value = record.get("filter")
    if value is None:
        return NO_FILTER
    if isinstance(value, dict):
        return Filter.parse(value, origin="'filter'.")
    if isinstance(value, str):
        try:
            return Filter.from_words(value)
        except InputError as exc:
            raise InputError(f"'filter': {exc}") from None
    raise InputError(f'\'filter\' must be an object like {{"year": "2023"}}, not {type(value).__name__}')


MAX_QUESTION_FILE = 64 << 20  # bytes: a question file is a few thousand lines


def load_questions(path: Path) -> tuple[list[Question], list[Problem]]:
    """Read a JSONL question file; bad lines are reported by line number and skipped."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_QUESTION_FILE + 1)
        if len(data) > MAX_QUESTION_FILE:  # /dev/zero was read whole, 15 GB and on
            raise InputError(f"question file {path} is larger than {MAX_QUESTION_FILE >> 20} MiB")
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read question file {path}: {exc}") from None
    questions: list[Question] = []
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            question = record.get("question")
            if not isinstance(question, str) or not question.strip():
                raise ValueError("no 'question' text")
            label = record.get("answer")
            questions.append(
                Question(
                    question=question.strip(),
                    id=str(record.get("id") or f"line-{number}"),
                    kind=str(record.get("kind") or record.get("dataset") or "question"),
                    gold_ids=_string_list(record, "gold_ids"),
                    gold_titles=_string_list(record, "gold_titles"),
                    answer_contains=_string_list(record, "answer_contains") or [],
                    answer=str(label).strip().lower() if label not in (None, "") else None,
                    split=str(record["split"]) if record.get("split") else None,
                    filters=_filter(record),
                )
            )
        except json.JSONDecodeError as exc:
            problems.append(Problem(str(path), number, f"not valid JSON ({exc.msg}); skipped"))
        except (ValueError, InputError) as exc:
            problems.append(Problem(str(path), number, f"{exc}; skipped"))
    return questions, problems


# Metric functions: small, pure, tested on hand-made cases.


def recall_at(ranked: Sequence[str], gold: set[str], k: int) -> float:
    """Fraction of the gold papers in the top k."""
    return len(gold & set(ranked[:k])) / len(gold) if gold else 0.0


def reciprocal_rank(ranked: Sequence[str], gold: set[str]) -> float:
    """1 / rank of the first gold paper, 0 if none is ranked."""
    return next((1.0 / rank for rank, pid in enumerate(ranked, 1) if pid in gold), 0.0)


def ndcg_at(ranked: Sequence[str], gold: set[str], k: int) -> float:
    """Normalized discounted cumulative gain with binary relevance."""
    dcg = sum(1.0 / math.log2(rank + 1) for rank, pid in enumerate(ranked[:k], 1) if pid in gold)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return dcg / ideal if ideal else 0.0


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, None when there is nothing to divide."""
    return numerator / denominator if denominator else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def predicted_label(text: str) -> str | None:
    """The yes/no/true/false an answer opens with, if any."""
    match = re.match(r"\W*(yes|no|true|false)\b", text.strip().casefold())
    return match.group(1) if match else None


@dataclass
class Outcome:
    """What one question produced: the ranking, the answer, and its per-question metrics."""

    question: Question
    gold: set[str]
    ranked: list[str]
    retrieve_ms: float
    answer: Answer

    @property
    def cited_sentences(self) -> int:
        """Sentences of the answer that carry a citation (none for a refusal)."""
        from .citations import cited_numbers, split_sentences

        if self.answer.refused:
            return 0
        return sum(1 for s in split_sentences(self.answer.text) if cited_numbers(s))

    @property
    def unsupported_cited(self) -> int:
        """Cited sentences the support check found unsupported."""
        return sum(1 for u in self.answer.unsupported if u.citations)

    def record(self) -> dict[str, Any]:
        """The per_question.jsonl line."""
        return {
            "id": self.question.id,
            "kind": self.question.kind,
            "question": self.question.question,
            "gold_ids": sorted(self.gold),
            "retrieved_ids": self.ranked,
            "answer": self.answer.text,
            "backend": self.answer.backend,
            "fallback_reason": self.answer.fallback_reason,
            "first_token_ms": round(self.answer.timings.get("first_token", 0.0)),
            "answer_ms": round(self.answer.timings.get("total", 0.0)),
            "prompt_tokens": self.answer.prompt_tokens,
            "refused": self.answer.refused,
            "citations": [
                {"number": c.number, "paper_id": c.paper.paper_id, "title": c.paper.title}
                for c in self.answer.citations
            ],
            "filters": self.answer.filters,
            "metrics": {
                "recall@5": recall_at(self.ranked, self.gold, 5) if self.question.answerable else None,
                "mrr": reciprocal_rank(self.ranked, self.gold) if self.question.answerable else None,
                "cited_sentences": self.cited_sentences,
                "unsupported": self.unsupported_cited,
            },
        }


def summarize(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The metric blocks of a report for a set of outcomes."""
    answerable = [o for o in outcomes if o.question.answerable]
    unanswerable = [o for o in outcomes if o.question.has_gold and not o.question.answerable]
    retrieval = {
        "recall@1": _mean([recall_at(o.ranked, o.gold, 1) for o in answerable]),
        "recall@5": _mean([recall_at(o.ranked, o.gold, 5) for o in answerable]),
        "recall@10": _mean([recall_at(o.ranked, o.gold, 10) for o in answerable]),
        "mrr": _mean([reciprocal_rank(o.ranked, o.gold) for o in answerable]),
        "ndcg@10": _mean([ndcg_at(o.ranked, o.gold, 10) for o in answerable]),
    }
    with_contains = [o for o in outcomes if o.question.answer_contains]
    with_label = [o for o in outcomes if o.question.answer in LABELS]
    refused = [o for o in outcomes if o.answer.refused and o.question.has_gold]
    citations = [(o, c) for o in outcomes for c in o.answer.citations]
    gold_citations = [(o, c) for o, c in citations if o.question.answerable]
    cited_sentences = sum(o.cited_sentences for o in outcomes)
    answered = [o for o in answerable if not o.answer.refused]
    lists = [o for o in answerable if len(o.gold) >= 2]
    unsupported = sum(o.unsupported_cited for o in outcomes)
    retrieve_ms = [o.retrieve_ms for o in outcomes]
    answer_ms = [o.answer.timings.get("total", 0.0) for o in outcomes]
    first_ms = [o.answer.timings.get("first_token", 0.0) for o in outcomes if not o.answer.refused]
    prompt_tokens = [o.answer.prompt_tokens for o in outcomes if o.answer.prompt_tokens]
    latency = {
        "retrieve_p50": percentile(retrieve_ms, 50),
        "retrieve_p95": percentile(retrieve_ms, 95),
        "first_token_p50": percentile(first_ms, 50),
        "first_token_p95": percentile(first_ms, 95),
        "answer_p50": percentile(answer_ms, 50),
        "answer_p95": percentile(answer_ms, 95),
    }
    contained = [
        o
        for o in with_contains
        if all(s.casefold() in o.answer.text.casefold() for s in o.question.answer_contains)
    ]
    listed = [(o, len(o.gold & cited_ids(o)), len(cited_ids(o))) for o in lists]
    tallies = {  # the rates that count something: (hits, out of)
        "contains_accuracy": (len(contained), len(with_contains)),
        "label_accuracy": (
            sum(1 for o in with_label if predicted_label(o.answer.text) == o.question.answer),
            len(with_label),
        ),
        "refusal_precision": (sum(1 for o in refused if not o.question.answerable), len(refused)),
        "refusal_recall": (sum(1 for o in unanswerable if o.answer.refused), len(unanswerable)),
        "citation_validity": (
            sum(1 for o, c in citations if c.paper.paper_id in {s.paper.paper_id for s in o.answer.sources}),
            len(citations),
        ),
        "citation_precision": (
            sum(1 for o, c in gold_citations if c.paper.paper_id in o.gold),
            len(gold_citations),
        ),
        "support_rate": (cited_sentences - unsupported, cited_sentences),
        "false_refusal_rate": (sum(1 for o in answerable if o.answer.refused), len(answerable)),
        "list_precision": (sum(right for _, right, _ in listed), sum(cited for _, _, cited in listed)),
        # answered (not refused) answerable questions whose answer cites at least one paper
        "cited_answer_rate": (sum(1 for o in answered if o.answer.citations), len(answered)),
        # answers where the requested model's reply was not used (failed or rejected by the checks)
        "replaced_rate": (sum(1 for o in outcomes if o.answer.fallback_reason), len(outcomes)),
    }
    answers: dict[str, float | None] = {name: ratio(k, n) for name, (k, n) in tallies.items()}
    # questions with several gold papers: the share of them the answer cites, per question
    answers["list_recall"] = _mean([right / len(o.gold) for o, right, _ in listed])
    answers["prompt_tokens_p50"] = percentile(prompt_tokens, 50)
    answers = {key: answers[key] for key in ANSWER_KEYS}
    counts = {}
    for name, (k, n) in tallies.items():
        if n:
            low, high = wilson(k, n)
            counts[name] = {"k": k, "n": n, "low": round(low, 4), "high": round(high, 4)}
    failures = {  # the questions behind each miss, by id
        "refused_but_answerable": [o.question.id for o in answerable if o.answer.refused],
        "answered_but_unanswerable": [o.question.id for o in unanswerable if not o.answer.refused],
        "missing_answer_contains": [o.question.id for o in with_contains if o not in contained],
        "gold_not_in_top_5": [o.question.id for o in answerable if recall_at(o.ranked, o.gold, 5) < 1],
        "cites_a_non_gold_paper": sorted(
            {o.question.id for o, c in gold_citations if c.paper.paper_id not in o.gold}
        ),
        "list_incomplete": [o.question.id for o, right, _ in listed if right < len(o.gold)],
    }
    return {
        "n": len(outcomes),
        "retrieval": retrieval,
        "answers": answers,
        "counts": counts,
        "failures": failures,
        "latency_ms": latency,
    }


def wilson(hits: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% by default); (0, 1) when there is no count."""
    if not total:
        return 0.0, 1.0
    p = hits / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def count_text(counted: dict[str, Any]) -> str:
    """A counted rate's count and interval, as reports print it: '(43/48, 95% 0.779-0.955)'."""
    return f"({counted['k']}/{counted['n']}, 95% {counted['low']:.3f}-{counted['high']:.3f})"


def within_noise(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool | None:
    """Whether two counted rates differ by less than chance explains (a two-proportion z-test at
    95%); None without counts."""
    if not a or not b or not a["n"] or not b["n"]:
        return None
    p1, p2 = a["k"] / a["n"], b["k"] / b["n"]
    pooled = (a["k"] + b["k"]) / (a["n"] + b["n"])
    spread = math.sqrt(pooled * (1 - pooled) * (1 / a["n"] + 1 / b["n"]))
    return (spread == 0 and p1 == p2) or (spread > 0 and abs(p2 - p1) / spread < 1.96)


def cited_ids(outcome: Outcome) -> set[str]:
    """The paper ids an answer cites."""
    return {c.paper.paper_id for c in outcome.answer.citations}


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _title_index(assistant: Assistant) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for paper_id, meta in assistant.library.store.papers().items():
        index.setdefault(normalize_title(str(meta.get("title", ""))), []).append(paper_id)
    return index


def _gold(question: Question, titles: dict[str, list[str]]) -> set[str]:
    gold = set(question.gold_ids or [])
    for title in question.gold_titles or []:
        gold.update(titles.get(normalize_title(title), []))
    return gold


def run(
    questions: Path | Sequence[Question],
    *,
    settings: Settings | None = None,
    assistant: Assistant | None = None,
    corpus: Sequence[Path | str] | None = None,
    llm: str | None = None,
    mode: SearchMode | None = None,
    k: int | None = None,
    out: Path | None = None,
    progress: bool | None = None,
    collect: list[Outcome] | None = None,
    filters: Filter = NO_FILTER,
) -> dict[str, Any]:
    """Evaluate retrieval and answers on a question set; the same report `rag eval --json` prints.

    Args:
        corpus: evaluate on these files in a temporary store of their own (the user's store
            is never touched); default: the assistant's current store.
        filters: every question's filter; a question's own "filter" replaces the fields it sets.
        out: also write report.json, report.md and per_question.jsonl there.
        collect: a list that receives every question's Outcome (to slice the report by kind).
    """
    from tqdm import tqdm

    from .api import Assistant
    from .config import Settings as SettingsClass

    if out is not None:
        prepare_out(out)  # before any question is asked: a report that cannot be written is found now
    problems: list[Problem] = []
    if isinstance(questions, Path):
        questions, problems = load_questions(questions)
    skipped = [str(p) for p in problems]
    if not questions:
        raise InputError("no usable questions to evaluate")
    temp: tempfile.TemporaryDirectory[str] | None = None
    if corpus:
        temp = tempfile.TemporaryDirectory(prefix="rag-eval-")
        base = settings or (assistant.settings if assistant else SettingsClass())
        assistant = Assistant(
            SettingsClass(**{**base.model_dump(), "store_dir": Path(temp.name), "chroma_url": None}),
            embedder=assistant.library.embedder if assistant else None,
        )
        read = assistant.ingest(corpus, progress=progress).problems
        skipped += read
        if assistant.library.store.count() == 0:  # its first question would fill it with the bundled corpus
            assistant.close()
            temp.cleanup()
            why = "; ".join(map(str, read)) or ", ".join(map(str, corpus))
            raise InputError(f"no paper read from the corpus to evaluate on ({why})")
    elif assistant is None:
        assistant = Assistant(settings)
    try:
        k = k or assistant.settings.k
        mode = mode or assistant.settings.mode
        titles = _title_index(assistant)
        show = sys.stderr.isatty() if progress is None else progress
        outcomes: list[Outcome] = []
        for question in tqdm(questions, desc="evaluating", unit="q", file=sys.stderr, disable=not show):
            scope = filters.override(question.filters)
            try:
                hits, retrieve_ms = _timed_search(assistant, question.question, mode, scope)
            except NoMatchError as exc:
                skipped.append(f"question {question.id}: {exc}; skipped")
                continue
            answer = assistant.ask(question.question, k=k, llm=llm, mode=mode, filters=scope)
            gold = _gold(question, titles)
            if question.answerable and not gold:
                skipped.append(f"question {question.id}: no gold paper is in the corpus (scored as a miss)")
            outcomes.append(Outcome(question, gold, [h.paper.paper_id for h in hits], retrieve_ms, answer))
    finally:
        if temp is not None:
            temp.cleanup()
    if collect is not None:
        collect.extend(outcomes)
    result = summarize(outcomes)
    result["settings"] = {
        "llm": llm or assistant.settings.llm,
        "mode": mode,
        "k": k,
        "embedder": assistant.settings.embedder,
        "chunk_size": assistant.settings.chunk_size,
        "chunk_overlap": assistant.settings.chunk_overlap,
        "refusal_threshold": assistant.settings.refusal_threshold,
        "corpus": [str(p) for p in corpus] if corpus else "current store",
        "backends": sorted({o.answer.backend for o in outcomes}),
        "problems": skipped,
        "filters": filters.to_dict(),
    }
    if out is not None:
        write_reports(out, result, outcomes)
    return result


def _timed_search(
    assistant: Assistant, question: str, mode: SearchMode, filters: Filter
) -> tuple[list[Any], float]:
    import time

    started = time.perf_counter()
    hits = assistant.search(question, k=10, mode=mode, filters=filters)
    return hits, (time.perf_counter() - started) * 1000


def prepare_out(out: Path) -> None:
    """The directory the reports go to, created now; InputError if it cannot be."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file: give a directory for {', '.join(REPORT_FILES)}")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot create the directory ({exc.strerror})") from None
    blocked = [name for name in REPORT_FILES if (out / name).is_dir()]
    if blocked or not os.access(out, os.W_OK | os.X_OK):
        what = f"{out / blocked[0]} is a directory" if blocked else "not writable"
        raise InputError(f"--out {out}: {what}")


def write_reports(out: Path, result: dict[str, Any], outcomes: Sequence[Outcome]) -> None:
    """Write report.json, report.md (a table per kind of question) and per_question.jsonl."""
    try:
        _write_reports(out, result, outcomes)
    except OSError as exc:
        raise InputError(f"cannot write the reports in {out}: {exc.strerror or exc}") from None


def _write_reports(out: Path, result: dict[str, Any], outcomes: Sequence[Outcome]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    with (out / "per_question.jsonl").open("w", encoding="utf-8") as f:
        for outcome in outcomes:
            f.write(json.dumps(outcome.record(), ensure_ascii=False) + "\n")
    lines = [
        "# Evaluation report",
        "",
        f"{result['n']} questions; settings: `{json.dumps(result['settings'])}`",
        "",
    ]
    sections = [("All questions", list(outcomes))]
    for kind in sorted({o.question.kind for o in outcomes}):
        sections.append((f"Kind: {kind}", [o for o in outcomes if o.question.kind == kind]))
    for title, members in sections:
        summary = summarize(members)
        lines += [f"## {title} (n={summary['n']})", "", "| metric | value |", "|---|---|"]
        retrieval = summary["retrieval"].items()
        lines += [f"| retrieval.{key} | {v:.3f} |" for key, v in retrieval if v is not None]
        for key, v in summary["answers"].items():
            if v is not None:
                counted = summary["counts"].get(key)
                extra = f" {count_text(counted)}" if counted else ""
                lines.append(f"| answers.{key} | {v:.3f}{extra} |")
        lines += [f"| {key} (ms) | {v:.0f} |" for key, v in summary["latency_ms"].items() if v is not None]
        lines.append("")
    lines += ["## Failures (all questions)", ""]
    for name, ids in summarize(list(outcomes))["failures"].items():
        lines.append(f"- {name.replace('_', ' ')} ({len(ids)}): {', '.join(ids) if ids else '-'}")
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def compare(
    a: dict[str, Any], b: dict[str, Any]
) -> list[tuple[str, float | None, float | None, float | None, bool | None]]:
    """Every metric of two reports side by side: (name, A, B, B - A, within noise); the last is
    known for the counted rates of reports that carry counts."""
    rows = []
    for group, keys in (
        ("retrieval", RETRIEVAL_KEYS),
        ("answers", ANSWER_KEYS),
        ("latency_ms", LATENCY_KEYS),
    ):
        for key in keys:
            left, right = a.get(group, {}).get(key), b.get(group, {}).get(key)
            delta = right - left if isinstance(left, int | float) and isinstance(right, int | float) else None
            noise = within_noise(a.get("counts", {}).get(key), b.get("counts", {}).get(key))
            rows.append((f"{group}.{key}", left, right, delta, noise if group == "answers" else None))
    return rows


def load_report(path: Path) -> dict[str, Any]:
    """A report.json written by `rag eval --json` or `--out`."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read report {path}: {exc}") from None
    if not isinstance(report, dict) or "retrieval" not in report:
        raise InputError(f"{path} is not an evaluation report (no 'retrieval' block)")
    return report
