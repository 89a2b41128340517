"""Embeddings from an OpenAI-compatible /v1/embeddings server (text-embeddings-inference, vLLM,
Ollama, Infinity, OpenAI): batched, retried with backoff, the dimension learnt from the server."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import numpy as np

from .config import mask_url
from .errors import ConfigError, EmbedderError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

OPENAI_URL = "https://api.openai.com/v1"
FIRST_WAIT = 0.5  # seconds before the first retry; each further retry waits twice as long
LONGEST_WAIT = 30.0  # no wait is longer, whatever the server's Retry-After says
_PROBE = "dimension"  # embedded once to learn the vectors' dimension


def server_identity(base_url: str) -> str:
    """Host, port and path of a base URL, without scheme, credentials or query: what names the
    server in the store's embedder name."""
    parts = urlsplit(base_url if "://" in base_url else f"http://{base_url}")
    host = (parts.hostname or "").lower()
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path.rstrip('/')}"


def _one_line(text: str, limit: int = 200) -> str:
    words = " ".join(str(text).split())
    return words if len(words) <= limit else words[: limit - 3] + "..."


def _server_message(exc: Any) -> str:
    """What the server said about a refused request: its error's message, in one line."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    if isinstance(body, dict):
        body = body.get("message") or body.get("detail") or body.get("error")
    return _one_line(str(body if body else getattr(exc, "message", "") or ""))


def _retry_after(exc: Any) -> float | None:
    """The server's Retry-After (seconds) of a failed response, if it sent one."""
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:  # an HTTP date: the doubling waits apply
        return None


class ServerEmbedder:
    """A model behind an OpenAI-compatible embeddings endpoint.

    Its name is `openai:MODEL@HOST:PORT/PATH`: the same model name served elsewhere may be other
    weights, so a store records the server too. Chunks are measured in MiniLM's WordPiece tokens
    (the server's tokenizer is unknown; English abstracts count within 15% of it in the BPE
    tokenizers of OpenAI and SmolLM2), at most 256 with the title, half of the 512 tokens of the
    smallest common embedding models.
    """

    max_tokens = 256

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None,
        api_key: str | None,
        batch_size: int,
        timeout: float,
        max_retries: int,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        import openai

        url = (base_url or OPENAI_URL).rstrip("/")
        if api_key is None and server_identity(url) == server_identity(OPENAI_URL):
            raise ConfigError(
                f"embedder 'openai:{model}' at the OpenAI API needs an API key: "
                "set OPENAI_API_KEY (or RAG_EMBED_API_KEY)"
            )
        self.model = model
        self.name = f"openai:{model}@{server_identity(url)}"
        self.where = mask_url(url) or url
        self._batch_size = batch_size
        self._max_retries = max_retries
        self._timeout = timeout
        self._notify = notify or (lambda message: None)
        # a server without authentication ignores the placeholder; the client needs some key
        self._client = openai.OpenAI(api_key=api_key or "none", base_url=url, timeout=timeout, max_retries=0)
        self._dimension: int | None = None
        self._counter: Tokenizer | None = None
        self.calls = 0
        self.texts_embedded = 0

    @property
    def dimension(self) -> int:
        """The vectors' dimension, learnt from the server's first reply."""
        if self._dimension is None:
            self.embed([_PROBE])
        assert self._dimension is not None
        return self._dimension

    def count_tokens(self, text: str) -> list[int]:
        """MiniLM's WordPiece ids of a text (no special tokens): the chunks' measure."""
        if self._counter is None:
            from .embeddings import wordpiece_tokenizer

            self._counter = wordpiece_tokenizer()
        ids: list[int] = self._counter.encode(text, add_special_tokens=False).ids
        return ids

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for texts, in requests of at most batch_size texts."""
        if not texts:
            return np.zeros((0, self._dimension or 0), dtype=np.float32)
        self.calls += 1
        self.texts_embedded += len(texts)
        parts = [
            self._vectors(texts[start : start + self._batch_size])
            for start in range(0, len(texts), self._batch_size)
        ]
        vectors = np.concatenate(parts)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)

    def _vectors(self, texts: list[str]) -> np.ndarray:
        """One request's vectors, checked: one per text, numbers, all of one dimension."""
        response = self._request(texts)
        try:
            rows = sorted(response.data, key=lambda item: getattr(item, "index", 0))
            vectors = np.asarray([row.embedding for row in rows], dtype=np.float32)
        except (AttributeError, TypeError, ValueError):
            vectors = np.zeros((0,), dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(texts) or not np.isfinite(vectors).all():
            raise EmbedderError(
                f"the embedding server at {self.where} sent no usable vectors for model {self.model!r} "
                f"(expected one vector of numbers for each of {len(texts)} texts; a server without "
                "pooling sends one per token)"
            )
        if self._dimension is None:
            self._dimension = int(vectors.shape[1])
        elif vectors.shape[1] != self._dimension:
            raise EmbedderError(
                f"the embedding server at {self.where} sent vectors of {vectors.shape[1]} dimensions "
                f"for model {self.model!r}, earlier {self._dimension}: did the model change?"
            )
        return vectors

    def _request(self, texts: list[str]) -> Any:
        """The server's reply, retried with doubling waits on 429, 5xx, timeouts and lost connections."""
        import openai

        for attempt in range(self._max_retries + 1):
            try:
                return self._client.embeddings.create(model=self.model, input=texts, encoding_format="float")
            except openai.APITimeoutError:
                problem, retry_after = f"timed out after {self._timeout:g} s", None
            except openai.APIConnectionError as exc:
                problem, retry_after = f"cannot connect ({_one_line(str(exc.__cause__ or exc))})", None
            except openai.APIStatusError as exc:
                self._refused(exc)
                problem, retry_after = f"answered {exc.status_code}", _retry_after(exc)
            except openai.APIError as exc:  # a reply the client cannot read
                raise EmbedderError(
                    f"the embedding server at {self.where} sent a malformed reply ({_one_line(str(exc))})"
                ) from None
            if attempt == self._max_retries:
                raise EmbedderError(
                    f"the embedding server at {self.where} {problem}, {attempt + 1} times; giving up "
                    f"(RAG_EMBED_MAX_RETRIES={self._max_retries})"
                )
            doubled = FIRST_WAIT * 2**attempt * random.uniform(0.75, 1)  # jitter: clients apart
            wait = min(LONGEST_WAIT, max(retry_after or 0.0, doubled))
            self._notify(
                f"the embedding server at {self.where} {problem}; "
                f"retrying in {wait:.1f} s ({attempt + 1} of {self._max_retries})"
            )
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _refused(self, exc: Any) -> None:
        """Raise at once for a status no retry can change (anything but 408, 409, 429 and 5xx)."""
        status = exc.status_code
        if status in (408, 409, 429) or status >= 500:
            return
        message = _server_message(exc)
        if status in (401, 403):
            raise ConfigError(
                f"the embedding server at {self.where} refused the API key ({status}: {message}): "
                "set RAG_EMBED_API_KEY (or OPENAI_API_KEY for the chat's server)"
            )
        if status == 404:
            raise ConfigError(
                f"the embedding server at {self.where} has no model {self.model!r} or no /embeddings "
                f"({status}: {message}): check RAG_EMBEDDER and RAG_EMBED_BASE_URL"
            )
        raise EmbedderError(
            f"the embedding server at {self.where} refused a request for model {self.model!r} "
            f"({status}: {message}); if it says an input is too long, lower RAG_CHUNK_SIZE"
        )
