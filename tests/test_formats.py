"""A researcher's library read: Zotero BibTeX (and Better BibTeX), Mendeley RIS, Zotero CSL-JSON, the
arXiv snapshot and OpenAlex works, each recognised by its content; papers merged only by identity;
fields of the wrong type refused with the file, line or entry and field named."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import tracemalloc
from pathlib import Path

import pytest
from conftest import BUNDLED, write_jsonl

from rag.api import Assistant
from rag.config import Settings
from rag.embeddings import OnnxMiniLM
from rag.errors import DiskFullError, InputError
from rag.library import corpus
from rag.library.corpus import Selection
from rag.library.formats.openalex import abstract_text

LIBRARY = Path(__file__).parent / "data" / "library"
BIB = LIBRARY / "zotero.bib"
RIS = LIBRARY / "mendeley.ris"
CSL = LIBRARY / "zotero-csl.json"
ZOTERO_CSV = LIBRARY / "zotero-export.csv"
ARXIV = LIBRARY / "arxiv-metadata-oai-snapshot.json"
OPENALEX = LIBRARY / "openalex-works.jsonl"


def _papers(*paths: Path, **options: object) -> dict[str, corpus.Paper]:
    return {p.paper_id: p for p in corpus.read(list(paths), **options).papers}  # type: ignore[arg-type]


def _bundled_abstract(title_start: str) -> str:
    return next(p.abstract for p in corpus.read([BUNDLED]).papers if p.title.startswith(title_start))


def test_paper_ids_of_the_formats_read_before_stay_as_they_were() -> None:
    """Existing stores are not embedded again: the bundled corpus's 364 ids are the ones the reader
    of the commit before this one gave (their digest was computed with it)."""
    ids = sorted(p.paper_id for p in corpus.read([BUNDLED]).papers)
    assert hashlib.sha1("\n".join(ids).encode()).hexdigest() == "b5cf1ad6df52c78fe379b38c4fa813795e685783"


def test_zotero_bibtex_export() -> None:
    report = corpus.read([BIB])
    (file,) = report.files
    assert (file.format, file.entries, file.new, file.merged, file.no_abstract) == ("bibtex", 8, 7, 1, 1)
    assert [str(p) for p in report.problems] == [
        f"{BIB}: 1 of 9 entries has no abstract; skipped (goodfellow_deep_2016)"
    ]
    assert report.merges == [
        f"{BIB}:86 (rajbhandari_zero_2020-1) merged into {BIB}:69 (rajbhandari_zero_2020): "
        "same DOI 10.1109/sc41405.2020.00024"
    ]
    papers = {p.paper_id: p for p in report.papers}
    soups = papers["t-20f3d07f7ccb23a2"]  # no DOI, no arXiv id: the title's hash, as for a dump
    assert soups.title.startswith("Model soups: averaging weights")  # {Model}: braces gone
    # \% is a per cent sign and -- an en dash, as LaTeX reads them
    assert soups.abstract == _bundled_abstract("Model soups").replace("--", "\u2013")
    assert soups.authors[:2] == ["Mitchell Wortsman", "Gabriel Ilharco"] and len(soups.authors) == 11
    assert (soups.year, soups.date) == (2022, "2022-06")
    assert soups.venue == "Proceedings of the 39th International Conference on Machine Learning"
    assert soups.url == "https://proceedings.mlr.press/v162/wortsman22a.html"
    assert soups.keywords == ["ensembles", "fine-tuning", "weight averaging"]
    assert "François Laviolette" in papers["t-8406baa065639725"].authors  # Fran{\c{c}}ois
    semi = papers["arxiv:2204.11824"]  # Zotero's arXiv preprint: the id from its DOI 10.48550/arXiv.*
    assert semi.authors[3:] == ["Jonas Müller", "Björn Ommer"] and semi.doi is None
    assert semi.keywords == ["Computer Science - Computer Vision and Pattern Recognition"]
    tulu = papers["arxiv:2411.15124"]
    assert tulu.title == "TÜLU 3: Pushing Frontiers in Open Language Model Post-Training"
    assert 'T\\"ULU' not in tulu.abstract and "we introduce TÜLU 3, a family" in tulu.abstract
    zero = papers["doi:10.1109/sc41405.2020.00024"]  # the duplicate's keywords joined the first's
    assert zero.keywords == ["distributed training", "memory", "deepspeed"] and zero.venue.startswith(
        "SC20: "
    )
    clip = papers["arxiv:2103.00020"]  # Better BibTeX: eprint + eprinttype, date, eprintclass
    assert clip.title == "Learning Transferable Visual Models From Natural Language Supervision"
    assert (clip.date, clip.year, clip.categories) == ("2021-02-26", 2021, ["cs.CV"])
    assert clip.keywords == [
        "Computer Science - Computer Vision and Pattern Recognition",
        "Computer Science - Machine Learning",
        "zero-shot",
    ]


@pytest.mark.fault
def test_bibtex_latex_tags_and_bad_entries(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """JabRef's groups and Mendeley's tags are tags; a bare % is a per cent sign; "and others" is no
    author; a broken block, a duplicate key and a year that is no year are errors naming line and
    key; the rest is read. The parser's own log lines (0-based lines, no file) are not printed."""
    path = tmp_path / "jabref.bib"
    path.write_text(
        "% Encoding: UTF-8\n\n"
        "@Article{good,\n  author = {{Google Research} and de la Fuente, Juan and others},\n"
        "  title = {Gains of 5% with $\\alpha$-divergence},\n"
        "  abstract = {We gain 5% on {ImageNet} with \\emph{one} trick.},\n"
        "  year = {2021},\n  groups = {reading list, to cite},\n  mendeley-tags = {favourite},\n}\n\n"
        "@Article{future,\n  title = {From the future},\n  abstract = {Not yet written.},\n"
        "  year = {99999},\n}\n\n"
        "@Article{broken,\n  title = {Unclosed,\n\n"
        "@Article{good,\n  title = {Same key},\n  abstract = {Another text.},\n}\n",
        encoding="utf-8",
    )
    report = corpus.read([path])
    assert corpus.detect_format(path) == "bibtex"
    (paper,) = report.papers
    assert paper.title == "Gains of 5% with \u03b1-divergence"
    assert paper.abstract == "We gain 5% on ImageNet with one trick."
    assert paper.authors == ["Google Research", "Juan de la Fuente"]
    assert paper.tags == ["reading list", "to cite", "favourite"]
    problems = sorted(str(p) for p in report.problems)
    assert (
        f"{path}:12: entry future: field 'year' must be a year between 1000 and 2100, not 99999; "
        "entry skipped" in problems
    )
    assert f"{path}:18: not valid BibTeX (Unexpected block start: `@Article`. " in "".join(problems)
    assert not [r for r in caplog.records if r.name.startswith("bibtexparser")]
    assert f"{path}:21: entry good: an earlier entry has the same key; entry skipped" in problems


