"""The readers: the bundled dumps, JSONL and CSV, de-duplication, and every kind of bad input."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from conftest import BUNDLED, CONTROLS, HOSTILE_PAPER, bundled_entries, write_dump, write_jsonl

from rag.library import corpus
from rag.library.formats import markup


def test_bundled_dumps_have_415_entries_and_364_papers() -> None:
    report = corpus.read([BUNDLED])
    assert report.entries == 415
    assert len(report.papers) == 364
    assert report.problems == []
    assert len({p.paper_id for p in report.papers}) == 364
    assert [f.entries for f in report.files] == [77, 81, 67, 111, 79]


def test_bundled_duplicates_record_every_dump_they_appear_in() -> None:
    papers = corpus.read([BUNDLED]).papers
    by_count: dict[int, int] = {}
    for paper in papers:
        by_count[len(paper.sources)] = by_count.get(len(paper.sources), 0) + 1
    assert by_count == {1: 321, 2: 37, 3: 4, 4: 2}
    assert sum(len(p.sources) for p in papers) == 415


def test_dump_headers_dates_and_links() -> None:
    papers = {p.title: p for p in corpus.read([BUNDLED]).papers}
    first = papers["CLIP-ReIdent: Contrastive Training for Player Re-Identification"]
    assert first.date == "Mar 11"
    assert first.abstract.startswith("Sports analytics benefits")
    assert "new" not in papers and "Subscribe" not in papers and "Daily Papers" not in papers
    point = next(p for p in papers.values() if p.title.startswith("Bringing Masked Autoencoders Explicit"))
    assert point.links == ["https://github.com/Amazingren/Point-CMAE"]


def test_the_latex_a_dump_leaves_in_an_abstract_is_read_as_its_text() -> None:
    """ "14.8\\%", 'T\\"ULU 3', "2.3times", "textbf{A}uxiliary", a link written twice: answers quoted
    them as written (38 of the bundled papers had such markup)."""
    papers = {p.title: p.abstract for p in corpus.read([BUNDLED]).papers}
    tulu = papers["TÜLU 3: Pushing Frontiers in Open Language Model Post-Training"]
    assert "we introduce TÜLU 3, a family" in tulu and "\\" not in tulu
    assert not [a for a in papers.values() if re.search(r"\\[%\"'a-z]|\dtimes\b|textbf\{|\{https", a)]
    assert any(f"2.3{markup.TIMES} faster" in a for a in papers.values())
    assert any("naïve ensembling" in a for a in papers.values())
    assert any("(e.g. adapters)" in a for a in papers.values())


@pytest.mark.parametrize(
    ("written", "text"),
    [
        ("by 14.8\\% on VisDA", "by 14.8% on VisDA"),
        (r"""Fr\'echet mean, na\"{\i}ve, {\"U}ber""", "Fréchet mean, naïve, Über"),
        ("360{\\deg}-Portrait, \\etc. and \\eg this", "360°-Portrait, etc. and e.g. this"),
        (
            "with textbf{M}ulti-branch and \\emph{key} and $textbf{a} b$ c",
            "with Multi-branch and key and a b c",
        ),
        ("10times-1000times, sometimes, 64times 64", "10\u00d7-1000\u00d7, sometimes, 64\u00d7 64"),
        (
            "OIE\\url{https://g.com/x}. At https://g.com/y{https://g.com/y}.",
            "OIE https://g.com/x. At https://g.com/y.",
        ),
        ("in sim3 hours, 3%sim20%, a sim card", "in ~3 hours, 3%~20%, a sim card"),
        (r"2.5\times faster, 45\deg, sim7B, sim2x", "2.5\u00d7 faster, 45°, ~7B, ~2x"),
        (r"5\pm 0.3, 1\leq k, f_\theta, C:\2023\reports", r"5± 0.3, 1≤ k, f_\theta, C:\2023\reports"),
        (r"85.2 $\pm$ 0.4, a $\sim$10x speedup, 5\pm0.3, k\leq 5", "85.2 ± 0.4, a ~10x speedup, 5±0.3, k≤ 5"),
        (
            r"C:\data\times\x, C:\Files\etc\hosts, Foo\eg bar, \theta_t",
            r"C:\data\times\x, C:\Files\etc\hosts, Foo\eg bar, \theta_t",
        ),
        (
            "Fine-Tuning (RFT)~wortsman2021robust, Network~(FFN), (~billion), ~38%",
            "Fine-Tuning (RFT), Network (FFN), (~billion), ~38%",
        ),
        ("R^d and BT^2, SF(DA)^2 and $x^2$", "R^d and BT^2, SF(DA)^2 and $x^2$"),  # no markup: kept
        # words, paths and escapes that only look like markup (a review)
        ("sim2real, real2sim2real, sim10k, US$ and HK$", "sim2real, real2sim2real, sim10k, US$ and HK$"),
        (r"a \n, \d+, C:\Users\x, ASP\.NET, \mathcal{L}", r"a \n, \d+, C:\Users\x, ASP\.NET, L"),
    ],
)
def test_markup_is_read_as_the_text_it_writes(written: str, text: str) -> None:
    assert markup.plain(written) == text


