"""Typed errors whose messages say what to do; the CLI prints them as one line."""

from __future__ import annotations


class RagError(Exception):
    """Base of every error the assistant reports to a user."""


class InputError(RagError):
    """A file or argument the user gave cannot be used."""


class NoMatchError(InputError):
    """No stored paper passes the filter a search was given."""


class StoreError(RagError):
    """The store cannot be opened or used as configured."""


class StoreMismatchError(StoreError):
    """The store was built with settings that differ from the current ones."""

    def __init__(self, message: str, differing: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.differing = differing or {}  # each differing setting's value in the store


class EmptyStoreError(StoreError):
    """The store holds no papers."""


class ConfigError(RagError):
    """A setting, or an explicit choice, cannot work as configured (an invalid value, no API key,
    no model file): exit 2."""


class DiskFullError(StoreError):
    """No room on the disk for a write to the store; the store is as it was before it."""


class LogError(RagError):
    """The answer log cannot be read: locked by another process, or damaged (then set aside)."""


class StoreBusyError(StoreError):
    """Another process is writing to the store."""


class DamagedStoreError(StoreError):
    """The store's files are damaged: `rag ingest --rebuild` recovers it."""

    @classmethod
    def at(cls, store_dir: object, problem: str) -> DamagedStoreError:
        """The one-line error for a damaged store, with the command that recovers it."""
        return cls(
            f"the store at {store_dir} is damaged ({problem}); recover it with `rag ingest --rebuild` "
            f"(re-reads your papers; the damaged files are kept in {store_dir}.damaged-<time>)"
        )


class EmbedderError(RagError):
    """The embeddings server failed, gave up after its retries, or sent vectors that cannot be used."""