def test_a_doi_field_holding_no_doi_is_dropped_not_its_paper(tmp_path: Path) -> None:
    """Before: "field 'doi' is not a DOI; entry skipped", the paper lost for its DOI; a trailing stop,
    or several DOIs in the field, kept the stop or failed."""
    path = tmp_path / "zotero.bib"
    path.write_text(
        "@article{odd,\n  title = {Odd DOI},\n  abstract = {Owls hunt.},\n  doi = {10.123/abc},\n}\n\n"
        "@article{stop,\n  title = {A stop},\n  abstract = {Bats fly.},\n"
        "  doi = {10.1016/S0140-6736(01)05627-6. },\n}\n\n"
        "@article{two,\n  title = {Two DOIs},\n  abstract = {Moths land.},\n"
        "  doi = {https://doi.org/10.1234/One.1 10.1234/two.2},\n}\n\n"
        "@article{www,\n  title = {A link},\n  abstract = {Ants march.},\n"
        "  doi = {https://www.doi.org/10.1000/ABC?utm_source=feed},\n}\n",
        encoding="utf-8",
    )
    report = corpus.read([path])
    assert {p.title: p.doi for p in report.papers} == {
        "Odd DOI": None,
        "A stop": "10.1016/s0140-6736(01)05627-6",
        "Two DOIs": "10.1234/one.1",
        "A link": "10.1000/abc",
    }
    assert not report.problems
    assert [str(n) for n in report.notes] == [
        f"{path}:1: entry odd: field 'doi' is not a DOI: '10.123/abc'; kept without it"
    ]


def test_better_biblatex_extended_names_are_read(tmp_path: Path) -> None:
    """Before: "Cannot split the following name ... Too many commas"; entry skipped."""
    path = tmp_path / "bbt.bib"
    path.write_text(
        "@article{berg2022,\n  title = {Names},\n  abstract = {We study names.},\n"
        "  author = {family=Berg, given=Pieter, prefix=van der, useprefix=true and Smith, John and "
        "family=King, given=Martin Luther, suffix=Jr. and family={Barnes and Noble}, given=Corp and "
        "family=Durkheim, given={\\'E}mile},\n}\n",
        encoding="utf-8",
    )
    report = corpus.read([path])
    (paper,) = report.papers
    assert (
        paper.authors
        == [
            "Pieter van der Berg",
            "John Smith",
            "Martin Luther King, Jr.",
            "Corp Barnes and Noble",
            "Émile Durkheim",
        ]
        and not report.problems
    )


def test_a_crossref_gives_an_entry_its_proceedings_fields(tmp_path: Path) -> None:
    """Before: the paper had no year or venue, and the @proceedings was "an entry without abstract"."""
    path = tmp_path / "xref.bib"
    path.write_text(
        "@inproceedings{child,\n  author = {Child, Chris},\n  title = {Meta-learning children},\n"
        "  crossref = {ICML2019},\n  abstract = {We meta-learn.},\n}\n\n"
        "@proceedings{icml2019,\n  title = {Proceedings of ICML},\n  year = {2019},\n  month = jun,\n}\n",
        encoding="utf-8",
    )
    report = corpus.read([path])
    (paper,) = report.papers
    assert (paper.year, paper.date, paper.venue) == (2019, "2019-06", "Proceedings of ICML")
    assert not report.problems and report.files[0].no_abstract == 0
    # no identifier is inherited (a review: the proceedings' DOI made its two papers one), a chain
    # gives the grandparent's year, an entry naming itself or a paper is no container (its title no
    # venue: Cicadas has its parent's parent's)
    path.write_text(
        "@inproceedings{a,\n  title = {Ants},\n  crossref = {vol},\n  abstract = {Ants march.},\n}\n"
        "@inproceedings{b,\n  title = {Bees},\n  crossref = {vol},\n  abstract = {Bees hum.},\n}\n"
        "@proceedings{vol,\n  title = {Insects, Volume 2},\n  doi = {10.1234/vol.2},\n"
        "  crossref = {series},\n}\n"
        "@proceedings{series,\n  title = {Insects},\n  year = {2020},\n}\n"
        "@inproceedings{self,\n  title = {Moths},\n  crossref = {self},\n  abstract = {Moths land.},\n}\n"
        "@inproceedings{c,\n  title = {Cicadas},\n  crossref = {a},\n  abstract = {Cicadas sing.},\n}\n",
        encoding="utf-8",
    )
    papers = {p.title: p for p in corpus.read([path]).papers}
    assert (papers["Ants"].doi, papers["Bees"].doi) == (None, None)
    assert (papers["Ants"].year, papers["Ants"].venue) == (2020, "Insects, Volume 2")
    assert papers["Moths"].venue is None and papers["Cicadas"].venue == "Insects, Volume 2"