def test_jsonl_fields_untitled_papers_and_links(small_corpus: Path) -> None:
    report = corpus.read([small_corpus / "extra.jsonl"])
    algae, glacier, bees = report.papers
    assert algae.paper_id == "arxiv:2401.00001"
    assert algae.authors == ["Ada Lovelace", "Alan Turing"]
    assert algae.year == 2024 and algae.url == "https://arxiv.org/abs/2401.00001"
    assert algae.links == ["https://github.com/example/algae"]
    assert glacier.title == "" and glacier.paper_id.startswith("a-")
    assert bees.year == 2023 and bees.paper_id.startswith("t-")


def test_csv_reader(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text(
        'Title,Abstract,Authors,Year\n"Graph kernels, revisited","We revisit graph kernels.",'
        '"A. One; B. Two",2021\n,"No title here, only an abstract.",,\n',
        encoding="utf-8",
    )
    report = corpus.read([path])
    assert [p.title for p in report.papers] == ["Graph kernels, revisited", ""]
    assert report.papers[0].authors == ["A. One", "B. Two"]
    assert report.papers[0].year == 2021
    assert report.problems == []


@pytest.mark.parametrize(
    ("written", "date", "year"),
    [
        ("March 5, 2022", "2022-03-05", 2022),  # before: kept as written, no year: --year 2022 missed it
        ("5 Mar 2022", "2022-03-05", 2022),
        ("2023-03-05", "2023-03-05", 2023),  # before: no year, so `rag info` left it out of its years
        ("June 2021", "2021-06", 2021),
        ("in press", "in press", None),
        ("Mayday 2022", "Mayday 2022", None),  # no month's name
    ],
)
def test_a_date_written_as_people_write_it_gives_its_day_and_year(
    tmp_path: Path, written: str, date: str, year: int | None
) -> None:
    path = write_jsonl(
        tmp_path / "dated.jsonl", [{"title": "Owls", "abstract": "Owls hunt.", "date": written}]
    )
    (paper,) = corpus.read([path]).papers
    assert (paper.date, paper.year) == (date, year)


@pytest.mark.parametrize(
    ("written", "authors"),
    [
        ("Doe, Jane", ["Jane Doe"]),  # one person, family name first (before: "Doe" and "Jane")
        ("Doe, Jane; van der Berg, J. M.", ["Jane Doe", "J. M. van der Berg"]),
        ("Jane Doe, John Smith", ["Jane Doe", "John Smith"]),
        ("Jane Doe; John Smith", ["Jane Doe", "John Smith"]),
        # "and" before the last name (before: "John Smith and Ada Lovelace" was one person)
        ("Jane Doe, John Smith and Ada Lovelace", ["Jane Doe", "John Smith", "Ada Lovelace"]),
        ("Jane Doe, John Smith, and Ada Lovelace", ["Jane Doe", "John Smith", "Ada Lovelace"]),
        ("Jane Doe & John Smith", ["Jane Doe", "John Smith"]),
        ("Doe, Jane and van der Berg, J. M.", ["Jane Doe", "J. M. van der Berg"]),  # as BibTeX writes them
        ("Doe, Jane, and Roe, Ann", ["Jane Doe", "Ann Roe"]),
        ("Doe, Jane and others", ["Jane Doe"]),  # no one called "others"
        ("Jane Doe, John Smith et al.", ["Jane Doe", "John Smith"]),
        ("Jane Doe (MIT and Harvard), John Smith", ["Jane Doe (MIT and Harvard)", "John Smith"]),
    ],
)
def test_a_csv_author_written_family_name_first_is_one_person(
    tmp_path: Path, written: str, authors: list[str]
) -> None:
    path = tmp_path / "papers.csv"
    path.write_text(f'title,abstract,authors\nOwls,Owls hunt.,"{written}"\n', encoding="utf-8")
    assert corpus.read([path]).papers[0].authors == authors


def test_dedup_across_files_by_id_then_title_then_abstract(tmp_path: Path) -> None:
    """The same id is one paper (its later text replaces the earlier, and the report says so);
    without ids, the same title is one paper, and without a title the same abstract."""
    write_jsonl(
        tmp_path / "a.jsonl",
        [
            {"id": "x1", "title": "First", "abstract": "Alpha."},
            {"title": "Second Paper!", "abstract": "Beta."},
            {"abstract": "Gamma untitled."},
        ],
    )
    write_jsonl(
        tmp_path / "b.jsonl",
        [
            {"id": "x1", "title": "First (v2)", "abstract": "Alpha v2."},
            {"title": "second paper", "abstract": "Beta, reworded."},
            {"abstract": "Gamma   untitled."},
        ],
    )
    report = corpus.read([tmp_path])
    assert len(report.papers) == 3
    assert all(p.sources == ["a.jsonl", "b.jsonl"] for p in report.papers)
    assert [f.merged for f in report.files] == [0, 2]
    assert [f.replaced for f in report.files] == [0, 1]
    assert (report.papers[0].title, report.papers[0].abstract) == ("First (v2)", "Alpha v2.")
    assert report.notes[0].message.startswith("id x1 is also on " + str(tmp_path / "a.jsonl") + ":1")
    assert report.merges == [
        f"{tmp_path / 'b.jsonl'}:2 merged into {tmp_path / 'a.jsonl'}:2: same title"
        "; its longer abstract kept",
        f"{tmp_path / 'b.jsonl'}:3 merged into {tmp_path / 'a.jsonl'}:3: same abstract",
    ]
    assert report.papers[1].abstract == "Beta, reworded."  # the longer text of the title's two


def _problems(path: Path) -> list[str]:
    return [str(p) for p in corpus.read([path]).problems]


@pytest.mark.fault
def test_bad_files_are_reported_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "binary.csv").write_bytes(b"abstract\n\x00\x01\x02")
    (tmp_path / "latin1.jsonl").write_bytes(b'{"abstract": "ok"}\n{"abstract": "caf\xe9"}\n')
    (tmp_path / "nocol.csv").write_text("title,summary\nA,B\n", encoding="utf-8")
    (tmp_path / "notes.pdf").write_text("x", encoding="utf-8")
    assert _problems(tmp_path / "empty.jsonl") == [f"{tmp_path / 'empty.jsonl'}: empty file; skipped"]
    assert "binary file" in _problems(tmp_path / "binary.csv")[0]
    assert _problems(tmp_path / "latin1.jsonl")[0].startswith(f"{tmp_path / 'latin1.jsonl'}:2: not UTF-8")
    assert _problems(tmp_path / "nocol.csv")[0].startswith(
        f"{tmp_path / 'nocol.csv'}:1: no 'abstract' column"
    )
    assert "unsupported file type" in _problems(tmp_path / "notes.pdf")[0]
    assert "no such file" in _problems(tmp_path / "missing.jsonl")[0]
    assert "no such file" in _problems(tmp_path / "missing")[0]  # no suffix: missing, not unsupported


