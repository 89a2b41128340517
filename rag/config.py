"""One typed Settings object, and the one function that resolves every path."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent

SearchMode = Literal["hybrid", "dense", "keyword"]


def _config_file() -> Path:
    return Path(os.environ.get("RAG_CONFIG", "rag.toml"))


class Settings(BaseSettings):
    """Every knob of the assistant; read from RAG_* variables and an optional rag.toml."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    store_dir: Path = Field(
        Path("store"),
        description="Directory of the embedded Chroma store and the keyword index "
        "(relative paths are taken from the current directory).",
    )
    chroma_url: str | None = Field(
        None,
        description="URL of a Chroma server (e.g. http://127.0.0.1:8000); "
        "when set, the store lives there and store_dir keeps only the keyword index.",
    )
    collection: str = Field("papers", description="Name of the Chroma collection.")
    data_dir: Path | None = Field(
        None,
        description="Corpus ingested when no paths are given; default: the bundled data/.",
    )
    embedder: str = Field(
        "minilm-int8",
        description="Embedding model: 'minilm-int8' (all-MiniLM-L6-v2, int8 ONNX, "
        "runs on onnxruntime) or 'st:<model name or path>' (sentence-transformers, "
        "needs PyTorch; not installed by default).",
    )
    embed_batch_size: int = Field(
        32, ge=1, description="Texts per embedding call (ingest works in streamed batches)."
    )
    chunk_size: int = Field(200, ge=32, le=256, description="Chunk length in embedder (WordPiece) tokens.")
    chunk_overlap: int = Field(30, ge=0, description="Tokens shared by consecutive chunks of one abstract.")
    k: int = Field(5, ge=1, description="Number of papers a search returns.")
    mode: SearchMode = Field(
        "hybrid", description="Retrieval mode: hybrid (dense + keyword), dense or keyword."
    )
    candidates: int = Field(
        50,
        ge=1,
        description="Chunks taken from each ranking before fusion and grouping by paper.",
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments first, then RAG_* variables, then the TOML file (RAG_CONFIG or rag.toml)."""
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml)


@dataclass(frozen=True)
class Paths:
    """Every file location the assistant uses, resolved once."""

    store_dir: Path
    keyword_index: Path
    data_dir: Path


def resolve_paths(settings: Settings) -> Paths:
    """Resolve every path the assistant touches from the settings."""
    store_dir = settings.store_dir.expanduser().resolve()
    data_dir = (settings.data_dir or PROJECT_DIR / "data").expanduser().resolve()
    index_name = f"keyword-{settings.collection}.json"
    if settings.chroma_url:
        # The keyword index is derived data; for a server store it is a local cache.
        safe = "".join(c if c.isalnum() else "_" for c in settings.chroma_url)
        index_name = f"keyword-{safe}-{settings.collection}.json"
    return Paths(
        store_dir=store_dir,
        keyword_index=store_dir / index_name,
        data_dir=data_dir,
    )


def load_settings(**overrides: Any) -> Settings:
    """Settings from arguments, RAG_* variables and rag.toml; a bad value is an InputError."""
    from pydantic import ValidationError

    from .errors import InputError

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ".".join(str(part) for part in error["loc"])
        raise InputError(f"invalid setting {name} (RAG_{name.upper()}): {error['msg']}") from None
    except ValueError as exc:  # a malformed rag.toml
        raise InputError(f"cannot read the settings file {_config_file()}: {exc}") from None
