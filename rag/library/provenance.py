"""Which stored papers came from the files an ingest reads: a prune removes only those, and a paper
read from some of its files keeps the others as its sources. Files are told apart by their full
paths (a/refs.bib is not b/refs.bib); a paper stored before its paths were recorded is known by
its files' names, as it was then."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from .corpus import CorpusReport
from .records import Paper, full_path
from .store import Metadata, split_list


class Provenance:
    """The files one ingest reads, and how a stored paper's files stand to them."""

    def __init__(self, corpus: CorpusReport, stored_paths: Iterable[str] = ()) -> None:
        """stored_paths: the files the store's papers were read from, as recorded."""
        # each file by its path, and by where its links lead (a store that recorded that)
        self._read = {p for f in corpus.files for p in _both(f.path)}
        # a file gone may have moved to a file of its name read now, unless that one was stored from
        # already (projA/refs.bib gone is not projB/refs.bib, read before) or several files of that
        # name are gone (which one moved is not known)
        known = set(stored_paths)
        gone = Counter(Path(p).name for p in known if not Path(p).exists())
        self._names_new = {
            Path(f.path).name
            for f in corpus.files
            if not _both(f.path) & known and gone[Path(f.path).name] <= 1
        }
        self._whole = {
            p for f in corpus.files if not (f.read_with_errors or f.filtered) for p in _both(f.path)
        }
        damaged = {p for f in corpus.files if f.read_with_errors for p in _both(f.path)}
        self._damaged = damaged | corpus.unread_paths
        self._folders = set(corpus.folders)
        self.directory = bool(corpus.folders)
        self._names_read = {Path(f.path).name for f in corpus.files}
        self._names_in_folders = {p.name for folder in corpus.folders for p in _files_in(Path(folder))}
        self._names_whole = {Path(p).name for p in self._whole}
        self._names_damaged = {Path(p).name for p in self._damaged}

    def covers(self, path: str) -> bool:
        """Whether this ingest reads the file, or would: a directory it reads held it, or it is gone,
        from a directory it reads (at any depth) or with a file of its name read (moved). A file gone
        elsewhere may be on a drive not mounted."""
        if path in self._read or str(Path(path).parent) in self._folders:
            return True
        if Path(path).exists():
            return False
        return Path(path).name in self._names_new or any(_under(path, f) for f in self._folders)

    def _moved(self, path: str) -> bool:
        """Whether a file gone from its path is read now under its name, from a path new to the store."""
        return Path(path).name in self._names_new and not Path(path).exists()

    def all_read(self, meta: Metadata) -> bool:
        """Whether every file a stored paper was read from is one this ingest covers: a prune may
        remove it (a paper stored without paths: its files' names, each read or in a directory read)."""
        paths = split_list(meta.get("paths"))
        if paths:
            return all(self.covers(p) for p in paths)
        names = set(split_list(meta.get("sources")))  # a directory's files then named as read now
        return bool(names) and names <= self._names_read | self._names_in_folders

    def all_read_whole(self, meta: Metadata) -> bool:
        """Whether every file of a stored paper was read whole (no entry filtered out, no error) or
        is gone from a directory read: the paper is no longer in its sources."""
        paths = split_list(meta.get("paths"))
        if paths:
            return all(p in self._whole or (p not in self._read and self.covers(p)) for p in paths)
        names = set(split_list(meta.get("sources")))
        return bool(names) and names <= self._names_whole

    def damaged(self, meta: Metadata) -> set[str]:
        """The names of a stored paper's files read with errors, or not read though given."""
        paths = split_list(meta.get("paths"))
        if paths:  # a file moved is damaged as the file read in its place is
            damaged = [
                p
                for p in paths
                if p in self._damaged or (self._moved(p) and Path(p).name in self._names_damaged)
            ]
            return {Path(p).name for p in damaged}
        return set(split_list(meta.get("sources"))) & self._names_damaged

    def shown(self, file: str) -> str:
        """A file as a note names it: its name, or its path when a file of that name was read; a
        file no longer there says so (its directory named covers it)."""
        name = Path(file).name
        if file != name and not Path(file).exists():
            return f"{file} (gone)"
        return file if name in self._names_read and file != name else name

    @staticmethod
    def legacy(meta: Metadata) -> bool:
        """Whether a stored paper was stored before papers recorded their files' paths."""
        return not meta.get("paths")

    def unread_files(self, meta: Metadata) -> list[str]:
        """A stored paper's files this ingest does not cover (full paths; names when stored so)."""
        paths = split_list(meta.get("paths"))
        if paths:
            return [p for p in paths if not self.covers(p)]
        return [n for n in split_list(meta.get("sources")) if n not in self._names_read]

    def with_unread_sources(self, paper: Paper, previous: Metadata) -> Paper | None:
        """A paper read now, still of the stored files this ingest does not cover (a paper of a.bib
        and b.bib, read from a.bib alone, is still b.bib's); None when it gains none."""
        stored_paths = split_list(previous.get("paths"))
        if not stored_paths and self.directory:
            return None  # stored by names only: a directory read tells nothing of the others
        unread = [p for p in self.unread_files(previous) if p not in paper.paths and p not in paper.sources]
        if not unread:
            return None
        if stored_paths:
            paper.paths = _in_stored_order(stored_paths, paper.paths, unread)
            unread = [Path(p).name for p in unread]
        paper.sources = _in_stored_order(split_list(previous.get("sources")), paper.sources, unread)
        return paper


def _both(path: str) -> set[str]:
    """A file's path as recorded, and where its links lead."""
    return {full_path(path), os.path.realpath(path)}


def _files_in(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.is_file()]
    except OSError:
        return []


def _under(path: str, folder: str) -> bool:
    return Path(path).is_relative_to(folder)


def _in_stored_order(stored: list[str], read: list[str], unread: Iterable[str]) -> list[str]:
    """The files read and those kept, in the stored order first, so that nothing seems changed."""
    kept = set(read) | set(unread)
    added = [n for n in (*read, *unread) if n not in stored]
    return [n for n in stored if n in kept] + list(dict.fromkeys(added))