def test_an_entry_an_extra_brace_ends_early_is_an_error_naming_what_it_loses(tmp_path: Path) -> None:
    """`journal = {X}},` closes the entry: the fields after it were lost without a word (stored with
    no authors, year or DOI; in a title, reported as having no abstract)."""
    path = tmp_path / "braces.bib"
    path.write_text(
        "@article{c3,\n  title = {Permafrost Thaw},\n  abstract = {Thaw releases carbon.},\n"
        "  journal = {Nature {Climate} Change}},\n  author = {Foxtrot, Fay},\n  year = {2022},\n}\n\n"
        "% a comment = not a field\n"
        "@article{t1,\n  title = {Extra}} brace},\n  abstract = {Lost abstract.},\n}\n\n"
        "@article{ok,\n  title = {Sound},\n  abstract = {A sound entry.},\n}\n",
        encoding="utf-8",
    )
    report = corpus.read([path])
    assert [p.title for p in report.papers] == ["Sound"]
    assert [str(p) for p in report.problems] == [
        f"{path}:1: entry c3: an extra '}}' on line 4 ends the entry before its author, year; entry skipped",
        f"{path}:10: entry t1: an extra '}}' on line 11 ends the entry before its abstract; entry skipped",
    ]


def test_bibtex_concatenation_is_resolved_and_a_hash_in_braces_is_text(tmp_path: Path) -> None:
    """`journal = jmlr # " (JMLR)"` (before: stored as written, and --venue could not match it)."""
    path = tmp_path / "strings.bib"
    path.write_text(
        '@string{jmlr = "Journal of Machine Learning Research"}\n'
        '@string{tnnls = "IEEE Transactions on Neural Networks" # " and Learning Systems"}\n'
        '@article{a,\n  title = {Owls},\n  abstract = {Owls hunt.},\n  journal = jmlr # " (JMLR)",\n}\n'
        '@article{b,\n  title = {Bats} # { and } # "Moths",\n'
        "  abstract = {Bats hunt. A # sign {inside # braces}.},\n  journal = tnnls,\n}\n",
        encoding="utf-8",
    )
    report = corpus.read([path])
    assert [(p.title, p.abstract, p.venue) for p in report.papers] == [
        ("Owls", "Owls hunt.", "Journal of Machine Learning Research (JMLR)"),
        (
            "Bats and Moths",
            "Bats hunt. A # sign inside # braces.",
            "IEEE Transactions on Neural Networks and Learning Systems",
        ),
    ]
    assert report.problems == []


def test_mendeley_ris_export() -> None:
    report = corpus.read([RIS])
    assert report.files[0].format == "ris"
    assert [str(p) for p in report.problems] == [f"{RIS}: 1 of 5 entries has no abstract; skipped (line 58)"]
    papers = {p.paper_id: p for p in report.papers}
    images = papers["doi:10.1007/s11263-020-01316-z"]
    assert images.authors[0] == "Alina Kuznetsova" and len(images.authors) == 12
    assert (images.year, images.venue) == (2020, "International Journal of Computer Vision")
    assert images.keywords == ["Image classification", "Object detection", "Visual relationship detection"]
    assert images.abstract == _bundled_abstract("The Open Images Dataset V4")
    electra = papers["arxiv:2003.10555"]  # its arXiv id from its URL, version stripped
    assert electra.url == "https://arxiv.org/abs/2003.10555v1" and electra.arxiv_id == "2003.10555"
    assert electra.venue == "International Conference on Learning Representations"


def test_zotero_csv_export() -> None:
    """Zotero's CSV export ("Abstract Note", "Author", "Publication Year", "Manual Tags" ...), which
    was refused: "no 'abstract' column (columns: key, item type, ... abstract note ...)"."""
    report = corpus.read([ZOTERO_CSV])
    assert report.files[0].format == "csv"
    assert [str(p) for p in report.problems] == [
        f"{ZOTERO_CSV}: 1 of 3 entries has no abstract; skipped (line 4)"
    ]
    papers = {p.title.split(":")[0]: p for p in report.papers}
    zeroq = papers["ZeroQ"]
    assert zeroq.abstract == _bundled_abstract("ZeroQ")
    assert zeroq.authors == [
        "Yaohui Cai",
        "Zhewei Yao",
        "Zhen Dong",
        "Amir Gholami",
        "Michael W. Mahoney",
        "Kurt Keutzer",
    ]
    assert (zeroq.year, zeroq.date, zeroq.doi) == (2020, "2020-06", "10.1109/cvpr42600.2020.01318")
    assert zeroq.venue == "2020 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)"
    assert zeroq.tags == ["quantization", "to read"]
    assert zeroq.keywords == ["Computer Science - Computer Vision and Pattern Recognition"]
    assert papers["Jurassic World Remake"].url == "http://arxiv.org/abs/2308.07316"
    # the arXiv id Zotero keeps in "Extra" ("arXiv:2308.07316 [cs]"): the same paper as the snapshot's
    assert (zeroq.arxiv_id, papers["Jurassic World Remake"].arxiv_id) == ("2001.00281", "2308.07316")


def test_zotero_csl_json_export() -> None:
    report = corpus.read([CSL])
    assert report.files[0].format == "csljson"
    assert report.files[0].no_abstract == 1 and "kZmH3Rjd/items/5MJH8RZC (item 4)" in str(report.problems[0])
    papers = {p.title.split(":")[0]: p for p in report.papers}
    blip = papers["InstructBLIP"]
    assert (blip.paper_id, blip.date, blip.year) == ("arxiv:2305.06500", "2023-06-15", 2023)
    assert blip.authors[3] == "Anthony Meng Huat Tiong"
    mrl = papers["Matryoshka Representation Learning"]
    assert mrl.keywords == ["embeddings", "representation learning"] and mrl.date == "2022-12"
    assert mrl.venue == "Advances in Neural Information Processing Systems"


