"""Questions about a named work no paper found introduces ("what is t5 pretrained on?", "how does
dreambooth work?"): the papers found only mention it, so its mention is quoted as a mention, never
as the answer; or define it ("Contrastive Language-Image Pre-training (CLIP) is an approach ..."),
which answers "what is clip?"."""

from __future__ import annotations

import re
from collections.abc import Callable

from .aspects import named_subject, written_name
from .citations import PaperText
from .contribution import own_names
from .decide import wordpiece_name_test
from .embeddings import Embedder
from .evidence import LINK, NAME_FORM, Evidence, folded
from .extractive import is_own_name, named_paper, ranked_sentences
from .library.acronyms import long_form
from .library.keyword import tokenize
from .query import KIND_OF_WORK, plainly, without_kind
from .record_answer import coining_source
from .sentences import add_sentences

# what asks what a work is, how it works or what it was made from, the work named right after
_ASKED = re.compile(
    r"^\s*(?:what(?:['\u2019]?s|\s+is|\s+was|\s+are)|how\s+(?:does|do|did|is|was|are|were)"
    r"|what\s+(?:data|dataset|datasets|corpus|corpora)\s+(?:is|was|are|were))\s+(?P<rest>.+?)"
    r"[\s?.!\"\u201c\u201d]*$",
    re.IGNORECASE,
)
# what may follow the work's name: how it was made ("trained on", "designed"), "work" ("how does
# qlora work?"), or nothing ("what is scienceqa?"); not "compare to", "improve X" or "used for"
_MADE = re.compile(
    r"\s+(?:(?:pre-?|fine-?)?train(?:ed)?|(?:fine-?)?tuned|designed|built|made|implemented|developed|based"
    r"|works?)(?:\s+(?:on|from|with|in))?$",
    re.IGNORECASE,
)
_POSSESSIVE = re.compile(r"['\u2019]s\b")
_QUOTES = re.compile(r"[\"\u201c\u201d]|(?<!\w)['\u2018\u2019]|['\u2018\u2019](?!\w)")
_LETTERS_THEN_DIGITS = re.compile(r"^[a-z]+\d+$")  # t5, c4: names too short for the wordpiece test
# words and what parts them, told apart without overlap (a run of dashes is no word)
_GAP = r"[\s,;:()\"'\u2013\u2014-]+"
_WORD = r"[^\s,;:()\"'\u2013\u2014-]+"
_OWN = re.compile(r"\b(?:we|our|this (?:paper|work|study))\b", re.IGNORECASE)
# how a paper names its own work: "we come up with a new defender method, CeTaD", "we then propose a
# light-weight black-box tuning method (NMTune)", "our DG method SMOS", "Our method -- CMA --"; not
# "the recently proposed DFQ method", nor "we propose Loki and compare it with SimCLR"
_WE_NAME = re.compile(
    rf"\bwe{_GAP}(?:{_WORD}{_GAP}){{0,2}}?(?:propos|introduc|present|develop|devis|design|dub|call|nam"
    rf"|term|coin|come{_GAP}up{_GAP}with)\w*(?P<between>(?:{_GAP}{_WORD}){{0,8}}?){_GAP}$",
    re.IGNORECASE,
)
_OUR_NAME = re.compile(rf"\bour(?:{_GAP}{_WORD}){{0,3}}?{_GAP}$", re.IGNORECASE)
# words between a naming verb and a name that make it another's ("we propose Loki and compare it with X")
_ANOTHERS_BETWEEN = re.compile(
    r"\b(?:and|or|with|than|over|against|to|like|including|such|from|on|of|vs|versus|outperform\w*"
    r"|beat\w*|surpass\w*|unlike|compar\w*)\b",
    re.IGNORECASE,
)
# "a novel method (or the resulting model) X": the paper's own, unless the words between make it
# another's ("a novel method outperforming X"); not "new", as in "the new GPT-4"
_NOVEL = re.compile(rf"\b(?:novel|resulting)(?P<between>(?:{_GAP}{_WORD}){{0,3}}?){_GAP}$", re.IGNORECASE)
# "PoseDA, a simple yet effective framework": a name the paper praises as its own
_PRAISED = re.compile(
    r"^,\s+an?\s+(?:[\w-]+\s+){0,3}?(?:novel|new|simple|effective|unified|general|efficient|lightweight"
    r"|light-weight)\b",
    re.IGNORECASE,
)
# what writes a name as another's work just before it, in the same phrase: "improvement over SimCLR",
# "enhance DreamBooth", "the recently proposed DFQ"; not across a comma ("Unlike previous methods,
# FlowMix learns ..." is FlowMix's own), except in a list ("such as SVHN, CIFAR-10, and CIFAR-100")
_PHRASE_GAP = r"[\s\u2013\u2014-]+"
_PHRASE_WORD = r"[^\s,;:()\"'\u2013\u2014-]+"
_ANOTHERS_CUE = re.compile(
    rf"\b(?:(?:such\s+as|including|like|e\.g)(?:{_GAP}{_WORD}){{0,6}}?{_GAP}"
    r"|(?:over|than|outperform\w*|surpass\w*|beat\w*|compared\s+(?:to|with)|versus|vs|enhanc\w*|original"
    r"|existing|popular|released|state-of-the-art|baselines?|prior|previous|recent\w*|well-known|standard"
    rf"|conventional|vanilla|pre-?trained|off-the-shelf)(?:{_PHRASE_GAP}{_PHRASE_WORD}){{0,3}}?{_PHRASE_GAP})$",
    re.IGNORECASE,
)


