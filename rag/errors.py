"""Typed errors whose messages say what to do; the CLI prints them as one line."""


class RagError(Exception):
    """Base of every error the assistant reports to a user."""


class InputError(RagError):
    """A file or argument the user gave cannot be used."""


class StoreError(RagError):
    """The store cannot be opened or used as configured."""


class StoreMismatchError(StoreError):
    """The store was built with settings that differ from the current ones."""


class EmptyStoreError(StoreError):
    """The store holds no papers."""


class ConfigError(RagError):
    """An explicit choice cannot work as configured (no API key, no model file): exit 2."""


class StoreBusyError(StoreError):
    """Another process is writing to the store."""


class DamagedStoreError(StoreError):
    """The store's files are damaged: `rag ingest --rebuild` recovers it."""
