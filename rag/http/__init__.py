"""`rag serve`: the OpenAI-compatible HTTP API and the web page, on Starlette and uvicorn."""