@pytest.mark.fault
def test_bad_lines_are_skipped_and_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{"title": "Good one", "abstract": "Fine."}\n'
        '{"title": "Broken", "abstract": \n'
        '["not", "an", "object"]\n'
        '{"title": "No abstract", "abstract": "  "}\n'
        '{"title": "Good two", "abstract": "Also fine."}\n',
        encoding="utf-8",
    )
    report = corpus.read([path, tmp_path / "empty-dir-file.txt"])
    assert [p.title for p in report.papers] == ["Good one", "Good two"]
    problems = [str(p) for p in report.problems]
    assert problems[0].startswith(f"{path}:2: not valid JSON")
    assert problems[1] == f"{path}:3: not a JSON object; skipped"
    assert problems[2] == f"{path}: 1 of 3 entries has no abstract; skipped (line 4)"
    assert "no such file" in problems[3]


@pytest.mark.fault
def test_dump_entry_without_abstract_is_skipped(tmp_path: Path) -> None:
    (a, b, c) = bundled_entries(3)
    path = write_dump(tmp_path / "d.txt", [a, b, c])
    lines = path.read_text(encoding="utf-8").split("\n")
    del lines[lines.index(b[1])]  # b loses its abstract
    path.write_text("\n".join(lines), encoding="utf-8")
    report = corpus.read([path])
    assert [p.title for p in report.papers] == [a[0], c[0]]
    assert len(report.problems) == 1 and "empty abstract" in str(report.problems[0])
    assert f"{path}:" in str(report.problems[0])


