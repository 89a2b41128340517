"""Yes/no questions: the sentence that settles one, and the verdict it gives ("Does X require paired
data?" settled by "... without paired data": No)."""

from __future__ import annotations

import itertools
import re

import numpy as np

from .citations import PaperText, split_sentences, strip_citations
from .contribution import about_own_work, own_names
from .library.keyword import tokenize
from .query import YES_NO_WRAPPING, without_regarding
from .topic import same_word

VERDICT = re.compile(r"^\W*(?:yes|no)\b|^\W*the abstracts? (?:don't|do not|doesn't|does not) say\b", re.I)
UNSAID = "The abstracts don't say."
# A reply's verdict: "Yes." / "No," opening a sentence ("No labels are needed" is no verdict), or
# "The abstracts don't say."
_OPENING = re.compile(
    r"^\W*(?:(yes|no)\s*(?:[.,;:!]|$)|(the abstracts? (?:don't|do not|doesn't|does not) say)\b[.,;:!]?)\s*",
    re.I,
)
# The verbs a yes/no question asks with: what it asks about is the rest of its words.
_ASKING_WORDS = frozenset(
    "use uses used using require requires required need needs needed work works rely relies "
    "employ employs leverage leverages apply applies applied include includes involve involves "
    "support supports make makes made have has had method paper approach model "
    "evaluate evaluates evaluated evaluating test tests tested report reports reported".split()
)
_ASKING = frozenset(tokenize(" ".join(_ASKING_WORDS)))
_ASKING_VERBS = _ASKING_WORDS - {"method", "paper", "approach", "model"}
_ASKING_NOUNS = frozenset(tokenize("method paper approach model"))
# the verbs, not their nouns: "an obstacle avoidance policy" negates nothing
_NEGATION = re.compile(
    r"\b(?:without|no|not|never|neither|nor|eliminat(?:e|es|ed|ing)|avoid(?:s|ed|ing)?|dispens(?:e|es|ed|ing)"
    r"|obviat(?:e|es|ed|ing)|(?:elimination|avoidance)\s+of"
    r"|fore?go(?:es|ing|ne)?)\b"  # "Foregoing episodic training"
    r"|n't\b|-free\b",
    re.I,
)
# "Unlike a conventional ensemble, we ...": what the paper does not do, where every mention of what is
# asked stands right after one (not "severity features instead of scene-specific features")
_CONTRAST = re.compile(
    r"\b(?:unlike|instead\s+of|rather\s+than|as\s+opposed\s+to|in\s+contrast\s+(?:to|with)|in\s+place\s+of)\b",
    re.I,
)
CONTRAST_REACH = 3  # words between a contrast and the asked words it sets apart
_CLAUSE_END = re.compile(r"[,;:]\s")
# "X outperforms LoRA": LoRA is what X is measured against, which settles nothing about X using it
# (unless the question asks for a comparison itself: "is X better than LoRA?"); not "more than 100
# languages", nor "outperforms QLoRA on MMLU" (a preposition between: `_AFTER_MARKER_ENDS`)
_AGAINST = re.compile(
    r"\b(?:(?<!rather\s)(?<!more\s)(?<!less\s)(?<!fewer\s)(?<!other\s)than"
    r"|outperform(?:s|ed|ing)?|surpass(?:es|ed|ing)?|beats?|versus|vs\.?"
    r"|(?:compared|comparison|relative)\s+(?:to|with|against)|(?:improvements?|gains?)\s+over)\b",
    re.I,
)
# "does chinchilla use more parameters than gopher?": settled only by a sentence writing "more" (not
# "... the same compute budget as Gopher but with 70B parameters")
_COMPARATIVE = re.compile(
    r"\b(more|less|fewer|larger|smaller|bigger|better|worse|faster|slower|higher|lower|cheaper|longer|shorter)"
    r"\b(?=(?:\s+[\w-]+){0,4}\s+than\b)",
    re.I,
)
_AFTER_MARKER_ENDS = frozenset("on in with using via by across for from at through under within".split())
_QUESTION_NEGATION = re.compile(r"\b(?:without|not|no|never)\b|n't\b|-free\b", re.I)
_NEGATING = frozenset(tokenize("without not no never"))
# "does X eliminate the need for Y?" asks whether X needs no Y, as "does X work without Y?" does ("does
# X avoid overfitting?" asks about avoiding it)
_NO_NEED = re.compile(
    r"\b(?:eliminat(?:e|es|ed|ing)|avoid(?:s|ed|ing)?|obviat(?:e|es|ed|ing)|remov(?:e|es|ed|ing))\s+(?:the\s+)?"
    r"(?:need|requirement|necessity)\s+(?:for|of|to)\b|\bdispens(?:e|es|ed|ing)\s+with\b",
    re.I,
)
_JOINING = frozenset({"and", "or"})
_ARTICLES = frozenset({"the", "a", "an", "its", "their"})
_FREE = re.compile(r"-free\b", re.I)  # "training-free": the asked word negated by its own ending
_PREFIXES = frozenset({"pre", "post", "re", "self", "semi", "non", "un", "de", "anti", "sub"})
# "existing methods pre-define camera motion types during training": what others do, not the paper
_OTHER_WORK = re.compile(
    r"\b(?:existing|previous|prior|current|conventional|traditional|standard|typical|most|many|other|earlier)\s+"
    r"(?:[\w-]+\s+){0,3}(?:methods|approaches|works?|models|techniques|systems|studies|solutions|LLMs|FMs"
    r"|networks|baselines|architectures)\b"
    # "pre-training methods such as BERT ...", "works that aim to reproduce CLIP's data"
    r"|\b(?:methods|approaches|techniques|works|studies)\s+(?:such\s+as|like|that|which)\b"
    # "However, these models utilize large transformer-based encoders ...": the ones it improves on
    r"|^\W*(?:however|but|yet|unfortunately),?\s+(?:these|those|such)\s+(?:[\w-]+\s+){0,2}"
    r"(?:models|methods|approaches|techniques|systems)\b"
    # "Approximate attention methods have attempted to ...": a kind of method as the subject
    r"|^\W*(?:[\w-]+\s+){0,3}(?:methods|approaches|techniques|works|studies|solutions)\s+"
    r"(?:have|has|had|often|typically|usually|generally|commonly|attempt|tend|suffer|fail|rely|are|were)\b",
    re.I,
)
NEGATION_REACH = 5  # words before an asked term a negation may stand
_WORD = re.compile(r"[a-z0-9]+")
_CAPITALS = re.compile(r"\b[A-Z][A-Z0-9]+\b")  # an acronym as a question writes it (CLIP, SAM)


