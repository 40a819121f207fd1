"""Webhook URLs supplied by enterprises must not reach the platform's own network (SSRF): loopback,
private, link-local (cloud metadata), reserved and multicast addresses are refused unless the host is
on the operator's allow-list. Checked when the URL is registered and again, resolved, before each send."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class UrlRefused(ValueError):
    pass


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


def check_literal(url: str, allowed_hosts: list[str]) -> None:
    """At registration: scheme http(s); an IP literal must be public (or allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlRefused("webhook_url must be an http or https URL with a host")
    host = parts.hostname
    if host in allowed_hosts:
        return
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            raise UrlRefused(f"webhook_url host {host!r} is this machine") from None
        return
    if not _public(host):
        raise UrlRefused(f"webhook_url address {host} is not a public address")


async def check_resolved(url: str, allowed_hosts: list[str]) -> None:
    """Before a send: every address the host resolves to must be public (or the host allowed)."""
    host = urlsplit(url).hostname or ""
    if host in allowed_hosts:
        return
    check_literal(url, allowed_hosts)
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    refused = sorted({str(info[4][0]) for info in infos if not _public(str(info[4][0]))})
    if refused:
        raise UrlRefused(f"webhook_url host {host!r} resolves to non-public {', '.join(refused)}")