def test_arxiv_snapshot_fields() -> None:
    report = corpus.read([ARXIV])
    assert report.files[0].format == "arxiv" and report.problems == []
    papers = {p.paper_id: p for p in report.papers}
    assert len(papers) == 8
    semi = papers["arxiv:2204.11824"]
    assert semi.authors == ["Andreas Blattmann", "Robin Rombach", "Kaan Oktay", "Jonas Müller", "Björn Ommer"]
    assert (semi.date, semi.year) == ("2022-04-25", 2022)  # the first version's date
    assert semi.abstract == _bundled_abstract("Semi-Parametric Neural Image Synthesis")  # lines joined
    reident = papers["arxiv:2303.11855"]
    assert reident.doi == "10.1145/3552437.3555698" and reident.venue.startswith("In Proceedings of the 5th")
    assert reident.url == "https://arxiv.org/abs/2303.11855"
    assert papers["arxiv:2304.14108"].categories == ["cs.CV", "cs.CL", "cs.LG"]
    assert papers["arxiv:2411.15124"].title.startswith("TÜLU 3: ")


def test_arxiv_snapshot_category_and_since_applied_while_reading() -> None:
    def read(category: str | None, since: str | None) -> corpus.CorpusReport:
        return corpus.read([ARXIV], selection=Selection.of(category, since))

    cl = read("cs.CL,cs.LG", None)
    assert sorted(p.arxiv_id or "" for p in cl.papers) == [
        "2003.10555",
        "2103.00020",
        "2304.14108",
        "2411.15124",
    ]
    assert cl.files[0].filtered == 4 and cl.problems == []
    # written in any case, as `search --category` takes it (before: "cs.cl" kept nothing)
    assert [p.paper_id for p in read("cs.cl,CS.lg", None).papers] == [p.paper_id for p in cl.papers]
    recent = read("cs.CL", "2023-01-01")
    assert sorted(p.arxiv_id or "" for p in recent.papers) == ["2304.14108", "2411.15124"]
    assert read(None, "2024").files[0].entries == 2
    assert read("cs", "2024-02-16").files[0].entries == 2  # 'cs' is every cs.*; the day itself counts
    with pytest.raises(InputError, match="--since '2023-13-01' is not a date"):
        Selection.of(None, "2023-13-01")


def test_the_arxiv_snapshot_is_streamed_in_constant_memory(tmp_path: Path) -> None:
    """3,000 lines (7 MB): reading them, parsed or only glanced at, holds one line at a time."""
    line = ARXIV.read_text(encoding="utf-8").splitlines()[2]
    big = tmp_path / "snapshot.json"
    with big.open("w", encoding="utf-8") as handle:
        for i in range(3000):
            handle.write(line.replace('"2103.00020"', f'"2103.{i:05d}"') + "\n")
    assert big.stat().st_size > 7_000_000
    # "math.AG" is in no line: none is parsed; "cs.C" is in every line and no category: all are
    for category in ("math.AG", "cs.C"):
        tracemalloc.start()
        try:
            report = corpus.read([big], selection=Selection.of(category))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert (report.files[0].filtered, report.papers) == (3000, [])
        assert peak < 1_000_000, peak


def test_the_papers_read_wait_on_disk_so_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    """Every line kept: 1,000 or 4,000 papers read hold the same memory (before: 4.3 KB a paper)."""
    line = ARXIV.read_text(encoding="utf-8").splitlines()[2]
    peaks = []
    for lines in (1000, 4000):
        snapshot = tmp_path / f"snapshot-{lines}.json"
        with snapshot.open("w", encoding="utf-8") as handle:
            for i in range(lines):
                handle.write(line.replace('"2103.00020"', f'"2103.{i:05d}"') + "\n")
        tracemalloc.start()
        try:
            report = corpus.read([snapshot])
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert len(report.papers) == lines and report.papers[lines - 1].arxiv_id == f"2103.{lines - 1:05d}"
        assert [p.arxiv_id for p in report.papers][:2] == ["2103.00000", "2103.00001"]
    assert peaks[1] - peaks[0] < 1_000_000, peaks  # 3,000 more papers held: 13 MB more before


@pytest.mark.fault
def test_a_full_temporary_disk_while_reading_is_one_line_naming_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.library.records import Paper
    from rag.library.shelf import Shelf

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    shelf = Shelf()
    shelf._db.execute("PRAGMA max_page_count = 8")  # SQLite's own "database or disk is full", soon
    with pytest.raises(DiskFullError, match=rf"no room in the temporary directory \({tmp_path}\)"):
        for n in range(10_000):
            shelf.add(Paper(f"p{n}", f"Title {n}", "An abstract. " * 20), False, {})
    assert 0 < len(shelf) < 10_000  # the papers read before it (the shelf is not read again)


def test_openalex_works() -> None:
    report = corpus.read([OPENALEX])
    assert report.files[0].format == "openalex"
    assert [str(p) for p in report.problems] == [
        f"{OPENALEX}: 1 of 5 entries has no abstract; skipped (W4387968216)"
    ]
    papers = {p.paper_id: p for p in report.papers}
    laion = papers["arxiv:2210.08402"]  # the arXiv DOI gives the arXiv id
    assert laion.abstract == _bundled_abstract("LAION-5B")  # rebuilt from the inverted index
    assert (laion.doi, laion.date, laion.venue) == (None, "2022-10-16", "arXiv (Cornell University)")
    assert laion.keywords == ["Image-text dataset", "Computer science", "Artificial intelligence"]  # not 0.12
    align = papers["openalex:W3128646645"]  # no DOI, no arXiv id: its OpenAlex id
    assert align.venue == "International Conference on Machine Learning" and align.authors[0] == "Chao Jia"
    assert papers["arxiv:2309.16671"].arxiv_id == "2309.16671"  # ids.arxiv, version stripped
    assert abstract_text({"b": [1], "a": [0, 2]}) == "a b a"


