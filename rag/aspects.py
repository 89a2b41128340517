"""What an abstract seldom states about its own paper: its limitations, its future work, its
advantages as such, its code, its hardware, a count ("how many parameters does X have?"), a metric,
what it uses, and whether it beats a paper it never names. A question asking for one of them about
a named paper is answered from the sentences of that paper stating it, or (limitations, future
work, code, hardware, a count, a metric, a thing it uses) by saying that its abstract does not state
it; never with a sentence about something else (a capability quoted for "what are the limitations
of model soups?")."""

from __future__ import annotations

import re
from collections.abc import Callable

from .citations import PaperText
from .contribution import background, own_names
from .decide import wordpiece_name_test
from .embeddings import Embedder
from .evidence import LINK, Evidence
from .expansion import initials, spelled_out
from .extractive import named_paper
from .library.acronyms import SMALL_WORDS
from .library.keyword import tokenize
from .library.names import title_names
from .query import CODE_TOPIC, Aspect
from .sentences import add_sentences
from .yesno import UNSAID

# Advantages an abstract states as such ("This design offers three key advantages: ...", "MetaShift
# has two important benefits: ..."); one that states none still shows them in its results, so the
# question is then answered as any other, not with "does not state".
_ADVANTAGES = re.compile(
    r"\b(?:offers?|has|have|provides?|brings?|with|combines?|enjoys?)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:advantages|benefits|strengths)\b",
    re.IGNORECASE,
)
_ANNOUNCING = re.compile(r"\b(?:advantages|benefits|strengths)\s*[.:]?\s*$", re.IGNORECASE)
# A sentence stating it of the paper's own work, in the few ways abstracts do ("a limitation of our
# approach", "we discuss its limitations", "we leave X to future work"). Not looser cues: of the
# bundled corpus's 122 sentences writing "limitations", "fails to", "struggles" or "trade-off", a
# sample of 12 read one by one had none stating a limitation of the paper's own work ("to address
# these limitations, we propose ..."); nor "does not": it mostly says what a method avoids.
_OWN = r"(?:our|this|the proposed|its)\s+(?:[\w-]+\s+){0,3}?"
# code as what is released, not as data or a task ("trained on code", "writing code", "code generation")
_CODE_ITSELF = (
    r"(?<!\bon\s)(?<!\bwriting\s)(?<!\bgenerating\s)(?<!\bgenerate\s)"
    rf"\b(?:code|codebase)\b{CODE_TOPIC}"
)
_SPAN = r"(?:(?!\bbut\b|\bnot\b|\bunlike\b)[^.;])"  # within one clause: no "but", no "not"
_NEGATION = r"(?:\bnot\b|n't\b|\bnever\b|\bcannot\b)"
_NOT = rf"(?![^.;]*{_NEGATION})"
_CODE_HOSTS = r"\b(?:github\.com|gitlab\.com|bitbucket\.org|huggingface\.co|hf\.co|4open\.science)\b"
_STATED: dict[Aspect, re.Pattern[str]] = {
    "limitations": re.compile(
        rf"\blimitations? of {_OWN}|\b{_OWN}(?:is|are|remains?)\s+limited\b|\b{_OWN}(?:fails|struggles)\b"
        r"|\bwe (?:also )?(?:discuss|analy[sz]e|acknowledge)\s+(?:[\w-]+\s+){0,2}"
        r"(?:limitations|weaknesses|failure (?:cases|modes))\b"
        r"(?!\s+(?:of|with|in)\s+(?:these|existing|previous|prior|current|other))",
        re.IGNORECASE,
    ),
    "advantages": _ADVANTAGES,
    "future work": re.compile(
        r"\b(?:we leave|left (?:for|to) future|in future work|as future work"
        r"|future work (?:will|should|could|may))\b"
        r"|\bwe (?:also )?(?:discuss|outline|suggest|point out)\s+(?:[\w-]+\s+){0,3}?"
        r"(?:future (?:work|research|directions?)|open (?:problems|questions))\b",
        re.IGNORECASE,
    ),
    # where its code is, or that it is (to be) released: a link to a code host, or code said available
    "code": re.compile(
        rf"{_CODE_HOSTS}"
        rf"|\b(?:code|codes|codebase|implementations?)\b{CODE_TOPIC}[^.]*"
        r"\b(?:available|release[sd]?|open[- ]?sourced?|public(?:ly)?|accessible)\b"
        rf"|\b(?:release|open[- ]?source)\s+(?:[\w-]+\s+){{0,3}}?{_CODE_ITSELF}\b(?!-)"
        # "we release our data, models and code", "we release the complete recipe -- including ...
        # the training code", "fully-open models, alongside its data, code"; not "released, but the
        # code is not", nor "released LLMs excel at writing code"
        r"|\b(?:we|i)\s+(?:also\s+)?(?:publicly\s+)?(?:releas(?:e|ed)|open[- ]?sourced?)\b"
        rf"{_SPAN}{{0,80}}?{_CODE_ITSELF}{_NOT}"
        rf"|\breleas\w*\b{_SPAN}*?\bincluding\b{_SPAN}*?{_CODE_ITSELF}{_NOT}"
        # "We open source our models and several comparisons" (Primer): open-sourcing what it built
        r"|\b(?:we|i)\s+(?:also\s+)?open[- ]?sourced?\s+(?:our|the|all)\s+(?:[\w-]+\s+){0,2}?"
        rf"(?:models?|weights|checkpoints|implementations?)\b(?!'?\s+(?:cards?|predictions|outputs)\b){_NOT}"
        rf"|\bfully[- ]open\b{_SPAN}{{0,80}}?\b(?:its|their|our)\s+(?:[\w-]+,?\s+){{0,3}}?"
        rf"{_CODE_ITSELF}{_NOT}",
        re.IGNORECASE,
    ),
    # the hardware it runs or was trained on, or is meant for; not a link's "nvidia", a cost ("GPU
    # hours", "GPU memory") or a quality ("hardware-aware", "accelerator-free")
    "hardware": re.compile(
        r"(?<![\w/.])(?:GPUs?|TPUs?|CPUs?|(?-i:NVIDIA|[AHV]100s?|A6000s?|RTX\s?\d{4}s?)|FPGAs?|accelerators?"
        r"|hardware|(?:mobile|edge)\s+devices?|smartphones?|laptops?)(?!\w)(?!-(?:aware|agnostic|friendly|free)\b)"
        r"(?![\s*/-]*(?:hours?|hrs?|days?|memory|time|budgets?|costs?|utili[sz]ation|usage)\b)",
        re.IGNORECASE,
    ),
}
# A page of the paper's own (a project page, a demo), where its code may be: quoted when no sentence
# states the code, without a verdict.
_OWN_PAGE = re.compile(r"\b(?:project|home)\s*(?:page|website|site|link)\b[^.]*https?://", re.IGNORECASE)
# code said not to be released, in the code's own clause ("the weights are released, but the training
# code is not", "we cannot release our code", "but not our code"); never beside a link to a code host
_WITHHELD = re.compile(
    rf"{_NEGATION}\s+(?:[\w-]+\s+){{0,3}}?"
    r"(?:releas\w*|available|open[- ]?sourc\w*|public\w*|shar(?:e|ed|ing))\b"
    rf"|\b(?:is|are|was|were)\s+{_NEGATION}\s*(?:[.;,]|$)"
    r"|\bnot\s+(?:our|the|its|their|any)\s+(?:[\w-]+\s+)?code\b",
    re.IGNORECASE,
)
_CODE_HOST = re.compile(_CODE_HOSTS, re.IGNORECASE)


