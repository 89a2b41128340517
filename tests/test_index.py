"""Ingest into a real Chroma store with the real embedder: idempotence, changes, prune, rebuild."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import numpy as np
import pytest
from conftest import BUNDLED, bundled_entries, copy_store, write_dump, write_jsonl

from rag.api import Assistant
from rag.config import Settings
from rag.embeddings import OnnxMiniLM
from rag.errors import StoreMismatchError
from rag.library.corpus import CorpusReport
from rag.library.filters import DERIVED
from rag.library.ingest import _left_behind, _of_files_read, embedding_text
from rag.library.keyword import KeywordIndex
from rag.library.provenance import Provenance
from rag.library.records import FileReport, Problem, full_path
from rag.library.store import merge_chunks


def test_ingest_stores_chunks_with_flat_metadata(fresh_assistant: Assistant) -> None:
    assistant = fresh_assistant
    report = assistant.ingest()
    assert (report.papers, report.embedded, report.entries) == (13, 13, 13)
    assert report.ok
    stored = assistant.library.store.papers()
    assert len(stored) == 13
    algae = stored["arxiv:2401.00001"]
    assert algae["title"].startswith("Photosynthetic")
    assert algae["year"] == 2024 and algae["authors"] == "Ada Lovelace | Alan Turing"
    assert algae["links"] == "https://github.com/example/algae"
    assert algae["sources"] == "extra.jsonl"
    assert algae["chunk"] == 0 and algae["chunks"] >= 1
    own = {k: v for k, v in algae.items() if k not in DERIVED}
    assert all(isinstance(v, str | int | float | bool) for v in own.values())
    # and the keys filters test (filters.py): scalars, or lists of text Chroma's $contains tests
    assert algae["f_day_from"] == 20240101 and algae["f_day_to"] == 20241231
    assert {"lovelace", "ada lovelace", "turing", "a turing"} <= set(algae["f_authors"])
    assert set(algae) & set(DERIVED) == {"f_day_from", "f_day_to", "f_authors"}  # none for what it lacks
    assert assistant.library.store.count() == report.chunks_embedded > 13  # long abstracts split


def test_chunks_respect_the_embedder_token_budget(
    assistant: Assistant, embedder: OnnxMiniLM, small_corpus: Path
) -> None:
    long_title = " ".join(["Towards a general theory of everything in representation learning"] * 8)
    abstract = bundled_entries(11)[10][1]  # not in the small corpus
    write_jsonl(small_corpus / "long.jsonl", [{"title": long_title, "abstract": abstract}])
    assistant.ingest()
    for chunk in assistant.library.store.all_chunks():
        assert len(embedder.count_tokens(chunk.text)) <= assistant.settings.chunk_size
        # what is embedded (title + chunk + [CLS] and [SEP]) is never truncated
        embedded = embedding_text(str(chunk.metadata["title"]), chunk.text)
        assert len(embedder.count_tokens(embedded)) + 2 <= embedder.max_tokens
    long_chunks = [c for c in assistant.library.store.all_chunks() if c.metadata["title"] == long_title]
    assert len(long_chunks) > 2  # shorter chunks for the long title
    assert (
        merge_chunks([c.text for c in sorted(long_chunks, key=lambda c: int(c.metadata["chunk"]))])
        == abstract
    )


def test_second_ingest_embeds_nothing(fresh_assistant: Assistant, embedder: OnnxMiniLM) -> None:
    assistant = fresh_assistant
    assert assistant.ingest().embedded == 13
    calls, texts = embedder.calls, embedder.texts_embedded
    revision = assistant.library.store.revision
    report = assistant.ingest()
    assert (report.embedded, report.unchanged) == (0, 13)
    assert (embedder.calls, embedder.texts_embedded) == (calls, texts)
    assert assistant.library.store.revision == revision  # keyword index stays valid


def test_changed_abstract_replaces_its_chunks(assistant: Assistant, small_corpus: Path) -> None:
    assistant.ingest()
    before = assistant.library.store.count()
    entries = bundled_entries(10)
    title, _ = entries[0]
    entries[0] = (title, "A two-sentence replacement about underwater basket weaving. Nothing else.")
    write_dump(small_corpus / "dump.txt", entries)
    report = assistant.ingest()
    assert (report.embedded, report.unchanged) == (1, 12)
    paper_chunks = [c for c in assistant.library.store.all_chunks() if c.metadata["title"] == title]
    assert [c.text for c in paper_chunks] == [entries[0][1]]
    assert assistant.library.store.count() < before
    assert assistant.search("underwater basket weaving", k=1)[0].paper.title == title


def test_metadata_change_updates_without_embedding(
    assistant: Assistant, small_corpus: Path, embedder: OnnxMiniLM
) -> None:
    assistant.ingest()
    (small_corpus / "dump2.txt").write_text(
        (small_corpus / "dump.txt").read_text(encoding="utf-8"), encoding="utf-8"
    )
    calls = embedder.calls
    report = assistant.ingest()
    assert (report.embedded, report.metadata_updated) == (0, 10)
    assert embedder.calls == calls
    first = assistant.library.store.papers()
    assert sum(1 for m in first.values() if m["sources"] == "dump.txt | dump2.txt") == 10


def test_prune_removes_papers_no_longer_in_the_sources(assistant: Assistant, small_corpus: Path) -> None:
    assistant.ingest()
    write_dump(small_corpus / "dump.txt", bundled_entries(10)[:4])
    kept = assistant.ingest()
    assert kept.removed == 0  # without --prune nothing is removed, and a note says what would be
    assert kept.notes == [
        "6 stored papers are no longer in dump.txt (deleted, or edited into another): --prune removes them"
    ]
    assert len(assistant.library.store.papers()) == 13
    report = assistant.ingest(prune=True)
    assert report.removed == 6
    assert len(assistant.library.store.papers()) == 7
    assert {c.metadata["paper_id"] for c in assistant.library.store.all_chunks()} == set(
        assistant.library.store.papers()
    )


def test_prune_of_files_named_one_by_one_keeps_the_papers_of_other_files(
    assistant: Assistant, small_corpus: Path
) -> None:
    """Before: `ingest extra.jsonl --prune` removed the dump's ten papers, unsaid. Named files prune
    only what left them; the others are kept, and said to be; what is removed is named."""
    assistant.ingest()
    extra = small_corpus / "extra.jsonl"
    lines = extra.read_text(encoding="utf-8").splitlines()
    extra.write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")  # its first paper deleted
    report = assistant.ingest([extra], prune=True)
    assert (report.removed, report.removed_ids) == (1, ["arxiv:2401.00001"])
    assert report.titles == {
        "arxiv:2401.00001": "Photosynthetic efficiency of engineered algae in bioreactors"
    }
    kept = "--prune kept 10 stored papers of files not given (dump.txt)"
    assert report.notes == [f"{kept}: name them, or their directory, to prune them"]
    assert len(assistant.library.store.papers()) == 12


def test_a_prune_tells_apart_two_files_of_one_name_and_keeps_what_no_source_read_holds(
    assistant: Assistant, tmp_path: Path
) -> None:
    """Before, a paper knew its files by name: `ingest a/refs.jsonl --prune` removed the papers of
    b/refs.jsonl, and `ingest --prune` (the bundled data/) every paper of the user's own files."""
    owls = [
        {"id": f"owl-{n}", "title": f"Owls {n}", "abstract": f"Owls of kind {n} hunt at night."}
        for n in (1, 2)
    ]
    bees = [{"id": "bee", "title": "Bees", "abstract": "Bees dance to tell where flowers are."}]
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    assistant.ingest()
    assistant.ingest([write_jsonl(a / "refs.jsonl", owls)])
    assistant.ingest([write_jsonl(b / "refs.jsonl", bees)])
    write_jsonl(a / "refs.jsonl", owls[:1])
    report = assistant.ingest([a / "refs.jsonl"], prune=True)
    assert report.removed_ids == ["owl-2"]
    kept = f"--prune kept 14 stored papers of files not given ({b / 'refs.jsonl'}, dump.txt, extra.jsonl)"
    assert report.notes == [f"{kept}: name them, or their directory, to prune them"]
    assert assistant.library.store.papers()["bee"]["sources"] == "refs.jsonl"
    # the default directory pruned: what it held and no longer does, not the papers of other files
    held = set(assistant.library.store.papers())
    write_dump(assistant.settings.data_dir / "dump.txt", bundled_entries(10)[:9])
    pruned = assistant.ingest(prune=True)
    assert pruned.removed == 1 and {"owl-1", "bee"} <= set(assistant.library.store.papers())
    assert len(assistant.library.store.papers()) == len(held) - 1
    # a file moved: its papers are the moved file's (their metadata says so; nothing is embedded)
    moved = tmp_path / "c" / "refs.jsonl"
    moved.parent.mkdir()
    (b / "refs.jsonl").rename(moved)
    report = assistant.ingest([moved], prune=True)
    assert (report.metadata_updated, report.embedded, report.removed) == (1, 0, 0)
    assert assistant.library.store.papers()["bee"]["paths"] == str(moved)


