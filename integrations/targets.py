"""Where webhooks may go: public addresses only, unless WEBHOOK_ALLOW_PRIVATE_TARGETS is set.

A webhook URL is chosen by its subscriber, and the sender posts to it from inside the
installation's network: pointed at 127.0.0.1, 10.0.0.5 or 169.254.169.254 (a cloud's metadata
service), it would reach services that trust that network. So a host that resolves to any
address that is not public is refused: when a URL is set (`webhook_target_refusal`) and again
on each connection (`target_connect`), since DNS may answer otherwise by then. The connection
goes to the very addresses checked, so a name that changes between lookups gains nothing.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# Translators: {kind} is a technical word left in English: loopback, private, link-local…
TARGET_REFUSED = _(
    "{host} is at {address}, a {kind} address: webhooks are sent to public addresses only."
)
TARGET_NO_HOST = _("A webhook URL needs a host.")
DEFAULT_PORTS = {"http": 80, "https": 443}
# NAT64's well-known prefix (RFC 6052): the IPv4 address is in the last 32 bits.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class TargetRefused(OSError):
    """A webhook's host resolved to an address it may not be sent to."""


def address_kind(address: str) -> str | None:
    """What keeps an IP address from being a webhook target ("loopback", "private", …);
    None for a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address inside an IPv6 one reaches that IPv4 address; Python 3.11 does not
        # call ::ffff:127.0.0.1 loopback, so it is unwrapped first.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_kind(str(embedded))
        if ip.is_site_local:
            return "site-local"
    for kind in ("loopback", "link-local", "unspecified", "multicast", "reserved", "private"):
        if getattr(ip, "is_" + kind.replace("-", "_")):
            return kind
    # The rest of what is not global: shared address space (100.64.0.0/10), IPv6 unique local
    # addresses (fc00::/7, also "private" above) and the like.
    return None if ip.is_global else "non-public"


def target_addresses(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, each one a permitted target.

    Raises TargetRefused naming the first one that is not (unless the installation allows
    private targets), and socket.gaierror when the name does not resolve.
    """
    if not host:
        raise TargetRefused(str(TARGET_NO_HOST))
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        # Any one refused refuses the host: a connection may go to any of them.
        for address in addresses:
            kind = address_kind(address)
            if kind is not None:
                raise TargetRefused(TARGET_REFUSED.format(host=host, address=address, kind=kind))
    return addresses


def webhook_target_refusal(url: str) -> str | None:
    """Why a webhook may not be sent to `url`'s host, or None if it may.

    A host that does not resolve now is not refused: DNS may be down for a moment, or the
    receiver's name not set up yet; each delivery checks again before connecting.
    """
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return None
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 80)
        target_addresses(parts.hostname or "", port)
    except TargetRefused as exc:
        return str(exc)
    except (OSError, UnicodeError, ValueError):  # unresolvable, or a port out of range
        return None
    return None


def target_connect(
    address: tuple[str, int],
    timeout: float | object = socket._GLOBAL_DEFAULT_TIMEOUT,
    source_address: tuple[str, int] | None = None,
) -> socket.socket:
    """socket.create_connection, to the checked addresses of the host only."""
    host, port = address
    error: OSError | None = None
    for ip in target_addresses(host, port):
        try:
            # An IP literal: create_connection looks nothing up again.
            return socket.create_connection((ip, port), timeout, source_address)
        except OSError as exc:
            error = exc
    raise error or OSError(f"{host} has no address")
