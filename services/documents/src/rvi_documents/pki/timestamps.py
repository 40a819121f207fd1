"""RFC 3161 time-stamps for every signature (PAdES B-T), over HTTP with httpx.

pyHanko ships HTTP time-stamp clients for requests and aiohttp; this project's HTTP client is
httpx, so the one transport method is implemented here and the rest (request, nonce, checks of
the response) stays pyHanko's."""

from __future__ import annotations

import httpx
from asn1crypto import cms, core, tsp
from pyhanko.sign.timestamps.api import TimeStamper


class TsaUnavailable(IOError):
    """The TSA could not be reached or refused: the document waits and is retried."""


class TimeStampResponse(core.Sequence):
    """TimeStampResp as RFC 3161 2.4.2 defines it, the token OPTIONAL (absent from a refusal):
    asn1crypto's `tsp.TimeStampResp` requires the token, so cannot read a refusal."""

    _fields = [("status", tsp.PKIStatusInfo), ("time_stamp_token", cms.ContentInfo, {"optional": True})]

    def refusal(self) -> str | None:
        """None when granted; else the status, failure bits and text, for a log line."""
        status = self["status"].native
        if status["status"] in ("granted", "granted_with_mods"):
            return None
        return f"{status['status']} {sorted(status['fail_info'] or [])} {' '.join(status['status_string'] or [])}"


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
        if response.headers.get("content-type") != "application/timestamp-reply":
            raise TsaUnavailable(f"TSA {self.url} answered {response.status_code}")
        try:
            refusal = TimeStampResponse.load(response.content).refusal()
        except ValueError as error:
            raise TsaUnavailable(f"TSA {self.url} answered {response.status_code}: not a TimeStampResp") from error
        if refusal is not None or response.status_code != 200:
            raise TsaUnavailable(f"TSA {self.url} answered {response.status_code}: {refusal}")
        return tsp.TimeStampResp.load(response.content)

    async def aclose(self) -> None:
        await self.client.aclose()