def test_a_file_gone_is_not_taken_for_one_of_its_name_stored_before(
    assistant: Assistant, tmp_path: Path
) -> None:
    """A hostile-input probe: with projA/refs.bib and projB/refs.bib stored and projA renamed away,
    `ingest projB/refs.bib --prune` removed projA's papers, as if projA's file had moved to projB's.
    Nor is a file read from a new place taken for one of two gone files of its name."""
    owls = [
        {"id": f"owl-{n}", "title": f"Owls {n}", "abstract": f"Owls of kind {n} hunt at night."}
        for n in (1, 2)
    ]
    bees = [{"id": "bee", "title": "Bees", "abstract": "Bees dance to tell where flowers are."}]
    a, b = tmp_path / "projA", tmp_path / "projB"
    a.mkdir(), b.mkdir()
    assistant.ingest([write_jsonl(a / "refs.jsonl", owls), write_jsonl(b / "refs.jsonl", bees)])
    a.rename(tmp_path / "projA-renamed")
    report = assistant.ingest([b / "refs.jsonl"], prune=True)
    assert report.removed == 0 and {"owl-1", "owl-2", "bee"} <= set(assistant.library.store.papers())
    assert any(str(a / "refs.jsonl") in note for note in report.notes), report.notes
    # both gone now, one file of their name read from a new place: which one moved is not known
    c = tmp_path / "projC"
    c.mkdir()
    (b / "refs.jsonl").rename(c / "refs.jsonl")
    report = assistant.ingest([c / "refs.jsonl"], prune=True)
    assert report.removed == 0 and {"owl-1", "owl-2", "bee"} <= set(assistant.library.store.papers())