def _not_released(sentence: str) -> bool:
    """Whether a sentence says its code is not released, in a clause that writes the code."""
    if _CODE_HOST.search(sentence):
        return False
    clauses = re.split(r";|,?\s+(?:but|while|whereas|although|though|yet)\b", sentence, flags=re.IGNORECASE)
    return any(re.search(_CODE_ITSELF, c, re.IGNORECASE) and _WITHHELD.search(c) for c in clauses)


_UNSTATED: dict[Aspect, str] = {
    "limitations": "state its limitations",
    "future work": "mention future work",
    "code": "mention its code",
    "hardware": "mention the hardware it runs on",
}


def stated(paper: PaperText, aspect: Aspect) -> list[str]:
    """The sentences of a paper (split already) stating the aspect of its own work, in order; one
    announcing them ("InstaTune has multiple benefits.") with the sentence after it."""
    scene = background(paper)
    positions = [
        position
        for position, sentence in enumerate(paper.sentences)
        if position not in scene
        and _STATED[aspect].search(sentence)
        and not (aspect == "code" and _not_released(sentence))  # "our code is not public": no release
    ]
    announced = [p + 1 for p in positions if _ANNOUNCING.search(paper.sentences[p])]
    return [paper.sentences[p] for p in sorted(set(positions + announced)) if p < len(paper.sentences)]


