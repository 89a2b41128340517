"""What a chunk costs on disk: `rag ingest FILES --store DIR`, the store's size before and after and its
peak meanwhile (sampled every 10 ms; the copy of the store kept during the write included), per
chunk embedded. The figures behind rag/library/space.py's BYTES_PER_CHUNK.

    python benchmarks/disk_per_chunk.py --store /tmp/store data/
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path


def _size(root: Path) -> int:
    """Bytes of the files under root (those that vanish while counted are skipped)."""
    total = 0
    for folder, _, files in os.walk(root):  # errors (a folder removed meanwhile) are ignored
        for name in files:
            with contextlib.suppress(OSError):
                total += os.stat(os.path.join(folder, name)).st_size
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    start = _size(args.store)
    peak = start
    running = True

    def sample() -> None:
        nonlocal peak
        while running:
            peak = max(peak, _size(args.store))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    rag = Path(sys.executable).with_name("rag")
    command = [str(rag), "ingest", "--json", "--store", str(args.store), *args.paths]
    result = subprocess.run(command, capture_output=True, text=True)
    running = False
    sampler.join()
    if result.returncode not in (0, 3):
        sys.exit(result.stderr)
    chunks = json.loads(result.stdout)["chunks_embedded"]
    end = _size(args.store)
    print(
        json.dumps(
            {
                "chunks": chunks,
                "before": start,
                "after": end,
                "peak": max(peak, end),
                "bytes_per_chunk": round((end - start) / max(chunks, 1)),
                "peak_bytes_per_chunk": round((max(peak, end) - start) / max(chunks, 1)),
            }
        )
    )


if __name__ == "__main__":
    main()
