"""Which IP camera URLs the gateway may pull (SSRF defence; the API answers a refusal with 422)."""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import Sequence

import pytest

from rvi_video_gateway.media.url_policy import (
    UrlPolicy,
    UrlRefused,
    check_url,
    check_url_async,
    redacted,
    refusal,
)

DEFAULT = UrlPolicy()

# (url, the reason's fragment) under the default policy.
REFUSED = [
    ("http://203.0.114.1/cam", "scheme 'http' is not allowed"),
    ("HTTPS://camera.example/cam", "scheme 'https' is not allowed"),
    ("file:///etc/passwd", "scheme 'file' is not allowed"),
    ("rtmp://8.8.8.8/live", "scheme 'rtmp' is not allowed"),
    ("//8.8.8.8/cam", "has no scheme"),
    ("", "is empty"),
    ("rtsp:///cam1", "has no host"),
    ("rtsp://user:pw@/cam1", "has no host"),
    ("rtsp://8.8.8.8:0/cam", "port is not a number"),
    ("rtsp://8.8.8.8:99999/cam", "port is not a number"),
    ("rtsp://8.8.8.8/cam\r\nCSeq: 9", "control characters"),
    ("rtsp://8.8.8.8/c am", "whitespace"),
    ("rtsp://[::1/cam", "not a valid URL"),
    ("rtsp://127.0.0.1/cam1", "loopback"),
    ("rtsp://127.255.0.7:8554/cam1", "loopback"),
    ("rtsp://[::1]:8554/cam1", "loopback"),
    ("rtsp://0.0.0.0/cam1", "unspecified"),
    ("rtsp://[::]/cam1", "unspecified"),
    ("rtsp://169.254.169.254/latest/meta-data", "cloud metadata"),
    ("rtsp://[fd00:ec2::254]/", "cloud metadata"),
    ("rtsp://100.100.100.200/", "cloud metadata"),
    ("rtsp://168.63.129.16/", "cloud metadata"),
    ("rtsp://169.254.10.20/cam1", "link-local"),
    ("rtsp://[fe80::1%25eth0]/cam1", "link-local"),
    ("rtsp://10.1.2.3/cam1", "private"),
    ("rtsp://172.16.0.9/cam1", "private"),
    ("rtsp://172.31.255.255/cam1", "private"),
    ("rtsp://192.168.1.64:554/Streaming/Channels/101", "private"),
    ("rtsp://[fd12:3456::64]/cam1", "private"),
    ("rtsp://100.64.0.1/cam1", "carrier-grade NAT"),
    ("rtsp://224.0.0.251/cam1", "multicast"),
    ("rtsp://[ff02::1]/cam1", "multicast"),
    ("rtsp://240.0.0.1/cam1", "reserved"),
    ("rtsp://255.255.255.255/cam1", "reserved"),
    ("rtsp://192.0.2.10/cam1", "special-purpose"),  # documentation (TEST-NET-1)
    ("rtsp://198.18.0.1/cam1", "special-purpose"),  # benchmarking
    ("rtsp://[::ffff:127.0.0.1]/cam1", "loopback (embedded in IPv6"),
    ("rtsp://[::ffff:169.254.169.254]/", "cloud metadata"),
    ("rtsp://[::ffff:10.0.0.5]/cam1", "private (RFC 1918 / unique-local) (embedded"),
    ("rtsp://[64:ff9b::a00:5]/cam1", "private (RFC 1918 / unique-local) (embedded"),  # NAT64 of 10.0.0.5
    ("rtsp://[2002:7f00:1::]/cam1", "loopback (embedded"),  # 6to4 of 127.0.0.1
    ("rtsps://localhost/cam1", "loopback"),  # resolved by the system's getaddrinfo
    ("rtsp://127.1/cam1", "loopback"),  # inet_aton shorthand: a name to urllib, 127.0.0.1 to the resolver
    ("rtsp://0x7f000001/cam1", "loopback"),
    ("rtsp://camera.invalid/cam1", "does not resolve"),
]

