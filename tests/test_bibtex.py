"""References people can use: authors and year in references, BibTeX from `rag ask --bib` and `/bib`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import copy_store
from test_cli import RAG, run

from rag.answer import PaperRef
from rag.bibtex import arxiv_id, cite_key, escape, to_bibtex


def _citation(number: int, title: str, **fields: object) -> PaperRef:
    paper_id = str(fields.pop("paper_id", f"p{number}"))
    return PaperRef(paper_id, title, **fields)  # type: ignore[arg-type]


def test_entries_have_stable_keys_escaped_text_and_arxiv_eprints() -> None:
    first = _citation(
        1,
        "The {Best} 50% of data & more_things",
        authors=["Ada Lovelace", "Alan Turing"],
        year=2024,
        url="https://arxiv.org/abs/2401.00001v2",
    )
    twin = _citation(2, "The best way to do it", authors=["Ada Lovelace"], year=2024)
    bare = _citation(3, "", paper_id="t-abc123")
    assert cite_key(first) == "lovelace2024best" and cite_key(bare) == "tabc123"
    assert escape("{a} 50% & b_c") == r"\{a\} 50\% \& b\_c"
    assert (
        arxiv_id("http://arxiv.org/pdf/2106.09685.pdf") == "2106.09685" and arxiv_id("https://x.org") is None
    )
    bib = to_bibtex([first, twin, first, bare])  # a paper cited twice is one entry
    assert bib.count("@misc{") == 3
    assert "@misc{lovelace2024best,\n" in bib and "@misc{lovelace2024besta,\n" in bib  # unique keys
    assert r"title = {{The \{Best\} 50\% of data \& more\_things}}" in bib
    assert "author = {Ada Lovelace and Alan Turing}" in bib and "year = {2024}" in bib
    assert "eprint = {2401.00001}" in bib and "archiveprefix = {arXiv}" in bib
    assert to_bibtex([first]) == to_bibtex([first])  # stable
    assert bib.count("{") == bib.count("}") + bib.count(r"\}") - bib.count(r"\{")  # braces balance


def test_references_show_authors_year_and_url_and_ask_writes_bibtex(
    tmp_path: Path, small_store: Path
) -> None:
    store = copy_store(small_store, tmp_path / "store")  # the small corpus, ingested
    bib = tmp_path / "refs.bib"
    question = "how much does engineered algae improve photosynthetic efficiency in bioreactors?"
    result = run("ask", question, "--store", str(store), "--llm", "extractive", "--bib", str(bib))
    assert result.returncode == 0, result.stderr
    assert (
        "[1] Photosynthetic efficiency of engineered algae in bioreactors - Ada Lovelace, Alan Turing (2024) "
        "https://arxiv.org/abs/2401.00001"
    ) in result.stdout
    entries = bib.read_text()
    assert entries.startswith("@misc{lovelace2024photosynthetic,\n") and "eprint = {2401.00001}" in entries
    assert f"wrote {entries.count('@misc{')} BibTeX entries to {bib}" in result.stderr
    as_json = run("ask", question, "--store", str(store), "--llm", "extractive", "--json")
    citation = __import__("json").loads(as_json.stdout)["citations"][0]
    assert citation["authors"] == ["Ada Lovelace", "Alan Turing"] and citation["year"] == 2024
    # in chat: /bib refuses to overwrite without /bib!, /save lists authors and year
    chat_bib, notes = tmp_path / "chat.bib", tmp_path / "notes.md"
    chat_bib.write_text("keep me")
    script = f"{question}\n/bib {chat_bib}\n/bib! {chat_bib}\n/save {notes}\n/quit\n"
    chat = subprocess.run(
        [RAG, "chat", "--store", str(store), "--llm", "extractive"],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("RAG_")},
    )
    assert chat.returncode == 0, chat.stderr
    assert f"{chat_bib} exists: /bib! {chat_bib} overwrites it." in chat.stdout
    assert chat_bib.read_text().startswith("@misc{lovelace2024photosynthetic,")
    assert "Ada Lovelace, Alan Turing (2024)" in notes.read_text()
