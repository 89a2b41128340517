"""The BM25 keyword index over chunks: derived from the collection, saved beside it."""

from __future__ import annotations

import difflib
import functools
import math
import os
import re
import struct
import tempfile
import zipfile
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from .acronyms import Definitions, Glossary
from .names import NameIndex, fold

_TOKEN = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")
_STOPWORDS = frozenset(
    """a about above after all also an and any are as at be been being both but by can
    could did do does for from had has have how however i if in into is it its itself
    may more most much no not of on or other our out over same should so some such than
    that the their them then there these they this those through to too under up very
    was we were what when where which while who whom whose why will with would you your
    paper papers study studies work propose proposed present show shows using use used""".split()
)
# 3: compact arrays in an .npz file; 4: with the acronyms the texts define; 5: with the papers' names;
# 6: with the names an abstract coins as "termed as X"; 7: British spellings written as American ones;
# 8: more of them (-tre, -bre, -yser, grey ...); 9: the name before "is all you need" in a title;
# 10: acronyms with a hyphen an abstract coins ("Megatron-Turing NLG 530B (MT-NLG)"); 11: the acronym
# an abstract defines for its title's head ("Direct Preference Optimization (DPO)")
FORMAT_VERSION = 11

# British spellings as American ones, so that "quantisation" finds "quantization" (and "noise" is
# "noize" on both sides, which matches nothing else): -ise/-isation, -yse, -our, -elled, -ogue, -tre
_AMERICAN: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"(?<=\w{3})is(?=ations?$|e[dr]?$|ing$|able$)"), "iz"),
    (re.compile(r"(?<=\w{3})ys(?=e[dr]?$|ing$)"), "yz"),
    (re.compile(r"(?<=\w{3})our(?=(?:ed|ing|able|al|ally|ful|less|hood|ite|ly)?$)"), "or"),
    (re.compile(r"(?<=\w{3}[aeiou])ll(?=ed$|ing$|er$)"), "l"),
    (re.compile(r"(?<=\w{3})ogue(?=d?$)"), "og"),
    (re.compile(r"(?<=\w{3})ogd$"), "oged"),
    (re.compile(r"(?<=\w{2})(?:tre|bre)$"), lambda m: m.group()[0] + "er"),
    (re.compile(r"(?<=\wen)tr(?=ed$|ing$)"), "ter"),  # centred, centring
]
# words of their own ("grey" is "gray", "defence" is "defense")
_AMERICAN_WORDS = {
    "grey": "gray",
    "greyscale": "grayscale",
    "defence": "defense",
    "licence": "license",
    "offence": "offense",
    "artefact": "artifact",
    "judgement": "judgment",
    "ageing": "aging",
    "programme": "program",
    "practise": "practice",
    "mould": "mold",
    "plough": "plow",
    "odour": "odor",
    "practised": "practiced",
    "moulding": "molding",
    "moulded": "molded",
    "timbre": "timbre",  # no "timber"
}


def _american(token: str) -> str:
    """A word as American English spells it ("normalisation": "normalization")."""
    if token in _AMERICAN_WORDS:
        return _AMERICAN_WORDS[token]
    if len(token) < 5:
        return token
    for pattern, spelling in _AMERICAN:
        token = pattern.sub(spelling, token, count=1)
    return token


def _stem(token: str) -> str:
    """A light plural folding, enough to match "models" with "model", then American spelling."""
    if len(token) > 4 and token.endswith("ies"):
        token = token[:-3] + "y"
    elif len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        token = token[:-1]
    return _american(token)


def _fold(text: str) -> str:
    """Lower case without accents (TÜLU matches tulu)."""
    if text.isascii():  # most text: no accent to take off, and nothing to decompose
        return text.lower()
    return fold(text)


