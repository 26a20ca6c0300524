"""Where a webhook may be sent: only to public addresses, unless `WEBHOOK_ALLOW_PRIVATE_NETWORKS` is on.

A URL is checked when the endpoint is saved and again at every attempt. The attempt resolves the host once and
connects to the address it checked (webhooks/transport.py), so a DNS answer that changes between the check and
the connection (DNS rebinding) cannot send the request to an internal address.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from django.conf import settings

from contacts.errors import ValidationFailed

# Cloud instance metadata services: link-local and private already, named so the error says what they are.
METADATA_ADDRESSES = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class UrlCode(StrEnum):
    """Why a webhook URL was refused (the `code` of the API's field error)."""

    INVALID_URL = "invalid_url"
    UNRESOLVABLE_HOST = "unresolvable_host"
    FORBIDDEN_ADDRESS = "forbidden_address"


class UnsafeWebhookUrl(ValidationFailed):
    """The URL is not one deliveries may go to; `field` is always `url`."""

    def __init__(self, message: str, code: UrlCode) -> None:
        super().__init__("url", message, code=code)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL: the Host header and the TLS server name
    port: int
    address: str  # the checked IP the connection goes to
    path: str  # path and query


def address_class(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """The kind of non-public address `address` is, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address_class(address.ipv4_mapped)
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for kind, flag in (
        ("a loopback address", address.is_loopback),
        ("a link-local address", address.is_link_local),
        ("a multicast address", address.is_multicast),
        ("an unspecified address", address.is_unspecified),
        ("a reserved address", address.is_reserved),
        ("a private network address", address.is_private),
    ):
        if flag:
            return kind
    if not address.is_global:
        return "a non-public address"  # shared address space (100.64.0.0/10) and the like
    return None


def _parts(url: str) -> tuple[str, str, int, str]:
    try:
        split = urlsplit(url)
        port = split.port
    except ValueError:
        raise UnsafeWebhookUrl("url is not a valid URL", UrlCode.INVALID_URL) from None
    scheme = split.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeWebhookUrl("url must start with https:// or http://", UrlCode.INVALID_URL)
    if not split.hostname:
        raise UnsafeWebhookUrl("url must name a host", UrlCode.INVALID_URL)
    if split.username is not None or split.password is not None:
        raise UnsafeWebhookUrl("url must not carry a user name or password", UrlCode.INVALID_URL)
    path = (split.path or "/") + (f"?{split.query}" if split.query else "")
    return scheme, split.hostname, port or (443 if scheme == "https" else 80), path


def resolve(url: str) -> Target:
    """The URL's target at its first allowed address. Raises `UnsafeWebhookUrl` if the URL is malformed, its host
    does not resolve, or any address it resolves to is not public (unless private networks are allowed)."""
    scheme, host, port, path = _parts(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise UnsafeWebhookUrl(f"The host {host} does not resolve", UrlCode.UNRESOLVABLE_HOST) from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise UnsafeWebhookUrl(f"The host {host} does not resolve", UrlCode.UNRESOLVABLE_HOST)
    if not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        # Every answer is checked: a host with one public and one internal address is refused, since another
        # resolver (or the next attempt) may pick the internal one.
        for address in addresses:
            kind = address_class(address)
            if kind is not None:
                raise UnsafeWebhookUrl(
                    f"url resolves to {address}, {kind}; webhooks are only sent to public addresses",
                    UrlCode.FORBIDDEN_ADDRESS,
                )
    return Target(scheme, host, port, str(addresses[0]), path)


def check_url(url: str) -> str:
    """`url`, stripped, if deliveries may go to it; raises `UnsafeWebhookUrl` otherwise."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeWebhookUrl("url must be a non-empty string", UrlCode.INVALID_URL)
    url = url.strip()
    if len(url) > 2000:
        raise UnsafeWebhookUrl("url must be at most 2000 characters", UrlCode.INVALID_URL)
    resolve(url)
    return url
