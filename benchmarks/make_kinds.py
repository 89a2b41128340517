"""Writes the question sets of benchmarks/kinds/ from the bundled corpus and dev_questions.jsonl, by
rules (no question is picked by hand, none after seeing an answer).

- comparison.jsonl: the papers whose title has a short name before its colon (1-3 words) are put in
  two halves by a hash of the title; within a half, each is paired with its nearest unpaired
  neighbour (IDF-weighted shared abstract terms); one question per pair, the form rotating.
- comparative.jsonl: the same pairs asked as which is better ("Is A better than B?", "Does A
  outperform B?"), the form rotating.
- yesno.jsonl: per named paper (same halves), "yes" when its abstract says it uses a name ("using
  CLIP ..." -> "Does X use CLIP?"), "no" when it says it works without something ("without paired
  data", "training-free" -> "Does X require paired data?"), "unsaid" for a neighbour's used name its
  own abstract never writes.
- overview.jsonl: each list question of dev_questions.jsonl asked as "What approaches does the
  collection have for TOPIC?" (TOPIC: the topic `rag.query` reads from it), the same gold papers.
- list, figure, lookup, unanswerable: dev_questions.jsonl converted (its split kept: it is split
  by paper for named questions, by question for the rest).

Run: .venv/bin/python benchmarks/make_kinds.py  (rewrites benchmarks/kinds/{comparison,comparative,yesno,
overview,list,figure,lookup,unanswerable}.jsonl; names.jsonl is written by hand elsewhere)
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from pathlib import Path

from rag.library.corpus import read
from rag.library.keyword import tokenize
from rag.query import _NAME, parse

HERE = Path(__file__).resolve().parent
OUT = HERE / "kinds"
SPLITS = {"calibrate": "calibration", "report": "report"}

_SHORT_NAME = re.compile(r"^(?P<name>[^:]{2,30}):\s")
_NOT_A_NAME = re.compile(r"^(a|an|the|on|in|towards?|beyond|when|why|how|what|is|are|do|does)\b", re.I)
_USES = re.compile(
    r"\b(?:using|uses|use|leverag(?:e|es|ing)|employ(?:s|ing)?|based on|built (?:up)?on|adopt(?:s|ing)?)"
    r"\s+(?:the\s+|a\s+|an\s+)?(?:pre-?trained\s+|existing\s+|off-the-shelf\s+)?(?P<term>[\w][\w+.-]*[\w+])"
)
_WITHOUT = re.compile(
    r"\bwithout\s+(?:any\s+|the\s+need\s+(?:for|of)\s+|requiring\s+|relying\s+on\s+|(?:additional|extra)\s+)?"
    r"(?:access(?:ing)?\s+(?:to\s+)?(?:the\s+|any\s+)?)?"
    r"(?P<object>[a-z][a-z-]+(?:\s+[a-z][a-z-]+){0,2})"
)
_FREE = re.compile(r"\b(?P<object>training|tuning|fine-tuning|annotation|label|optimization)-free\b", re.I)
_FUNCTION = {
    "the",
    "a",
    "an",
    "of",
    "in",
    "on",
    "for",
    "to",
    "and",
    "or",
    "with",
    "by",
    "from",
    "at",
    "as",
    "that",
    "which",
    "while",
    "is",
    "are",
    "be",
    "being",
    "its",
    "their",
    "any",
    "such",
    "this",
    "these",
    "it",
    "through",
    "into",
    "over",
    "via",
    "under",
    "across",
    "during",
    "per",
    "than",
    "but",
    "nor",
}
_ING_OBJECTS = {
    "training",
    "fine-tuning",
    "finetuning",
    "retraining",
    "labeling",
    "labelling",
    "pretraining",
    "pre-training",
    "tuning",
}
_COMPARE_FORMS = (
    "How do {a} and {b} differ?",
    "Compare {a} and {b}.",
    "{a} vs {b}: what does each one do?",
    "What is the difference between {a} and {b}?",
    "How does {a} compare with {b}?",
)
_COMPARATIVE_FORMS = (
    "Is {a} better than {b}?",
    "Does {a} outperform {b}?",
    "Which is better, {a} or {b}?",
    "Is {a} more efficient than {b}?",
    "Which works better: {a} or {b}?",
)


def _half(title: str) -> str:
    digest = hashlib.sha256(title.encode()).digest()[0]
    return "calibration" if digest % 2 == 0 else "report"


def short_name(title: str) -> str | None:
    """The name before a title's colon, if it is a short one (1-3 words)."""
    match = _SHORT_NAME.match(title)
    if not match:
        return None
    name = match.group("name").strip()
    if len(name.split()) > 3 or _NOT_A_NAME.match(name):
        return None
    return name