ALLOWED = [
    ("rtsp://8.8.8.8/cam1", "8.8.8.8", 554),
    ("rtsps://8.8.8.8/cam1", "8.8.8.8", 322),
    ("RTSP://admin:s3cret@1.1.1.1:8554/Streaming/Channels/101?transportmode=unicast", "1.1.1.1", 8554),
    ("rtsp://[2606:4700:4700::1111]:10554/cam", "2606:4700:4700::1111", 10554),
    ("rtsp://[::ffff:8.8.4.4]/cam1", "::ffff:8.8.4.4", 554),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_refused_by_default(url: str, reason: str) -> None:
    with pytest.raises(UrlRefused) as refused:
        DEFAULT.check(url)
    assert reason in refused.value.reason
    assert refused.value.field == "url"
    assert str(refused.value).startswith("url: ")


@pytest.mark.parametrize(("url", "reason"), REFUSED)
async def test_refused_by_default_async(url: str, reason: str) -> None:
    with pytest.raises(UrlRefused) as refused:
        await DEFAULT.check_async(url)
    assert reason in refused.value.reason


@pytest.mark.parametrize(("url", "address", "port"), ALLOWED)
async def test_public_cameras_pass(url: str, address: str, port: int) -> None:
    for target in (DEFAULT.check(url), await DEFAULT.check_async(url)):
        assert target.addresses == (ipaddress.ip_address(address),)
        assert target.port == port
        assert target.scheme in ("rtsp", "rtsps")
        assert target.url == url


def fake_dns(records: dict[str, Sequence[str]]):
    """A resolver answering from a table: names that resolve to chosen mixes of addresses."""

    def resolve(host: str) -> Sequence[str]:
        if host not in records:
            raise OSError(-2, "Name or service not known")
        return records[host]

    async def resolve_async(host: str) -> Sequence[str]:
        return resolve(host)

    return resolve, resolve_async


DNS = {
    "cam.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    "sneaky.example.com": ["93.184.215.14", "10.0.0.7"],  # one private address is enough to refuse
    "rebind.example.com": ["169.254.169.254"],
    "v6-loopback.example.com": ["::1"],
    "mapped.example.com": ["::ffff:192.168.0.10"],
    "lab-cam.corp.example": ["192.168.7.20"],
    "metadata.corp.example": ["169.254.169.254"],
}

# (allow-list, url, refused reason fragment or None when permitted)
NAMED = [
    ((), "rtsp://cam.example.com/live", None),
    ((), "rtsp://sneaky.example.com/live", "'sneaky.example.com' (10.0.0.7) is private"),
    ((), "rtsp://rebind.example.com/live", "cloud metadata"),
    ((), "rtsp://v6-loopback.example.com/live", "loopback"),
    ((), "rtsp://mapped.example.com/live", "private"),
    ((), "rtsp://lab-cam.corp.example/live", "private"),
    ((), "rtsp://nowhere.example.com/live", "does not resolve"),
    (("lab-cam.corp.example",), "rtsp://lab-cam.corp.example/live", None),
    (("LAB-CAM.corp.example.",), "rtsp://Lab-Cam.Corp.Example/live", None),
    (("192.168.7.0/24",), "rtsp://lab-cam.corp.example/live", None),
    (("192.168.8.0/24",), "rtsp://lab-cam.corp.example/live", "not in the operator's allow-list"),
    (("192.168.0.0/16",), "rtsp://mapped.example.com/live", None),
    (("10.0.0.0/8",), "rtsp://sneaky.example.com/live", None),
    (("metadata.corp.example",), "rtsp://metadata.corp.example/", "cloud metadata"),
    (("169.254.0.0/16",), "rtsp://rebind.example.com/", "cloud metadata"),
    (("127.0.0.0/8",), "rtsp://v6-loopback.example.com/live", "loopback"),
    (("127.0.0.0/8", "::1"), "rtsp://v6-loopback.example.com/live", None),
]


@pytest.mark.parametrize(("allow", "url", "reason"), NAMED)
async def test_names_are_judged_by_every_address(allow: tuple[str, ...], url: str, reason: str | None) -> None:
    resolve, resolve_async = fake_dns(DNS)
    policy = UrlPolicy.from_allow_list(allow)
    if reason is None:
        target = policy.check(url, resolve)
        assert (await policy.check_async(url, resolve_async)) == target
        assert target.addresses == tuple(ipaddress.ip_address(a) for a in DNS[target.host])
        return
    with pytest.raises(UrlRefused, match=re.escape(reason)):
        policy.check(url, resolve)
    with pytest.raises(UrlRefused, match=re.escape(reason)):
        await policy.check_async(url, resolve_async)


# (allow-list, url, permitted)
ALLOW_LIST = [
    (["127.0.0.0/8"], "rtsp://127.0.0.1:8554/cam1", True),
    (["127.0.0.0/8"], "rtsp://[::ffff:127.0.0.1]:8554/cam1", True),
    (["127.0.0.0/8"], "rtsp://[::1]:8554/cam1", False),
    (["127.0.0.1"], "rtsp://127.0.0.2/cam1", False),
    (["10.20.0.0/16"], "rtsp://10.20.3.4/cam1", True),
    (["10.20.0.0/16"], "rtsp://10.21.3.4/cam1", False),
    (["fd00::/8"], "rtsp://[fd12::64]/cam1", True),
    (["100.64.0.0/10"], "rtsp://100.80.1.1/cam1", True),
    (["100.64.0.0/10"], "rtsp://100.100.100.200/cam1", False),  # Alibaba Cloud metadata stays refused
    (["0.0.0.0/0"], "rtsp://169.254.169.254/", False),
    (["localhost"], "rtsp://localhost:8554/cam1", True),
    (["localhost"], "http://localhost/cam1", False),  # the scheme rule is not the allow-list's
]


@pytest.mark.parametrize(("allow", "url", "permitted"), ALLOW_LIST)
async def test_the_operator_allow_list(allow: list[str], url: str, permitted: bool) -> None:
    if permitted:
        assert check_url(url, allow).url == url
        assert (await check_url_async(url, allow)).url == url
    else:
        with pytest.raises(UrlRefused):
            check_url(url, allow)
        with pytest.raises(UrlRefused):
            await check_url_async(url, allow)


@pytest.mark.parametrize("entry", ["", " ", "10.0.0.0/33", "cam host", "a/b", "cam\\host"])
def test_bad_allow_list_entries_are_refused(entry: str) -> None:
    with pytest.raises(ValueError, match="neither a CIDR network nor a host name"):
        UrlPolicy.from_allow_list([entry])


def test_allow_list_entries_are_read_leniently() -> None:
    policy = UrlPolicy.from_allow_list([" 10.0.0.0/8\n", "192.168.1.7", "10.1.2.3/8", "Cam.Example.COM."])
    assert [str(n) for n in policy.networks] == ["10.0.0.0/8", "192.168.1.7/32", "10.0.0.0/8"]
    assert policy.names == {"cam.example.com"}


async def test_a_slow_resolver_is_refused_in_time() -> None:
    async def never(host: str) -> Sequence[str]:
        await asyncio.sleep(10)
        return []

    policy = UrlPolicy(resolve_timeout_s=0.2)
    started = asyncio.get_running_loop().time()
    with pytest.raises(UrlRefused, match="did not resolve within 0.2 s"):
        await policy.check_async("rtsp://slow.example.com/cam", never)
    assert asyncio.get_running_loop().time() - started < 1.0


SECRET_URLS = [
    ("rtsp://admin:hunter2@8.8.8.8:554/cam", "rtsp://***@8.8.8.8:554/cam"),
    ("rtsp://admin@8.8.8.8/cam", "rtsp://***@8.8.8.8/cam"),
    ("rtsp://ad%40min:p%3Aw%40rd@8.8.8.8/cam", "rtsp://***@8.8.8.8/cam"),
    ("rtsp://admin:pa/ss@8.8.8.8/cam", "rtsp://***@8.8.8.8/cam"),  # an unencoded "/" in the password
    ("rtsp://8.8.8.8/cam?channel=1&password=hunter2&user=admin", "rtsp://8.8.8.8/cam?channel=1&password=***&user=***"),
    ("rtsp://8.8.8.8/live/ch00_0", "rtsp://8.8.8.8/live/ch00_0"),
    ("admin:hunter2@8.8.8.8", "***@8.8.8.8"),
    ("rtsp://admin:hunter2@[::1/cam", "rtsp://***@[::1/cam"),  # unparseable, still masked
]


@pytest.mark.parametrize(("url", "shown"), SECRET_URLS)
def test_redacted_hides_credentials(url: str, shown: str) -> None:
    assert redacted(url) == shown
    assert "hunter2" not in redacted(url)


@pytest.mark.parametrize(
    "url",
    [
        "rtsp://admin:hunter2@127.0.0.1/cam1",
        "rtsp://admin:hunter2@169.254.169.254/",
        "http://admin:hunter2@8.8.8.8/",
        "rtsp://admin:hunter2@nowhere.invalid/cam1",
        "rtsp://admin:hunter2@8.8.8.8:70000/",
    ],
)
def test_refusals_never_carry_credentials(url: str) -> None:
    with pytest.raises(UrlRefused) as refused:
        DEFAULT.check(url)
    assert "hunter2" not in str(refused.value)
    assert "admin" not in str(refused.value)


@pytest.mark.parametrize(
    ("url", "pinned"),
    [
        ("rtsp://admin:pw@cam.example.com:8554/live?x=1", "rtsp://admin:pw@93.184.215.14:8554/live?x=1"),
        ("rtsp://cam.example.com/live", "rtsp://93.184.215.14:554/live"),
        ("rtsp://[2606:4700:4700::1111]/live", "rtsp://[2606:4700:4700::1111]:554/live"),
    ],
)
def test_the_pinned_url_connects_to_the_checked_address(url: str, pinned: str) -> None:
    resolve, _ = fake_dns(DNS)
    assert DEFAULT.check(url, resolve).pinned_url == pinned


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
        ("127.0.0.1", "loopback"),
        ("172.15.255.255", None),  # just below 172.16.0.0/12
        ("172.32.0.0", None),  # just above it
        ("100.63.255.255", None),
        ("100.128.0.0", None),
        ("2001:db8::1", "special-purpose (not globally routable)"),
        ("::ffff:8.8.8.8", None),
    ],
)
def test_refusal_by_address(address: str, reason: str | None) -> None:
    assert refusal(ipaddress.ip_address(address)) == reason