def unstated(aspect: Aspect, number: int) -> str:
    """The answer when the abstract of source `number` does not state the aspect."""
    return f"The abstract of [{number}] does not {_UNSTATED[aspect]}."


def aspect_answer(evidence: Evidence, embedder: Embedder) -> tuple[str, list[int]] | None:
    """The answer to a question asking for an aspect of the one paper it names (a yes/no one opens
    with its verdict), or of each paper it compares or asks about (a line each), and the papers'
    numbers; None when it asks for none or names no paper."""
    aspect = evidence.query.aspect
    if aspect is None:
        return None
    if len(evidence.sides) >= 2:
        return _each_aspect(evidence, aspect, embedder)
    paper = named_paper(evidence.ranked_papers())
    if paper is None:
        return None
    add_sentences([paper], embedder)
    sentences = stated(paper, aspect)
    if not sentences and aspect not in _UNSTATED:
        return None
    if not sentences and aspect == "code" and (pages := [s for s in paper.sentences if _OWN_PAGE.search(s)]):
        return _said(pages, aspect, paper.number), [paper.number]
    if not sentences and aspect == "code" and (withheld := [s for s in paper.sentences if _not_released(s)]):
        return _said(withheld, aspect, paper.number), [paper.number]  # "... but the code is not": no verdict
    text = _said(sentences, aspect, paper.number)
    if evidence.query.kind == "yesno":
        text = f"{'Yes.' if sentences else UNSAID} {text}"
    return text, [paper.number]


def _each_aspect(evidence: Evidence, aspect: Aspect, embedder: Embedder) -> tuple[str, list[int]] | None:
    """What each compared paper's abstract states of an aspect ("what are their limitations?"), or
    that it states none, a line a paper under its side's name; None for an aspect whose absence
    says nothing (advantages: the comparison's sentences show them)."""
    if aspect not in _UNSTATED:
        return None
    papers = {p.number: p for p in evidence.ranked_papers() if p.number in evidence.sides}
    add_sentences(list(papers.values()), embedder)
    lines = [
        f"- {side}: {_said(stated(papers[n], aspect), aspect, n)}"
        for n, side in evidence.sides.items()
        if n in papers
    ]
    return ("\n".join(lines), [n for n in evidence.sides if n in papers]) if lines else None


def _said(sentences: list[str], aspect: Aspect, number: int) -> str:
    """The sentences of source `number` stating the aspect, cited, or that its abstract states none."""
    return " ".join(f"{s.rstrip()} [{number}]" for s in sentences) if sentences else unstated(aspect, number)


# "is A better than B?", "is A more efficient than B?", "which is faster, A or B?", "does A outperform
# B?" (not "how do A and B differ in getting better accuracy?")
_WHICH_BETTER = re.compile(
    r"\b(?:better|worse|faster|slower|stronger|superior|cheaper|smaller|(?:more|less)\s+(?:efficient|accurate|"
    r"effective|robust|scalable|expensive|powerful|stable|reliable|capable))\s+(?:than|to)\b"
    r"|(?:^\W*|[,:]\s*|^\W*between\b[^?]*\s)(?:which|who)\b[^?]*\b(?:better|worse|faster|slower|best|fastest|"
    r"more\s+accurate)\b"
    r"|\b(?:outperforms?|beats?)\b",
    re.IGNORECASE,
)