@functools.lru_cache(maxsize=1 << 16)
def _terms(raw: str) -> tuple[str, ...]:
    """The tokens one word makes: itself stemmed, then the parts of a hyphenated or dotted word."""
    if raw in _STOPWORDS:
        return ()
    if "-" not in raw and "." not in raw:
        return (_stem(raw),)
    return (_stem(raw), *(_stem(p) for p in re.split(r"[.\-]", raw) if p and p not in _STOPWORDS))


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stop words, lightly stemmed."""
    tokens: list[str] = []
    for raw in _TOKEN.findall(_fold(text)):
        tokens.extend(_terms(raw))
    return tokens


def _mapped_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an uncompressed .npz (as `save` writes it), memory-mapped from the file."""
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as archive, path.open("rb") as f:
        for member in archive.infolist():
            if member.compress_type != zipfile.ZIP_STORED or not member.filename.endswith(".npy"):
                raise ValueError(f"unexpected member {member.filename}")
            f.seek(member.header_offset)
            header = f.read(30)
            if len(header) != 30 or header[:4] != b"PK\x03\x04":
                raise ValueError(f"damaged member {member.filename}")
            name_length, extra_length = struct.unpack("<HH", header[26:30])
            member_start = member.header_offset + 30 + name_length + extra_length
            f.seek(member_start)
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            start, count = f.tell(), int(np.prod(shape))
            if dtype.hasobject or fortran or start + count * dtype.itemsize > member_start + member.file_size:
                raise ValueError(f"damaged member {member.filename}")
            name = member.filename.removesuffix(".npy")
            if count == 0:  # an empty array cannot be mapped
                arrays[name] = np.zeros(shape, dtype=dtype)
            else:
                arrays[name] = np.memmap(path, dtype=dtype, mode="r", offset=start, shape=shape)
    return arrays