def _neighbours(papers: list[dict], idf: dict[str, float]) -> dict[str, list[str]]:
    """Each paper's others by IDF-weighted shared abstract terms, nearest first."""
    terms = {p["title"]: set(tokenize(p["abstract"])) for p in papers}
    result = {}
    for p in papers:
        mine = terms[p["title"]]
        score = {q["title"]: sum(idf[t] for t in mine & terms[q["title"]]) for q in papers if q is not p}
        result[p["title"]] = sorted(score, key=lambda t: (-score[t], t))
    return result


def _object(raw: str) -> str | None:
    words = []
    for word in raw.split():
        if word in _FUNCTION:
            break
        words.append(word)
    if not words or (words[0].endswith("ing") and words[0] not in _ING_OBJECTS):
        return None
    return " ".join(words)


def used_term(name: str, abstract: str) -> str | None:
    """The first name-like term the abstract says the paper uses (not its own name)."""
    for match in _USES.finditer(abstract):
        term = match.group("term")
        adjective = "-" in term and re.fullmatch(r"[a-z]+ed", term.rsplit("-", 1)[1])
        if _NAME.fullmatch(term) and not adjective and term.casefold() not in name.casefold():
            return term
    return None


def without_object(abstract: str) -> str | None:
    """What the abstract says the method works without ("without paired data": paired data)."""
    for match in _WITHOUT.finditer(abstract):
        found = _object(match.group("object"))
        if found:
            return found
    free = _FREE.search(abstract)
    return free.group("object").lower() if free else None


def comparisons(named: list[dict], near: dict[str, list[str]]) -> list[dict]:
    rows = []
    for half in ("calibration", "report"):
        members = [p for p in named if p["split"] == half]
        titles = {p["title"] for p in members}
        paired: set[str] = set()
        for p in members:
            if p["title"] in paired:
                continue
            other = next(
                (t for t in near[p["title"]] if t in titles and t not in paired and t != p["title"]), None
            )
            if other is None:
                continue
            paired |= {p["title"], other}
            q = next(m for m in members if m["title"] == other)
            form = _COMPARE_FORMS[len(rows) % len(_COMPARE_FORMS)]
            rows.append(
                {
                    "id": f"cmp-{len(rows) + 1:03d}",
                    "kind": "comparison",
                    "split": half,
                    "question": form.format(a=p["name"], b=q["name"]),
                    "papers": [p["title"], q["title"]],
                }
            )
    return rows


def comparatives(pairs: list[dict], named: list[dict]) -> list[dict]:
    """The comparison pairs asked as which of the two is better, by their short names."""
    name = {p["title"]: p["name"] for p in named}
    return [
        {
            "id": f"cpv-{number:03d}",
            "kind": "comparative",
            "split": row["split"],
            "question": _COMPARATIVE_FORMS[(number - 1) % len(_COMPARATIVE_FORMS)].format(
                a=name[row["papers"][0]], b=name[row["papers"][1]]
            ),
            "papers": row["papers"],
        }
        for number, row in enumerate(pairs, 1)
    ]