def uncompared(evidence: Evidence) -> tuple[str, str] | None:
    """For "is A better than B?" of the two papers found: their names, when neither abstract writes
    the other's name (neither says which is better); else None."""
    if len(evidence.sides) != 2 or not _WHICH_BETTER.search(evidence.query.text):
        return None
    (first, a), (second, b) = evidence.sides.items()
    one, other = evidence.papers.get(first), evidence.papers.get(second)
    if one is None or other is None:
        return None
    names = _names_of(a, one), _names_of(b, other)
    if _writes_any(one, names[1]) or _writes_any(other, names[0]):
        return None
    return names[0][-1], names[1][-1]  # as the titles write them, else as asked


def _names_of(side: str, paper: PaperText) -> list[str]:
    """What a paper may be called by in another abstract: the side as asked, its title's short name
    (last: the name it is shown by), else (a title without one, asked by it) the names it coins."""
    titled = title_names(paper.title)[:1]
    names = titled or own_names(paper)
    # the side as the paper writes it, if it is one of its names ("zero": ZeRO)
    as_asked = [] if side.casefold() in {name.casefold() for name in names} else [side]
    return [*as_asked, *names]


def _writes_any(paper: PaperText, names: list[str]) -> bool:
    """Whether a paper's text writes any of the names, a variant too ("DataComp-1B" of DataComp; not
    "zeroed" of ZeRO, "evaluation" of EVA); a name with capitals inside in its own case ("ZeRO", not
    "zero-shot")."""
    return any(
        re.search(
            rf"(?<![\w-]){re.escape(name)}(?![a-z])", text, re.NOFLAG if _cased(name) else re.IGNORECASE
        )
        for text in paper.chunk_texts
        for name in names
    )


def _cased(name: str) -> bool:
    """Whether a name's case tells it from a word: one short word with a capital after its first
    letter (ZeRO, CLIP, FiVE; not "DataComp", which another abstract may write "Datacomp")."""
    return name.isalpha() and len(name) <= 6 and any(c.isupper() for c in name[1:])


# "how many training images does X use?": what is counted, up to the verb ("training images")
_HOW_MANY = re.compile(
    r"\bhow\s+many\s+(?P<counted>[\w-]+(?:\s+[\w-]+){0,2}?)\s+"
    r"(?:do|does|did|is|are|was|were|has|have|had|can|could|will|would)\b",
    re.IGNORECASE,
)
MAX_NAME_WORDS = 4  # what a count is asked of, at most: a name ("gemini 1.5 pro"), not a description
# a number as abstracts write one: digits, or a number word ("four GPU hours", "a single GPU")
_NUMBER = (
    r"(?:\d[\d.,]*\s*[kmbt]?|single|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    r"thirty|forty|fifty|hundreds?|thousands?|millions?|billions?|trillions?|dozens?)"
)


# "what accuracy does X reach on ImageNet?", "what is the FID of X?", "what top-1 accuracy does X get?"
_METRIC_ASKED = re.compile(
    r"^\s*(?:and\s+)?what(?:'s|\s+is|\s+was)?\s+(?:the\s+|its\s+|their\s+)?(?:top-[15]\s+)?"
    r"(?P<metric>accuracy|fid|bleu|rouge(?:-l)?|f1|perplexity|win[\s-]+rate|psnr|ssim|auroc|auc|(?-i:m?AP|MAP))"
    r"\s+(?:does|did|do|of|for|on|score)\b",
    re.IGNORECASE,
)
# how an abstract writes each metric with its figure ("mAP95", "top-1", "PPL", "sacreBLEU")
_METRIC_WRITTEN = {
    "accuracy": r"accura\w*|\bacc\b|\btop-?[15]\b|\d\s*%",
    "map": r"(?-i:\bm?AP|\bMAP\b)|mean average precision",
    "ap": r"(?-i:\bm?AP|\bMAP\b)|mean average precision",
    "win rate": r"win[\s-]+rates?",
    "win-rate": r"win[\s-]+rates?",
    "perplexity": r"perplexit\w*|\bppl\b",
    "bleu": r"bleu",
    "auc": r"\bauc\b|\bauroc\b",
    "auroc": r"\bauc\b|\bauroc\b",
}


