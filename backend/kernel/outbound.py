"""Requests this server makes to addresses its users gave (webhooks): never to the server's own
network. Every address a host name resolves to is checked — loopback, private, link-local
(cloud metadata at 169.254.169.254), multicast, reserved, the unspecified address — and the
connection is made to the address that was checked, so a name that resolves differently a
moment later (DNS rebinding) cannot slip through. TLS still verifies the host name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore

from backend.kernel.errors import Invalid

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """The target is not one this server may call."""


# Ranges refused by name as well: the ipaddress module of some Python releases misjudges a few
# of them (CVE-2024-4032), and 6to4, Teredo and NAT64 addresses can carry an IPv4 address inside.
_BLOCKED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "::ffff:0:0/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/32",
        "2001:db8::/32",
        "2002::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
# Receivers listen on the usual HTTPS ports; any other port is refused outside development.
PORTS = frozenset({443, 8443})


def forbidden(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address.version == net.version and address in net for net in _BLOCKED):
        return True
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def check_url(url: str, *, allow_private: bool) -> None:
    """A URL a webhook may be sent to, as far as its text tells (422 with the reason if not)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Invalid.field("body.url", "an absolute http(s) URL", key="webhook_url")
    if parts.scheme != "https" and not allow_private:
        raise Invalid.field("body.url", "webhooks are sent over https only", key="webhook_https")
    if parts.username or parts.password:
        raise Invalid.field(
            "body.url", "no user name or password in the URL: put a token in the path", key="webhook_creds"
        )
    if any(c.isspace() for c in url) or not parts.hostname.isascii():
        raise Invalid.field("body.url", "a URL without spaces, its host name in ASCII (punycode)", key="webhook_host")
    try:
        port = parts.port
    except ValueError:
        raise Invalid.field("body.url", "not a valid port", key="webhook_port") from None
    if allow_private:
        return
    if port is not None and port not in PORTS:
        raise Invalid.field("body.url", "webhooks are sent to port 443 (or 8443)", key="webhook_port")
    host = parts.hostname.strip("[]").rstrip(".")  # "127.0.0.1." resolves as "127.0.0.1"
    if "%" in host:  # escapes a resolver might undo: no host name has them
        raise Invalid.field("body.url", "a host name without % escapes", key="webhook_host")
    if host.lower() == "localhost" or host.endswith(".localhost"):
        raise _private()
    literal = _literal(host)
    if literal is not None and forbidden(literal):
        raise _private()


def _private() -> Invalid:
    return Invalid.field(
        "body.url",
        "this address is private, loopback or link-local: webhooks go to public hosts only "
        "(DESK_WEBHOOKS_ALLOW_PRIVATE=true lets a test system call its own network)",
        key="webhook_private",
    )


def _literal(host: str) -> IpAddress | None:
    """The address a host written as one stands for, in any spelling a resolver takes:
    `127.0.0.1`, `::1`, but also `127.1`, `0x7f000001`, `2130706433` or `0177.0.0.1`. As the
    URL standard has it, a host whose last label is a number is an IPv4 address or nothing."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    last = host.split(".")[-1].lower()
    numeric = last.isdigit() or (last.startswith("0x") and all(c in "0123456789abcdef" for c in last[2:]))
    if not numeric:
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        raise Invalid.field("body.url", "not an address nor a host name", key="webhook_host") from None


async def _resolve(host: str, port: int) -> list[IpAddress]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


class _VettedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses that pass `forbidden`, and to the one it checked."""

    def __init__(self, allow_private: bool) -> None:
        self.inner = httpcore.AnyIOBackend()
        self.allow_private = allow_private

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await _resolve(host, port)
        if not addresses:
            raise Refused(f"{host} does not resolve")
        if not self.allow_private and any(forbidden(a) for a in addresses):
            raise Refused(f"{host} resolves to an address this server does not call")
        return await self.inner.connect_tcp(str(addresses[0]), port, timeout, local_address, socket_options)

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise Refused("no unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


async def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool) -> Answer:
    """POST `body` to `url` (no redirects followed, at most 4 KiB of the answer read), all of it
    within `timeout` seconds: a receiver that trickles its answer a byte at a time keeps under
    each read's timeout, not under this one."""
    check_url(url, allow_private=allow_private)
    try:
        return await asyncio.wait_for(_post(url, body, headers, timeout, allow_private), timeout)
    except TimeoutError:
        raise TimeoutError(f"no whole answer within {timeout:g} seconds") from None


async def _post(url: str, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool) -> Answer:
    limits = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
    async with httpcore.AsyncConnectionPool(network_backend=_VettedBackend(allow_private), retries=0) as pool:
        async with pool.stream(
            "POST",
            url,
            headers=[(k.encode(), v.encode()) for k, v in headers.items()],
            content=body,
            extensions={"timeout": limits},
        ) as response:
            read = b""
            async for chunk in response.aiter_stream():
                read += chunk
                if len(read) >= 4096:
                    break
            return Answer(response.status, read[:4096])
