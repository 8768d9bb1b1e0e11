"""Where a webhook may be sent: a tenant must not make the server call its own network or hold a worker.

A URL is checked when the endpoint is saved and again at every send, after resolving its host: every
address it resolves to must be public (not private, loopback, link-local, multicast, reserved, shared
or unspecified; IPv4-mapped IPv6 addresses are judged as IPv4). The send then connects to the address
that was checked (no second lookup a rebinding DNS server could answer differently), with the URL's host
in the Host header and for TLS (SNI and certificate check). WEBHOOK_ALLOWED_NETWORKS lets named networks
through (127.0.0.1 for tests and development); plain http only when WEBHOOK_ALLOW_HTTP (off in production).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """str(error) is a sentence for the owner."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL (for Host and TLS)
    port: int
    path: str  # path and query
    address: str  # the checked IP to connect to


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(net, strict=False) for net in settings.WEBHOOK_ALLOWED_NETWORKS]


def address_problem(address: Address) -> str | None:
    """Why the server must not call this address, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in net for net in _allowed_networks()):
        return None
    if address.is_loopback:
        return _("a loopback address")
    if address.is_link_local:
        return _("a link-local address")
    if address.is_private or address.is_reserved or address.is_unspecified or address.is_multicast:
        return _("a private or reserved address")
    if not address.is_global:
        return _("an address that is not public")
    return None


def parse(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of an acceptable URL; Refused with the reason otherwise."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise Refused(_("This is not a valid URL.")) from None
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if scheme not in allowed:
        raise Refused(_("The URL must start with https://."))
    if parts.username or parts.password:
        raise Refused(_("The URL must not contain a user name or password."))
    host = (parts.hostname or "").rstrip(".")
    if not host or "\x00" in url:
        raise Refused(_("The URL has no host."))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or (443 if scheme == "https" else 80), path


def resolve(url: str) -> Target:
    """The URL checked and its host resolved to one acceptable address; Refused with the reason otherwise."""
    scheme, host, port, path = parse(url)
    try:
        literal: Address | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise Refused(_("The host %(host)s could not be resolved.") % {"host": host}) from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise Refused(_("The host %(host)s could not be resolved.") % {"host": host})
    for address in addresses:  # every address: a host must not mix a public one with an internal one
        problem = address_problem(address)
        if problem:
            raise Refused(
                _("Webhooks cannot be sent to %(host)s: it is %(what)s.") % {"host": host, "what": problem}
            )
    return Target(scheme=scheme, host=host, port=port, path=path, address=str(addresses[0]))
