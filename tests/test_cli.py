"""The `rag` command through its real entry point, as a user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ONE_MODEL_THREAD, bundled_entries, write_dump, write_jsonl
from forkserver import ForkServer

from rag.config import Settings

RAG = str(Path(sys.executable).with_name("rag"))
HEAVY = ("chromadb", "onnxruntime", "llama_index", "openai", "torch")


FORKS = ForkServer()


def command_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The test's environment without RAG_* settings (but one model thread), plus ENV."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return kept | dict([ONE_MODEL_THREAD]) | (env or {})


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`rag ARGS` as its own process (a fork of one that imported the package: see forkserver.py)."""
    return FORKS.start(list(args), command_env(env), cwd).result(timeout=300)


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("cli-corpus")
    write_dump(corpus / "dump.txt", bundled_entries(8))
    return corpus


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Path:
    store = tmp_path_factory.mktemp("cli-store")
    result = run("--store", str(store), "ingest", str(corpus_dir))
    assert result.returncode == 0, result.stderr
    return store


def _imported_modules(*args: str) -> str:
    """The modules `python -m rag ARGS` imports (its -X importtime report: the command exits
    without the interpreter's teardown, so it cannot be asked afterwards)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "rag", *args], capture_output=True, text=True, timeout=300
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert lines, result.stderr
    return " ".join(line.rsplit("|", 1)[1].strip() for line in lines)


def test_help_is_true_and_light() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("ingest", "search", "info"):
        assert command in result.stdout
    modules = _imported_modules("--help").split()
    assert not [m for m in modules if m.split(".")[0] in HEAVY]
    assert "--mode {hybrid,dense,keyword}" in run("search", "--help").stdout


def test_search_does_not_import_llama_index(filled_store: Path) -> None:
    modules = _imported_modules("--store", str(filled_store), "search", "re-identification").split()
    assert "chromadb" in modules
    assert not [m for m in modules if m.split(".")[0] in ("llama_index", "torch", "openai")]


def test_ingest_reports_per_file_and_is_idempotent(filled_store: Path, corpus_dir: Path) -> None:
    result = run("--store", str(filled_store), "ingest", str(corpus_dir))
    assert result.returncode == 0
    assert f"{corpus_dir / 'dump.txt'}: 8 entries, 8 papers, 0 merged duplicates" in result.stdout
    assert "0 embedded (0 chunks)" in result.stdout and "8 unchanged" in result.stdout


def test_ingest_without_paths_reads_the_data_dir_setting(settings: Settings) -> None:
    env = {"RAG_STORE_DIR": str(settings.store_dir), "RAG_DATA_DIR": str(settings.data_dir)}
    result = run("ingest", env=env)
    assert result.returncode == 0, result.stderr
    assert f"{settings.data_dir / 'dump.txt'}: 10 entries, 10 papers, 0 merged duplicates" in result.stdout
    assert f"{settings.store_dir}: 13 papers read: 13 new, 0 changed, " in result.stdout


_FILE_LINE = re.compile(
    r"^(.+): (\d+) entries, (\d+) papers, (\d+) merged duplicates(?:, \d+ [a-z /-]+)*(?: \([A-Za-z -]+\))?$"
)
_SUMMARY = re.compile(
    r"^(.+): (\d+) papers read: (\d+) new, (\d+) changed, (\d+) metadata updated, (\d+) unchanged; "
    r"(\d+) embedded \((\d+) chunks\), (\d+) removed \([\d.]+ s\)$"
)


def _ingest_figures(store: Path, *args: str) -> dict[str, int]:
    """`rag ingest ARGS`, its printed figures checked against each other and against `rag info`."""
    result = run("ingest", *args, "--store", str(store))
    assert result.returncode in (0, 3), result.stderr
    lines = result.stdout.splitlines()
    files = [_FILE_LINE.match(line) for line in lines[:-2]]
    summary, holds = _SUMMARY.match(lines[-2]), lines[-1]
    assert summary and all(files), result.stdout
    names = ("read", "new", "changed", "updated", "unchanged", "embedded", "chunks", "removed")
    figures = dict(zip(names, map(int, summary.groups()[1:]), strict=True))
    assert sum(int(f.group(3)) for f in files if f) == figures["read"]  # each paper counted once
    assert all(int(f.group(2)) == int(f.group(3)) + int(f.group(4)) for f in files if f)
    assert figures["new"] + figures["changed"] + figures["updated"] + figures["unchanged"] == figures["read"]
    assert figures["new"] + figures["changed"] == figures["embedded"]
    info = json.loads(run("info", "--json", "--store", str(store)).stdout)
    assert holds == f"{store} holds {info['papers']} papers ({info['chunks']} chunks)"
    return figures | {"held": info["papers"]}


@pytest.mark.fault
def test_every_figure_of_the_ingest_report_matches_the_store(tmp_path: Path) -> None:
    entries = bundled_entries(14)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_dump(corpus / "a.txt", [*entries[:6], entries[0]])  # a duplicate within the file
    write_dump(corpus / "b.txt", entries[4:10])  # two papers of a.txt again
    write_jsonl(
        corpus / "c.jsonl",
        [
            {"id": "x1", "title": entries[10][0], "abstract": entries[10][1]},
            {"id": "x1", "title": entries[10][0], "abstract": entries[10][1]},  # the same id
            {"title": "", "abstract": ""},  # skipped
            {"id": "x2", "title": entries[11][0], "abstract": entries[11][1]},
            # x2's title, without an id: another paper (a title joins only records without ids)
            {"title": entries[11][0].upper(), "abstract": entries[11][1] + " Changed."},
        ],
    )
    store = tmp_path / "store"
    first = _ingest_figures(store, str(corpus))
    assert (first["read"], first["new"], first["embedded"], first["held"]) == (13, 13, 13, 13)
    # a paper's text changed, b.txt gone (4 papers pruned, 2 lose a source), one new paper
    write_dump(corpus / "a.txt", [(entries[0][0], entries[0][1] + " Revised."), *entries[1:6]])
    (corpus / "b.txt").unlink()
    write_dump(corpus / "d.txt", [entries[13]])
    second = _ingest_figures(store, "--prune", str(corpus))
    expected = {"read": 10, "new": 1, "changed": 1, "updated": 2, "unchanged": 6, "removed": 4, "held": 10}
    assert {k: second[k] for k in expected} == expected
    again = _ingest_figures(store, str(corpus))  # nothing to do
    assert (again["unchanged"], again["embedded"], again["held"]) == (10, 0, 10)


@pytest.mark.fault
def test_ingest_with_bad_input_exits_nonzero_and_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"title": "Fine", "abstract": "A valid abstract about rivers."}\n{broken\n', encoding="utf-8"
    )
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    result = run("--store", str(tmp_path / "s"), "ingest", str(bad), str(empty), "--json")
    assert result.returncode == 3  # done, but some input was skipped
    report = json.loads(result.stdout)
    assert report["embedded"] == 1
    assert report["problems"][0].startswith(f"{bad}:2: not valid JSON")
    assert report["problems"][1] == f"{empty}: empty file; skipped"
    plain = run("--store", str(tmp_path / "s"), "ingest", str(bad))
    assert plain.returncode == 3
    assert f"rag: {bad}:2: not valid JSON" in plain.stderr
    assert "1 problem(s) in the input; those entries were skipped" in plain.stderr
    assert "Traceback" not in plain.stderr


def test_search_json(filled_store: Path) -> None:
    result = run(
        "--store", str(filled_store), "search", "player re-identification with CLIP", "-k", "3", "--json"
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["query"] == "player re-identification with CLIP"
    assert len(payload["results"]) == 3
    first = payload["results"][0]
    assert {"paper_id", "title", "score", "evidence", "sources", "url"} <= set(first)
    assert first["title"].startswith("CLIP-ReIdent") and first["sources"] == ["dump.txt"]
    assert isinstance(first["score"], float)


def test_a_fault_no_handler_foresaw_is_one_line_not_a_traceback(
    filled_store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rag.api import Assistant
    from rag.cli import main

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("Error executing plan: something Chroma-internal\nwith a second line")

    monkeypatch.setattr(Assistant, "search", broken)
    assert main(["--store", str(filled_store), "search", "training"]) == 1
    err = capsys.readouterr().err
    assert err == "rag: error: RuntimeError: Error executing plan: something Chroma-internal\n"


def test_search_plain_and_modes(filled_store: Path) -> None:
    for mode in ("dense", "keyword", "hybrid"):
        result = run(
            "--store", str(filled_store), "search", "player re-identification", "--mode", mode, "-k", "2"
        )
        assert result.returncode == 0
        assert result.stdout.startswith("1. CLIP-ReIdent"), mode
        # Only one of the eight papers contains these words; dense and hybrid still fill k.
        assert ("\n2. " in result.stdout) == (mode != "keyword")


def test_info_json_and_store_from_environment(filled_store: Path) -> None:
    result = run("info", "--json", env={"RAG_STORE_DIR": str(filled_store)})
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["store"] == str(filled_store)
    assert info["papers"] == 8 and isinstance(info["chunks"], int) and info["chunks"] > 8
    assert info["embedder"] == "all-MiniLM-L6-v2-int8-onnx"
    assert info["settings"]["chunk_size"] == 200


def test_search_and_info_on_a_missing_store_say_so_and_create_nothing(
    tmp_path: Path, corpus_dir: Path
) -> None:
    missing = tmp_path / "new"
    env = {"RAG_DATA_DIR": str(corpus_dir)}
    for command in (["search", "re-identification"], ["info"]):
        result = run(*command, "--store", str(missing), env=env)  # --store after the subcommand
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr.strip() == (
            f"rag: error: no store at {missing}: create it with `rag ingest` (the bundled corpus) "
            "or `rag ingest PATH`"
        )
        assert not missing.exists()
    first = run("ask", "re-identification of players", "--store", str(missing), env=env)
    assert first.returncode == 0, first.stderr
    assert "is new and empty: ingesting the bundled corpus" in first.stderr and "[1]" in first.stdout
    assert run("search", "re-identification", "-k", "1", "--store", str(missing), env=env).stdout.startswith(
        "1. "
    )


@pytest.mark.fault
def test_a_store_path_that_cannot_be_a_store_is_a_one_line_error(tmp_path: Path, corpus_dir: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a store")
    (tmp_path / "loop-a").symlink_to(tmp_path / "loop-b")
    (tmp_path / "loop-b").symlink_to(tmp_path / "loop-a")
    problems = {
        a_file: f"the store path {a_file} is a file, not a directory: give a directory",
        tmp_path / "loop-a": f"the store path {tmp_path / 'loop-a'} is a symlink loop",
        a_file / "store": f"the store path {a_file / 'store'} cannot be a directory: {a_file} is a file",
    }
    commands = (["search", "players"], ["ask", "players"], ["info"], ["ingest", str(corpus_dir)])
    for store, problem in problems.items():
        for command in commands:
            result = run(*command, "--store", str(store))
            assert (result.returncode, result.stdout) == (1, ""), (command, result.stderr)
            assert result.stderr == f"rag: error: {problem}\n", command
    assert a_file.read_text() == "not a store"


def test_unknown_settings_file_keys_and_a_closed_pipe(tmp_path: Path, filled_store: Path) -> None:
    config = tmp_path / "rag.toml"
    config.write_text("k = 3\nrefusal_treshold = 0.2\n")
    result = run("--store", str(filled_store), "search", "x", env={"RAG_CONFIG": str(config)})
    assert result.returncode == 2  # a setting to fix
    assert result.stderr.strip() == (
        f"rag: error: unknown setting 'refusal_treshold' in {config} (`rag info` lists the settings)"
    )
    # A reader that went away (`rag search ... | head -n 0`): the first write fails with EPIPE.
    reader, writer = os.pipe()
    os.close(reader)
    piped = subprocess.run(
        [RAG, "--store", str(filled_store), "search", "re-identification"],
        stdout=writer,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    os.close(writer)
    assert piped.returncode == 0 and piped.stderr == ""


def test_errors_are_one_line_with_nonzero_exit(tmp_path: Path, filled_store: Path) -> None:
    bad_setting = run("--store", str(filled_store), "search", "x", env={"RAG_K": "zero"})
    assert bad_setting.returncode == 2  # a setting to fix
    assert bad_setting.stderr.startswith("rag: error: invalid setting k (RAG_K)")
    assert len(bad_setting.stderr.strip().splitlines()) == 1

    mismatch = run("--store", str(filled_store), "search", "x", env={"RAG_CHUNK_SIZE": "128"})
    assert mismatch.returncode == 1
    assert "rag ingest --rebuild" in mismatch.stderr and len(mismatch.stderr.strip().splitlines()) == 1

    overlap = run("--store", str(filled_store), "info", env={"RAG_CHUNK_OVERLAP": "150"})
    assert overlap.returncode == 2
    assert (
        overlap.stderr
        == "rag: error: invalid settings: chunk_overlap (150) must be at most half of chunk_size (200)\n"
    )

    empty_question = run("--store", str(filled_store), "search", "  ")
    assert empty_question.returncode == 1 and "the question is empty" in empty_question.stderr

    bad_k = run("--store", str(filled_store), "search", "x", "-k", "0")
    assert (
        bad_k.returncode == 2 and "argument -k: must be a whole number of at least 1, not '0'" in bad_k.stderr
    )


def test_settings_file(tmp_path: Path, filled_store: Path) -> None:
    config = tmp_path / "rag.toml"
    config.write_text(f'store_dir = "{filled_store}"\nk = 2\n', encoding="utf-8")
    result = run("search", "re-identification", "--json", env={"RAG_CONFIG": str(config)})
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["results"]) == 2


def test_changed_corpus_through_the_cli(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    write_jsonl(
        corpus / "a.jsonl",
        [
            {"title": "Keep", "abstract": "Owls hunt at night."},
            {"title": "Drop", "abstract": "Bats use echolocation."},
        ],
    )
    store = str(tmp_path / "s")
    assert run("--store", store, "ingest", str(corpus)).returncode == 0
    write_jsonl(corpus / "a.jsonl", [{"title": "Keep", "abstract": "Owls hunt at night."}])
    result = run("--store", store, "ingest", str(corpus), "--prune", "--json")
    assert json.loads(result.stdout)["removed"] == 1
    info = json.loads(run("--store", store, "info", "--json").stdout)
    assert info["papers"] == 1


LIBRARY = Path(__file__).parent / "data" / "library"
EXPORTS = [
    LIBRARY / name
    for name in (
        "zotero.bib",
        "mendeley.ris",
        "zotero-csl.json",
        "arxiv-metadata-oai-snapshot.json",
        "openalex-works.jsonl",
    )
]


def test_ingest_a_researchers_library_then_an_edited_export(tmp_path: Path) -> None:
    """Zotero, Mendeley, the arXiv snapshot and OpenAlex in one ingest: each file's format and counts,
    entries without abstracts counted (exit 3), merges reported; again: nothing embedded; an edited
    export: only the changed paper is embedded, and the report says it replaced the stored one."""
    store = str(tmp_path / "s")
    first = run("--store", store, "ingest", *map(str, EXPORTS), "--json")
    assert first.returncode == 3, first.stderr
    report = json.loads(first.stdout)
    files = {Path(f["path"]).name: f for f in report["files"]}
    assert {
        name: (f["format"], f["entries"], f["new"], f["merged"], f["no_abstract"])
        for name, f in files.items()
    } == {
        "zotero.bib": ("bibtex", 8, 7, 1, 1),
        "mendeley.ris": ("ris", 4, 3, 1, 1),  # model soups: no ids in either file, the same title
        "zotero-csl.json": ("csljson", 4, 4, 0, 1),
        # ELECTRA (RIS) and four .bib entries by arXiv id or DOI; "CNN Features off-the-shelf" is
        # not merged: the RIS entry has only a DOI, the snapshot's record only an arXiv id
        "arxiv-metadata-oai-snapshot.json": ("arxiv", 8, 3, 5, 0),
        "openalex-works.jsonl": ("openalex", 4, 3, 1, 1),
    }
    assert report["papers"] == report["embedded"] == 20
    assert sorted(report["problems"]) == sorted(
        [
            f"{EXPORTS[0]}: 1 of 9 entries has no abstract; skipped (goodfellow_deep_2016)",
            f"{EXPORTS[1]}: 1 of 5 entries has no abstract; skipped (line 58)",
            f"{EXPORTS[2]}: 1 of 5 entries has no abstract; skipped "
            "(http://zotero.org/users/local/kZmH3Rjd/items/5MJH8RZC (item 4))",
            f"{EXPORTS[4]}: 1 of 5 entries has no abstract; skipped (W4387968216)",
        ]
    )
    assert (
        f"{EXPORTS[1]}:66 merged into {EXPORTS[0]}:1 (wortsman_model_2022): same title"
        in files["mendeley.ris"]["merges"]
    )
    hit = json.loads(
        run("--store", store, "search", "averaging weights of fine-tuned models", "-k", "1", "--json").stdout
    )
    assert hit["results"][0]["title"].startswith("Model soups") and hit["results"][0]["sources"] == [
        "zotero.bib",
        "mendeley.ris",
    ]

    again = run("--store", store, "ingest", *map(str, EXPORTS))
    assert again.returncode == 3 and "Traceback" not in again.stderr
    assert f"{EXPORTS[0]}: 8 entries, 7 papers, 1 merged duplicates (BibTeX)" in again.stdout
    assert (
        "20 papers read: 0 new, 0 changed, 0 metadata updated, 20 unchanged; 0 embedded (0 chunks)"
        in again.stdout
    )
    assert (
        f"rag: {EXPORTS[0]}: 1 of 9 entries has no abstract; skipped (goodfellow_deep_2016)" in again.stderr
    )
    assert f"rag: {EXPORTS[0]}:86 (rajbhandari_zero_2020-1) merged into {EXPORTS[0]}:69" in again.stderr

    edited = tmp_path / "zotero.bib"  # the library exported again: one abstract edited, one entry gone
    text = (
        EXPORTS[0]
        .read_text(encoding="utf-8")
        .replace("Language model post-training is applied", "Post-training is applied")
    )
    start = text.index("@article{ganin_domain-adversarial_2016")
    edited.write_text(
        text[:start] + text[text.index("@misc{blattmann_semi-parametric_2022") :], encoding="utf-8"
    )
    changed = run("--store", store, "ingest", str(edited), *map(str, EXPORTS[1:]), "--prune", "--json")
    assert changed.returncode == 3, changed.stderr
    result = json.loads(changed.stdout)
    # the export read before is still there and still holds the entry gone from this one: the prune
    # keeps that paper, and says how to remove it (the papers of both files now know both)
    assert (result["embedded"], result["unchanged"], result["metadata_updated"], result["removed"]) == (
        1,
        13,
        5,
        0,
    )
    kept = f"--prune kept 1 stored paper of files not given ({EXPORTS[0]})"
    assert result["notes"] == [f"{kept}: name them, or their directory, to prune them"]
    assert result["replaced"] == ["arxiv:2411.15124"]  # the .bib's text, read first, is the paper's
    assert result["titles"] == {
        "arxiv:2411.15124": "TÜLU 3: Pushing Frontiers in Open Language Model Post-Training"
    }
    plain = run("--store", store, "ingest", str(edited), *map(str, EXPORTS[1:]))
    assert "0 embedded" in plain.stdout and "replaced by another text" not in plain.stderr


def test_ingest_selects_categories_and_dates_and_refuses_a_bad_date(tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    snapshot = str(LIBRARY / "arxiv-metadata-oai-snapshot.json")
    result = run(
        "--store", store, "ingest", snapshot, "--category", "cs.CL,cs.LG", "--since", "2023-01-01", "--json"
    )
    assert result.returncode == 0, result.stderr
    (file,) = json.loads(result.stdout)["files"]
    assert (file["entries"], file["filtered"]) == (2, 6)
    plain = run("--store", store, "ingest", snapshot, "--category", "cs.CL,cs.LG", "--since", "2023-01-01")
    assert (
        f"{snapshot}: 2 entries, 2 papers, 0 merged duplicates, 6 outside --category/--since" in plain.stdout
    )
    bad = run("--store", store, "ingest", snapshot, "--since", "2023-13-01")
    assert (
        bad.returncode == 2
        and "argument --since: must be a date (YYYY, YYYY-MM or YYYY-MM-DD), not '2023-13-01'" in bad.stderr
    )
    assert bad.stderr.strip().splitlines()[-1].startswith("rag ingest: error: argument --since")


@pytest.mark.fault
def test_ingest_keeps_distinct_ids_apart_replaces_same_ids_and_refuses_wrong_types(tmp_path: Path) -> None:
    """The measured cases: 4 ids sharing titles and abstracts were 2 papers; the same id twice lost
    the first text silently; wrong types were stored as Python text."""
    ids = write_jsonl(
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
            {"id": "arx-1", "title": "A Survey", "abstract": "We survey graph transformers for molecules."},
        ],
    )
    types = write_jsonl(
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
        ],
    )
    store = str(tmp_path / "s")
    result = run("--store", store, "ingest", str(ids), str(types))
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert f"{ids}: 5 entries, 4 papers, 0 merged duplicates, 1 replaced (JSON lines)" in result.stdout
    assert (
        f"rag: note: {ids}:5: id arx-1 is also on {ids}:1, with another text: this later entry replaces it"
        in result.stderr
    )
    for line in (
        f"rag: {types}:1: field 'title' must be text, not an object; entry skipped",
        f"rag: {types}:2: field 'abstract' must be text, not true; entry skipped",
        f"rag: {types}:3: field 'url' must be text, not a list; entry skipped",
        f"rag: {types}:4: field 'year' must be a year between 1000 and 2100, not 99999; entry skipped",
    ):
        assert line in result.stderr
    info = json.loads(run("--store", store, "info", "--json").stdout)
    assert info["papers"] == 4
    hits = json.loads(run("--store", store, "search", "coral reef bleaching", "-k", "1", "--json").stdout)
    assert hits["results"][0]["paper_id"] == "arx-2"
    hits = json.loads(run("--store", store, "search", "graph transformers", "-k", "1", "--json").stdout)
    assert hits["results"][0]["paper_id"] == "arx-1"


@pytest.mark.fault
def test_a_question_with_bytes_not_utf8_is_answered_not_a_crash(filled_store: Path, tmp_path: Path) -> None:
    """A review: `rag ask $'\\xff model soups'` (and search, and a chat line) ended "rag: error:
    TypeError: TextEncodeInput must be ..."; the chat ended there, its next question unanswered."""
    rag = [sys.executable, "-m", "rag", "--store", str(filled_store)]
    env = command_env({"RAG_LOG_PATH": str(tmp_path / "log.db")})
    question = os.fsdecode(b"\xff ") + "CLIP player re-identification"
    for command in (["ask", "--llm", "extractive", question], ["search", question, "-k", "1"]):
        result = subprocess.run(rag + command, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0 and "CLIP" in result.stdout, result.stderr
    chat = subprocess.run(
        [*rag, "chat", "--llm", "extractive"],
        env=env,
        input=b"\xff CLIP player re-identification\nwhat is model soups?\n",
        capture_output=True,
        timeout=300,
    )
    assert chat.returncode == 0 and chat.stdout.count(b"References:") == 2, chat.stderr


@pytest.mark.fault
def test_input_without_newlines_is_bounded_not_read_whole(filled_store: Path, tmp_path: Path) -> None:
    """A review: `rag eval /dev/zero` grew to 15 GB in 12 s; `rag chat < /dev/zero` held it all too.
    A question file is read up to 64 MiB; a chat line past a MiB is skipped, saying so."""
    from rag.errors import InputError
    from rag.evaluate import load_questions

    with pytest.raises(InputError, match="larger than 64 MiB"):
        load_questions(Path("/dev/zero"))
    env = command_env({"RAG_LOG_PATH": str(tmp_path / "log.db")})
    chat = subprocess.run(
        [sys.executable, "-m", "rag", "--store", str(filled_store), "chat", "--llm", "extractive"],
        env=env,
        input=b"a" * (3 << 20) + b"\nCLIP player re-identification\n",
        capture_output=True,
        timeout=300,
    )
    assert chat.returncode == 0 and chat.stdout.count(b"References:") == 1, chat.stderr
    assert b"a line over 1,048,576 characters was skipped" in chat.stderr


@pytest.mark.fault
def test_usage_errors_exit_2_and_an_empty_category_is_refused(filled_store: Path, tmp_path: Path) -> None:
    """A review: `rag eval` without a file exited 1 (argparse's usage errors exit 2), and `rag ingest
    --category ''` ingested everything, where `rag search --category ''` is refused."""
    result = run("--store", str(filled_store), "eval")
    assert result.returncode == 2 and "give a question file" in result.stderr
    refused = run("--store", str(tmp_path / "s"), "ingest", "--category", "", str(filled_store))
    assert refused.returncode == 1 and "--category names no category" in refused.stderr
    assert not (tmp_path / "s").exists()
