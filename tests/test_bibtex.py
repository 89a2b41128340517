"""References people can use: authors and year in references, BibTeX from `rag ask --bib` and `/bib`."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import CONTROLS, copy_store
from test_cli import RAG, run

from rag.answer import PaperRef
from rag.bibtex import arxiv_id, cite_key, escape, to_bibtex
from rag.untrusted import without_controls


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


@pytest.mark.fault
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


# What the LaTeX in a field means, written out independently of rag.bibtex.
_LATEX = {
    r"\textbackslash{}": "\\",
    r"\textbraceleft{}": "{",
    r"\textbraceright{}": "}",
    r"\textasciitilde{}": "~",
    r"\textasciicircum{}": "^",
    **{f"\\{ch}": ch for ch in "{}&%$#_"},
}
_LATEX_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(_LATEX, key=len, reverse=True)))


def _text(field: str) -> str:
    """A field's text: its LaTeX decoded, its enclosing braces (case kept, a name kept whole) removed."""
    while field.startswith("{") and field.endswith("}"):
        field = field[1:-1]
    return _LATEX_PATTERN.sub(lambda m: _LATEX[m.group()], field)


def _read_back(bib: str) -> list[tuple[str, str, list[str], str]]:
    """(key, title, authors, year) of each entry as bibtexparser v2 and pybtex read them: the two
    must read the same entries, the same fields and the same number of authors."""
    import bibtexparser
    from bibtexparser.middlewares import SeparateCoAuthors
    from pybtex.database import parse_string

    library = bibtexparser.parse_string(bib, append_middleware=[SeparateCoAuthors()])
    assert not library.failed_blocks
    other = parse_string(bib, "bibtex").entries
    assert [e.key for e in library.entries] == list(other)
    entries = []
    for entry in library.entries:
        fields = {name: field.value for name, field in entry.fields_dict.items()}
        twin = other[entry.key]
        assert set(fields) == {name.lower() for name in twin.fields} | ({"author"} & set(fields))
        assert all(fields[name.lower()] == value for name, value in twin.fields.items())
        authors = fields.get("author", [])
        assert len(twin.persons.get("author", [])) == len(authors)
        entries.append(
            (entry.key, _text(fields["title"]), [_text(a) for a in authors], fields.get("year", ""))
        )
    return entries


@pytest.mark.fault
def test_every_bibtex_file_reads_back_the_same_with_two_parsers() -> None:
    """Unbalanced braces, a name with " and ", "Family, Given" names, control characters: bibtexparser
    and pybtex both read every entry whole, with its title, its authors and its year."""
    papers = [
        _citation(
            1, "Closing } brace first", authors=["Smith, J.", "Research and Development Lab"], year=2023
        ),
        _citation(2, "{ open only, and a }{ pair } inverted", authors=["A, B, C, D", "others"], year=2022),
        _citation(3, "Line \x00 NUL \x1b[31m escape", authors=["Eve \x1b[5mBlink"], year=2021),
        _citation(4, r"ends with a backslash \ ", authors=["Martin Luther King Jr."], year=2020),
        _citation(5, '@misc{x, title={y}} "quoted" 50% & #1 ~ ^ $ _', authors=["van den Oord, Aäron"]),
        _citation(6, "Names braced", authors=["{Braced} Name", "Name}", "AND Smith", ",lead"], year=2019),
        _citation(7, "Unicode: Zoë 中文 ∑≤∞", authors=["Zoë Ünïcode"], year=2018),
    ]
    bib = to_bibtex(papers)
    assert not CONTROLS.search(bib.replace("\n", " "))
    read = _read_back(bib)
    assert [key for key, *_ in read] == [
        "smith2023closing",
        "a2022open",
        "blink2021line",
        "king2020ends",
        "oordmiscx",
        "name2019names",
        "unicode2018unicode",
    ]
    for paper, (_, title, authors, year) in zip(papers, read, strict=True):
        assert title == " ".join(without_controls(paper.title).split())
        assert authors == [" ".join(without_controls(a).split()) for a in paper.authors]
        assert year == (str(paper.year) if paper.year else "")
    assert cite_key(_citation(8, "x", authors=["Smith, J."], year=2023)) == "smith2023x"


def test_a_group_author_is_one_name_and_keys_spell_letters_without_accents() -> None:
    """ "DeepMind Robotics Team" is braced (before: BibTeX took "Team" for its family name), and a
    key spells Ø and Ł as O and L (before: "stergaard2020", "orevic2023")."""
    group = _citation(
        1, "Robots", authors=["DeepMind Robotics Team", "OpenML Consortium", "Jane Doe"], year=2023
    )
    assert "author = {{DeepMind Robotics Team} and {OpenML Consortium} and Jane Doe}" in to_bibtex([group])
    from pybtex.database import parse_string

    (entry,) = parse_string(to_bibtex([group]), "bibtex").entries.values()
    assert entry.persons["author"][0].last_names == ["{DeepMind Robotics Team}"]
    assert "author = {Qingyao Ai and {Meta AI}}" in to_bibtex(
        [_citation(3, "x", authors=["Qingyao Ai", "Meta AI"])]
    )
    for author, key in [
        ("Ole Østergaard", "ostergaard2020federated"),
        ("Dragan Đorđević", "dordevic2020federated"),
    ]:
        assert cite_key(_citation(2, "Federated learning", authors=[author], year=2020)) == key