@pytest.mark.fault
def test_escape_sequences_and_control_characters_are_removed_when_read(tmp_path: Path) -> None:
    """A terminal obeys what it is sent: no paper keeps a control character (newline and tab aside),
    whatever file it came from, and an escape sequence goes whole ("[31m" is not left behind).
    (A NUL in a dump or CSV makes it a binary file, skipped: JSON brings one in as \\u0000.)"""
    jsonl = write_jsonl(tmp_path / "hostile.jsonl", [HOSTILE_PAPER])
    dump = write_dump(
        tmp_path / "hostile.txt",
        [("Bell \x07ringing \x1b[1mtitle", "An abstract \x1b]0;retitled\x1b\\about \x0enothing at all.")],
    )
    with (tmp_path / "hostile.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(
            [["title", "abstract", "authors"], ["\x9b2JCSV title", "A CSV \x7fabstract.", "Ann \x1b[8mOwl"]]
        )
    report = corpus.read([jsonl, dump, tmp_path / "hostile.csv"])
    assert report.problems == [] and len(report.papers) == 3
    for paper in report.papers:
        texts = [
            paper.paper_id,
            paper.title,
            paper.abstract,
            *paper.authors,
            paper.url or "",
            paper.date or "",
        ]
        assert not [t for t in texts if CONTROLS.search(t)], texts
    octopus, bell, owl = report.papers
    assert octopus.title == "Octopus camouflage [bold red]on coral[/] reefs"
    assert octopus.abstract == (
        "Octopuses match the colour of coral reefs within 200 milliseconds hidden using chromatophores. "
        "Their skin blinks at night."
    )
    # "Smith, J.": a family name first, as a .bib writes it (before: kept, and shown "Eve Blink, Smith, J.")
    assert octopus.authors == ["Eve Blink", "J. Smith"] and octopus.url == "https://example.org/octopus"
    assert (bell.title, bell.abstract) == ("Bell ringing title", "An abstract about nothing at all.")
    assert (owl.title, owl.abstract, owl.authors) == ("CSV title", "A CSV abstract.", ["Ann Owl"])
    # a right-to-left override reorders what a terminal shows (a hostile-input probe: kept and printed)
    flipped = write_jsonl(
        tmp_path / "flipped.jsonl",
        [
            {
                "id": "rtl",
                "title": "Invoice \u202egnp.exe\u202c review",
                "abstract": "Right to \u2067left\u2069.",
            }
        ],
    )
    (paper,) = corpus.read([flipped]).papers
    assert (paper.title, paper.abstract) == ("Invoice gnp.exe review", "Right to left.")


def test_jsonl_records_keep_venue_doi_arxiv_id_categories_keywords_and_tags(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "meta.jsonl",
        [
            {
                "id": "a",
                "title": "Soups",
                "abstract": "We average weights.",
                "venue": "ICML  2022",
                "doi": "https://doi.org/10.48550/ARXIV.2203.05482",
                "arxiv_id": "arXiv:2203.05482v3",
                "categories": "cs.LG cs.CV",
                "keywords": "model soups; fine-tuning",
                "tags": ["to read", "thesis"],
            },
            {"id": "b", "title": "Plain", "abstract": "Nothing else."},
        ],
    )
    soups, plain = corpus.read([path]).papers
    assert soups.venue == "ICML 2022" and soups.doi == "10.48550/arxiv.2203.05482"
    assert soups.arxiv_id == "2203.05482" and soups.categories == ["cs.LG", "cs.CV"]
    assert soups.keywords == ["model soups", "fine-tuning"] and soups.tags == ["to read", "thesis"]
    assert plain.venue is None and plain.categories == [] and plain.tags == []


@pytest.mark.fault
def test_a_metadata_field_of_the_wrong_type_skips_its_entry_naming_line_and_field(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "typed.jsonl",
        [
            {"id": "a", "title": "Fine", "abstract": "Kept.", "tags": ["x"]},
            {"id": "b", "title": "Number", "abstract": "Dropped.", "arxiv_id": 2301.0123},
            {"id": "c", "title": "Object", "abstract": "Dropped.", "venue": {"name": "ACL"}},
            {"id": "d", "title": "Mixed list", "abstract": "Dropped.", "categories": ["cs.CL", 3]},
            {"id": "e", "title": "Also fine", "abstract": "Kept too."},
        ],
    )
    report = corpus.read([path])
    assert [p.paper_id for p in report.papers] == ["a", "e"]
    assert [str(p) for p in report.problems] == [
        f"{path}:2: field 'arxiv_id' must be text, not a number (2301.0123); entry skipped",
        f"{path}:3: field 'venue' must be text, not an object; entry skipped",
        f"{path}:4: field 'categories' must be a list of texts, not a list holding a number (3); "
        "entry skipped",
    ]