def test_a_paper_of_two_files_read_from_one_keeps_the_other_and_is_not_pruned(
    assistant: Assistant, small_corpus: Path
) -> None:
    """A review: `ingest a.txt` rewrote the sources of a paper a.txt and b.txt hold to a.txt alone,
    and a prune of a.txt then removed it though b.txt still holds it."""
    dump, copy = small_corpus / "dump.txt", small_corpus / "dump2.txt"
    copy.write_text(dump.read_text(encoding="utf-8"), encoding="utf-8")
    assistant.ingest([dump, copy])
    assistant.ingest([dump])
    assert assistant.ingest([copy]).metadata_updated == 0  # its sources in the stored order: no change
    sources = {m["sources"] for m in assistant.library.store.papers().values() if "dump" in m["sources"]}
    assert sources == {"dump.txt | dump2.txt"}
    held = len(assistant.library.store.papers())
    write_dump(dump, bundled_entries(10)[:9])
    report = assistant.ingest([dump], prune=True)
    assert report.removed == 0 and len(assistant.library.store.papers()) == held


def test_a_directory_holding_files_rag_does_not_read_is_pruned(
    assistant: Assistant, small_corpus: Path
) -> None:
    """A review: a PDF beside the exports made every prune of the directory refused."""
    assistant.ingest()
    (small_corpus / "paper.pdf").write_bytes(b"%PDF-1.4 a paper")
    write_dump(small_corpus / "dump.txt", bundled_entries(10)[:9])
    report = assistant.ingest([small_corpus], prune=True)
    assert report.removed == 1 and report.prune_refused is None
    # a file read when named, there but not read with its directory (its name says no format),
    # keeps its papers (a review: removed)
    write_jsonl(
        small_corpus / "owls.2024", [{"id": "owl", "title": "Owls", "abstract": "Owls hunt at night."}]
    )
    assistant.ingest([small_corpus / "owls.2024"])
    kept = assistant.ingest([small_corpus], prune=True)
    assert kept.removed == 0 and "owl" in assistant.library.store.papers()
    assert kept.prune_refused == (
        "not pruning 1 paper of owls.2024, not read (no format rag reads by its name): "
        "rename it and run again"
    )


