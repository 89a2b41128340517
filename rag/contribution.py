"""Which sentences of an abstract say what the paper itself contributes, and which set the scene
(background: the field, earlier work, the problem) before it does."""

from __future__ import annotations

import re

from .citations import PaperText
from .library.names import coined_names, title_names

# A sentence saying what the paper proposes, finds or achieves.
CONTRIBUTION = re.compile(
    r"\b(we|our|this (paper|work|study)|here)\b[^.]{0,80}\b(propos|introduc|present|develop|design|show|"
    r"find|found|demonstrat|achiev|outperform|improv|reduc|enabl|offer|establish|provid)\w*",
    re.IGNORECASE,
)
# A sentence reporting what was found or achieved ("we find that ...", "experiments show ...",
# "X outperforms ...", "achieves 70.8%"): a paper's findings, past its background.
FINDING = re.compile(
    r"\b(?:show|shows|showed|shown|find|finds|found|observe[sd]?|reveal\w*|demonstrat\w*|indicat\w*"
    r"|suggest\w*|confirm\w*|outperform\w*|surpass\w*|achiev\w*|attain\w*|speed-?ups?|improv\w*|reduc\w*"
    # "competitive" as a result ("competitive with", "competitive performance"), not a kind of game
    # or method ("competitive MARL", "competitive distillation")
    r"|new state-of-the-art|comparabl[ey]|negligible|superior|performs?\s+(?:well|strongly|best)"
    r"|competitive(?=\s+(?:with|to|against|in|performances?|results?|accuracy|quality|scores?)\b|\s*[.,;:)]|$)"
    r"|(?:better|faster|higher|lower|fewer)\s+(?:[\w-]+\s+){0,3}?than)\b|\d\s*(?:%|x\b|\u00d7)",
    re.IGNORECASE,
)
# What the work is for or how it works, not what it found: "to reduce", "designed to further
# improve", "by reducing"
_PURPOSE = re.compile(r"\b(?:to|by)\s+(?:\w+ly\s+|further\s+)?$", re.IGNORECASE)
# A sentence presenting what the paper proposes, which says what it is for, not what it found ...
PROPOSING = re.compile(
    r"\b(?:we|this (?:paper|work|study))\s+(?:\w+,?\s+)?(?:propose|introduce|present|develop|design)[sd]?\b"
    r"|\b(?:is|are)\s+(?:proposed|introduced)\b",
    re.IGNORECASE,
)
# ... unless it also reports one: "We present X and show that it outperforms ...", "achieves 90%"
_REPORTED = re.compile(r"\b(?:show|find|demonstrate|reveal)s?\s+that\b|\d\s*%", re.IGNORECASE)
# A sentence reporting how the paper was evaluated: its experiments, benchmarks or datasets, what it
# is compared with, a metric ("Experiments on COCO show ...", "relative to previously-proposed
# methods", "98.44 % mAP on the MMSports 2022 ... challenge")
_EVALUATION_REPORT = re.compile(
    r"\b(?:experiment\w*|evaluat\w*|benchmark\w*|datasets?|empirical(?:ly)?|tested|baselines?|ablations?"
    r"|compared?\s+(?:to|with|against)|comparisons?\s+with|relative\s+to|outperform\w*|surpass\w*"
    r"|state-of-the-art|accuracy|(?-i:mAP|FID|BLEU|ROUGE|F1)|perplexity|win\s+rates?)\b",
    re.IGNORECASE,
)
# A speed or time a sentence reports: "3.25x speedups", "faster", "real-time", "latency", "within a
# few hours", "in less than 30s", "four GPU hours", "30 fps", "3 hours of training"; not "50 hours
# of video", "the 1990s", "ResNet-50s"
_TIME_UNITS = r"(?:GPU[- ])?(?:hours?|hrs?|minutes?|mins?|seconds?|secs?|days?)"
_SPEED_REPORT = re.compile(
    r"\b(?:fast(?:er|est)?|speed(?:s|up|ups|-up|-ups)?|quick(?:er|ly)?|latency|throughput|real-time|runtime|"
    r"wall-clock|accelerat(?:e|es|ed|ing|ion))\b"
    rf"|(?:(?<![\w.])(?<![A-Za-z]-)\d[\d.,]*\s*(?:[A-Z]\d+\s+)?(?:{_TIME_UNITS}|ms|milliseconds?|fps)"
    rf"|(?<![\w.])(?<![A-Za-z]-)(?<!the\s)\d{{1,3}}(?:\.\d+)?\s*s"
    rf"|\b(?:a\s+few|several|few|one|two|three|four|five|six|seven|eight|nine|ten)\s+{_TIME_UNITS})"
    r"\b(?!\s+of\b(?!\s+(?:training|compute|computation|fine-tuning|pre-?training|inference)\b))",
    re.IGNORECASE,
)
# A sentence about the paper's own work: its authors, "this paper", or (below) the paper's name.
_OWN = re.compile(
    r"\b(we|our|ours|us|here|this (paper|work|study|article|report|research)|the present (paper|work|study)|"
    r"the proposed)\b",
    re.IGNORECASE,
)
# How a sentence about other work or the field opens ("Recently, ...", "Existing methods ...").
_SCENE = re.compile(
    r"^\W*(recent(ly)?|in recent years|nowadays|however|existing|traditional(ly)?|prior|previous(ly)?|"
    r"conventional(ly)?|current(ly)?|despite|although|while|most (existing|previous|prior|current))\b",
    re.IGNORECASE,
)


