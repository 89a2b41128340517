"""A scripted OpenAI-compatible chat server for the tests: an endless, slow streamed reply (a model
that would write for minutes), on Starlette and uvicorn; it counts what it sent and which replies
are still being read, so a test can see a generation stop.

    python tests/chat_server.py --port N [--delay 0.05]

GET /state: {"started": replies begun, "open": replies still streaming, "tokens": tokens sent}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route

STATE = {"started": 0, "open": 0, "tokens": 0}
DELAY = [0.05]
PIECES = ["It reaches ", "98.44% mAP ", "on re-identification ", "[1]. "]


async def completions(request: Request) -> StreamingResponse:
    await request.json()
    STATE["started"] += 1

    async def endless() -> AsyncIterator[str]:
        STATE["open"] += 1
        try:
            n = 0
            while True:
                delta = {"content": PIECES[n % len(PIECES)]}
                chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "slow"}
                chunk["choices"] = [{"index": 0, "delta": delta, "finish_reason": None}]
                yield f"data: {json.dumps(chunk)}\n\n"
                STATE["tokens"] += 1
                n += 1
                await asyncio.sleep(DELAY[0])
        finally:
            STATE["open"] -= 1

    return StreamingResponse(endless(), media_type="text/event-stream")


async def state(request: Request) -> JSONResponse:
    return JSONResponse(STATE)


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


app = Starlette(
    routes=[
        Route("/v1/chat/completions", completions, methods=["POST"]),
        Route("/state", state),
        Route("/health", health),
    ]
)

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    DELAY[0] = args.delay
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