def test_prune_is_refused_when_a_source_file_is_unreadable(assistant: Assistant, small_corpus: Path) -> None:
    assistant.ingest()
    (small_corpus / "dump.txt").write_bytes(b"\xff\xfe broken")
    report = assistant.ingest(prune=True)
    assert report.removed == 0 and report.prune_refused
    assert len(assistant.library.store.papers()) == 13
    # the file is named (a hostile-input probe: a .bib of @comment blocks only, "some files could not
    # be read", which)
    assert report.prune_refused.startswith("not pruning: dump.txt gave no entry"), report.prune_refused


@pytest.mark.parametrize("given", ["dump.txx", "dump.docx", "nested", "."])
def test_prune_of_a_mistyped_or_unsupported_file_removes_nothing(
    assistant: Assistant, small_corpus: Path, given: str
) -> None:
    """A file that yields nothing stops the whole prune (a review found the first version of the
    partial-file rule emptied the store on a mistyped path), and so does a directory whose
    subdirectories were not read ("."), whose papers would go."""
    assistant.ingest()
    held = len(assistant.library.store.papers())
    (small_corpus / "dump.docx").write_bytes(b"PK\x03\x04 a word document")
    (small_corpus / "nested" / "2023").mkdir(parents=True)  # a directory read nothing from
    (small_corpus / "nested" / "2023" / "dump.txt").write_bytes((small_corpus / "dump.txt").read_bytes())
    write_dump(small_corpus / "dump.txt", bundled_entries(10)[:9])  # one paper left the top level
    report = assistant.ingest([small_corpus / given], prune=True)
    assert report.removed == 0 and report.prune_refused and (report.problems or report.notes)
    assert len(assistant.library.store.papers()) == held


def test_no_paper_left_out_by_a_selection_is_called_deleted() -> None:
    """An ingest with --category leaves out entries it did not select: their stored papers are not
    "no longer in" the file."""

    def provenance(report: FileReport) -> Provenance:
        return Provenance(cast(CorpusReport, SimpleNamespace(files=[report], unread_paths=set(), folders=[])))

    selected = provenance(FileReport(path="/x/arxiv.json", format="arxiv", entries=1, filtered=2))
    whole = provenance(FileReport(path="/x/arxiv.json", format="arxiv", entries=1))
    for stored in ({"sources": "arxiv.json"}, {"sources": "arxiv.json", "paths": "/x/arxiv.json"}):
        assert _left_behind(["p"], {"p": stored}, selected) == []
        assert _left_behind(["p"], {"p": stored}, whole) != []


def test_a_subdirectory_named_with_its_directory_is_read_and_pruned(
    assistant: Assistant, tmp_path: Path
) -> None:
    """A review: `rag ingest D D/sub --prune` said D/sub was not read, and refused to prune."""
    (tmp_path / "d" / "sub").mkdir(parents=True)
    write_jsonl(
        tmp_path / "d" / "a.jsonl", [{"id": "owl", "title": "Owls", "abstract": "Owls hunt at night."}]
    )
    sub = write_jsonl(
        tmp_path / "d" / "sub" / "b.jsonl", [{"id": "bee", "title": "Bees", "abstract": "Bees dance."}]
    )
    assistant.ingest([tmp_path / "d", tmp_path / "d" / "sub"])
    sub.unlink()
    report = assistant.ingest([tmp_path / "d", tmp_path / "d" / "sub"], prune=True)
    assert report.prune_refused is None and "bee" in report.removed_ids


def test_prune_keeps_the_papers_of_a_file_read_only_in_part(assistant: Assistant, small_corpus: Path) -> None:
    """A bad byte skips the rest of a file: its papers after it are not pruned (before: they were,
    the file having yielded some entries), while a paper gone from a sound file is."""
    extra = write_jsonl(
        small_corpus / "more.jsonl",
        [
            {"id": f"owl-{n}", "title": f"Owls {n}", "abstract": f"Owls of kind {n} hunt at night."}
            for n in range(4)
        ],
    )
    assistant.ingest()
    held = len(assistant.library.store.papers())
    extra.write_bytes(extra.read_bytes().replace(b"Owls 1", b"Owls \xe9 1"))
    write_dump(small_corpus / "dump.txt", bundled_entries(10)[:9])
    report = assistant.ingest(prune=True)
    assert report.removed == 1  # the dump's tenth paper
    assert report.prune_refused == (
        "not pruning 3 papers of more.jsonl, read with errors: fix the errors and run again"
    )
    assert {"owl-1", "owl-2", "owl-3"} <= set(assistant.library.store.papers())
    assert len(assistant.library.store.papers()) == held - 1
    # without --prune, the papers a file read with errors did not yield are not called deleted
    assert not [n for n in assistant.ingest().notes if "more.jsonl" in n and "no longer" in n]