def _as_without(text: str) -> str:
    """A text with "eliminates the need for" (and the like) written "without"."""
    return _NO_NEED.sub(" without ", text)


def _name(title: str) -> str:
    """A paper's name: its title's part before a colon, else the title."""
    return title.split(":", 1)[0] if ":" in title else title


def names_paper(question: str, title: str) -> bool:
    """Whether a question writes the paper's name ("Does ToonTalker ...?"), not only its topic ("Is
    there a method for ...?": the paper found is the answer, and its abstract cannot be silent)."""
    name = set(tokenize(_name(title)))
    return bool(name) and name <= set(tokenize(question))


def asked_terms(question: str, title: str, names: list[str] | None = None) -> set[str]:
    """What a yes/no question asks about: its terms, less its asking verbs and the paper's name (its
    title's part before a colon, else the title), and less the paper's other name (`names`, those its
    abstract coins) when the question opens with it as its subject ("is persam training-free?")."""
    # "DNA-GPT: ... Training-Free ...": DNA-GPT; "is it true that X uses Y?": "X uses Y"
    asked = _as_without(YES_NO_WRAPPING.sub("", without_regarding(question)))
    written = set(tokenize(asked)) - _ASKING - _NEGATING
    terms = written - set(tokenize(_name(title)))
    # the question's first word of substance, its subject ("does parzc use mabn?": ParZC, not MABN)
    subject = next((set(tokenize(w)) for w in asked.split() if set(tokenize(w)) & written), set())
    named = {t for name in names or [] for t in tokenize(name)}
    return terms - subject if subject and subject <= named else terms


def topic_terms(topic: str) -> set[str]:
    """What a list's topic asks of each paper ("use language models"): its terms, less the asking
    verbs; its nouns ("models") are part of what is asked, as no paper is named."""
    return set(tokenize(topic)) - (_ASKING - _ASKING_NOUNS) - _NEGATING