def asked_work(question: str, name_like: Callable[[str], bool]) -> str:
    """The name of the work a question asks about in one of these forms ("t5" of "what is t5
    pretrained on?", "simclr" of "what is simclr's accuracy on imagenet?"); "" if none."""
    asked = _ASKED.match(question)
    if asked is None:
        return ""
    rest = _QUOTES.sub("", asked["rest"])
    possessive = _POSSESSIVE.search(rest)

    def is_name(term: str) -> bool:
        return name_like(term) or bool(_LETTERS_THEN_DIGITS.match(term))

    owner = KIND_OF_WORK.sub("", rest[: possessive.start()] if possessive else _MADE.sub("", rest))
    work = named_subject(owner, is_name)
    words = [word.strip(" ?.!,") for word in owner.split()]
    if [word.lower() for word in words[:1]] == ["the"]:
        words = words[1:]
    return work if work.split() == words else ""  # all of it a name: not "what is t5 good at?"


def mentioned_work(evidence: Evidence, embedder: Embedder) -> tuple[str, list[int]] | None:
    """For a question about a named work ("what is t5 pretrained on?") no paper found is about: that
    none introduces it, and the sentence of a paper found that mentions it best, cited, where two
    papers found write it or the one that does writes it as another's ("over SimCLR"); that none
    mentions a versioned name ("tulu 2") nor any word of it; None for another question, when a paper
    found is about it, or when the papers write it as a plain word (dropout, perplexity)."""
    query = evidence.query
    if query.is_list or query.sides or query.among or query.record_field or query.stands_for:
        return None
    papers = evidence.ranked_papers()
    if not papers or named_paper(papers) is not None or any(p.called for p in papers):
        return None
    question = plainly(query.text)  # "what exactly is bert?"
    work = asked_work(question, wordpiece_name_test(embedder.count_tokens)) or asked_work(
        question, _always_a_name(papers)
    )
    if not work:
        return None
    name = _exactly(work)
    add_sentences(papers, embedder)
    if any(_about(name, paper) for paper in papers) or coining_source(evidence, work):
        return None
    ranked = ranked_sentences(query, evidence.question_vector, papers)
    writing = [
        (score, paper, paper.sentences[position])
        for paper in papers
        for score, position in ranked.get(paper.number, [])
        if name.search(LINK.sub(" ", paper.sentences[position]))
    ]
    if not writing:
        return (f"The papers found never mention {work}.", []) if _unwritten(work, papers) else None
    sentences = [sentence for paper in papers for sentence in paper.sentences]
    if not written_as_a_name(name, sentences):
        return None
    writers = {paper.number: paper for _, paper, _ in writing}
    if len(writers) == 1 and not _as_anothers(_loosely(work), *writers.values()):
        return None  # a name one paper writes may be its own, unless it says it is not
    # a mention spelling the work out first ("Polytropon [Ponti et al., 2023] (Poly) jointly learns")
    _, paper, sentence = max(writing, key=lambda found: (_bracketed(name, found[2]), found[0]))
    written = name.search(LINK.sub(" ", sentence))
    assert written is not None  # chosen for writing it
    said = f'No paper found introduces {written[0]}; [{paper.number}] mentions it: "{sentence}"'
    return said, [paper.number]