def test_json_a_file_holds_whole_is_read_as_what_each_object_is(tmp_path: Path) -> None:
    """An array of plain records (before: read as CSL, its authors, year, venue and DOI dropped), of
    OpenAlex works or an OpenAlex API page (before: "no abstract", or skipped), one CSL item alone
    (before: read as a plain record, its author and issued lost), CSL items one a line."""
    plain = tmp_path / "records.json"
    plain.write_text(
        json.dumps(
            [
                {
                    "title": "Owls",
                    "abstract": "Owls hunt.",
                    "authors": ["Doe, Jane"],
                    "year": 2022,
                    "venue": "ICML",
                    "doi": "10.1234/GEN.1",
                }
            ]
        ),
        encoding="utf-8",
    )
    (owls,) = corpus.read([plain]).papers
    assert (owls.authors, owls.year, owls.venue, owls.doi) == (["Jane Doe"], 2022, "ICML", "10.1234/gen.1")
    works = [json.loads(line) for line in OPENALEX.read_text(encoding="utf-8").splitlines() if line.strip()]
    for name, held in (("works.json", works), ("page.json", {"meta": {"count": 5}, "results": works})):
        (tmp_path / name).write_text(json.dumps(held), encoding="utf-8")
        read = corpus.read([tmp_path / name])
        assert len(read.papers) == 4 and "arxiv:2210.08402" in {p.paper_id for p in read.papers}
    item = {
        "id": "solo",
        "type": "article-journal",
        "title": "Solo",
        "abstract": "Spectral clustering.",
        "author": [{"family": "Solo", "given": "Han"}],
        "issued": {"date-parts": [[2019]]},
    }
    (tmp_path / "item.json").write_text(json.dumps(item), encoding="utf-8")
    (tmp_path / "items.jsonl").write_text(
        json.dumps(item) + "\n" + json.dumps(item | {"id": "duo", "title": "Duo"}) + "\n", encoding="utf-8"
    )
    for name, count in (("item.json", 1), ("items.jsonl", 2)):
        read = corpus.read([tmp_path / name])
        assert read.files[0].format == "csljson" and len(read.papers) == count
        assert all(p.authors == ["Han Solo"] and p.year == 2019 for p in read.papers)
    # a broken line of CSL items a line is that line's problem, not the file's
    items = tmp_path / "items.jsonl"
    items.write_text(items.read_text(encoding="utf-8") + "{broken\n", encoding="utf-8")
    read = corpus.read([items])
    assert len(read.papers) == 2 and [str(p) for p in read.problems] == [
        f"{items}:3: not valid JSON (Expecting property name enclosed in double quotes); skipped"
    ]
    # a plain record with a "URL", "DOI" or an "author" string is no CSL item (a review: read as one,
    # its authors, year and venue were lost)
    plain = write_jsonl(
        tmp_path / "plain.jsonl",
        [
            {
                "title": "Ants",
                "abstract": "Ants march.",
                "authors": "Ann Roe",
                "year": 2020,
                "venue": "X",
                "URL": "https://a.example",
            }
        ],
    )
    read = corpus.read([plain])
    (ants,) = read.papers
    assert read.files[0].format == "jsonl" and (ants.authors, ants.year, ants.venue) == (
        ["Ann Roe"],
        2020,
        "X",
    )


def test_formats_are_recognised_by_content_not_name(tmp_path: Path) -> None:
    expected = {BIB: "bibtex", RIS: "ris", CSL: "csljson", ARXIV: "arxiv", OPENALEX: "openalex"}
    for source, fmt in expected.items():
        for name in ("export.txt", "export.dat"):
            target = tmp_path / f"{fmt}-{name}"
            shutil.copy(source, target)
            assert corpus.detect_format(target) == fmt, target
    write_jsonl(tmp_path / "plain.txt", [{"title": "T", "abstract": "A."}])
    assert corpus.detect_format(tmp_path / "plain.txt") == "jsonl"
    (tmp_path / "rows.dat").write_text("title,abstract\nT,A.\n", encoding="utf-8")
    assert corpus.detect_format(tmp_path / "rows.dat") == "csv"
    (tmp_path / "notes.dat").write_text("just some notes\n", encoding="utf-8")
    assert corpus.detect_format(tmp_path / "notes.dat") is None
    # a .txt without the dump's header and no line as long as an abstract (before: a paper titled
    # "just some notes")
    (tmp_path / "notes.txt").write_text("just some notes\n\nnot a paper\n", encoding="utf-8")
    assert corpus.detect_format(tmp_path / "notes.txt") is None
    (notes,) = corpus.read([tmp_path / "notes.txt"]).problems
    assert (
        str(notes)
        == f"{tmp_path / 'notes.txt'}: no line long enough for an abstract: not a Daily Papers dump; skipped"
    )
    dump = tmp_path / "dump.txt"
    dump.write_text("[Re] A reproduction\n\n" + "An abstract. " * 40 + "\n", encoding="utf-8")
    assert corpus.detect_format(dump) == "dump"  # a title starting with '[' is not JSON
    directory = tmp_path / "library"
    directory.mkdir()
    for source in expected:
        shutil.copy(source, directory / source.name)
    assert sorted(f.format for f in corpus.read([directory]).files) == sorted(expected.values())
    # a subdirectory holding such files is not read, and a note says so; one holding none (a Zotero
    # export's files/ of PDFs) is not mentioned (before: neither was)
    (directory / "more").mkdir()
    shutil.copy(BIB, directory / "more" / "more.bib")
    (directory / "files" / "1").mkdir(parents=True)
    (directory / "files" / "1" / "paper.pdf").write_bytes(b"%PDF-1.4")
    report = corpus.read([directory])
    assert [str(n) for n in report.notes] == [
        f"{directory}: subdirectories not read (more): name them to read them"
    ]
    assert sorted(f.format for f in report.files) == sorted(expected.values())
    # a file saved without its suffix is read by what it holds; a compressed or unknown one is named
    # (before: both passed over unsaid)
    shutil.copy(BIB, directory / "My Library")
    (directory / "export.bib.gz").write_bytes(gzip.compress(BIB.read_bytes()))
    (directory / "README.md").write_text("My papers.\n", encoding="utf-8")
    (directory / ".DS_Store").write_bytes(b"\x00\x00")
    # a file with a suffix rag does not read is not read, whatever it holds (a review: a .py file
    # with "@dataclass(" was read as BibTeX, a .md one starting "title,abstract" as a CSV)
    (directory / "convert.py").write_text("@dataclass(frozen=True)\nclass Entry: ...\n", encoding="utf-8")
    (directory / "notes.md").write_text("title,abstract\nOwls,Owls hunt at night.\n", encoding="utf-8")
    report = corpus.read([directory])
    assert "My Library" in {Path(f.path).name for f in report.files}
    assert {Path(f.path).name for f in report.files}.isdisjoint({"convert.py", "notes.md", "README.md"})
    assert [str(n) for n in report.notes][1:] == [
        f"{directory}: 4 file(s) not read, of no format rag reads (README.md, convert.py, "
        "export.bib.gz: compressed (gzip), decompress it first, notes.md)"
    ]