class KeywordIndex:
    """Okapi BM25 over chunk texts. Postings are kept as compact arrays (term offsets into chunk
    numbers and term frequencies), saved as one .npz file that loads in a fraction of a second
    even for hundreds of thousands of chunks."""

    def __init__(
        self,
        chunk_ids: list[str],
        vocabulary: list[str],
        offsets: np.ndarray,
        docs: np.ndarray,
        frequencies: np.ndarray,
        lengths: np.ndarray,
        *,
        revision: str = "",
        glossary: Definitions | None = None,
        names: NameIndex | None = None,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        self.chunk_ids = chunk_ids
        self.glossary = glossary or {}  # the acronyms the texts define
        self.names = names or NameIndex()  # the papers' short names
        self.vocabulary = vocabulary
        self._terms = {term: i for i, term in enumerate(vocabulary)}
        self._offsets = offsets
        self._docs = docs
        self._frequencies = frequencies
        self._lengths = lengths
        self.revision = revision
        self.k1 = k1
        self.b = b
        self._avg = float(lengths.mean()) if len(lengths) else 0.0
        self._by_initial: dict[str, list[str]] | None = None
        self._rows: dict[str, int] | None = None

    @classmethod
    def build(
        cls, chunk_ids: list[str], texts: Iterable[str], *, revision: str = "", names: NameIndex | None = None
    ) -> KeywordIndex:
        """Index chunk texts (in memory proportional to the postings, 10 bytes each)."""
        terms: dict[str, int] = {}
        term_of, doc_of, frequency_of, lengths = array("i"), array("i"), array("i"), array("i")
        glossary = Glossary()
        for doc, text in enumerate(texts):
            glossary.add(text)
            counts = Counter(tokenize(text))
            lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                term_of.append(terms.setdefault(term, len(terms)))
                doc_of.append(doc)
                frequency_of.append(min(tf, 65535))
        vocabulary = list(terms)
        term_ids = np.frombuffer(term_of, dtype=np.int32) if term_of else np.zeros(0, np.int32)
        order = np.argsort(term_ids, kind="stable")  # by term, chunks ascending within a term
        offsets = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(np.bincount(term_ids, minlength=len(vocabulary)), out=offsets[1:])
        docs = np.frombuffer(doc_of, dtype=np.int32)[order] if doc_of else np.zeros(0, np.int32)
        frequencies = (
            np.frombuffer(frequency_of, dtype=np.int32)[order].astype(np.uint16)
            if frequency_of
            else np.zeros(0, np.uint16)
        )
        length_array = np.frombuffer(lengths, dtype=np.int32).copy() if lengths else np.zeros(0, np.int32)
        return cls(
            chunk_ids,
            vocabulary,
            offsets,
            docs,
            frequencies,
            length_array,
            revision=revision,
            glossary=glossary.definitions(),
            names=names,
        )

    def __contains__(self, term: str) -> bool:
        return term in self._terms

    def _near(self, term: str) -> str | None:
        """The indexed term closest in spelling to an unknown one (a typo in a name), if close enough."""
        if self._by_initial is None:
            self._by_initial = {}
            for known in self.vocabulary:
                self._by_initial.setdefault(known[:1], []).append(known)
        candidates = [t for t in self._by_initial.get(term[:1], []) if abs(len(t) - len(term)) <= 2]
        best = difflib.get_close_matches(term, candidates, n=1, cutoff=0.85)
        return best[0] if best else None

    def query_terms(self, text: str) -> list[str]:
        """A query's terms as indexed: two adjacent words become one when the index has that word
        ("unlearn canvas": unlearncanvas, "version 4": v4), and an unknown word its nearest spelling
        (a typo)."""
        words = [_stem(w) for w in _TOKEN.findall(_fold(text)) if w not in _STOPWORDS]
        terms: list[str] = []
        skip = False
        for first, second in zip(words, [*words[1:], ""], strict=False):
            if skip:
                skip = False
                continue
            joined = _stem(first + second)
            if first == "version" and second.isdigit():  # "version 4" is written V4
                joined = "v" + second
            if second and joined in self._terms:
                terms.append(joined)
                skip = True
                continue
            terms.extend(tokenize(first))
        corrected = []
        for term in dict.fromkeys(terms):
            if term not in self._terms and len(term) >= 6:
                term = self._near(term) or term
            corrected.append(term)
        return list(dict.fromkeys(corrected))

    def papers(self) -> int:
        """How many papers the index holds (chunk ids are "paper#n")."""
        return len({chunk_id.rsplit("#", 1)[0] for chunk_id in self.chunk_ids})

    def unseen(self, text: str) -> list[str]:
        """The terms of a query (typos corrected) that no indexed chunk writes."""
        return [term for term in self.query_terms(text) if term not in self._terms]

    def _postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        i = self._terms.get(term)
        if i is None:
            return self._docs[:0], self._frequencies[:0]
        start, end = int(self._offsets[i]), int(self._offsets[i + 1])
        return self._docs[start:end], self._frequencies[start:end]

    def shared(self, text: str, most: int = 50) -> int:
        """How many papers write every term of a text (past `most`: more than `most`; a text of
        stop words only: more than any)."""
        papers: set[str] | None = None
        for term in dict.fromkeys(tokenize(text)):
            docs = self._postings(term)[0]
            if len(docs) > 4 * most:
                return most + 1
            found = self._paper_ids(docs)
            papers = found if papers is None else papers & found
        return len(self.chunk_ids) + 1 if papers is None else min(len(papers), most + 1)

    def papers_writing(self, text: str) -> int:
        """How many papers write every term of a text, counted over the whole index (0 for a text of
        stop words only)."""
        found = [self._paper_ids(self._postings(term)[0]) for term in dict.fromkeys(tokenize(text))]
        return len(set.intersection(*found)) if found else 0

    def _paper_ids(self, docs: np.ndarray) -> set[str]:
        """The papers these chunk rows belong to."""
        return {self.chunk_ids[d].rsplit("#", 1)[0] for d in docs.tolist()}

    def idf(self, term: str) -> float:
        """The BM25 inverse document frequency of a (tokenized) term; highest for unseen terms."""
        total = len(self.chunk_ids)
        frequency = len(self._postings(term)[0])
        return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))

    def mask(self, chunk_ids: Iterable[str]) -> np.ndarray:
        """Which indexed chunks are among these (ids the index does not hold are ignored)."""
        if self._rows is None:
            self._rows = {chunk_id: row for row, chunk_id in enumerate(self.chunk_ids)}
        rows = [row for row in map(self._rows.get, chunk_ids) if row is not None]
        allowed = np.zeros(len(self.chunk_ids), dtype=bool)
        allowed[rows] = True
        return allowed

    def search(self, query: str, n: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        """The n best chunks for a query as (chunk_id, BM25 score), best first; only those `allowed`
        (a mask from `mask`) when given, scored as in the whole index."""
        if not self.chunk_ids:
            return []
        scores = np.zeros(len(self.chunk_ids), dtype=np.float64)
        for term in self.query_terms(query):
            docs, frequencies = self._postings(term)
            if not len(docs):
                continue
            tf = frequencies.astype(np.float64)
            norm = self.k1 * (1 - self.b + self.b * self._lengths[docs] / self._avg)
            scores[docs] += self.idf(term) * tf * (self.k1 + 1) / (tf + norm)
        if allowed is not None:
            scores[~allowed] = 0.0
        matched = np.flatnonzero(scores)
        if len(matched) > n:
            matched = matched[np.argpartition(-scores[matched], n - 1)[:n]]
        best = sorted(matched.tolist(), key=lambda doc: (-scores[doc], doc))[:n]
        return [(self.chunk_ids[doc], float(scores[doc])) for doc in best]

    def save(self, path: Path) -> None:
        """Write the index atomically (a temporary file of this writer's own, then a rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
        ) as f:
            try:
                np.savez(
                    f,
                    format=np.array([FORMAT_VERSION]),
                    revision=np.array([self.revision]),
                    chunk_ids=np.frombuffer("\n".join(self.chunk_ids).encode(), dtype=np.uint8),
                    vocabulary=np.frombuffer("\n".join(self.vocabulary).encode(), dtype=np.uint8),
                    glossary=np.frombuffer(
                        "\n".join(f"{w}\t{m}" for w, m in self.glossary.values()).encode(), dtype=np.uint8
                    ),
                    names=np.frombuffer("\n".join(self.names.lines()).encode(), dtype=np.uint8),
                    offsets=self._offsets,
                    docs=self._docs,
                    frequencies=self._frequencies,
                    lengths=self._lengths,
                )
            except BaseException:
                f.close()
                os.unlink(f.name)
                raise
        os.chmod(f.name, 0o600)
        os.replace(f.name, path)

    @classmethod
    def load(cls, path: Path) -> KeywordIndex | None:
        """Read a saved index; None if it is missing, unreadable, damaged or of another format.

        The arrays are memory-mapped, not read: a 100,000-paper index opens in about 0.05 s and
        only the postings of the terms searched are paged in.
        """
        try:
            saved = _mapped_arrays(path)
            if int(saved["format"][0]) != FORMAT_VERSION:
                return None
            revision = str(saved["revision"][0])
            blob = saved["chunk_ids"].tobytes().decode()
            chunk_ids = blob.split("\n") if blob else []
            blob = saved["vocabulary"].tobytes().decode()
            vocabulary = blob.split("\n") if blob else []
            blob = saved["glossary"].tobytes().decode()
            pairs = [line.split("\t") for line in blob.split("\n")] if blob else []
            glossary = {written.casefold(): (written, meaning) for written, meaning in pairs}
            blob = saved["names"].tobytes().decode()
            names = NameIndex.from_lines(blob.split("\n") if blob else [])
            offsets, docs = saved["offsets"], saved["docs"]
            frequencies, lengths = saved["frequencies"], saved["lengths"]
        except (OSError, ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError, zipfile.BadZipFile):
            return None
        sound = (
            offsets.ndim == docs.ndim == frequencies.ndim == lengths.ndim == 1
            and len(offsets) == len(vocabulary) + 1
            and len(lengths) == len(chunk_ids)
            and len(docs) == len(frequencies) == (int(offsets[-1]) if len(offsets) else -1)
            and (len(offsets) < 2 or int(np.diff(offsets).min()) >= 0)
            and (not len(docs) or (int(docs.min()) >= 0 and int(docs.max()) < len(chunk_ids)))
        )
        if not sound:
            return None
        arrays = (offsets, docs, frequencies, lengths)
        return cls(chunk_ids, vocabulary, *arrays, revision=revision, glossary=glossary, names=names)
