"""An OpenAI-compatible embeddings server for the tests: real all-MiniLM-L6-v2 vectors (the ONNX
embedder) behind POST /v1/embeddings, on Starlette and uvicorn, with scripted faults.

    python tests/embed_server.py --port N

A model named `NAME-dD` answers with the first D components of the vectors (not unit length, as
a server that does not normalise). Faults a real server won't give on demand are scripted:
POST /script {"faults": [429, 500, "tokens"], "retry_after": 1} makes the next requests fail in
that order ("tokens": one vector per token, as llama.cpp without pooling); GET /requests lists
the requests received (monotonic time, model, inputs, whether a bearer token came and which).
"""

from __future__ import annotations

import argparse
import re
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from rag.embeddings import OnnxMiniLM

EMBEDDER = OnnxMiniLM()
STATE: dict[str, Any] = {"faults": [], "retry_after": None, "requests": []}


async def embeddings(request: Request) -> JSONResponse:
    body = await request.json()
    inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
    model = str(body.get("model", ""))
    STATE["requests"].append(
        {
            "time": time.monotonic(),
            "model": model,
            "inputs": len(inputs),
            "authorization": request.headers.get("authorization", ""),
        }
    )
    fault = STATE["faults"].pop(0) if STATE["faults"] else None
    if isinstance(fault, int):
        headers = {"Retry-After": str(STATE["retry_after"])} if STATE["retry_after"] is not None else {}
        error = {"error": {"message": f"scripted {fault}", "type": "test"}}
        return JSONResponse(error, status_code=fault, headers=headers)
    vectors = EMBEDDER.embed([str(text) for text in inputs])
    dimensions = re.search(r"-d(\d+)$", model)
    rows: list[Any] = vectors[:, : int(dimensions.group(1))].tolist() if dimensions else vectors.tolist()
    if fault == "tokens":
        rows = [[row, row] for row in rows]
    data = [{"object": "embedding", "index": i, "embedding": row} for i, row in enumerate(rows)]
    usage = {"prompt_tokens": 0, "total_tokens": 0}
    return JSONResponse({"object": "list", "data": data, "model": model, "usage": usage})


async def script(request: Request) -> JSONResponse:
    body = await request.json()
    STATE["faults"] = list(body.get("faults", []))
    STATE["retry_after"] = body.get("retry_after")
    return JSONResponse({"ok": True})


async def requests(request: Request) -> JSONResponse:
    return JSONResponse(STATE["requests"])


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


app = Starlette(
    routes=[
        Route("/v1/embeddings", embeddings, methods=["POST"]),
        Route("/script", script, methods=["POST"]),
        Route("/requests", requests),
        Route("/health", health),
    ]
)

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