def test_the_same_paper_from_a_bib_and_the_arxiv_snapshot_is_one_paper_with_both_metadata() -> None:
    report = corpus.read([BIB, ARXIV])
    papers = {p.paper_id: p for p in report.papers}
    clip = papers["arxiv:2103.00020"]
    assert clip.sources == ["zotero.bib", "arxiv-metadata-oai-snapshot.json"]
    assert clip.categories == ["cs.CV", "cs.LG"]  # the .bib's eprintclass and the snapshot's
    assert "zero-shot" in clip.keywords and clip.date == "2021-02-26"
    reident = papers["doi:10.1145/3552437.3555698"]  # by DOI; the snapshot adds the arXiv id
    assert reident.arxiv_id == "2303.11855" and reident.categories == ["cs.CV"]
    assert (
        reident.venue
        == "Proceedings of the 5th International ACM Workshop on Multimedia Content Analysis in Sports"
    )
    assert (
        f"{ARXIV}:5 (2303.11855) merged into {BIB}:97 (habel_clip-reident_2022): "
        "same DOI 10.1145/3552437.3555698" in report.merges
    )
    assert len(report.merges) == 5  # the DOI duplicate, then CLIP, Semi-Parametric, CLIP-ReIdent, TÜLU 3
    assert len(papers) == 7 + 8 - 4


@pytest.mark.fault
def test_four_distinct_ids_are_four_papers_whatever_they_share(tmp_path: Path) -> None:
    """Measured: two records sharing a title and two sharing an abstract, four ids, were 2 papers."""
    path = write_jsonl(
        tmp_path / "ids.jsonl",
        [
            {
                "id": "arx-1",
                "title": "A Survey",
                "abstract": "We survey graph neural networks for molecules.",
            },
            {"id": "arx-2", "title": "A Survey", "abstract": "We survey coral reef bleaching since 1998."},
            {"id": "arx-3", "title": "Owls at night", "abstract": "Barn owls locate prey by sound alone."},
            {"id": "arx-4", "title": "Hearing in owls", "abstract": "Barn owls locate prey by sound alone."},
        ],
    )
    report = corpus.read([path])
    assert [p.paper_id for p in report.papers] == ["arx-1", "arx-2", "arx-3", "arx-4"]
    assert (report.files[0].new, report.files[0].merged, report.merges) == (4, 0, [])


@pytest.mark.fault
def test_an_id_or_a_doi_keeps_papers_apart_that_share_a_title(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            {"title": "A Survey", "abstract": "First survey.", "doi": "10.1000/one"},
            {"title": "A Survey", "abstract": "Second survey.", "doi": "https://doi.org/10.1000/TWO"},
            {"title": "A Survey", "abstract": "Third survey, without any id."},
            {"id": "s4", "title": "A Survey", "abstract": "Fourth survey, with an id."},
            {"title": "Other", "abstract": "Fifth: the first one's DOI.", "doi": "10.1000/ONE"},
        ],
    )
    report = corpus.read([path])
    assert [p.abstract for p in report.papers] == [
        "First survey.",
        "Second survey.",
        "Third survey, without any id.",
        "Fourth survey, with an id.",
    ]
    assert report.papers[1].doi == "10.1000/two"
    assert len({p.paper_id for p in report.papers}) == 4
    assert report.merges == [f"{path}:5 merged into {path}:1: same DOI 10.1000/one"]