def test_rebuild_starts_over(assistant: Assistant, embedder: OnnxMiniLM) -> None:
    assistant.ingest()
    report = assistant.ingest(rebuild=True)
    assert report.embedded == 13


def test_store_built_with_other_settings_is_a_clear_error(
    filled_settings: Settings, embedder: OnnxMiniLM
) -> None:
    settings = filled_settings
    Assistant(settings, embedder=embedder).ingest()
    other = Assistant(settings.model_copy(update={"chunk_size": 128}), embedder=embedder)
    with pytest.raises(StoreMismatchError, match=r"chunk_size=200 \(now 128\).*rag ingest --rebuild"):
        other.search("anything")
    rebuilt = other.ingest(rebuild=True)
    assert rebuilt.embedded == 13


def test_bad_lines_do_not_stop_the_ingest(assistant: Assistant, small_corpus: Path) -> None:
    (small_corpus / "bad.jsonl").write_text('{"abstract": "Valid but short."}\n{oops\n', encoding="utf-8")
    report = assistant.ingest()
    assert report.papers == 14 and not report.ok
    reason = "not valid JSON (Expecting property name enclosed in double quotes); skipped"
    assert report.problems == [f"{small_corpus / 'bad.jsonl'}:2: {reason}"]
    assert json.dumps(report.to_dict())


def test_jsonl_only_corpus(tmp_path: Path, embedder: OnnxMiniLM) -> None:
    path = write_jsonl(tmp_path / "one.jsonl", [{"title": "T", "abstract": "Sea otters use rocks as tools."}])
    assistant = Assistant(Settings(store_dir=tmp_path / "s"), embedder=embedder)
    assert assistant.ingest([path]).embedded == 1
    assert assistant.search("otters with tools")[0].paper.title == "T"


def test_answers_embed_a_sentence_once_and_forget_the_oldest(
    assistant: Assistant, embedder: OnnxMiniLM, onnx_embedder: OnnxMiniLM
) -> None:
    import numpy as np

    from rag.embeddings import CachedEmbedder

    cached = CachedEmbedder(onnx_embedder, size=3)
    calls = onnx_embedder.calls
    first = cached.embed(["a cat sat", "a dog ran", "a cat sat"])
    assert onnx_embedder.calls == calls + 1 and np.allclose(first[0], first[2])
    again = cached.embed(["a dog ran", "a cat sat"])
    assert onnx_embedder.calls == calls + 1  # both remembered
    assert np.allclose(again, onnx_embedder.embed(["a dog ran", "a cat sat"]), atol=1e-6)
    cached.embed(["x", "y"])  # four texts for three places: the least recently used goes
    calls = onnx_embedder.calls
    cached.embed(["a cat sat"])
    assert onnx_embedder.calls == calls
    cached.embed(["a dog ran"])
    assert onnx_embedder.calls == calls + 1
    # an answer's evidence sentences come back from memory on a follow-up about the same papers
    assistant.ingest()
    question = "How well does a fine-tuned CLIP model re-identify basketball players?"
    assistant.ask(question, llm="extractive")
    texts = embedder.texts_embedded
    assistant.ask(question + " (again)", llm="extractive")
    assert embedder.texts_embedded - texts <= 1  # the new question only


def test_the_vector_index_searches_wide_enough_to_find_the_exact_nearest(assistant: Assistant) -> None:
    from rag.library.store import SEARCH_EF

    assistant.ingest()
    collection = assistant.library.store._collection
    assert collection.configuration["hnsw"]["ef_search"] == SEARCH_EF
    # a store made with Chroma's default gets the wider search from its next writer
    collection.modify(configuration={"hnsw": {"ef_search": 100}})
    assistant.library.store.bump_revision()
    assert collection.configuration["hnsw"]["ef_search"] == SEARCH_EF
    # and finds what an exhaustive search finds
    vector = assistant.library.embedder.embed(["contrastive training for player re-identification"])[0]
    everything = collection.get(include=["embeddings"])
    exact = np.argsort(-(np.array(everything["embeddings"]) @ vector))[:10]
    found = [chunk.chunk_id for chunk in assistant.library.store.query(vector, 10)]
    assert found == [everything["ids"][i] for i in exact]