@pytest.mark.fault
def test_ask_bib_never_writes_over_a_file_unless_forced_nor_writes_nothing(
    tmp_path: Path, small_store: Path
) -> None:
    """As chat's /bib: an existing file is refused before the question is answered (--force writes
    over it), and an answer that cites nothing leaves the file as it was (a note, exit 0)."""
    store = copy_store(small_store, tmp_path / "store")
    bib = tmp_path / "refs.bib"
    bib.write_text("my own references")
    question = "how much does engineered algae improve photosynthetic efficiency in bioreactors?"
    refused = run("ask", question, "--store", str(store), "--llm", "extractive", "--bib", str(bib))
    assert refused.returncode == 1 and refused.stdout == ""  # before any answer
    assert refused.stderr == f"rag: error: {bib} exists: --bib {bib} --force overwrites it\n"
    assert bib.read_text() == "my own references"
    for target, why in (
        (tmp_path, f"that is a directory; give a file name, e.g. --bib {tmp_path / 'refs.bib'}"),
        (tmp_path / "none" / "refs.bib", f"the directory {tmp_path / 'none'} does not exist"),
    ):
        wrong = run("ask", question, "--store", str(store), "--llm", "extractive", "--bib", str(target))
        assert (
            wrong.returncode == 1
            and wrong.stdout == ""
            and wrong.stderr == f"rag: error: --bib {target}: {why}\n"
        )

    forced = run("ask", question, "--store", str(store), "--llm", "extractive", "--bib", str(bib), "--force")
    assert forced.returncode == 0 and f"rag: wrote 1 BibTeX entries to {bib}" in forced.stderr
    written = bib.read_text()
    assert written.startswith("@misc{lovelace2024photosynthetic,")

    unanswerable = "what was the population of Ulaanbaatar in 1650?"
    for target in (bib, tmp_path / "new.bib"):
        nothing = run(
            "ask", unanswerable, "--store", str(store), "--llm", "extractive", "--bib", str(target), "--force"
        )
        assert nothing.returncode == 0 and "The indexed papers don't answer this question." in nothing.stdout
        assert f"rag: note: the answer cites no paper: {target} not written" in nothing.stderr
    assert bib.read_text() == written and not (tmp_path / "new.bib").exists()


def test_entries_carry_doi_eprint_venue_and_keywords_and_read_back() -> None:
    import bibtexparser

    papers = [
        _citation(
            1,
            "Model soups",
            authors=["Mitchell Wortsman"],
            year=2022,
            venue="Proceedings of the 39th International Conference on Machine Learning",
            doi="10.48550/arxiv.2203.05482",
            arxiv_id="2203.05482",
            categories=["cs.LG", "cs.CV"],
            keywords=["weight averaging", "fine-tuning & robustness"],
        ),
        _citation(2, "A letter", authors=["Ada Lovelace"], year=2021, venue="Nature", doi="10.1038/x_y"),
        _citation(3, "A preprint", authors=["Alan Turing"], year=2020, venue="arXiv preprint"),
        _citation(4, "Meeting notes", authors=["Grace Hopper"], year=2019, venue="NeurIPS 2019"),
    ]
    bib = to_bibtex(papers)
    assert "@inproceedings{wortsman2022model,\n" in bib and "@article{lovelace2021letter,\n" in bib
    assert "@misc{turing2020preprint,\n" in bib and "@inproceedings{hopper2019meeting,\n" in bib
    assert "booktitle = {Proceedings of the 39th International Conference on Machine Learning}" in bib
    assert "doi = {10.48550/arxiv.2203.05482}" in bib and "eprint = {2203.05482}" in bib
    assert "archiveprefix = {arXiv}" in bib and "primaryclass = {cs.LG}" in bib
    assert r"keywords = {weight averaging, fine-tuning \& robustness}" in bib
    assert "journal = {Nature}" in bib and "doi = {10.1038/x_y}" in bib and "howpublished" not in bib
    assert [key for key, *_ in _read_back(bib)] == [
        "wortsman2022model",
        "lovelace2021letter",
        "turing2020preprint",
        "hopper2019meeting",
    ]
    types = {e.key: e.entry_type for e in bibtexparser.parse_string(bib).entries}
    assert types == {
        "wortsman2022model": "inproceedings",
        "lovelace2021letter": "article",
        "turing2020preprint": "misc",
        "hopper2019meeting": "inproceedings",
    }
