"""RFC 3161 time-stamps for every signature (PAdES B-T): over HTTP with httpx from a configured
TSA, or from the embedded TSA of this process.

pyHanko ships HTTP time-stamp clients for requests and aiohttp; this project's HTTP client is
httpx, so the one transport method is implemented here and the rest (request, nonce, checks of
the response) stays pyHanko's. The embedded TSA (`tsa.LocalTsa`) runs in this process, so its
tokens are asked for by a call rather than over a loopback HTTP connection."""

from __future__ import annotations

from collections.abc import Callable

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


def granted(source: str, status: int, content: bytes) -> tsp.TimeStampResp:
    """The TimeStampResp in `content` (DER) that `source` answered with HTTP status `status`;
    `TsaUnavailable` when it is not one, or a refusal."""
    try:
        refusal = TimeStampResponse.load(content).refusal()
    except ValueError as error:
        raise TsaUnavailable(f"{source} answered {status}: not a TimeStampResp") from error
    if refusal is not None or status != 200:
        raise TsaUnavailable(f"{source} answered {status}: {refusal}")
    return tsp.TimeStampResp.load(content)


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
        return granted(f"TSA {self.url}", response.status_code, response.content)

    async def aclose(self) -> None:
        await self.client.aclose()


class InProcessTimeStamper(TimeStamper):
    """Tokens from a TSA in this process: `answer` takes a DER TimeStampReq and gives what the
    TSA would send over HTTP, its status and DER TimeStampResp (`LocalTsa.answer`), checked as
    an HTTP TSA's answer is."""

    def __init__(self, answer: Callable[[bytes], tuple[int, bytes]]) -> None:
        super().__init__()
        self.answer = answer

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        status, content = self.answer(req.dump())
        return granted("the embedded TSA", status, content)

    async def aclose(self) -> None:
        return None
