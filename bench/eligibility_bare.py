"""The floor for bench/eligibility.py: a bare FastAPI endpoint returning a constant, served by
uvicorn with the same options as the services (one worker, uvloop, httptools, no access log)."""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.post("/v1/decisions")
async def constant() -> dict[str, str]:
    return {"outcome": "remote"}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        workers=1,
        log_config=None,
        access_log=False,
    )
