"""A blocking event iterator driven from its own thread, read from asyncio, stopped when the reader goes."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_END = object()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Pump(Generic[T]):
    """Run `start()`'s iterator in a thread of its own; `events()` yields what it produces.

    When the reader stops (the client disconnected, the request was cancelled), the thread stops
    at the next item and closes the iterator, which closes a model's reply: its generation stops.
    """

    def __init__(self, start: Callable[[], Iterable[T]]) -> None:
        self._start = start
        self._stop = threading.Event()
        self.finished = threading.Event()  # the iterator was closed (tests and the load run read it)

    def _work(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[object]) -> None:
        def put(item: object) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody reads any more
                loop.call_soon_threadsafe(queue.put_nowait, item)

        iterator: Iterator[T] | None = None
        try:
            iterator = iter(self._start())
            for item in iterator:
                if self._stop.is_set():
                    break
                put(item)
        except BaseException as exc:
            put(_Failed(exc))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
            self.finished.set()
            put(_END)

    async def events(self) -> AsyncIterator[T]:
        """The items as they come; an exception of the iterator is raised here."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        threading.Thread(target=self._work, args=(loop, queue), daemon=True, name="rag-answer").start()
        try:
            while True:
                item = await queue.get()
                if item is _END:
                    return
                if isinstance(item, _Failed):
                    raise item.exc
                yield item  # type: ignore[misc]
        finally:
            self._stop.set()
