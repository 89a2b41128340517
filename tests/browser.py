"""A headless Chromium (Debian's package) driven over the DevTools protocol, for the web page's tests."""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import websocket
from conftest import free_port

NAMES = ("chromium", "chromium-browser", "google-chrome")


def chromium_binary() -> str:
    """The browser to drive; a loud error (never a skip) when there is none."""
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(
        "no Chromium to test the web page with: `make test` installs Debian's chromium as root, "
        "or run `apt-get install -y chromium`"
    )


class Browser:
    """One headless Chromium with one page, until closed."""

    def __init__(self, profile: Path, *, width: int = 1100, height: int = 1000) -> None:
        port = free_port()
        command = [chromium_binary(), "--headless=new", f"--remote-debugging-port={port}"]
        command += [f"--user-data-dir={profile}", "--no-first-run", "--disable-gpu", "--disable-extensions"]
        command += [f"--window-size={width},{height}", "--remote-allow-origins=*"]
        if os.geteuid() == 0:
            command.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        self.process = subprocess.Popen(
            [*command, "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._ids = itertools.count(1)
        targets = self._targets(port)
        page = next(t for t in targets if t.get("type") == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)

    def _targets(self, port: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as reply:
                    targets: list[dict[str, Any]] = json.load(reply)
                if any(t.get("type") == "page" for t in targets):
                    return targets
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Chromium did not start (exit {self.process.poll()})")
            time.sleep(0.2)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result (events meanwhile are dropped)."""
        number = next(self._ids)
        self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def open(self, url: str) -> None:
        """Load a page and wait until its document is complete."""
        self.call("Page.enable")
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (awaited when it is a promise)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60) -> None:
        """Wait until the expression is true in the page."""
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise AssertionError(f"the page never had {expression}")
            time.sleep(0.1)

    def screenshot(self, path: Path) -> None:
        """The page as a PNG file, whole."""
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        """Stop the browser."""
        self.socket.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
