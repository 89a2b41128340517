"""The model names the API answers to: "rag" (the configured choice) and "rag-BACKEND" for each usable one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import backends
from ..errors import RagError
from .errors import ApiError

if TYPE_CHECKING:
    from ..config import Settings

PREFIX = "rag"


def available(settings: Settings) -> dict[str, str]:
    """Each usable model name and the --llm choice it stands for, "rag" first."""
    found: dict[str, str] = {PREFIX: settings.llm}
    for name in backends.names():
        try:
            backends.check_choice(settings, name)
        except RagError:
            continue
        found[f"{PREFIX}-{name}"] = name
    return found


def listing(settings: Settings) -> dict[str, Any]:
    """GET /v1/models: what can answer here, in OpenAI's list shape."""
    data = [
        {
            "id": model,
            "object": "model",
            "created": 0,
            "owned_by": "rag",
            "backend": choice,
            "description": backends.get(choice).description
            if choice != "auto"
            else "auto: " + " -> ".join(backends.chain(settings, "auto")),
        }
        for model, choice in available(settings).items()
    ]
    return {"object": "list", "data": data}


def retrieved(model: str, settings: Settings) -> dict[str, Any]:
    """GET /v1/models/{model}: that model as the listing has it (404 for one not served here)."""
    choice_of(model, settings)
    return next(entry for entry in listing(settings)["data"] if entry["id"] == model)


def choice_of(model: object, settings: Settings) -> str:
    """The --llm choice a request's model names; 404 in OpenAI's shape for a name not served here."""
    models = available(settings)
    if isinstance(model, str) and model in models:
        return models[model]
    known = [f"{PREFIX}-{name}" for name in backends.names()]
    why = (
        "its backend is not set up here"
        if isinstance(model, str) and model in known
        else "not a model of this server"
    )
    raise ApiError(
        404,
        f"The model {str(model)[:100]!r} does not exist or is not available ({why}); "
        f"use one of: {', '.join(models)} (GET /v1/models)",
        code="model_not_found",
        param="model",
    )
