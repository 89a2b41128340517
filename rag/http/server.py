"""`rag serve`: check where it may listen, load the store and models once, then run uvicorn."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import sys
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..api import Assistant

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """Whether a host to listen on is this machine's loopback only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def api_key(host: str) -> str | None:
    """RAG_API_KEY; ConfigError when the server would listen beyond loopback without one."""
    key = os.environ.get("RAG_API_KEY") or None
    if key is None and not is_loopback(host):
        raise ConfigError(
            f"--host {host} listens beyond this machine: set RAG_API_KEY to a secret (clients send it as "
            "'Authorization: Bearer KEY'), or listen on 127.0.0.1"
        )
    if key is not None and len(key) < 16:
        raise ConfigError("RAG_API_KEY is too short to be a secret: use at least 16 characters")
    return key


def serve(assistant: Assistant, *, host: str, port: int, cors: list[str] | None = None) -> int:
    """Serve the API and the page until interrupted; the exit code."""
    import uvicorn

    from .app import build
    from .pool import ServerPool

    key = api_key(host)
    if port > 65535:
        raise ConfigError(f"--port {port}: a port is at most 65535")
    with _bound(host, port) as listening:  # first: a port in use is an error, not a log line
        assistant.pool.close()
        assistant.pool = ServerPool()  # built once each, a local model's replies queued
        assistant.open()  # the store and its keyword index, before the first request
        assistant.gatherer.search("warm up", k=1)  # the embedder and the retrieval path, loaded once
        app = build(assistant, api_key=key, loopback=is_loopback(host), cors=cors)
        shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
        port = listening.getsockname()[1]  # --port 0: the one the system chose
        print(
            f"rag serve: http://{shown}:{port}/ (the page), /v1 (OpenAI API); Ctrl-C stops", file=sys.stderr
        )
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=5)
        uvicorn.Server(config).run(sockets=[listening])
    return 0


def _bound(host: str, port: int) -> socket.socket:
    """A socket listening on host and port (IPv6 for an address with a colon, as uvicorn does);
    ConfigError naming the port when another program has it, else the host."""
    address = host.strip("[]")
    listening = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((address, port))
        listening.listen(2048)  # uvicorn's backlog; a second server on the port fails here, not later
    except OSError as error:
        listening.close()
        why = error.strerror or str(error)
        if error.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"--port {port}: cannot listen on {host}:{port} ({why}); another program listens there; "
                "choose another --port"
            ) from None
        if error.errno == errno.EACCES:
            raise ConfigError(
                f"--port {port}: not allowed to listen there ({why}); use a port above 1023"
            ) from None
        raise ConfigError(f"--host {host}: cannot listen there ({why})") from None
    return listening