def _asked_of_named(
    pattern: re.Pattern[str], evidence: Evidence, embedder: Embedder
) -> tuple[re.Match[str], PaperText] | None:
    """Where the question matches `pattern`, and the one paper it names, its sentences split; None
    for a list, a question the pattern does not match, or one naming no one paper."""
    asked = pattern.search(evidence.query.text)
    paper = named_paper(evidence.ranked_papers()) if asked and not evidence.query.is_list else None
    if asked is None or paper is None:
        return None
    add_sentences([paper], embedder)
    return asked, paper


def missing_metric(evidence: Evidence, embedder: Embedder) -> tuple[str, list[int]] | None:
    """For "what accuracy does P reach?" ("what is the FID of P?", BLEU, mAP ...) of the one paper it
    names, when no sentence of P's abstract (nor its title) writes that metric (as abstracts write
    it: "mAP95", "PPL"; for accuracy, a percentage or a top-1 too) with a number: that its abstract
    states none, and P's number; else None (the figure is quoted as any is)."""
    found = _asked_of_named(_METRIC_ASKED, evidence, embedder)
    if found is None:
        return None
    asked, paper = found
    metric = asked["metric"]
    written = _METRIC_WRITTEN.get(metric.casefold(), rf"\b{re.escape(metric)}\b")
    texts = [paper.title, *paper.sentences]
    if any(re.search(written, t, re.IGNORECASE) and re.search(r"\d", t) for t in texts):
        return None
    return f"The abstract of [{paper.number}] states no {metric} figure.", [paper.number]


# "does X use Y?", "does X rely on Y?", "did X train on Y?": what it asks whether X uses (Y)
_USES_ASKED = re.compile(
    r"^\s*(?:and\s+)?(?:does|do|did)\s+(?P<subject>.+?)\s+(?:use|rely\s+on|require|need|employ|leverage|"
    r"apply|include|involve|incorporate|support|(?:train|evaluate|test)\s+on)\s+(?:an?\s+|the\s+|any\s+)?"
    r"(?P<used>[^?,;]+?)\s*\?*\s*$",
    re.IGNORECASE,
)


def unmentioned(evidence: Evidence, embedder: Embedder) -> tuple[str, list[int]] | None:
    """For "does P use Y?" of the paper P the question names by its name, when P's abstract (and
    title) writes none of Y's distinctive words (in any form: "pretrained" is "pre-trained"), nor
    Y's acronym, nor, for an acronym, words spelling it out: that the abstracts don't say, P's
    abstract not mentioning Y, and P's number; else None (a sentence writing Y settles it, or is
    quoted, as for any yes/no question)."""
    if evidence.query.kind != "yesno":
        return None
    found = _asked_of_named(_USES_ASKED, evidence, embedder)
    if found is None:
        return None
    asked, paper = found
    if not _called(asked["subject"], paper):  # "does zero shot quantization use ...?" is no question of ZeRO
        return None
    used = asked["used"].strip()
    terms = _terms(used) - _terms(asked["subject"]) - _GENERIC
    texts = [paper.title, *paper.sentences]
    if not terms or _mentions(texts, used, terms):
        return None
    return f"{UNSAID} The abstract of [{paper.number}] does not mention {used}.", [paper.number]


# words a thing used is described with rather than named by ("a LoRA approach", "some kind of X")
_GENERIC = frozenset(
    tokenize(
        "model models method methods approach approaches framework frameworks network networks data "
        "technique techniques system systems algorithm algorithms kind type sort some any own way ways "
        "tool tools strategy strategies module modules component components paper"
    )
)


