"""RFC 3161 time-stamps for every signature (PAdES B-T), over HTTP with httpx.

pyHanko ships HTTP time-stamp clients for requests and aiohttp; this project's HTTP client is
httpx, so the one transport method is implemented here and the rest (request, nonce, checks of
the response) stays pyHanko's."""

from __future__ import annotations

import httpx
from asn1crypto import tsp
from pyhanko.sign.timestamps.api import TimeStamper


class TsaUnavailable(IOError):
    """The TSA could not be reached or refused: the document waits and is retried."""


class HttpxTimeStamper(TimeStamper):
    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        super().__init__()
        self.url = url
        self.client = httpx.AsyncClient(timeout=timeout_s)

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        try:
            response = await self.client.post(
                self.url, content=req.dump(), headers={"Content-Type": "application/timestamp-query"}
            )
        except httpx.HTTPError as error:
            raise TsaUnavailable(f"TSA {self.url} unreachable: {error}") from error
        if response.status_code != 200 or response.headers.get("content-type") != "application/timestamp-reply":
            raise TsaUnavailable(f"TSA {self.url} answered {response.status_code}")
        return tsp.TimeStampResp.load(response.content)

    async def aclose(self) -> None:
        await self.client.aclose()
