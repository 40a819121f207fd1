"""The browser pages the gateway serves: the enterprise's publisher (WHIP from the camera) and the
officer's viewer (WHEP). Static files: the media token rides in the URL fragment, which the browser
never sends, so it stays out of server and proxy logs."""

from __future__ import annotations

import uuid
from functools import cache
from importlib.resources import files

from fastapi import APIRouter, Response

from rvi_shared.errors import NotFound, Unprocessable

pages_router = APIRouter(prefix="/media", tags=["pages"])

_ASSET_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
ASSETS = frozenset({"whip.js", "publish.js", "view.js", "pages.css"})

# Same-origin scripts and signalling only: no inline code, nothing from elsewhere (closed network).
_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "media-src 'self' blob: mediastream:; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


@cache
def _read(name: str) -> bytes:
    return (files("rvi_video_gateway") / "pages" / name).read_bytes()


def _headers(camera: bool) -> dict[str, str]:
    return {
        "Content-Security-Policy": _POLICY,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "Permissions-Policy": f"camera=({'self' if camera else ''}), microphone=({'self' if camera else ''}), "
        "geolocation=()",
    }


def _page(name: str, feed_id: str, camera: bool) -> Response:
    try:
        uuid.UUID(feed_id)
    except ValueError:
        raise Unprocessable(f"feed_id must be a UUID, got {feed_id!r}", field="feed_id") from None
    return Response(_read(name), media_type="text/html; charset=utf-8", headers=_headers(camera))


@pages_router.get("/publish/{feed_id}", response_class=Response)
async def publish_page(feed_id: str) -> Response:
    """The enterprise's publisher: open `/media/publish/{feed_id}#token=<publish_token>`."""
    return _page("publish.html", feed_id, camera=True)


@pages_router.get("/view/{feed_id}", response_class=Response)
async def view_page(feed_id: str) -> Response:
    """An officer's viewer: open `/media/view/{feed_id}#token=<view_token>`."""
    return _page("view.html", feed_id, camera=False)


@pages_router.get("/assets/{name}", response_class=Response, include_in_schema=False)
async def asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound(f"no page asset {name!r}")
    suffix = name[name.rfind(".") :]
    return Response(_read(name), media_type=_ASSET_TYPES[suffix], headers={"X-Content-Type-Options": "nosniff"})
