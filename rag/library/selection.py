"""Which records an ingest keeps: `--category cs.CL,cs.LG` and `--since 2023-01-01`, applied while reading.

A record that carries categories is kept when one of them is asked for, whatever its case ('cs'
asks for every 'cs.*', 'cs.cl' for 'cs.CL'); one that carries a date (or a year) when it is not
before --since. A record without categories, or without any date, is kept: a .bib or RIS export
has no arXiv categories.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from ..errors import InputError
from .records import Entry

_SINCE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class Selection:
    """The categories asked for (empty: all) and the earliest date ('' for any)."""

    categories: tuple[str, ...] = ()
    since: str = ""

    @classmethod
    def of(
        cls, category: str | Iterable[str] | None = None, since: str | datetime.date | None = None
    ) -> Selection:
        """Parse `--category` (comma-separated or a list) and `--since` (YYYY, YYYY-MM, YYYY-MM-DD)."""
        items = category.split(",") if isinstance(category, str) else list(category or [])
        categories = tuple(dict.fromkeys(c.strip() for c in items if c.strip()))
        if isinstance(category, str) and not categories:  # "--category ''" would keep everything, unsaid
            raise InputError("--category names no category: give some, comma-separated (cs.CL,cs.LG)")
        text = since.isoformat()[:10] if isinstance(since, datetime.date) else (since or "").strip()
        if text and not _SINCE.match(text):
            raise InputError(f"--since {text!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD")
        if text:
            try:
                datetime.date.fromisoformat((text + "-01-01")[:10] if len(text) < 10 else text)
            except ValueError:
                raise InputError(f"--since {text!r} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD") from None
        return cls(categories, text)

    @property
    def active(self) -> bool:
        return bool(self.categories or self.since)

    def keeps(self, entry: Entry) -> bool:
        """Whether an entry is selected."""
        return self.keeps_categories(entry.categories) and self.keeps_date(entry.date, entry.year)

    def keeps_categories(self, categories: list[str]) -> bool:
        """Whether these categories include one asked for (no categories: kept)."""
        if not self.categories or not categories:
            return True
        asked = [a.casefold() for a in self.categories]
        return any(c == a or c.startswith(a + ".") for c in map(str.casefold, categories) for a in asked)

    def keeps_date(self, date: str | None, year: int | None) -> bool:
        """Whether a date ('YYYY[-MM[-DD]]') or year is on or after --since (none: kept)."""
        if not self.since:
            return True
        known = date if date and re.match(r"^\d{4}", date) else (f"{year:04d}" if year else None)
        if known is None:
            return True
        width = min(len(known), len(self.since))  # '2023' is not before '2023-06-01'
        return known[:width] >= self.since[:width]

    def may_keep_line(self, line: str) -> bool:
        """A quick look at a raw JSON line: False only when it cannot hold an asked-for category."""
        return not self.categories or bool(self._written.search(line))

    @cached_property
    def _written(self) -> re.Pattern[str]:
        """Any category asked for, whatever its case ("cs.cl" asks for cs.CL)."""
        return re.compile("|".join(map(re.escape, self.categories)), re.IGNORECASE)