def test_a_title_two_works_share_merges_them_only_when_nothing_tells_them_apart(tmp_path: Path) -> None:
    """Two "Editorial"s of other authors, or years apart, are two papers (before: merged, the second
    one's abstract lost); the same title by a shared author a year later is one (a preprint), and
    so is the same text, whatever its authors and years."""
    records = [
        {"title": "Editorial", "abstract": "On robotics.", "authors": ["Alice Adams"], "year": 2020},
        {"title": "Editorial", "abstract": "On chemistry.", "authors": ["Bob Brown"], "year": 2020},
        {"title": "Owls at Night", "abstract": "Owls hunt.", "authors": ["Jane Doe"], "year": 2019},
        {
            "title": "Owls at night",
            "abstract": "Owls hunt well.",
            "authors": ["J. Doe", "Al Poe"],
            "year": 2020,
        },
        {"title": "Bats", "abstract": "Bats fly.", "year": 2001},
        {"title": "Bats", "abstract": "Bats fly far.", "year": 2021},
        {"title": "Moths", "abstract": "Moths land.", "authors": ["Ann Roe (MIT)"], "year": 2019},
        {"title": "Moths", "abstract": "Moths land.", "authors": ["Roe A"], "year": 2023},
    ]
    path = write_jsonl(tmp_path / "library.jsonl", records)
    report = corpus.read([path])
    assert [p.abstract for p in report.papers] == [
        "On robotics.",
        "On chemistry.",
        "Owls hunt well.",  # the longer abstract of the two merged
        "Bats fly.",
        "Bats fly far.",
        "Moths land.",
    ]
    assert len({p.paper_id for p in report.papers}) == 6
    assert report.merges == [
        f"{path}:4 merged into {path}:3: same title; its longer abstract kept",
        f"{path}:8 merged into {path}:7: same title",
    ]
    # the same records again from another file: each joins its paper (a review found the third
    # "Bats" took the second one's id, and the store refused the write)
    twice = corpus.read([path, write_jsonl(tmp_path / "again.jsonl", records)])
    assert len({p.paper_id for p in twice.papers}) == len(list(twice.papers)) == 6


@pytest.mark.fault
def test_fields_of_the_wrong_type_are_errors_naming_file_line_and_field(tmp_path: Path) -> None:
    """Measured: these were stored as "{'nested': 1}", "True", "['http://x']" and year 9999."""
    path = write_jsonl(
        tmp_path / "types.jsonl",
        [
            {"id": "t-1", "title": {"nested": 1}, "abstract": "A paper whose title is an object."},
            {"id": "t-2", "title": "Abstract is true", "abstract": True},
            {
                "id": "t-3",
                "title": "Url list",
                "abstract": "A paper whose url is a list.",
                "url": ["http://x"],
            },
            {"id": "t-4", "title": "Far future", "abstract": "A paper from the far future.", "year": 99999},
            {"id": "t-5", "title": "Fine", "abstract": "A fine paper.", "year": "2021", "authors": ["A. B."]},
            {"id": "t-6", "title": "Authors", "abstract": "Names are objects.", "authors": [{"name": "X"}]},
        ],
    )
    report = corpus.read([path])
    assert [p.paper_id for p in report.papers] == ["t-5"]
    assert [str(p) for p in report.problems] == [
        f"{path}:1: field 'title' must be text, not an object; entry skipped",
        f"{path}:2: field 'abstract' must be text, not true; entry skipped",
        f"{path}:3: field 'url' must be text, not a list; entry skipped",
        f"{path}:4: field 'year' must be a year between 1000 and 2100, not 99999; entry skipped",
        f"{path}:6: field 'authors' must be a list of texts, not a list holding an object; entry skipped",
    ]


@pytest.mark.fault
def test_wrong_types_in_the_new_formats_name_the_entry(tmp_path: Path) -> None:
    csl = tmp_path / "csl.json"
    csl.write_text(
        json.dumps(
            [
                {
                    "id": "ok",
                    "title": "Fine",
                    "abstract": "A fine abstract.",
                    "issued": {"date-parts": [[2020]]},
                },
                {"id": "bad", "title": ["A", "list"], "abstract": "Title is a list."},
                {"id": "date", "title": "Date", "abstract": "Issued is text.", "issued": "2020"},
            ]
        ),
        encoding="utf-8",
    )
    arxiv_line = json.loads(ARXIV.read_text(encoding="utf-8").splitlines()[1])
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(
        json.dumps(arxiv_line)
        + "\n"
        + json.dumps({**arxiv_line, "id": "2401.00002", "authors_parsed": "X"})
        + "\n",
        encoding="utf-8",
    )
    works = tmp_path / "works.jsonl"
    work = json.loads(OPENALEX.read_text(encoding="utf-8").splitlines()[0])
    works.write_text(json.dumps({**work, "abstract_inverted_index": {"word": "0"}}) + "\n", encoding="utf-8")
    report = corpus.read([csl, snapshot, works])
    assert [p.title for p in report.papers] == ["Fine", " ".join(arxiv_line["title"].split())]
    assert [str(p) for p in report.problems] == [
        f"{csl}: entry bad (item 2): field 'title' must be text, not a list; entry skipped",
        f"{csl}: entry date (item 3): field 'issued' must be a CSL date object, not str; entry skipped",
        f"{snapshot}:2: entry 2401.00002: field 'authors_parsed' must be a list of [family, given, suffix] "
        "lists of texts; entry skipped",
        f"{works}:1: entry W4306815823: field 'abstract_inverted_index' positions of 'word' must be a list "
        "of numbers; entry skipped",
    ]