def _always_a_name(papers: list[PaperText]) -> Callable[[str], bool]:
    """Whether the papers found write a term, one the vocabulary holds whole ("bert", "sam", "gemini"),
    as a name wherever they write it: BERT, RoBERTa, Gemini past a sentence's start; never as a plain
    word ("a video clip", "Attention" opening a sentence)."""

    def always_a_name(term: str) -> bool:
        written = False
        for text in (LINK.sub(" ", t) for paper in papers for t in paper.chunk_texts):
            for word in re.finditer(r"\S+", text):
                if term not in tokenize(word[0]):
                    continue
                form = word[0].strip("()[],.;:\"'")
                opening = not text[: word.start()].strip() or text[: word.start()].rstrip()[-1] in ".!?:"
                if not (NAME_FORM.search(form) or (form[:1].isupper() and not opening)):
                    return False
                written = True
        return written

    return always_a_name


# what defines the thing a sentence opens with, right after its name: "CLIP is an approach ...",
# "Knowledge distillation (KD) aims to ...", "LoRA, a popular method, ...", "Low-Rank Adaptations
# (LoRAs) have emerged as a powerful ... technique"
_DEFINES = re.compile(
    r"^\)?(?:\s*\([^()]{1,20}\))?(?:\s+(?:is|are)\s+(?:an?|the|one)\b|\s+refers?\s+to\b|\s+aims?\s+to\b"
    r"|\s+(?:is|are)\s+defined\s+as\b|,\s+an?\s"
    r"|\s+(?:has|have)\s+(?:recently\s+)?(?:emerged|become)\s+(?:as\s+)?(?:an?|the|one)\b)",
    re.IGNORECASE,
)
# what may stand before the thing a sentence opens with: an article, or its long form with the name
# in brackets ("Contrastive Language-Image Pre-training (CLIP) is ...")
_OPENS = re.compile(r"^\s*(?:(?:the|an?)\s+)?(?:[^.,;:()]{3,80}\()?$", re.IGNORECASE)


def defining_sentence(evidence: Evidence, embedder: Embedder) -> tuple[str, list[int]] | None:
    """For "what is X?" where no paper found is X (by its name, not by words of its title): the
    best-ranked sentence of a paper found that opens by saying what X is, with or without the kind
    of work asked ("Contrastive Language-Image Pre-training (CLIP) is an approach ...", "Consistency
    models are a nascent family ..."), cited, and its paper's number; None when none does."""
    query = evidence.query
    if not query.defined or query.is_list or query.sides or query.among:
        return None
    papers = evidence.ranked_papers()
    named = named_paper(papers)
    if not papers or (named and is_own_name(query.defined, named)) or any(p.called for p in papers):
        return None
    names = [_loosely(_QUOTES.sub("", form).strip()) for form in without_kind(query.defined)]
    add_sentences(papers, embedder)
    ranked = ranked_sentences(query, evidence.question_vector, papers)
    defining = [
        (score, paper.number, paper.sentences[position])
        for paper in papers
        for score, position in ranked.get(paper.number, [])
        if any(_defines(name, paper.sentences[position]) for name in names)
    ]
    if not defining:
        return None
    _, number, sentence = max(defining, key=lambda found: found[0])
    return f"{sentence.rstrip()} [{number}]", [number]


def _defines(name: re.Pattern[str], sentence: str) -> bool:
    """Whether a sentence opens with the name and says what it is ("CLIP is an approach ...")."""
    return any(
        _OPENS.match(sentence[: written.start()]) and _DEFINES.match(sentence[written.end() :])
        for written in name.finditer(sentence)
    )


def _bracketed(name: re.Pattern[str], sentence: str) -> bool:
    """Whether a sentence writes the name in brackets after the words it is short for ("Polytropon
    (Poly)"; not "vision + language (ALIGN) and language (BERT)")."""
    return any(
        (words := _before_brackets(sentence, w)) is not None and long_form(w[0], words) is not None
        for w in name.finditer(sentence)
    )


