"""Load on `rag serve` (issue #23): 32 concurrent searches and 8 concurrent extractive answers for
60 s against a real server on 127.0.0.1, over a copy of a store (the original is never written).

    python benchmarks/serve_load.py --store STORE [--seconds 60] [--searches 32] [--answers 8]

Reports every response's status, whether each was cited (searches: papers found; answers: [n] marks
with references, or a refusal with its closest papers), p50/p95 per endpoint, the server's RSS over
the run, and the store's paper and chunk counts before and after (no damage), as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _info(store: Path, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "rag", "--store", str(store), "info", "--json"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    info = json.loads(done.stdout)
    return {"papers": info["papers"], "chunks": info["chunks"]}


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50_ms": round(1000 * statistics.median(ordered), 1),
        "p95_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--searches", type=int, default=32)
    parser.add_argument("--answers", type=int, default=8)
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in (ROOT / "benchmarks/dev_questions.jsonl").open()]
    work = Path(tempfile.mkdtemp(prefix="rag-serve-load-"))
    store = work / "store"
    shutil.copytree(args.store, store)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    env |= {"RAG_LLM": "extractive", "RAG_CONFIG": str(work / "absent.toml"), "XDG_DATA_HOME": str(work)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    before = _info(store, env)
    port = _port()
    url = f"http://127.0.0.1:{port}"
    log = (work / "serve.log").open("w")
    command = [sys.executable, "-m", "rag", "--store", str(store), "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=2)
                break
            except httpx.HTTPError:
                if server.poll() is not None:
                    raise SystemExit((work / "serve.log").read_text()) from None
                time.sleep(0.3)
        report = _run(url, server.pid, questions, args)
    finally:
        server.terminate()
        server.wait(timeout=30)
    after = _info(store, env)
    report["store"] = {"before": before, "after": after, "unchanged": before == after}
    report["loadavg_after"] = os.getloadavg()
    print(json.dumps(report, indent=2))
    shutil.rmtree(work, ignore_errors=True)


def _run(url: str, pid: int, questions: list[str], args: argparse.Namespace) -> dict[str, Any]:
    ends = time.monotonic() + args.seconds
    lock = threading.Lock()
    times: dict[str, list[float]] = {"search": [], "answer": []}
    bad: list[str] = []
    counts = {"search": 0, "answer": 0, "cited": 0, "refused": 0}
    rss: list[float] = []

    def search(n: int) -> None:
        with httpx.Client(timeout=120) as client:
            i = n
            while time.monotonic() < ends:
                start = time.monotonic()
                response = client.get(f"{url}/search", params={"q": questions[i % len(questions)], "k": "5"})
                took = time.monotonic() - start
                ok = response.status_code == 200 and bool(response.json()["results"])
                with lock:
                    times["search"].append(took)
                    counts["search"] += 1
                    if not ok:
                        bad.append(f"search {response.status_code} {response.text[:200]}")
                i += 7

    def answer(n: int) -> None:
        with httpx.Client(timeout=300) as client:
            i = n
            while time.monotonic() < ends:
                body = {
                    "model": "rag-extractive",
                    "messages": [{"role": "user", "content": questions[i % len(questions)]}],
                }
                start = time.monotonic()
                response = client.post(f"{url}/v1/chat/completions", json=body)
                took = time.monotonic() - start
                with lock:
                    times["answer"].append(took)
                    counts["answer"] += 1
                    if response.status_code != 200:
                        bad.append(f"answer {response.status_code} {response.text[:200]}")
                        continue
                    reply = response.json()
                    text = reply["choices"][0]["message"]["content"]
                    if reply["references"] and "[1]" in text:
                        counts["cited"] += 1
                    elif reply["rag"]["refused"] and reply["rag"]["closest"]:
                        counts["refused"] += 1
                    else:
                        bad.append(f"answer neither cited nor a refusal with papers: {text[:200]}")
                i += 5

    def sample() -> None:
        while time.monotonic() < ends:
            rss.append(round(_rss_mb(pid), 1))
            time.sleep(5)

    threads = [threading.Thread(target=search, args=(n,)) for n in range(args.searches)]
    threads += [threading.Thread(target=answer, args=(n,)) for n in range(args.answers)]
    threads.append(threading.Thread(target=sample))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    return {
        "seconds": round(wall, 1),
        "concurrency": {"searches": args.searches, "answers": args.answers},
        "requests": counts,
        "per_second": {k: round(len(v) / wall, 1) for k, v in times.items()},
        "latency": {k: _percentiles(v) for k, v in times.items()},
        "failures": len(bad),
        "failure_examples": bad[:5],
        "rss_mb_every_5s": rss,
    }


if __name__ == "__main__":
    main()
