"""The LaTeX a Daily Papers page leaves in its abstracts, as the text it stands for: "14.8\\%" is
"14.8%", 'T\\"ULU' "TÜLU", "2.3times" (a \\times that lost its backslash) "2.3\u00d7", "textbf{A}uxiliary"
"Auxiliary". Whatever is no markup is kept as written (a whole-text LaTeX decoder drops the words
of macros it does not know: "\\eg adapters" became "adapters")."""

from __future__ import annotations

import re
import unicodedata

_ACCENTS = {
    '"': "\u0308",
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
}
# \"U, \"{U}, \"{\i}, {\"U}: an accent over one letter (\i is a dotless i); a dot or a macron
# only braced ("ASP\.NET" is no accent)
_ACCENTED = re.compile(
    r"\{?\\(?:([\"'`^~])\s*(?:\{\s*(\\i|[A-Za-z])\s*\}|(\\i|[A-Za-z]))|([=.])\{\s*(\\i|[A-Za-z])\s*\})\}?"
)
_ESCAPED = re.compile(r"\\([%&_#$])")
TIMES = "\u00d7"  # the multiplication sign
_WORDS = {
    "eg": "e.g.",
    "ie": "i.e.",
    "etc": "etc.",
    "etal": "et al.",
    "deg": "°",
    "times": TIMES,
    "pm": "±",
    "leq": "≤",
    "geq": "≥",
    "approx": "≈",
    "sim": "~",
}
# a macro of two letters or more, as a word ("\overfeat", "{\deg}"), not a path ("C:\Users") or an
# escape ("\n", "\d+")
_MACRO = re.compile(r"\{\\([A-Za-z]+)\}|(?<![:\\/_])\\([A-Za-z]{2,})(?![A-Za-z_])")
_SIGNS = {"times", "pm", "leq", "geq", "approx", "sim", "deg"}  # may touch a number or a variable
# Text styles, with or without their backslash (the pages lose it): textbf{A}uxiliary
_STYLED = re.compile(
    r"(?<![A-Za-z])\\?(?:textbf|textit|texttt|textrm|textsc|text|emph|underline|mathbf|mathrm|mathcal|mathbb|mathit)"
    r"\{([^{}]*)\}"
)
_URL_MACRO = re.compile(r"\\url\{([^{}\s]+)\}")
_LINK_TWICE = re.compile(r"(https?://\S+?)\{\1\}")  # a link's text, then its target in braces
_TIMES = re.compile(r"(?<=\d)times\b")  # "10times-1000times", not "sometimes"
# "$specialist and generalist$", "$\\pm$" once read (not "US$ and HK$")
_PLAIN_MATH = re.compile(r"(?<![\w$])\$([A-Za-z ,.\-±≤≥≈~\u00d7°]+)\$")
# "in sim3 hours", "3%sim20%", "sim7B": a \sim without its backslash, before a number and its unit
# ("sim2real" is a word)
_SIM = re.compile(r"(?<![A-Za-z])sim(?=\d+(?:\.\d+)?(?:%|times|[KMBTxh]\b|\s|$|[,;:)]))")
_CITE_KEY = re.compile(r"\s*~[a-z]+\d{4}[a-z]+\b")  # "(RFT )~wortsman2021robust": a \cite's key
_TIE = re.compile(r"(?<=[A-Za-z])~(?=[A-Za-z(])")  # "Network~(FFN)": LaTeX's unbreakable space


def plain(text: str) -> str:
    """The text with the page's LaTeX markup read as what it writes (unchanged without any)."""
    if not re.search(r"[\\{$~]|\dtimes|sim\d", text):
        return text
    text = _TIE.sub(" ", _CITE_KEY.sub("", _SIM.sub("~", text)))
    text = _LINK_TWICE.sub(r"\1", _URL_MACRO.sub(_url, text))
    text = _ACCENTED.sub(_accented, text)
    text = _ESCAPED.sub(r"\1", text)
    text = _STYLED.sub(r"\1", text)
    text = _MACRO.sub(_macro, text)
    text = _TIMES.sub(TIMES, text)
    return _PLAIN_MATH.sub(r"\1", text)


def _url(match: re.Match[str]) -> str:
    """A \\url's link, apart from the word before it ("OIE\\url{...}")."""
    glued = match.start() > 0 and not match.string[match.start() - 1].isspace()
    return (" " if glued else "") + match.group(1)


def _accented(match: re.Match[str]) -> str:
    accent = match.group(1) or match.group(4)
    letter = match.group(2) or match.group(3) or match.group(5)
    base = "i" if letter == "\\i" else letter
    return unicodedata.normalize("NFC", base + _ACCENTS[accent])


def _macro(match: re.Match[str]) -> str:
    """A macro with no argument: the words it stands for, or its name (\\overfeat: "overfeat")."""
    name = match.group(1) or match.group(2)
    before = match.string[match.start() - 1 : match.start()]
    after = match.string[match.end() : match.end() + 1]
    touching = before.isalnum() or after.isdigit()  # "5\\pm0.3", "k\\leq 5"; or a path: "C:\\2023\\reports"
    sign = name in _SIGNS and (not before.isalpha() or after in ("", " ") or after.isdigit())
    if match.group(2) and touching and not sign:
        return match.group()
    words = _WORDS.get(name, name)
    return words[:-1] if words.endswith(".") and match.string.startswith(".", match.end()) else words
