"""A chat model behind the OpenAI API or any OpenAI-compatible server (Ollama, llama.cpp server)."""

from __future__ import annotations

from collections.abc import Iterator

from .config import mask_url
from .errors import RagError
from .llm import LLMUnavailable, Messages


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
