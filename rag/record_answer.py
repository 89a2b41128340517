"""Questions about a paper's record ("who wrote X?", "when was X published?") answered from the stored
fields of the paper the question names, cited [1]; a missing field is said to be missing."""

from __future__ import annotations

import calendar
import re

from .answer import Citation, PaperRef, Source
from .citations import NAMED
from .contribution import about_own_work
from .evidence import Evidence, folded
from .library.keyword import tokenize
from .library.names import PIECE, coined_names, fold
from .query import RecordField, joined

RECORD = "record"  # the backend an answer written from the record reports
MAX_AUTHORS = 10  # a longer list is cut, saying how many more there are
TITLE_SHARE = 0.5  # of a title's words, that a question names it by without its short name
COINING_DEPTH = 3  # how many of the top sources may coin a name the question asks about
_PROPOSING = r"(?:propos|introduc|present|develop|releas|creat|buil|construct|design)\w*"
_ARTICLES = r"(?:(?:a|an|the|our|new|novel)\s+)*"

_MISSING: dict[RecordField, str] = {
    "authors": "authors",
    "date": "date or year",
    "venue": "venue",
    "doi": "DOI",
    "url": "link",
    "arxiv_id": "arXiv id",
}


def named_source(evidence: Evidence) -> Source | None:
    """The source whose title the question names (the best named of the top ones), or None. A title
    is named by its short name or by much of it: "the transformer" names no "... Transformers", and
    words that other titles write as well name their topic ("few-shot learning"), not a paper."""
    asked = set(tokenize(evidence.query.search))
    texts = {s.number: [s.paper.title, *evidence.papers[s.number].chunk_texts] for s in evidence.sources}
    named = [
        (paper.named, -number)
        for number, paper in evidence.papers.items()
        if paper.named >= NAMED
        and (
            paper.called
            or _share(asked, paper.title) >= TITLE_SHARE
            or _phrase_of(
                evidence.query.search, paper.title, [t for n, ts in texts.items() if n != number for t in ts]
            )
        )
    ]
    if not named:
        return None
    most, number = max(named)
    if not evidence.papers[-number].called and sum(p.named >= most for p in evidence.papers.values()) > 1:
        return None
    return next(s for s in evidence.sources if s.number == -number)


def whole_title_sources(evidence: Evidence) -> list[Source]:
    """The sources whose whole title is what the question asks about ("who wrote attention is all
    you need?", "... the deep learning paper?"), however common its words: two when two records
    carry it; not a title inside a longer phrase ("the paper on deep learning for weather
    forecasting")."""
    search = evidence.query.search
    asked = [words for words in (_words(search), _words(_TITLE_FRAME.sub("", search))) if words]
    return [s for s in evidence.sources if any(a in _title_forms(s.paper.title) for a in asked)]


def _words(text: str) -> list[str]:
    return PIECE.findall(fold(text))


def _title_forms(title: str) -> list[list[str]]:
    """A title's words, and without its leading "the" (which a question's subject loses)."""
    words = _words(title)
    return [words, words[1:]] if words[:1] == ["the"] and len(words) > 1 else [words]


# what a question may write around a title it asks about: "the paper", "the ... paper", "titled"
_TITLE_FRAME = re.compile(
    r"^\s*(?:the\s+)?(?:(?:paper|article|work|study)\s+)?(?:titled\s+|called\s+|named\s+)?"
    r"|\s+(?:paper|article|work|study)\s*$",
    re.IGNORECASE,
)


def _phrase_of(asked: str, title: str, others: list[str]) -> bool:
    """Whether the asked words, two or more, are words of a title side by side that no other paper
    found writes, in its title or abstract ("who wrote stochastic parrots?" of "On the Dangers of
    Stochastic Parrots: ..."; not a topic: "who introduced in-context learning?", nor one word:
    "who proposed re-identification?")."""
    words = tokenize(asked)
    if len(asked.split()) < 2 or not words:
        return False
    return _side_by_side(words, tokenize(title)) and not any(
        _side_by_side(words, tokenize(t)) for t in others
    )


