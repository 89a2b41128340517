"""A prompt's token budget: the estimated tokens of a text, and what a source's tags cost."""

from __future__ import annotations

import math

# What a source's tags and title line cost beyond its text, in estimated tokens.
SOURCE_TAG_TOKENS = 12


def estimate_tokens(text: str) -> int:
    """An LLM token count estimate: about four characters a token for English text."""
    return math.ceil(len(text) / 4)