def test_a_copied_store_opens_with_the_same_contents_and_no_probe(
    small_store: Path, tmp_path: Path, embedder: OnnxMiniLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.library import probe

    original = Assistant(Settings(store_dir=small_store), embedder=embedder)
    expected = {c.chunk_id: (c.text, c.metadata) for c in original.library.store.all_chunks()}
    revision = original.library.store.revision
    copy = copy_store(small_store, tmp_path / "copy")

    def no_probe(*args: object, **kwargs: object) -> None:
        raise AssertionError("the copy was probed: its .probe-ok stamp did not match")

    monkeypatch.setattr(probe.subprocess, "run", no_probe)
    assistant = Assistant(Settings(store_dir=copy), embedder=embedder)
    assert {c.chunk_id: (c.text, c.metadata) for c in assistant.library.store.all_chunks()} == expected
    assert len(expected) > 13 and assistant.library.store.revision == revision
    index_path = assistant.paths.keyword_index
    assert index_path.parent == copy and index_path.name == "keyword-papers.npz"
    saved = index_path.read_bytes()
    assert assistant.search("acoustic monitoring of bee colonies", k=1)[0].paper.title == (
        "Beekeeping with acoustic sensors"
    )
    assert index_path.read_bytes() == saved  # the copied keyword index was current: not rebuilt
    index = KeywordIndex.load(index_path)
    assert index is not None and index.revision == revision


def test_a_texts_vector_does_not_depend_on_its_batch_or_thread(onnx_embedder: OnnxMiniLM) -> None:
    embedder = onnx_embedder
    # embed() groups texts by length and runs the groups side by side: each row stays its text's
    entries = bundled_entries(6)
    texts = [embedding_text(t, a) for t, a in entries] + [t for t, _ in entries] + ["gpt", "a b c d"]
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed([text])[0] for text in texts])
    assert together.shape == (len(texts), embedder.dimension)
    assert np.abs(together - alone).max() < 1e-5


def test_a_papers_sentences_are_whole_where_a_chunk_opens_inside_one(embedder: OnnxMiniLM) -> None:
    """The chunker cut Style Injection's abstract after "(e.g.", so its next chunk opened with
    "edge) between content and style images.", which was quoted as a sentence of its own. Sentences
    are now split from the abstract the chunks rebuild."""
    from rag.citations import PaperText
    from rag.library.corpus import read
    from rag.library.ingest import Chunker
    from rag.sentences import add_sentences

    settings = Settings()
    paper = next(p for p in read([BUNDLED]).papers if p.title.startswith("Style Injection in Diffusion"))
    chunks = Chunker(embedder, settings.chunk_size, settings.chunk_overlap).chunks(paper)
    assert any(c.text.startswith("edge) between") for c in chunks)  # the cut this is about
    text = PaperText(1, [c.text for c in chunks], np.zeros((len(chunks), 384)), paper.title)
    add_sentences([text], embedder)
    assert all(s[0].isupper() or s[0].isdigit() for s in text.sentences), text.sentences
    assert any("(e.g. edge) between content and style images." in s for s in text.sentences)