def _side_by_side(words: list[str], written: list[str]) -> bool:
    """Whether a text's words hold these words in a row."""
    return any(written[i : i + len(words)] == words for i in range(len(written) - len(words) + 1))


def _share(asked: set[str], title: str) -> float:
    """How much of a title the asked words write."""
    written = set(tokenize(title))
    return len(asked & written) / len(written) if written else 0.0


def coining_source(evidence: Evidence, name: str) -> tuple[Source, str] | None:
    """The source that coins a name no title has ("who proposed ZEB?": GIM, "we also propose ZEB,
    the first zero-shot evaluation benchmark ..."), with that sentence; None when none of the top
    sources does."""
    for source in evidence.sources[:COINING_DEPTH]:
        paper = evidence.papers.get(source.number)
        for sentence in paper.all_sentences() if paper else []:
            coined = coined_names(sentence)
            if _key(name) in map(_key, coined) and about_own_work(sentence, coined):
                return source, sentence
            if _proposes(sentence, name):
                return source, sentence
    return None


def _key(name: str) -> str:
    """A name as matched: folded, a "+" variant kept apart ("ImageNet+" coins no "ImageNet")."""
    return folded(name) + "+" * name.rstrip().endswith("+")


def _proposes(sentence: str, name: str) -> bool:
    """Whether a sentence about its paper's own work proposes the name ("we also propose ZEB, ...")."""
    words = r"\s+".join(re.escape(word) for word in name.split())
    proposing = rf"\b(?:we|this (?:paper|work))\b[^.]{{0,40}}?\b{_PROPOSING}\s+{_ARTICLES}{words}(?![\w-])"
    return bool(re.search(proposing, sentence, re.IGNORECASE))