def _only_proposes(sentence: str) -> bool:
    """Whether a sentence presents what the paper proposes without reporting what it found."""
    return bool(PROPOSING.search(sentence)) and not _REPORTED.search(sentence)


def reports_finding(sentence: str) -> bool:
    """Whether a sentence reports what was found or achieved, rather than proposing something or
    saying what it is for."""
    found = any(not _PURPOSE.search(sentence[: m.start()]) for m in FINDING.finditer(sentence))
    return found and not _only_proposes(sentence)


def reports_evaluation(sentence: str) -> bool:
    """Whether a sentence reports how the paper was evaluated (its experiments, benchmarks, what it
    is compared with, a metric), rather than proposing something."""
    return bool(_EVALUATION_REPORT.search(sentence)) and not _only_proposes(sentence)


def reports_speed(sentence: str) -> bool:
    """Whether a sentence says how fast something runs or how long it takes."""
    return bool(_SPEED_REPORT.search(sentence))


def reports_outcome(sentence: str) -> bool:
    """Whether a sentence reports what the work found, how it was evaluated or how fast it runs,
    rather than how it works."""
    return reports_finding(sentence) or reports_evaluation(sentence) or reports_speed(sentence)


def own_names(paper: PaperText) -> list[str]:
    """The names a paper gives itself: its title's head ("ZeroQ") and the acronyms it coins in a
    sentence about its own work ("we introduce a dataset (CrossNER)"; not the field's "named entity
    recognition (NER)")."""
    coined = [name for s in paper.all_sentences() if _OWN.search(s) for name in coined_names(s)]
    return [name for name in dict.fromkeys(title_names(paper.title) + coined) if len(name) > 1]


def name_written(text: str, name: str, flags: re.RegexFlag = re.NOFLAG) -> re.Match[str] | None:
    """Where a text writes a name as a word of its own ("GIM", not "GIMs" or "pre-GIM"; a dash
    written "--" ends it: "MetaShift--a collection")."""
    return re.search(rf"(?<!\w)(?<![^-]-){re.escape(name)}(?!\w)(?!-[^-])", text, flags)


def writes_name(sentence: str, name: str) -> bool:
    """Whether a sentence writes a name as a word of its own."""
    return name_written(sentence, name) is not None


def about_own_work(sentence: str, names: list[str]) -> bool:
    """Whether a sentence speaks of the paper's own work ("we ...", "this paper ...", its name)."""
    return bool(_OWN.search(sentence)) or any(writes_name(sentence, name) for name in names)


def background(paper: PaperText) -> set[int]:
    """The positions of a paper's sentences that set the scene: those before its first sentence about
    its own work (an abstract opens with the field and the problem), and any other that opens like
    a sentence about other work ("However, existing methods ..."), unless it speaks of its own."""
    names = own_names(paper)
    own = [about_own_work(sentence, names) for sentence in paper.sentences]
    first = own.index(True) if any(own) else 0  # no sentence about its own work: no opening to skip
    return {
        position
        for position, sentence in enumerate(paper.sentences)
        if not own[position] and (position < first or _SCENE.search(sentence))
    }