def yesno(named: list[dict], near: dict[str, list[str]]) -> list[dict]:
    rows = []
    by_title = {p["title"]: p for p in named}
    used = {p["title"]: used_term(p["name"], p["abstract"]) for p in named}
    for p in named:
        asked = []
        if used[p["title"]]:
            asked.append((f"Does {p['name']} use {used[p['title']]}?", "yes"))
        absent = without_object(p["abstract"])
        if absent:  # asked both ways, by the paper's hash
            yes = _half(p["name"]) == "report"
            asked.append(
                (f"Does {p['name']} {'work without' if yes else 'require'} {absent}?", "yes" if yes else "no")
            )
        text = (p["title"] + " " + p["abstract"]).casefold()
        foreign = next(
            (
                used[t]
                for t in near[p["title"]]
                if t in by_title and used[t] and used[t].casefold() not in text  # type: ignore[union-attr]
            ),
            None,
        )
        # a paper with nothing said is asked what its neighbour uses; a quarter of them, by hash
        if foreign and not asked and hashlib.sha256(p["title"].encode()).digest()[1] % 4 == 0:
            asked.append((f"Does {p['name']} use {foreign}?", "unsaid"))
        for question, answer in asked:
            rows.append(
                {
                    "id": f"yn-{len(rows) + 1:03d}",
                    "kind": "yesno",
                    "split": p["split"],
                    "question": question,
                    "papers": [p["title"]],
                    "answer": answer,
                }
            )
    return rows


def converted(dev: list[dict]) -> dict[str, list[dict]]:
    """dev_questions.jsonl in this format, by kind; list questions also asked as overviews."""
    kinds = {
        "list": "list",
        "multi": "list",
        "figure": "figure",
        "lookup": "lookup",
        "named": "lookup",
        "unanswerable-known": "unanswerable",
        "unanswerable-far": "unanswerable",
        "unanswerable-near": "unanswerable",
        "off-topic": "unanswerable",
    }
    out: dict[str, list[dict]] = {}
    for q in dev:
        kind = kinds[q["kind"]]
        row = {
            "id": q["id"],
            "kind": kind,
            "split": SPLITS[q["split"]],
            "question": q["question"],
            "papers": q.get("gold_titles") or [],
        }
        if q.get("answer_contains"):
            row["facts"] = q["answer_contains"]
        out.setdefault(kind, []).append(row)
        if q["kind"] == "list":
            topic = parse(q["question"]).search.strip().rstrip("?").strip()
            out.setdefault("overview", []).append(
                {
                    **row,
                    "id": q["id"].replace("dev", "ov"),
                    "kind": "overview",
                    "question": f"What approaches does the collection have for {topic}?",
                }
            )
    return out


def main() -> None:
    papers = [{"title": p.title, "abstract": p.abstract} for p in read([HERE.parent / "data"]).papers]
    df = Counter(t for p in papers for t in set(tokenize(p["abstract"])))
    idf = {t: math.log(len(papers) / n) for t, n in df.items()}
    named = []
    for p in papers:
        name = short_name(p["title"])
        if name:
            named.append({**p, "name": name, "split": _half(p["title"])})
    near = _neighbours(named, idf)
    dev = [
        json.loads(line) for line in (HERE / "dev_questions.jsonl").read_text().splitlines() if line.strip()
    ]
    pairs = comparisons(named, near)
    sets = {
        "comparison": pairs,
        "comparative": comparatives(pairs, named),
        "yesno": yesno(named, near),
        **converted(dev),
    }
    OUT.mkdir(exist_ok=True)
    for kind, rows in sets.items():
        (OUT / f"{kind}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        splits = Counter(r["split"] for r in rows)
        answers = Counter(r.get("answer") for r in rows if r.get("answer"))
        print(f"{kind}: {len(rows)} ({dict(splits)}) {dict(answers) if answers else ''}")


if __name__ == "__main__":
    main()