def _terms(text: str) -> set[str]:
    """A text's terms, also as written without the hyphens inside words ("pre-trained": "pretrained")
    and with a word's capitals apart ("BatchNorm": "batch", "norm")."""
    unhyphenated = re.sub(r"(?<=\w)-(?=\w)", "", text)
    return set(tokenize(text)) | set(tokenize(unhyphenated)) | set(tokenize(_apart(text)))


def _apart(text: str) -> str:
    """A text with the capitals inside its words apart ("BatchNorm": "Batch Norm")."""
    return re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", text)


def _called(subject: str, paper: PaperText) -> bool:
    """Whether a question's subject is the paper's name (its title's short name, one it coins), or
    its title."""
    written = _terms(subject) - _GENERIC  # "the GPTQ method"
    return bool(written) and any(written <= _terms(name) for name in [*own_names(paper), paper.title])


def _mentions(texts: list[str], used: str, terms: set[str]) -> bool:
    """Whether texts write any of a phrase's distinctive terms, or its acronym ("RL" for
    "reinforcement learning"), or, for an acronym, words spelling it out ("large language models"
    for "LLMs"): a chance match only keeps a sentence quoted, never claims an absence wrongly."""
    written = set().union(*(_terms(text) for text in texts))
    pieces = set(tokenize(_apart(used))) - set(tokenize(used))  # "norm" of "BatchNorm"
    if terms & written or any(_shortened(t, w) for t in pieces for w in written):
        return True
    if any(_noun_of(t, w) for t in terms for w in written):  # "distillation" of "we distill"
        return True
    # its acronym, as written ("LoRA" for "low-rank adaptation", "LLMs" for "language models")
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", used) if w.casefold() not in SMALL_WORDS]
    if len(words) >= 2:
        letters = "".join(w[0] for w in words).upper()
        acronyms = {initials(w) for text in texts for w in re.findall(r"[A-Za-z][\w-]*", text)} - {""}
        if any(a.endswith(letters) for a in acronyms):
            return True
    short = re.sub(r"s$", "", used) if len(used.split()) == 1 else ""
    return short.isalpha() and len(short) <= 5 and any(spelled_out(short.upper(), t) for t in texts)


def _noun_of(term: str, written: str) -> bool:
    """Whether a term asked about is the noun of a written verb ("distillation" of "distilled",
    "quantization" of "quantized", "augmentation" of "augmented"; not "contrastive" of "contrast",
    "learning" of "learn", nor "normalization" of the adjective "normal")."""
    stems = {written} | {written[: -len(end)] for end in _VERB_ENDINGS if written.endswith(end)}
    return any(len(stem) >= 4 and term == stem + ending for stem in stems for ending in _NOUN_ENDINGS)


_VERB_ENDINGS = ("e", "es", "ed", "ing", "s")
_NOUN_ENDINGS = ("ation", "ion", "ment")


def _shortened(term: str, written: str) -> bool:
    """Whether a short piece of a name asked about (four or five letters: "norm" of "BatchNorm") is a
    written word shortened ("normalization"); not a written word shortening a long one ("contrast"
    is no "contrastive"), nor a word of a phrase ("rank" of "low-rank" is no "ranking")."""
    return 4 <= len(term) <= 5 and len(written) > len(term) and written.startswith(term)


def missing_count(evidence: Evidence, embedder: Embedder) -> tuple[str, list[int]] | None:
    """For "how many X does P ...?" of the one paper it names, when no sentence of P's abstract (nor
    its title) gives a number of X: that its abstract states none, and P's number; of a name no paper
    is called by ("how many parameters does gpt-4 have?"), `missing_count_of_name`; else None (the
    count is quoted as any answer is)."""
    found = _asked_of_named(_HOW_MANY, evidence, embedder)
    if found is None:
        return missing_count_of_name(evidence, embedder)
    asked, paper = found
    counted, amount = _amount_of(asked)
    if any(amount.search(text) for text in [paper.title, *paper.sentences]):
        return None
    return f"The abstract of [{paper.number}] states no number of {counted}.", [paper.number]