def _before_brackets(sentence: str, written: re.Match[str]) -> str | None:
    """The words before a name a sentence writes alone in brackets ("a tuning method" of "a tuning
    method (NMTune)"); None when it is not."""
    before, after = sentence[: written.start()], sentence[written.end() :]
    return before[:-1].rstrip() if before.endswith("(") and after.startswith(")") else None


def _as_anothers(name: re.Pattern[str], paper: PaperText) -> bool:
    """Whether a paper writes the name, a version of it too, as another's work ("improvement over
    SimCLR", "the state-of-the-art model LLaVA-13B")."""
    return any(_ANOTHERS_CUE.search(s[: m.start()]) for s in paper.sentences for m in name.finditer(s))


def _unwritten(work: str, papers: list[PaperText]) -> bool:
    """Whether a versioned name ("tulu 2") is written by none of the papers, nor any word of it
    ("openai" of "openai o1"), nor a variant of it ("GPT-3.5-turbo", "MobileNet-V1")."""
    words = [folded(word) for word in work.split() if len(word) > 2 and not word.isdigit()]
    texts = [folded(t) for paper in papers for t in (paper.title, *paper.sentences)]
    written = any(part in text for part in [folded(work), *words] if part for text in texts)
    return bool(re.search(r"\d", work)) and not written


def _loosely(work: str) -> re.Pattern[str]:
    """The work's name as texts write it (`written_name`), singular or plural, a version of it too."""
    singular = re.sub(r"(?<=[a-z]{5})(?<![su])s$", "", work, flags=re.IGNORECASE)  # hypernetworks
    return written_name(singular, plural=True)


def _exactly(work: str) -> re.Pattern[str]:
    """The work's name as texts write it, singular or plural, not a version of it ("blip": not BLIP-2)."""
    return re.compile(_loosely(work).pattern + r"(?!-\w)", re.IGNORECASE)


def _about(name: re.Pattern[str], paper: PaperText) -> bool:
    """Whether a paper is about the work named: its own name, in its title, or the name it gives its
    own work in a sentence ("we then propose ... (NMTune)")."""
    own = own_names(paper)
    if any(name.fullmatch(o) for o in own) or name.search(paper.title):
        return True
    return any(names_own_work(sentence, name, own) for sentence in paper.sentences)


def names_own_work(sentence: str, name: re.Pattern[str], own: list[str]) -> bool:
    """Whether a sentence names its paper's own work so: after "we propose", "our" ("our DG method
    SMOS"), "novel" or "resulting", praised as new ("PoseDA, a simple yet effective framework"), or
    in brackets in a sentence about its own work ("we", "our", the paper's own name), short for the
    words before it or after a kind of work ("Severity-Aware Visual Prompt Tuning (SAVPT)", "a
    tuning method (NMTune)"), not one of a list ("vision + language (BERT)")."""
    written = name.search(sentence)
    if written is None:
        return False
    before, after = sentence[: written.start()], sentence[written.end() :]
    for naming in (_WE_NAME, _NOVEL):
        named = naming.search(before)
        if named and not _ANOTHERS_BETWEEN.search(named["between"]):
            return True
    if _OUR_NAME.search(before) or _PRAISED.match(after):
        return True
    words = _before_brackets(sentence, written)
    if words is None:
        return False
    about_own = _OWN.search(sentence) or any(o in sentence for o in own if not name.fullmatch(o))
    # a name for the words before it, not one of a list ("language (BERT)")
    return bool(about_own) and (long_form(written[0], words) is not None or bool(KIND_OF_WORK.search(words)))


def written_as_a_name(name: re.Pattern[str], sentences: list[str]) -> bool:
    """Whether the papers write the work as a name: a capital inside it or a digit (DreamBooth, T5),
    or a capital first where no sentence begins (Vicuna); not a plain word (dropout, perplexity)."""
    for sentence in (LINK.sub(" ", s) for s in sentences):
        for written in name.finditer(sentence):
            text = written[0]
            if NAME_FORM.search(text):
                return True
            if text[:1].isupper() and sentence[: written.start()].strip():
                return True
    return False