def test_which_stored_papers_an_ingest_covers(tmp_path: Path) -> None:
    """A review of the paths a paper records: a file moved and read with errors keeps its papers from
    a prune; a link in a directory is that directory's file (gone, its papers go with the directory's
    prune); a file gone from a subdirectory of a directory given is covered; a store from before paths
    were recorded prunes a directory's papers only of the names its files have."""
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "x.bib").write_text("@misc{x}", encoding="utf-8")
    (tmp_path / "d" / "link.bib").symlink_to(tmp_path / "real" / "x.bib")
    (tmp_path / "d" / "kept.bib").write_text("@misc{k}", encoding="utf-8")
    assert full_path(tmp_path / "d" / "link.bib") == str(tmp_path / "d" / "link.bib")

    def provenance(files: list[FileReport], folders: list[Path]) -> Provenance:
        corpus = SimpleNamespace(files=files, unread_paths=set(), folders=[str(f) for f in folders])
        return Provenance(cast(CorpusReport, corpus))

    moved = FileReport(path=str(tmp_path / "c" / "refs.bib"), format="bibtex", entries=1)
    moved.problems.append(Problem(moved.path, 9, "bad byte"))
    gone = {"paths": str(tmp_path / "b" / "refs.bib"), "sources": "refs.bib"}
    assert provenance([moved], []).damaged(gone) == {"refs.bib"}
    (tmp_path / "d" / "link.bib").unlink()
    directory = provenance(
        [FileReport(path=str(tmp_path / "d" / "kept.bib"), format="bibtex")], [tmp_path / "d"]
    )
    assert directory.all_read({"paths": str(tmp_path / "d" / "link.bib"), "sources": "link.bib"})
    assert directory.all_read({"paths": str(tmp_path / "d" / "sub" / "s.bib"), "sources": "s.bib"})
    assert not directory.all_read({"paths": str(tmp_path / "real" / "x.bib"), "sources": "x.bib"})
    assert directory.all_read({"sources": "kept.bib"}) and not directory.all_read({"sources": "mine.bib"})
    # the note names a file gone by its path, and says how papers stored by names only go (a review:
    # "(a.bib, gone, b.bib)", and no way out for a legacy store's deleted file)
    stored = {
        "gone": {"paths": str(tmp_path / "elsewhere" / "a.bib"), "sources": "a.bib"},
        "legacy": {"sources": "old.bib"},
    }
    kept, notes = _of_files_read(["gone", "legacy"], stored, directory)
    assert kept == [] and notes[0].startswith(f"--prune kept 2 stored papers of files not given ({tmp_path}")
    assert "a.bib (gone), old.bib): name them, or their directory (a file gone: its directory)," in notes[0]
    assert "`rag ingest --rebuild` with your sources" in notes[1]
    # a file read with errors through a link, its target recorded (a review: the prune removed the
    # papers its bad byte skipped)
    (tmp_path / "d" / "more.bib").symlink_to(tmp_path / "real" / "x.bib")
    broken = FileReport(path=str(tmp_path / "d" / "more.bib"), format="bibtex", entries=1)
    broken.problems.append(Problem(broken.path, 2, "not UTF-8"))
    recorded = {"paths": str(tmp_path / "real" / "x.bib"), "sources": "x.bib"}
    assert provenance([broken], [tmp_path / "d"]).damaged(recorded) == {"x.bib"}


def test_an_ingest_removes_what_a_killed_rebuild_left_half_built(assistant: Assistant) -> None:
    """A review: a `rag ingest --rebuild` killed mid-way left its collection ("papers.rebuild", 523
    chunks there) in the store until the next rebuild, unsaid."""
    from rag.library.store import STAGING_SUFFIX, Store

    library = assistant.library
    Store.staging(path=str(library.layout.root), url=None, name="papers", spec=library.spec())
    report = assistant.ingest()
    assert report.notes[-1] == "removed what a killed --rebuild left half built (0 chunks)"
    names = [c.name for c in library.store._client.list_collections()]
    assert "papers" + STAGING_SUFFIX not in names and "papers" in names
    assert assistant.ingest().notes == [] and len(library.store.papers()) == 13


def test_the_model_loads_while_the_first_papers_are_chunked(
    tmp_path: Path, small_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading the model (a third of a second, without the GIL) is not waited for before chunking."""
    import threading

    from rag.library.ingest import Chunker

    embedder = OnnxMiniLM()  # a new one: its model is not loaded yet
    loading = threading.Event()
    load, chunks = embedder.load, Chunker.chunks

    def load_noted() -> None:
        loading.set()
        load()

    seen: list[bool] = []

    def chunks_once_loading(self: Chunker, paper: object) -> object:
        if not seen:  # without the overlap the model loads only once the first batch is chunked
            seen.append(loading.wait(timeout=10))
        return chunks(self, paper)  # type: ignore[arg-type]

    monkeypatch.setattr(embedder, "load", load_noted)
    monkeypatch.setattr(Chunker, "chunks", chunks_once_loading)
    assistant = Assistant(Settings(store_dir=tmp_path / "s"), embedder=embedder)
    report = assistant.ingest([small_corpus])
    assert report.embedded == 13 and seen == [True]
