"""The store as another process leaves it: requests read it together, and when its revision changed
(an ingest elsewhere) it is reopened once the requests reading it are done, before the next reads it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from ..library.library import Library

T = TypeVar("T")


class Fresh:
    """Readers share the open store; a changed revision waits for them, then reopens it."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self._seen = library.store.revision
        self._readers = 0
        self._cond = threading.Condition()
        self.reopened = 0  # how many times (GET /healthz shows it)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Use the store within the block; it is not reopened under it."""
        with self._cond:
            while self.library.store.revision != self._seen:
                self._cond.wait_for(lambda: self._readers == 0)
                if self.library.store.revision != self._seen:
                    self.library.reopen()
                    self._seen = self.library.store.revision
                    self.reopened += 1
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    def call(self, function: Callable[..., T], *args: object, **kwargs: object) -> T:
        """function(*args, **kwargs) while reading the store."""
        with self.reading():
            return function(*args, **kwargs)

    def iterate(self, make: Callable[[], Iterator[T]]) -> Iterator[T]:
        """make()'s items, read within one reading of the store (closing the iterator ends it)."""
        with self.reading():
            yield from make()