def holds(written: set[str], term: str, words: list[str] | None = None) -> bool:
    """Whether these terms hold a term, a hyphenated one in its parts ("meta-learning" in
    "meta-learning-based", "trillion-parameter" in "Trillion Parameter Models"); given the text's
    `words`, those parts in a row, as the term writes them ("text-video" is not "text-to-video")."""
    if term in written:
        return True
    if "-" not in term:
        return False
    if words is None:
        return set(tokenize(term.replace("-", " "))) <= written
    parts = [_stem(part) for part in _WORD.findall(term)]
    stems = [_stem(word) for word in words]
    return any(stems[i : i + len(parts)] == parts for i in range(len(stems)))


def _stem(word: str) -> str:
    return next(iter(tokenize(word)), word)


def _written(sentence: str, asked: set[str]) -> set[str]:
    """A sentence's terms, less the word a prefix makes another ("pre-training" writes no "training",
    "self-supervised" no "supervised") unless the question asks for that compound itself."""
    written: set[str] = set()
    for word in sentence.split():
        terms = set(tokenize(word))
        prefix, _, rest = word.strip("([{\"'").partition("-")
        if rest and prefix.casefold() in _PREFIXES and not terms & (asked - set(tokenize(rest))):
            terms -= set(tokenize(rest))
        written |= terms
    return written


def settles(sentence: str, asked: set[str]) -> bool:
    """Whether a sentence writes everything the question asks about (`holds`)."""
    written, words = _written(sentence, asked), _WORD.findall(sentence.casefold())
    return bool(asked) and all(holds(written, term, words) for term in asked)


def as_phrased(question: str, sentence: str, asked: set[str]) -> bool:
    """Whether the sentence writes side by side (in any form) the asked words the question writes
    side by side: "part-of-speech tagging and named entity recognition" settles nothing about
    "speech recognition"; "training or validation data" writes "training data"."""

    def is_asked(word: str) -> bool:
        return bool(set(tokenize(word)) & asked)

    def same(asked: str, word: str) -> bool:  # "queries" and "query" by their terms, too short for same_word
        return same_word(asked, word) or bool(set(tokenize(asked)) & set(tokenize(word)))

    words = _WORD.findall(question.casefold())
    phrases = [(a, b) for a, b in itertools.pairwise(words) if is_asked(a) and is_asked(b)]
    written = _WORD.findall(sentence.casefold())
    pairs = list(itertools.pairwise(written))
    # "the training or validation data" writes "training data" too, "accelerate the sampling"
    # "accelerate sampling"
    fours = list(zip(written, written[1:], written[2:], written[3:], strict=False))
    pairs += [(x, y) for x, conj, _, y in fours if conj in _JOINING]
    pairs += [
        (x, y)
        for x, article, y in zip(written, written[1:], written[2:], strict=False)
        if article in _ARTICLES
    ]
    # the question's verb and one of its joined objects: "improves accuracy and robustness" writes
    # "improve robustness" (not "speech quality and recognition" "speech recognition", nor, after an
    # asking verb, "uses graph kernels and neural networks" "graph neural networks")
    first = next((i for i, w in enumerate(words) if is_asked(w)), None)
    after_asking = first is not None and first > 0 and words[first - 1] in _ASKING_VERBS
    verb = words[first] if first is not None and not after_asking else ""
    objects = [(x, y) for x, _, conj, y in fours if conj in _JOINING]

    def written_so(a: str, b: str) -> bool:
        return any(same(a, x) and same(b, y) for x, y in pairs + (objects if a == verb else []))

    return all(written_so(a, b) for a, b in phrases)


def _negated(sentence: str, asked: set[str]) -> bool:
    """Whether a negation stands just before (or "-free" just after) a term asked about, or before
    the first of the terms joined to it ("without the training or validation data")."""
    words = _as_without(sentence).split()  # "removes the need for labels"
    for position, word in enumerate(words):
        if not set(tokenize(word)) & asked:
            continue
        first = position
        while first >= 2 and words[first - 1].casefold() in _JOINING:
            first -= 2
        # a negating word the question asks about negates nothing ("to eliminate the interference"
        # for "does X eliminate interference?")
        window = [
            w for w in words[max(0, first - NEGATION_REACH) : position + 1] if not set(tokenize(w)) & asked
        ]
        if _NEGATION.search(" ".join(window)) or _FREE.search(word) or _removed(words, position, asked):
            return True
    return False


