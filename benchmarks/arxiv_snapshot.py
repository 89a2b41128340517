"""A synthetic arXiv OAI metadata snapshot of N lines, made of the bundled abstracts.

Each line is one JSON object with the field layout of `arxiv-metadata-oai-snapshot.json` (id,
submitter, authors, title, comments, journal-ref, doi, report-no, categories, license, abstract,
versions [{version, created}], update_date, authors_parsed), titles and abstracts hard-wrapped
as in the real file, some names with LaTeX accents. Line i takes the title and abstract of
bundled paper i mod 364; from the second round on, the title gets "(variant k)" and the abstract
one more sentence, so every line is a distinct paper with a unique new-style id (YYMM.NNNNN,
20,000 a month from 2015-01). The same N and seed give the same file; it is written line by
line (memory does not grow with N).

Run: python benchmarks/arxiv_snapshot.py N OUT.json [--seed 0] [--jsonl]
(--jsonl: the same papers as plain JSON lines {id, title, abstract, authors, date, url}, for the
JSONL reader.)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PER_MONTH = 20_000
FAMILY = [
    "Smith", "Wang", "Li", "Zhang", "Garc\\'ia", "M\\\"uller", "Nguyen", "Kumar", "Rossi", "Silva",
    "Kim", "Chen", "Dubois", "Novak", "Sch\\\"onberg", "Ivanova", "Tanaka", "Okafor", "Br{\\aa}ten", "Liu",
]  # fmt: skip
GIVEN = ["A.", "B. C.", "Chen", "David", "E.", "Fatima", "G.", "Hiro", "I. J.", "Jos\\'e", "K.", "Lena", "M."]
CATEGORIES = [
    ("cs.CL cs.AI", 8), ("cs.LG stat.ML", 8), ("cs.CV", 8), ("cs.LG", 6), ("cs.CL", 5), ("cs.AI cs.LG", 4),
    ("cs.IR cs.CL", 2), ("eess.AS cs.SD", 1), ("hep-ph", 6), ("hep-th", 5), ("quant-ph", 6),
    ("astro-ph.GA", 4), ("astro-ph.CO", 3), ("cond-mat.mtrl-sci", 4), ("cond-mat.str-el", 3),
    ("math.CO", 4), ("math.AP", 3), ("math.PR math.ST stat.TH", 2), ("physics.optics", 2), ("q-bio.NC", 1),
]  # fmt: skip
LICENSES = [
    None,
    "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
    "http://creativecommons.org/licenses/by/4.0/",
    "http://creativecommons.org/licenses/by-nc-sa/4.0/",
]


def bundled_papers() -> list[tuple[str, str]]:
    """Title and abstract of each bundled paper, in the reader's order."""
    sys.path.insert(0, str(ROOT))
    from rag.library.corpus import read

    return [(p.title, p.abstract) for p in read([ROOT / "data"]).papers]


def _wrap(text: str, first: str = "", rest: str = "") -> str:
    """Hard-wrapped at 80 columns as the snapshot's titles ("\\n  ") and abstracts are."""
    return "\n".join(textwrap.wrap(text, 78, initial_indent=first, subsequent_indent=rest))


def _authors(rng: random.Random) -> list[list[str]]:
    return [[rng.choice(FAMILY), rng.choice(GIVEN), ""] for _ in range(rng.choice([1, 2, 3, 3, 4, 5, 6, 8]))]


def _joined(people: list[list[str]]) -> str:
    names = [f"{given} {family}" for family, given, _ in people]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def record(i: int, papers: list[tuple[str, str]], rng: random.Random) -> dict[str, Any]:
    """Line i of the snapshot."""
    title, abstract = papers[i % len(papers)]
    variant = i // len(papers)
    if variant:
        title = f"{title} (variant {variant})"
        abstract = f"{abstract} We also report results for setting {variant}."
    month, number = divmod(i, PER_MONTH)
    year, month = 2015 + month // 12, month % 12 + 1
    created = datetime(year, month, 1, 9, tzinfo=UTC) + timedelta(minutes=rng.randrange(27 * 24 * 60))
    versions = [
        created + timedelta(days=30 * v * rng.randrange(1, 9)) for v in range(rng.choice([1, 1, 2, 2, 3]))
    ]
    people = _authors(rng)
    categories = rng.choices([c for c, _ in CATEGORIES], [w for _, w in CATEGORIES])[0]
    return {
        "id": f"{year % 100:02d}{month:02d}.{number:05d}",
        "submitter": f"{people[0][1]} {people[0][0]}",
        "authors": _joined(people),
        "title": _wrap(title, rest="  "),
        "comments": rng.choice([None, "12 pages, 5 figures", "Accepted at ACL 2024", "v2: typos fixed"]),
        "journal-ref": f"Phys. Rev. D {rng.randrange(50, 110)}, {rng.randrange(10**5, 10**6)} ({year})"
        if rng.random() < 0.3
        else None,
        "doi": f"10.{rng.randrange(1000, 99999)}/synthetic.{i}" if rng.random() < 0.35 else None,
        "report-no": f"REPORT-{year}-{number}" if rng.random() < 0.05 else None,
        "categories": categories,
        "license": rng.choice(LICENSES),
        "abstract": _wrap(abstract, first="  ") + "\n",
        "versions": [
            {"version": f"v{n + 1}", "created": format_datetime(day, usegmt=True)}
            for n, day in enumerate(versions)
        ],
        "update_date": versions[-1].date().isoformat(),
        "authors_parsed": people,
    }


def plain(line: dict[str, Any]) -> dict[str, Any]:
    """The same paper as a plain JSONL record for the JSONL reader."""
    return {
        "id": line["id"],
        "title": " ".join(line["title"].split()),
        "abstract": " ".join(line["abstract"].split()),
        "authors": [f"{given} {family}" for family, given, _ in line["authors_parsed"]],
        "date": line["update_date"],
        "url": f"https://arxiv.org/abs/{line['id']}",
    }


def lines(n: int, seed: int = 0, *, as_jsonl: bool = False) -> Iterator[str]:
    """The snapshot's lines, one JSON object each."""
    papers = bundled_papers()
    rng = random.Random(seed)
    for i in range(n):
        line = record(i, papers, rng)
        yield json.dumps(plain(line) if as_jsonl else line)


def write(path: Path, n: int, seed: int = 0, *, as_jsonl: bool = False) -> Path:
    """Write the snapshot of n lines to path."""
    with path.open("w", encoding="utf-8") as out:
        for text in lines(n, seed, as_jsonl=as_jsonl):
            out.write(text + "\n")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lines", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jsonl", action="store_true", help="plain JSON lines for the JSONL reader")
    args = parser.parse_args()
    write(args.out, args.lines, args.seed, as_jsonl=args.jsonl)
    print(f"{args.lines} lines, {args.out.stat().st_size / 2**20:.1f} MB: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
