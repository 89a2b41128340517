"""The `rag` command: parses arguments, calls the public API, prints. No behaviour lives here.

`parser` holds the commands, options and help texts, `commands` one function per command, `render`
what they print. Only the parser is imported before the arguments are read: `rag --help` loads no
more than it shows.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, NoReturn

from .parser import build_parser

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

# 3: the command did its work but skipped some input (bad entries, unreadable files)
EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_SKIPPED = 0, 1, 2, 3

# Commands that only read the store. After them the process exits without tearing down what it
# loaded: freeing Chroma's in-memory vector index takes 0.2-0.4 s at 100,000 papers, more than the
# search itself. mypy ends its process the same way (mypy.util.hard_exit).
READ_ONLY = frozenset({"search", "ask", "info", "models", "logs"})


def run() -> NoReturn:
    """The `rag` command (console script and `python -m rag`): main(), then exit."""
    args = build_parser().parse_args()
    code, wrote = _main(args)
    if args.command in READ_ONLY and not wrote:  # a first `ask` may have filled a new store
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `rag` command with these arguments; return its exit code."""
    return _main(build_parser().parse_args(argv))[0]


def _main(args: argparse.Namespace) -> tuple[int, bool]:
    """The exit code, and whether the store was written to."""
    from ..api import Assistant
    from ..config import load_settings
    from ..errors import ConfigError, RagError
    from .commands import COMMANDS
    from .render import out

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
            code = COMMANDS[args.command](args, assistant)
            sys.stdout.flush()  # a closed pipe shows here, inside the handler below
        finally:
            assistant.close()
    except ConfigError as exc:
        out(f"rag: error: {exc}", err=True)
        code = EXIT_CONFIG
    except RagError as exc:
        out(f"rag: error: {exc}", err=True)
        code = EXIT_ERROR
    except KeyboardInterrupt:
        out("rag: interrupted", err=True)
        code = 130
    except BrokenPipeError:  # piped into head: end quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    except Exception as exc:  # a fault no handler foresaw (ours, or a library's): one line, no traceback
        detail = next(iter(str(exc).strip().splitlines()), "")
        out(f"rag: error: {type(exc).__name__}{': ' + detail if detail else ''}", err=True)
        code = EXIT_ERROR
    return code, assistant is None or assistant.library.wrote