def _authors(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C', 'A, ..., J and 5 others'."""
    shown = names[:MAX_AUTHORS]
    rest = len(names) - len(shown)
    if rest:
        return ", ".join(shown) + f" and {rest} other{'s' if rest > 1 else ''}"
    return joined(shown)


def _date_of(paper: PaperRef) -> str | None:
    """'2022-03-10', 'March 2022' (a month), '2022 (dated Mar 10)', '2022', or None without a year."""
    if paper.year is None:
        return None
    if paper.date and str(paper.year) in paper.date:
        if len(paper.date) == len("2022-03"):
            return f"{calendar.month_name[int(paper.date[5:7])]} {paper.year}"
        return paper.date
    return f"{paper.year}" + (f" (dated {paper.date})" if paper.date else "")


def _when(paper: PaperRef) -> str | None:
    """'on 2022-03-10', 'in March 2022', 'in 2022 (dated Mar 10)', 'in 2022', or None without a year."""
    date = _date_of(paper)
    if date is None:
        return None
    return f"{'on' if date == paper.date else 'in'} {date}"  # a day as the record writes it


def _link(paper: PaperRef) -> str | None:
    """The paper's own address: its url, else its DOI's or its arXiv id's."""
    if paper.url:
        return paper.url
    if paper.doi:
        return f"https://doi.org/{paper.doi}"
    return f"https://arxiv.org/abs/{paper.arxiv_id}" if paper.arxiv_id else None


def _stated(paper: PaperRef, asked: RecordField, name: str) -> str | None:
    """The sentence stating the field, or None when the record lacks it."""
    if asked == "authors" and paper.authors:
        return f"{name} was written by {_authors(paper.authors)}"
    if asked == "date" and (when := _when(paper)):
        return f"{name} was published {when}"
    if asked == "venue" and paper.venue:
        return f"{name} appeared in {paper.venue}" + (f" ({paper.year})" if paper.year else "")
    if asked == "doi" and paper.doi:
        return f"The DOI of {name} is {paper.doi} (https://doi.org/{paper.doi})"
    if asked == "arxiv_id" and paper.arxiv_id:
        return f"The arXiv id of {name} is {paper.arxiv_id}"
    if asked == "url" and (link := _link(paper)):
        return f"The link of {name} is {link}"
    return None


def _instead(paper: PaperRef, asked: RecordField) -> str:
    """What the record has in place of a missing field, as a second sentence ('' when nothing)."""
    if asked == "date" and paper.date:  # the day a listing shows it ("Mar 11" of Daily Papers), no year
        return f" Its source lists it under {paper.date}, without a year."
    if asked == "doi" and paper.arxiv_id:  # arXiv registers a DOI for every paper it holds
        registered = re.sub(r"^([a-z-]+)\.[A-Z]{2}/", r"\1/", paper.arxiv_id)  # math.GT/0309136: math/0309136
        return f" It is arXiv {paper.arxiv_id}; arXiv's DOI for it is 10.48550/arXiv.{registered}."
    if asked == "venue" and paper.arxiv_id:
        return f" It is arXiv {paper.arxiv_id}."
    if asked == "url" and paper.links:
        return " Its abstract links to " + ", ".join(paper.links[:3]) + "."
    return ""


def record_answer(paper: PaperRef, asked: RecordField, number: int = 1) -> str:
    """The answer from a paper's record, citing it as [number]; a missing field is said to be."""
    name = f'"{paper.title}"' if paper.title else "This paper"
    stated = _stated(paper, asked, name)
    if stated:
        return f"{stated} [{number}]."
    missing = "year" if asked == "date" and paper.date else _MISSING[asked]  # a date without a year
    return f"The record of [{number}] has no {missing}.{_instead(paper, asked)}"


def catalogue_answer(sources: list[Source], in_scope: int | None, described: str) -> str:
    """The papers of a scope asked for without a topic ("papers by NAME"), each cited by its source's
    number, in the order given (which the caller sorts with `newest_first`)."""
    papers = [s.paper for s in sources]
    listed = "; ".join(
        f'"{s.paper.title}"' + (f" ({s.paper.year})" if s.paper.year else "") + f" [{s.number}]"
        for s in sources
    )
    total = in_scope or len(papers)
    if total > len(papers):
        return (
            f"{total} papers in the store match {described}; {len(papers)} of them, newest first: {listed}. "
            "Name a topic to narrow them down."
        )
    return f"{_count(total)} in the store match{'es' if total == 1 else ''} {described}: {listed}."


def collection_answer(papers: int) -> str:
    """How many papers the collection holds ("how many papers are there?")."""
    return f"The collection holds {_count(papers).lower()}; ask about a topic to find those on it."


def _count(n: int) -> str:
    return "One paper" if n == 1 else f"{n} papers"


def recency_line(cited: list[Citation]) -> str:
    """For "which is the latest paper on X?": which of the cited papers the records date last, or
    that their records give no year to tell."""
    dated = [c for c in cited if c.paper.year]
    if not dated:
        records = "The records of these papers give" if len(cited) > 1 else "The record of this paper gives"
        return f"{records} no year: which is the most recent cannot be told."
    newest = max(dated, key=lambda c: (c.paper.year or 0, c.paper.date or ""))
    when = _date_of(newest.paper)
    if len(cited) == 1:
        return f"The record of [{newest.number}], the one paper cited, gives {when}."
    of = f" whose records give a year ({len(dated)})" if len(dated) < len(cited) else ""
    return f"Of the papers cited{of}, the most recent by its record: [{newest.number}] ({when})."


def newest_first(sources: list[Source]) -> list[Source]:
    """Sources by date, newest first; those without a year last, in their order."""
    by_date = sorted(sources, key=lambda s: s.paper.date or "", reverse=True)
    return sorted(by_date, key=lambda s: -(s.paper.year or 0))
