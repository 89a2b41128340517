"""How soon a new `rag mcp` process answers, through the mcp SDK's own client over stdio.

Each run starts `python -m rag mcp --store DIR` (RAG_LLM=extractive) and measures: the seconds
from the spawn to the `initialize` result, then the first `search` call (the store, the keyword
index and the embedder load on it), a second `search` (warm) and a first `ask`. Beside them, CPU
seconds (what the wall time is on an idle core): of `rag mcp` started on an empty stdin (all its
start-up, then it ends), of `python -c "import mcp.server.mcpserver"` and of `python -c pass`.
Prints the median of each and every run's figures; a failed call fails the benchmark.

Run: .venv/bin/python benchmarks/mcp_startup.py --store DIR [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client


async def one_run(store: Path, env: dict[str, str]) -> dict[str, float]:
    """The seconds of one server's initialize and its first calls."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "rag", "mcp", "--store", str(store)], env=env
    )
    times: dict[str, float] = {}
    started = time.perf_counter()
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        times["initialize"] = time.perf_counter() - started
        for name, tool, arguments in (
            ("first search", "search", {"query": "memorized training images", "k": 5}),
            ("warm search", "search", {"query": "low-rank adaptation", "k": 5}),
            ("first ask", "ask", {"question": "how do they detect memorized training images?"}),
        ):
            began = time.perf_counter()
            result: Any = await session.call_tool(tool, arguments)
            if result.is_error:
                raise SystemExit(f"benchmark failed: {tool}: {result.content[0].text}")
            times[name] = time.perf_counter() - began
    return times


def cpu_seconds(command: list[str], env: dict[str, str]) -> float:
    """The CPU time (user + system) of a process run to its end, stdin empty: on a shared machine,
    the wall time it would take on an idle core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | {"RAG_LLM": "extractive"}
    runs = []
    for _ in range(args.runs):
        figures = anyio.run(one_run, args.store, env)
        # `rag mcp` on an empty stdin: every import and the server built, then the end of input
        figures["cpu: rag mcp"] = cpu_seconds(
            [sys.executable, "-m", "rag", "mcp", "--store", str(args.store)], env
        )
        figures["cpu: sdk import"] = cpu_seconds([sys.executable, "-c", "import mcp.server.mcpserver"], env)
        figures["cpu: python"] = cpu_seconds([sys.executable, "-c", "pass"], env)
        runs.append(figures)
        print("  ".join(f"{k} {v:.2f}" for k, v in figures.items()), flush=True)
    print(f"median of {args.runs} runs (load average {os.getloadavg()[0]:.1f}):")
    for name in runs[0]:
        values = [run[name] for run in runs]
        print(
            f"  {name:18} {statistics.median(values):.2f} s  (min {min(values):.2f}, max {max(values):.2f})"
        )


if __name__ == "__main__":
    main()
