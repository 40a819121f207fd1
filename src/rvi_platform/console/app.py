"""The console's HTTP app: `/config.json`, `/dev/personas` and `/dev/sign-in` (only with
`RVI_CONSOLE_DEV_SIGN_IN=true`: 404 otherwise), and the built app with an index.html fallback
for the client-side routes."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from rvi_platform.console.personas import PERSONAS, mint_for
from rvi_platform.console.settings import ConsoleSettings
from rvi_shared.identifiers import parse_enterprise_id

NO_STORE = {"Cache-Control": "no-store"}
# Vite names built assets by content hash: they never change under one name.
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


class DevSignIn(BaseModel):
    persona: str = Field(max_length=64, description="a persona_id from GET /dev/personas")
    enterprise_id: str | None = Field(
        default=None,
        max_length=64,
        description="for the enterprise persona only: a Unified Social Credit Code (GB 32100) or customs code",
    )


class DevToken(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    persona: dict[str, object]


def create_app(settings: ConsoleSettings | None = None) -> FastAPI:
    settings = settings or ConsoleSettings()
    dist = settings.dist_dir.resolve()
    app = FastAPI(title="rvi console", docs_url=None, redoc_url=None, openapi_url=None)

    def dev_only() -> None:
        if not settings.dev_sign_in:
            raise HTTPException(404, detail="the development sign-in is off (RVI_CONSOLE_DEV_SIGN_IN)")

    @app.get("/healthz")
    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        if not (dist / "index.html").is_file():
            raise HTTPException(503, detail=f"the console is not built: no {dist / 'index.html'} (run make web)")
        return {"status": "ready"}

    @app.get("/config.json")
    async def config() -> JSONResponse:
        return JSONResponse(settings.public_config(), headers=NO_STORE)

    @app.get("/dev/personas")
    async def personas() -> JSONResponse:
        dev_only()
        return JSONResponse([p.public() for p in PERSONAS.values()], headers=NO_STORE)

    @app.post("/dev/sign-in", response_model=DevToken)
    async def dev_sign_in(body: DevSignIn) -> JSONResponse:
        dev_only()
        persona = PERSONAS.get(body.persona)
        if persona is None:
            return JSONResponse(
                {"detail": f"unknown persona {body.persona!r}; known: {sorted(PERSONAS)}", "field": "persona"},
                status_code=422,
            )
        enterprise_id = body.enterprise_id
        if enterprise_id:
            try:
                enterprise_id = parse_enterprise_id(enterprise_id)
            except ValueError as err:
                return JSONResponse({"detail": str(err), "field": "enterprise_id"}, status_code=422)
        token = mint_for(
            persona,
            settings.jwt_secret,
            enterprise_id=enterprise_id,
            ttl_s=settings.dev_token_ttl_s,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
        out = DevToken(access_token=token, expires_in=settings.dev_token_ttl_s, persona=persona.public())
        return JSONResponse(out.model_dump(), headers=NO_STORE)

    @app.get("/{path:path}", include_in_schema=False)
    async def static(path: str) -> FileResponse:
        if path.startswith(("dev/", "config.json")):
            raise HTTPException(404)
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist):
            headers = IMMUTABLE if path.startswith("assets/") else NO_STORE
            return FileResponse(candidate, headers=headers)
        if path.startswith("assets/"):
            raise HTTPException(404, detail=f"no asset {path}")
        index = dist / "index.html"
        if not index.is_file():
            raise HTTPException(503, detail="the console is not built (run make web)")
        return FileResponse(index, headers=NO_STORE)

    return app