def _amount_of(asked: re.Match[str]) -> tuple[str, re.Pattern[str]]:
    """What "how many X" counts (the head noun: "images" of "training images"), and a number of it as
    a text writes one (any form of the noun: parameter(s), gpu(s))."""
    counted = asked["counted"].split()[-1]
    stem = re.sub(r"(?<=\w{3})(?:es|s)$", "", counted.lower())
    # "70B-parameter" too; not a rate ("2 bits per parameter")
    written = rf"\b{_NUMBER}(?:\s+(?:(?!per\b)[\w-]+\s+){{0,2}}?|-){re.escape(stem)}"
    return counted, re.compile(written, re.IGNORECASE)


# what follows "how many X does/are" before the thing counted in: "in", "the"
_COUNTED_IN = re.compile(r"^\s*(?:(?:in|on|of|for|within|inside)\s+)?(?:the\s+)?", re.IGNORECASE)


def missing_count_of_name(evidence: Evidence, embedder: Embedder) -> tuple[str, list[int]] | None:
    """For "how many X does NAME have?" ("how many tasks are in superglue?") where NAME is a name no
    paper found is called by (a model, a dataset the papers only mention): when no sentence of the
    papers found writes the name (as written, its version too: "Llama 2", not "LLaMA") with a number of
    X, that they state none (citing the first paper that writes the name, if one does), rather than a
    sentence with another model's number (GPT models' 175 billion parameters for GPT-4); else None."""
    asked = _HOW_MANY.search(evidence.query.text)
    papers = evidence.ranked_papers()
    if (
        asked is None
        or evidence.query.is_list
        or named_paper(papers) is not None
        or any(p.called for p in papers)
    ):
        return None
    name_like = wordpiece_name_test(embedder.count_tokens)
    subject = named_subject(evidence.query.text[asked.end() :], name_like)
    if not subject:
        return None
    name = written_name(subject)
    add_sentences(papers, embedder)
    counted, amount = _amount_of(asked)
    texts = {p.number: [LINK.sub(" ", t) for t in [p.title, *p.sentences]] for p in papers}
    writing = [p for p in papers if any(name.search(t) for t in texts[p.number])]
    if any(name.search(t) and amount.search(name.sub(" ", t)) for p in writing for t in texts[p.number]):
        return None
    if not writing:
        return f"The papers found state no number of {counted} for {subject}.", []
    first = writing[0].number
    return f"The papers found state no number of {counted} for {subject}; [{first}] mentions it.", [first]


def named_subject(rest: str, name_like: Callable[[str], bool]) -> str:
    """What a question is asked of, when the rest of it opens with a name ("how many X does/are ...",
    "what is ..."): its words up to the first that is none ("gpt-3" of "gpt-3 require?", "llama 2" of
    "in llama 2?"); "" when it names nothing."""
    words = _COUNTED_IN.sub("", rest.strip(" ?.!"), count=1).split()
    named: list[str] = []
    for word in words[:MAX_NAME_WORDS]:
        terms = tokenize(word)
        if not terms or not (any(map(name_like, terms)) or any(t[0].isdigit() for t in terms)):
            break
        named.append(word.strip(" ?.!,"))
    return " ".join(named) if any(name_like(t) for w in named for t in tokenize(w)) else ""


def written_name(subject: str, *, plural: bool = False) -> re.Pattern[str]:
    """A name as texts write it, in any case, its parts run together or hyphenated ("llama 2": Llama 2,
    LLaMA-2, llama2), a variant of it too ("laion": LAION-5B; "bert": BERT-large), not a longer name
    ("gpt-4": not GPT-4o; "bert": not Sentence-BERT)."""
    parts = [re.escape(part) for part in re.split(r"[\s-]+", subject) if part]
    joined = r"[\s-]*".join(parts)
    ending = "s?" if plural else ""  # "EfficientNets" of "efficientnet", when asked
    return re.compile(rf"(?<![\w-]){joined}{ending}(?!\w|\.\d)", re.IGNORECASE)