# "we remove the causal attention mask": what is asked, removed (not "removes noisy labels", "removes
# duplicate boxes with non-maximum suppression": another thing removed)
_REMOVING = re.compile(r"^(?:remov(?:e|es|ed|ing)|discard(?:s|ed|ing)?|drop(?:s|ped|ping)?)$", re.I)
_OBJECT_ARTICLES = frozenset({"the", "its", "their", "all", "any"})


def _removed(words: list[str], position: int, asked: set[str]) -> bool:
    """Whether the asked words starting at this position are the object of a removing verb, with at
    most an article between."""
    before = [w.casefold() for w in words[max(0, position - 2) : position]]
    if before and set(tokenize(before[-1])) & asked:
        return False  # not where the asked words start
    if before and before[-1] in _OBJECT_ARTICLES:
        before = before[:-1]
    # a removing the question asks about negates nothing ("does O3 remove the influence of ...?")
    return bool(before) and bool(_REMOVING.match(before[-1])) and not set(tokenize(before[-1])) & asked


def _after_marker(sentence: str, asked: set[str], marker: re.Pattern[str], reach: int) -> bool:
    """Whether every mention of the asked terms follows the marker in its clause, at most `reach`
    words before the asked words it starts, no preposition between ("outperforms LoRA and DoRA", not
    "outperforms QLoRA on MMLU" for MMLU)."""
    words = sentence.split()
    found = False
    for position, word in enumerate(words):
        if not set(tokenize(word)) & asked:
            continue
        first = position
        while first > 0 and set(tokenize(words[first - 1])) & asked:
            first -= 1
        clause = _CLAUSE_END.split(" ".join(words[max(0, first - reach) : first]) + " ")[-1]
        markers = list(marker.finditer(clause))
        if not markers:
            return False
        between = clause[markers[-1].end() :].split()
        if any(w.casefold().strip("()[],.") in _AFTER_MARKER_ENDS for w in between):
            return False
        found = True
    return found


def _compares(sentence: str, asked: re.Match[str]) -> bool:
    """Whether a sentence makes the comparison a question asks: its comparative, before the word the
    question compares ("more parameters") when it names one, or before "than" ("better than")."""
    compared = re.match(r"\s+([\w-]+)", asked.string[asked.end() :])
    what = compared.group(1) if compared and compared.group(1).casefold() != "than" else "than"
    for made in re.finditer(rf"\b{asked.group(1)}\b((?:\s+[\w-]+){{1,3}})", sentence, re.I):
        if set(tokenize(what)) & set(tokenize(made.group(1))) or (
            what == "than" and " than" in made.group(1)
        ):
            return True
    return False


def verdict(question: str, sentence: str, asked: set[str], *, topic: bool = False) -> str | None:
    """ "Yes." or "No." when the sentence settles the question, else None (a sentence about other
    work settles nothing about this paper). With `topic`, the question is a list's topic asked of
    one of the papers listed (extractive.settling_sentences): a word it writes in capitals counts
    only so written (CLIP, not an audio clip)."""
    if not settles(sentence, asked) or not as_phrased(question, sentence, asked):
        return None
    if topic and not all(re.search(rf"\b{re.escape(a)}\b", sentence) for a in _CAPITALS.findall(question)):
        return None
    if _OTHER_WORK.search(sentence) and not about_own_work(sentence, []):
        return None
    if not all(_compares(sentence, match) for match in _COMPARATIVE.finditer(question)):
        return None
    # (not for a list's topic asked of its papers: "18.73% improvement compared to the zero-shot CLIP"
    # is the one sentence of a paper tuning CLIP that writes it, sel-10 of benchmarks/selection.jsonl)
    if (
        not topic
        and not _AGAINST.search(question)
        and _after_marker(sentence, asked, _AGAINST, NEGATION_REACH)
    ):
        return None
    asked_as = _as_without(YES_NO_WRAPPING.sub("", question))  # not "..., doesn't it?"
    # a compound asked about negates nothing ("does X use no-reference metrics?"), "-free" aside
    plain = " ".join(w for w in asked_as.split() if "-" not in w or not set(tokenize(w)) & asked)
    negated = bool(_QUESTION_NEGATION.search(plain) or _FREE.search(asked_as))
    said_not = _negated(sentence, asked) or _after_marker(sentence, asked, _CONTRAST, CONTRAST_REACH)
    return "Yes." if said_not == negated else "No."


