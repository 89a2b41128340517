"""One function per `rag` command: the public API called with the parsed arguments, the result printed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from ..untrusted import whole_number
from . import EXIT_OK, EXIT_SKIPPED
from .parser import filters_of
from .render import (
    out,
    print_answer,
    print_comparison,
    print_entries,
    print_entry,
    print_filter,
    print_hits,
    print_info,
    print_ingest,
    print_json,
    print_models,
    print_pulled,
    print_report,
)

if TYPE_CHECKING:
    from ..answer import Answer
    from ..api import Assistant
    from ..library.filters import Filter

Command = Callable[[argparse.Namespace, "Assistant"], int]


def ingest(args: argparse.Namespace, assistant: Assistant) -> int:
    """`rag ingest`: exit 3 when some input was skipped."""
    report = assistant.ingest(
        args.paths or None,
        prune=args.prune,
        rebuild=args.rebuild,
        category=args.category,
        since=args.since,
    )
    if args.json:
        print_json(report.to_dict())
    else:
        print_ingest(report)
    return EXIT_OK if report.ok else EXIT_SKIPPED


def search(args: argparse.Namespace, assistant: Assistant) -> int:
    """`rag search`."""
    filters = filters_of(args)
    hits = assistant.search(args.question, k=args.k, mode=args.mode, filters=filters)
    if args.json:
        results = [h.to_dict() for h in hits]
        print_json({"query": args.question, "results": results, "filters": filters.to_dict()})
    else:
        print_filter(assistant, filters, out)
        print_hits(hits)
    return EXIT_OK


def ask(args: argparse.Namespace, assistant: Assistant) -> int:
    """`rag ask`: streamed to the terminal, or printed as JSON; --bib checked before answering."""
    if args.bib:
        _check_bib(args.bib, force=args.force)
    filters = filters_of(args)
    if args.json:
        answer = assistant.ask(args.question, k=args.k, llm=args.llm, mode=args.mode, filters=filters)
        print_json(answer.to_dict())
    else:
        answer = _streamed(args, assistant, filters)
    if args.bib:
        _write_bib(args.bib, answer, force=args.force)
    return EXIT_OK


def _streamed(args: argparse.Namespace, assistant: Assistant, filters: Filter) -> Answer:
    """The answer as it streams to the terminal, then its references; the Answer."""
    from ..display import for_stdout

    display = for_stdout()
    assistant.open()
    stream = assistant.stream(args.question, k=args.k, llm=args.llm, mode=args.mode, filters=filters)
    print_filter(assistant, filters, display.note)
    display.stream(stream)
    assert stream.answer is not None
    answer = stream.answer
    print_answer(answer, display)
    return answer


def _check_bib(path: Path, *, force: bool) -> None:
    """Refuse --bib FILE before the question is answered: a directory, or a file without --force."""
    from ..errors import InputError

    if path.is_dir():
        raise InputError(
            f"--bib {path}: that is a directory; give a file name, e.g. --bib {path / 'refs.bib'}"
        )
    if not path.parent.is_dir():
        missing = "is not a directory" if path.parent.exists() else "does not exist"
        raise InputError(f"--bib {path}: the directory {path.parent} {missing}")
    if path.exists() and not force:
        raise _bib_exists(path)


def _bib_exists(path: Path) -> Exception:
    from ..errors import InputError

    return InputError(f"{path} exists: --bib {path} --force overwrites it")  # as chat's /bib


def _write_bib(path: Path, answer: Answer, *, force: bool) -> None:
    """BibTeX for the papers an answer cites; nothing cited, nothing written (the file is left as it is)."""
    from ..bibtex import to_bibtex
    from ..errors import InputError
    from ..files import write_file

    papers = [c.paper for c in answer.citations]
    if not papers:
        out(f"rag: note: the answer cites no paper: {path} not written", err=True)
        return
    try:
        write_file(path, to_bibtex(papers), overwrite=force)
    except FileExistsError:
        raise _bib_exists(path) from None
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    out(f"rag: wrote {len({p.paper_id for p in papers})} BibTeX entries to {path}", err=True)


def evaluate(args: argparse.Namespace, assistant: Assistant) -> int:
    """`rag eval`: a question file run (exit 3 when lines were skipped), or two reports compared."""
    from .. import evaluate as evaluation

    if args.compare:
        a, b = (evaluation.load_report(p) for p in args.compare)
        rows = evaluation.compare(a, b)
        if args.json:
            print_json({name: {"a": x, "b": y, "delta": d, "within_noise": n} for name, x, y, d, n in rows})
        else:
            print_comparison(rows)
        return EXIT_OK
    if args.questions is None:
        _usage("rag eval: error: give a question file, or --compare A.json B.json")
    report = evaluation.run(
        args.questions,
        assistant=assistant,
        corpus=args.corpus,
        llm=args.llm,
        mode=args.mode,
        k=args.k,
        out=args.out,
        filters=filters_of(args),
    )
    problems = report["settings"]["problems"]
    for problem in problems:
        out(f"rag: {problem}", err=True)
    if args.json:
        print_json(report)
    else:
        print_report(report)
    if args.out:
        out(f"rag: wrote {args.out / 'report.json'}, report.md and per_question.jsonl", err=True)
    return EXIT_SKIPPED if problems else EXIT_OK


def chat(args: argparse.Namespace, assistant: Assistant) -> int:
    """`rag chat`: the REPL, with line editing and its history in a terminal."""
    from ..chat import ChatSession, load_history, repl, save_history
    from ..display import for_stdout

    read_line = input if sys.stdin.isatty() else _piped_line
    history = assistant.paths.chat_history
    loaded = load_history(history) if sys.stdin.isatty() else 0  # line editing for input()
    assistant.open()
    session = ChatSession(
        assistant,
        k=args.k or assistant.settings.k,
        llm=args.llm or assistant.settings.llm,
        mode=args.mode or assistant.settings.mode,
        filters=filters_of(args),
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


def _usage(message: str) -> NoReturn:
    """A command written wrong: the message, exit 2 (as argparse's own usage errors)."""
    print(message, file=sys.stderr)
    raise SystemExit(2)


MAX_LINE_CHARS = 1 << 20  # a chat line past this is no question (a file without newlines piped in)


def _piped_line(prompt: str) -> str:
    """A line of piped input, as input() reads it, but bounded: a longer one is skipped (read to its
    end in pieces), saying so, where input() would hold all of /dev/zero in memory."""
    sys.stdout.write(prompt)
    sys.stdout.flush()
    line = sys.stdin.readline(MAX_LINE_CHARS + 1)
    if not line:
        raise EOFError
    if len(line) <= MAX_LINE_CHARS or line.endswith("\n"):
        return line.rstrip("\n")
    while (rest := sys.stdin.readline(MAX_LINE_CHARS)) and not rest.endswith("\n"):
        pass
    print(f"rag: note: a line over {MAX_LINE_CHARS:,} characters was skipped", file=sys.stderr)
    return ""


def logs(args: argparse.Namespace, assistant: Assistant) -> int:
    """`rag logs`, `rag logs -q WORDS`, `rag logs show ID`."""
    if args.show:
        ids = [whole_number(i) for i in args.show[1:]] if args.show[0] == "show" else []
        if not ids or None in ids:
            _usage("rag logs: error: use `rag logs show ID ...` (ids from `rag logs`)")
        entries = [assistant.log.entry(entry_id) for entry_id in ids if entry_id is not None]
        if args.json:
            print_json(entries[0] if len(entries) == 1 else entries)
        else:
            for at, entry in enumerate(entries):
                print_entry(entry)
                if at < len(entries) - 1:
                    print()
        return EXIT_OK
    entries = assistant.log.entries(limit=args.n, query=args.q)
    if args.json:
        print_json(entries)
    else:
        print_entries(entries, args.q)
    return EXIT_OK


def models(args: argparse.Namespace, assistant: Assistant) -> int:
    """`rag models` (the listing) and `rag models pull`."""
    if args.action == "pull":
        return _pull(args, assistant)
    from ..backends import listing as models_listing

    listing = models_listing(assistant.settings)
    if args.json:
        print_json(listing)
    else:
        print_models(listing)
    return EXIT_OK


def _pull(args: argparse.Namespace, assistant: Assistant) -> int:
    """`rag models pull`: SIGTERM ends it as Ctrl-C does, leaving nothing behind."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # the pull removes its work folder on the way out

    signal.signal(signal.SIGTERM, stop)
    from ..pull import pull

    result = pull(assistant.settings.model_dir, progress=lambda message: out(f"rag: {message}", err=True))
    if args.json:
        print_json(result)
    else:
        print_pulled(result)
    return EXIT_OK


def info(args: argparse.Namespace, assistant: Assistant) -> int:
    """`rag info`."""
    result = assistant.info()
    if args.json:
        print_json(result)
    else:
        print_info(result)
    return EXIT_OK


def mcp(args: argparse.Namespace, assistant: Assistant) -> int:
    """`rag mcp`: until the client goes."""
    from ..errors import ConfigError
    from ..mcp_server import serve as serve_mcp

    if args.port is not None and not args.http:  # stdio has no port: a forgotten --http
        raise ConfigError("--port is the port of --http: add --http (stdio has no port)")
    port = 8765 if args.port is None else args.port
    return serve_mcp(assistant, http=args.http, port=port, max_chars=args.max_chars, config=args.config)


def serve(args: argparse.Namespace, assistant: Assistant) -> int:
    """`rag serve`: until interrupted."""
    from ..http.server import serve as serve_http

    return serve_http(assistant, host=args.host, port=args.port, cors=args.cors)


COMMANDS: dict[str, Command] = {
    "ingest": ingest,
    "search": search,
    "ask": ask,
    "eval": evaluate,
    "chat": chat,
    "logs": logs,
    "models": models,
    "mcp": mcp,
    "info": info,
    "serve": serve,
}