def test_python_api_stores_the_fields_and_reports_replacements(
    settings: Settings, embedder: OnnxMiniLM, tmp_path: Path
) -> None:
    assistant = Assistant(settings, embedder=embedder, notify=lambda message: None)
    report = assistant.ingest([BIB, ARXIV], category="cs.CV,cs.CL,cs.LG", since="2021")
    # the 2016 and 2020 entries of the .bib, the 2014 and 2020 records of the snapshot: not read
    assert [f.filtered for f in report.files] == [4, 2] and report.papers == 7
    clip = assistant.paper("arxiv:2103.00020")
    assert clip["categories"] == ["cs.CV", "cs.LG"] and clip["date"] == "2021-02-26"
    assert clip["authors"][0] == "Alec Radford" and "zero-shot" in clip["keywords"]
    assert clip["sources"] == ["zotero.bib", "arxiv-metadata-oai-snapshot.json"]
    soups = assistant.paper("t-20f3d07f7ccb23a2")
    assert soups["venue"] == "Proceedings of the 39th International Conference on Machine Learning"
    assert soups["year"] == 2022 and "Mitchell Wortsman" in soups["authors"]
    assert (
        assistant.search("averaging weights of fine-tuned models", k=1)[0].paper.paper_id == soups["paper_id"]
    )
    # The snapshot alone later: the CLIP-ReIdent record finds its stored paper by DOI, and its
    # other abstract replaces the stored one, which the report says.
    edited = tmp_path / "snapshot.json"
    lines = ARXIV.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[4])
    edited.write_text(json.dumps({**record, "abstract": record["abstract"] + " Code is released."}) + "\n")
    again = assistant.ingest([edited])
    assert again.adopted == ["arxiv:2303.11855 -> doi:10.1145/3552437.3555698"]
    assert again.replaced == ["doi:10.1145/3552437.3555698"] and again.embedded == 1
    assert assistant.paper("doi:10.1145/3552437.3555698")["abstract"].endswith("Code is released.")


def test_hostile_and_unusual_files_of_a_researchers_library(tmp_path: Path) -> None:
    """A hostile-input probe: a line of a thousand nested arrays stopped the whole ingest with a
    RecursionError naming no file; BibDesk's capitalised `Author =` lost the authors unsaid; a CSV
    abstract over 128 KB skipped the rest of the file; a ";"-separated CSV had "no 'abstract' column";
    an arXiv DOI in a JSONL record was no arXiv id, so the same paper from a .bib was two."""
    deep = tmp_path / "deep.jsonl"
    deep.write_text(
        json.dumps({"id": "ok1", "title": "Good one", "abstract": "Owls hunt at night."})
        + "\n"
        + "[" * 1000
        + "]" * 1000
        + "\n"
        + json.dumps({"id": "ok2", "title": "Good two", "abstract": "Bats fly at dusk."})
        + "\n",
        encoding="utf-8",
    )
    whole = tmp_path / "deep.json"
    whole.write_text("[" * 1000 + "]" * 1000, encoding="utf-8")
    bibdesk = tmp_path / "bibdesk.bib"
    bibdesk.write_text(
        '@Article{smith2020,\n  Author = {Smith, John and M{\\"u}ller, Anna},\n  Title = {Capitals},\n'
        "  Year = {2020},\n  Abstract = {Moths land on lamps.}\n}\n\n"
        "@ARTICLE{doe2021,\n  AUTHOR = {Doe, Jane},\n  TITLE = {Upper},\n  YEAR = {2021},\n"
        "  ABSTRACT = {Ants march in lines.}\n}\n",
        encoding="utf-8",
    )
    long_csv = tmp_path / "long.csv"
    long_csv.write_text(
        'title,abstract\nLong,"' + "word " * 40_000 + '"\nNext,Bees dance to tell where flowers are.\n',
        encoding="utf-8",
    )
    semi = tmp_path / "semi.csv"
    semi.write_text("title;abstract;year\nSemicolons;Frogs sing in the rain.;2021\n", encoding="utf-8")
    report = corpus.read([deep, whole, bibdesk, long_csv, semi])
    assert [str(p) for p in report.problems] == [
        f"{deep}:2: not valid JSON (nested too deeply); skipped",
        f"{whole}: not valid JSON (nested too deeply); file skipped",
    ]
    papers = {p.title: p for p in report.papers}
    assert set(papers) == {"Good one", "Good two", "Capitals", "Upper", "Long", "Next", "Semicolons"}
    assert papers["Capitals"].authors == ["John Smith", "Anna Müller"] and papers["Upper"].authors == [
        "Jane Doe"
    ]
    assert papers["Semicolons"].year == 2021
    # the same arXiv paper from a .bib (its arXiv DOI) and a JSONL record (the DOI)
    bib = tmp_path / "llama.bib"
    bib.write_text(
        "@article{touvron2023,\n  title = {LLaMA},\n  doi = {10.48550/arXiv.2302.13971},\n"
        "  abstract = {We introduce LLaMA, foundation language models.}\n}\n",
        encoding="utf-8",
    )
    records = [
        {
            "title": "LLaMA",
            "abstract": "We introduce LLaMA, foundation language models.",
            "doi": "10.48550/arXiv.2302.13971",
        },
        # a record linking a paper's arXiv page is not that paper (a review: records citing one page merged)
        {"title": "Linked", "abstract": "Eels swim upstream.", "url": "https://arxiv.org/abs/2302.13971v2"},
    ]
    both = corpus.read([bib, write_jsonl(tmp_path / "llama.jsonl", records)])
    assert {p.title: p.arxiv_id for p in both.papers} == {"LLaMA": "2302.13971", "Linked": None}
    assert any("same arXiv id 2302.13971" in merge for merge in both.merges)
    # RIS: an abstract over two AB lines is whole; a record that lost its TY line is reported
    ris = tmp_path / "endnote.ris"
    ris.write_text(
        "TY  - JOUR\nTI  - First\nAB  - Part one.\nAB  - Part two.\nER  - \n\n"
        "TI  - Untyped\nAB  - No type line.\nER  - \n",
        encoding="utf-8",
    )
    read = corpus.read([ris])
    assert [(p.title, p.abstract) for p in read.papers] == [("First", "Part one. Part two.")]
    assert [str(p) for p in read.problems] == [f"{ris}:7: RIS record without a TY line; skipped"]