def first_verdict(
    question: str, title: str, sentences: list[str], names: list[str] | None = None
) -> tuple[str, str | None] | None:
    """The verdict of the first of a paper's sentences (in the order given) that settles the
    question, and that sentence; else its title's verdict, and None for the sentence; None when
    neither settles it (`names`: the paper's own, `asked_terms`)."""
    asked = asked_terms(question, title, names)
    for sentence in sentences:
        said = verdict(question, sentence, asked)
        if said:
            return said, sentence
    said = verdict(question, title, asked)
    return (said, None) if said else None


def opening(sentence: str) -> tuple[str | None, str]:
    """The verdict a reply's sentence opens with ("Yes.", "No.", UNSAID or None) and the rest of it."""
    match = _OPENING.match(sentence)
    if not match:
        return None, sentence
    said = f"{match.group(1).capitalize()}." if match.group(1) else UNSAID
    rest = sentence[match.end() :]
    return said, rest[:1].upper() + rest[1:]


def openings(sentence: str) -> tuple[set[str], str]:
    """Every verdict a sentence opens with ("No, the abstracts don't say.": two) and the rest of it."""
    found: set[str] = set()
    said, rest = opening(sentence)
    while said:
        found.add(said)
        said, rest = opening(rest)
    return found, rest


def source_verdict(question: str, papers: list[PaperText], question_vector: np.ndarray) -> str | None:
    """The verdict of the first sentence (or title) of these papers that settles the question, their
    sentences taken by similarity to the question; None when none does."""
    for paper in papers:
        texts = paper.all_sentences()
        vectors = paper.sentence_vectors
        if paper.sentences and vectors is not None and len(vectors) == len(texts):
            scores = vectors @ question_vector
            texts = [texts[i] for i in sorted(range(len(texts)), key=lambda i: -float(scores[i]))]
        found = first_verdict(question, paper.title, texts, own_names(paper))
        if found:
            return found[0]
    return None


def only_unsaid(text: str) -> bool:
    """Whether a reply is nothing but verdicts, one of them "The abstracts don't say." ("No. The
    abstracts don't say.")."""
    opened = [openings(strip_citations(s)) for s in split_sentences(text)]
    return any(UNSAID in said for said, _ in opened) and all(
        said and not rest.strip(" .,;:!") for said, rest in opened
    )


def checked_verdict(
    question: str, text: str, cited: list[PaperText], question_vector: np.ndarray
) -> tuple[str, str | None, str | None]:
    """A model's yes/no reply checked against its cited papers: a "Yes."/"No." stands only when a
    cited sentence settles the question the same way (else the reply is rejected: its sentence
    claims what no source writes, or the opposite of what one writes); a reply without a verdict,
    saying the abstracts don't say, or giving two, gets the settling sentence's verdict, or none.
    Returns the reply, what changed (None: nothing) and why it is rejected (None: it is not)."""
    sentences = split_sentences(text)
    given = {said for s in sentences for said in openings(strip_citations(s))[0]}
    model = next(iter(given)) if len(given) == 1 else None
    settled = source_verdict(question, cited, question_vector)
    if settled == model or (settled is None and model in (None, UNSAID) and len(given) <= 1):
        return text, None, None
    if model in ("Yes.", "No."):
        why = (
            "contradicts the cited sentence that settles it" if settled else "is settled by no cited sentence"
        )
        return text, None, f'its "{model}" {why}'
    rests = [openings(s)[1] for s in sentences]
    body = " ".join(r for r in rests if strip_citations(r).strip(" .,;:!"))
    if settled:
        return f"{settled} {body}", f"verdict set to the cited sentence's ({settled})", None
    return body, "verdict dropped: no cited sentence settles the question", None
