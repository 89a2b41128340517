"""The BM25 keyword index over chunks: derived from the collection, saved beside it."""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path

_TOKEN = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")
_STOPWORDS = frozenset(
    """a about above after all also an and any are as at be been being both but by can
    could did do does for from had has have how however i if in into is it its itself
    may more most much no not of on or other our out over same should so some such than
    that the their them then there these they this those through to too under up very
    was we were what when where which while who whom whose why will with would you your
    paper papers study studies work propose proposed present show shows using use used""".split()
)
FORMAT_VERSION = 2


def _stem(token: str) -> str:
    # A light plural folding; enough to match "models" with "model".
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def _fold(text: str) -> str:
    """Lower case without accents (TÜLU matches tulu)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stop words, lightly stemmed."""
    tokens = []
    for raw in _TOKEN.findall(_fold(text)):
        if raw in _STOPWORDS:
            continue
        tokens.append(_stem(raw))
        if "-" in raw or "." in raw:
            tokens.extend(_stem(p) for p in re.split(r"[.\-]", raw) if p and p not in _STOPWORDS)
    return tokens


class KeywordIndex:
    """Okapi BM25 over chunk texts, with inverted postings for fast queries."""

    def __init__(
        self,
        chunk_ids: list[str],
        postings: dict[str, list[tuple[int, int]]],
        lengths: list[int],
        *,
        revision: str = "",
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        self.chunk_ids = chunk_ids
        self.postings = postings
        self.lengths = lengths
        self.revision = revision
        self.k1 = k1
        self.b = b
        self._avg = (sum(lengths) / len(lengths)) if lengths else 0.0
        self._by_initial: dict[str, list[str]] | None = None

    @classmethod
    def build(cls, chunk_ids: list[str], texts: list[str], *, revision: str = "") -> KeywordIndex:
        """Index chunk texts."""
        postings: dict[str, list[tuple[int, int]]] = {}
        lengths = []
        for doc, text in enumerate(texts):
            counts = Counter(tokenize(text))
            lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                postings.setdefault(term, []).append((doc, tf))
        return cls(chunk_ids, postings, lengths, revision=revision)

    def _near(self, term: str) -> str | None:
        """The indexed term closest in spelling to an unknown one (a typo in a name), if close enough."""
        if self._by_initial is None:
            self._by_initial = {}
            for known in self.postings:
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
            if second and joined in self.postings:
                terms.append(joined)
                skip = True
                continue
            terms.extend(tokenize(first))
        corrected = []
        for term in dict.fromkeys(terms):
            if term not in self.postings and len(term) >= 6:
                term = self._near(term) or term
            corrected.append(term)
        return list(dict.fromkeys(corrected))

    def idf(self, term: str) -> float:
        """The BM25 inverse document frequency of a (tokenized) term; highest for unseen terms."""
        total = len(self.chunk_ids)
        frequency = len(self.postings.get(term, ()))
        return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        """The n best chunks for a query as (chunk_id, BM25 score), best first."""
        if not self.chunk_ids:
            return []
        scores: dict[int, float] = {}
        for term in self.query_terms(query):
            docs = self.postings.get(term)
            if not docs:
                continue
            idf = self.idf(term)
            for doc, tf in docs:
                norm = self.k1 * (1 - self.b + self.b * self.lengths[doc] / self._avg)
                scores[doc] = scores.get(doc, 0.0) + idf * tf * (self.k1 + 1) / (tf + norm)
        best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:n]
        return [(self.chunk_ids[doc], score) for doc, score in best]

    def save(self, path: Path) -> None:
        """Write the index atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": FORMAT_VERSION,
            "revision": self.revision,
            "chunk_ids": self.chunk_ids,
            "lengths": self.lengths,
            "postings": self.postings,
        }
        # A temporary file of this writer's own in the same directory, then an atomic rename:
        # concurrent writers never see or remove each other's half-written files.
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
        ) as f:
            try:
                json.dump(payload, f, separators=(",", ":"))
            except BaseException:
                f.close()
                os.unlink(f.name)
                raise
        os.chmod(f.name, 0o600)
        os.replace(f.name, path)

    @classmethod
    def load(cls, path: Path) -> KeywordIndex | None:
        """Read a saved index; None if it is missing, unreadable or of another format."""
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(payload, dict) or payload.get("format") != FORMAT_VERSION:
            return None
        try:  # a damaged index (a field missing or of the wrong shape) is rebuilt, never trusted
            chunk_ids = [str(c) for c in payload["chunk_ids"]]
            lengths = [int(n) for n in payload["lengths"]]
            postings = {
                str(t): [(int(d), int(f)) for d, f in docs] for t, docs in payload["postings"].items()
            }
            revision = str(payload["revision"])
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        # postings list chunks in ascending order: the first and last bound them all
        if len(lengths) != len(chunk_ids) or any(
            docs and not (docs[0][0] >= 0 and docs[-1][0] < len(chunk_ids)) for docs in postings.values()
        ):
            return None
        return cls(chunk_ids, postings, lengths, revision=revision)
