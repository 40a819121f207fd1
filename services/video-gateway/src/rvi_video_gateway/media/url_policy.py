"""Which IP camera URLs the gateway may pull (SSRF defence): the gateway opens a TCP connection
to whatever an RTSP URL names, so a URL must not reach the gateway itself, the site network it
runs in, or a cloud metadata service.

Default: only publicly routable addresses. Refused unless an operator allow-lists them:
loopback, unspecified, link-local, RFC 1918 and unique-local (private), shared address space
(RFC 6598 carrier-grade NAT), multicast, reserved and other special-purpose ranges (documentation,
benchmarking, ...), and host names resolving to any of these. Private ranges are refused by
default because an enterprise's cameras are reached over public addresses or a VPN whose range
the operator names; an open default would let anyone who can register a camera probe the
gateway's own network. Cloud metadata endpoints are refused even when an allow-listed range
covers them: no camera lives there, and credentials do.

A name is checked by what it resolves to, every address of it: a name with one public and one
private address is refused. The check and ffmpeg's own resolution at connect time are two
lookups; `CameraTarget.pinned_url` names the checked address so the pull cannot be sent
elsewhere by a DNS answer that changed in between (DNS rebinding)."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], Sequence[str]]
AsyncResolver = Callable[[str], Awaitable[Sequence[str]]]

SCHEMES = {"rtsp": 554, "rtsps": 322}
FIELD = "url"
DEFAULT_RESOLVE_TIMEOUT_S = 5.0

# Metadata services of the clouds a gateway may run in (AWS, GCP, Azure, OpenStack: the first;
# AWS ECS task metadata; AWS IPv6 IMDS; Alibaba Cloud; Azure WireServer; Oracle Cloud).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "168.63.129.16", "192.0.0.192")
)

_N = ipaddress.ip_network
# Checked in order; the first match names the reason. Anything else that is not globally
# routable (ipaddress.is_global) is refused as "special-purpose".
_REFUSED: tuple[tuple[str, tuple[IPNetwork, ...]], ...] = (
    ("unspecified", (_N("0.0.0.0/8"), _N("::/128"))),
    ("loopback", (_N("127.0.0.0/8"), _N("::1/128"))),
    ("link-local", (_N("169.254.0.0/16"), _N("fe80::/10"))),
    ("multicast", (_N("224.0.0.0/4"), _N("ff00::/8"))),
    (
        "private (RFC 1918 / unique-local)",
        (_N("10.0.0.0/8"), _N("172.16.0.0/12"), _N("192.168.0.0/16"), _N("fc00::/7")),
    ),
    ("shared address space (carrier-grade NAT)", (_N("100.64.0.0/10"),)),
    ("reserved", (_N("240.0.0.0/4"), _N("255.255.255.255/32"))),
)
_NAT64 = _N("64:ff9b::/96")
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x20\x7f\\]")
_SECRET_QUERY_KEYS = re.compile(r"user|pass|pwd|token|auth|key|secret|sig|credential", re.IGNORECASE)


class UrlRefused(ValueError):
    """The camera URL may not be pulled; `field` and `reason` are for the API's 422 answer.
    Messages never carry the URL's credentials."""

    field = FIELD

    def __init__(self, reason: str) -> None:
        super().__init__(f"{FIELD}: {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CameraTarget:
    """A URL that passed the policy, with the addresses it was checked against."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]

    @property
    def redacted(self) -> str:
        return redacted(self.url)

    @property
    def pinned_url(self) -> str:
        """The URL with its host name replaced by the first checked address (credentials, port
        and path kept). For rtsps the name is still needed to verify the certificate."""
        parts = urlsplit(self.url)
        address = self.addresses[0]
        host = f"[{address}]" if address.version == 6 else str(address)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{host}:{self.port}" if userinfo else f"{host}:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))


def redacted(url: str) -> str:
    """The URL as it may appear in logs and messages: user information and secret-looking query
    values masked. Never raises; a URL it cannot take apart is masked more, not less."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = "***@" + netloc.rpartition("@")[2]
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode([(k, "***" if _SECRET_QUERY_KEYS.search(k) else v) for k, v in pairs], safe="*")
        text = urlunsplit(parts._replace(netloc=netloc, query=query))
    except ValueError:
        text = url
    # An unencoded "@" after the authority may still end a user:password that a parser other
    # than urllib splits differently: mask up to it.
    scheme, sep, rest = text.partition("://")
    if sep and "@" in rest and not rest.startswith("***@"):
        rest = "***@" + rest.rpartition("@")[2]
    return f"{scheme}{sep}{rest}" if sep else re.sub(r"[^/]*@", "***@", text)


def refusal(address: IPAddress) -> str | None:
    """Why an address is refused by default, or None for a publicly routable one."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            inner = refusal(embedded)
            return f"{inner} (embedded in IPv6 {address})" if inner else None
    for reason, networks in _REFUSED:
        if any(address in network for network in networks):
            return reason
    if not address.is_global:
        return "special-purpose (not globally routable)"
    return None


def _address(text: str) -> IPAddress:
    return ipaddress.ip_address(text.partition("%")[0])


@dataclass(frozen=True)
class UrlPolicy:
    """`allow`: CIDR networks (a bare address is a /32 or /128) and host names (exact,
    case-insensitive) that the operator permits although the defaults refuse them."""

    networks: tuple[IPNetwork, ...] = ()
    names: frozenset[str] = frozenset()
    resolve_timeout_s: float = DEFAULT_RESOLVE_TIMEOUT_S

    @classmethod
    def from_allow_list(cls, allow: Iterable[str] = (), **kwargs: Any) -> UrlPolicy:
        networks: list[IPNetwork] = []
        names: set[str] = set()
        for entry in allow:
            entry = entry.strip()
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            name = entry.lower().rstrip(".")
            if not name or "/" in name or _UNSAFE_CHARACTERS.search(name):
                raise ValueError(f"allow-list entry {entry!r} is neither a CIDR network nor a host name")
            names.add(name)
        return cls(networks=tuple(networks), names=frozenset(names), **kwargs)

    def check(self, url: str, resolve: Resolver | None = None) -> CameraTarget:
        """Validate, resolving names with the blocking `getaddrinfo` (or `resolve`)."""
        parts, host, port = self._parse(url)
        literal = _literal(host)
        if literal is not None:
            addresses: Sequence[str] = [str(literal)]
        else:
            try:
                addresses = (resolve or _getaddrinfo)(host)
            except OSError as exc:
                raise UrlRefused(f"host {host!r} does not resolve ({exc.strerror or exc})") from None
        return self._judge(url, parts, host, port, addresses)

    async def check_async(self, url: str, resolve: AsyncResolver | None = None) -> CameraTarget:
        """Validate without blocking the event loop (asyncio's getaddrinfo, with a timeout)."""
        parts, host, port = self._parse(url)
        literal = _literal(host)
        if literal is not None:
            return self._judge(url, parts, host, port, [str(literal)])
        try:
            async with asyncio.timeout(self.resolve_timeout_s):
                addresses = await (resolve or _getaddrinfo_async)(host)
        except TimeoutError:
            raise UrlRefused(f"host {host!r} did not resolve within {self.resolve_timeout_s:g} s") from None
        except OSError as exc:
            raise UrlRefused(f"host {host!r} does not resolve ({exc.strerror or exc})") from None
        return self._judge(url, parts, host, port, addresses)

    def _parse(self, url: str) -> tuple[SplitResult, str, int]:
        if not isinstance(url, str) or not url:
            raise UrlRefused("is empty")
        if _UNSAFE_CHARACTERS.search(url):
            # CR/LF would end the RTSP request line the URL is sent in.
            raise UrlRefused("contains whitespace, control characters or backslashes")
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            raise UrlRefused(f"is not a valid URL ({exc})") from None
        scheme = parts.scheme.lower()
        if not scheme:
            raise UrlRefused("has no scheme; use rtsp:// or rtsps://")
        if scheme not in SCHEMES:
            raise UrlRefused(f"scheme {scheme!r} is not allowed; use rtsp or rtsps")
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise UrlRefused("has no host")
        try:
            port = parts.port
        except ValueError:
            port = 0
        if port == 0:
            raise UrlRefused("port is not a number from 1 to 65535")
        return parts, host, port or SCHEMES[scheme]

    def _judge(self, url: str, parts: SplitResult, host: str, port: int, resolved: Sequence[str]) -> CameraTarget:
        addresses = tuple(dict.fromkeys(_address(a) for a in resolved))
        if not addresses:
            raise UrlRefused(f"host {host!r} resolves to no address")
        name_allowed = _literal(host) is None and host in self.names
        for address in addresses:
            reason = refusal(address)
            if reason is None or (reason != "a cloud metadata address" and self._allows(address, name_allowed)):
                continue
            shown = str(address) if str(address) == host else f"{host!r} ({address})"
            hint = "" if reason == "a cloud metadata address" else " and is not in the operator's allow-list"
            raise UrlRefused(f"host {shown} is {reason}{hint}")
        return CameraTarget(url=url, scheme=parts.scheme.lower(), host=host, port=port, addresses=addresses)

    def _allows(self, address: IPAddress, name_allowed: bool) -> bool:
        if name_allowed:
            return True
        candidates = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            candidates.append(address.ipv4_mapped)
        return any(a in network for a in candidates for network in self.networks if a.version == network.version)


def _literal(host: str) -> IPAddress | None:
    try:
        return _address(host)
    except ValueError:
        return None


def _addresses(infos: Iterable[tuple[Any, ...]]) -> list[str]:
    return [str(info[4][0]) for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)]


def _getaddrinfo(host: str) -> list[str]:
    return _addresses(socket.getaddrinfo(host, None, type=socket.SOCK_STREAM))


async def _getaddrinfo_async(host: str) -> list[str]:
    loop = asyncio.get_running_loop()
    return _addresses(await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM))


def check_url(url: str, allow: Iterable[str] = ()) -> CameraTarget:
    return UrlPolicy.from_allow_list(allow).check(url)


async def check_url_async(url: str, allow: Iterable[str] = ()) -> CameraTarget:
    return await UrlPolicy.from_allow_list(allow).check_async(url)
