"""Who is on the other end of a request, as far as the network can tell, and what a per-address
limit counts against: `client_network`, used by every limit and cap keyed on an address."""

from __future__ import annotations

import ipaddress

from starlette.requests import HTTPConnection

from boxoffice.config import IPNetwork, Settings

# An IPv6 subscriber gets a /64 (or more) to pick addresses from at will: a limit per address
# would be a limit per guess. Every address of one /64 counts as one client.
IPV6_CLIENT_PREFIX = 64


def client_network(request: HTTPConnection) -> str:
    """The key of every per-address limit and cap: the client's IPv4 address, or its IPv6 /64
    (`2001:db8:1:2::/64`); an IPv4 address written as IPv6 (`::ffff:192.0.2.1`) is the IPv4."""
    return address_key(client_address(request))


def address_key(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an address (a test client's name): itself
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_CLIENT_PREFIX), strict=False))
    return str(ip)


def client_address(request: HTTPConnection) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy (`TRUSTED_PROXIES`).

    Behind trusted proxies, `X-Forwarded-For` is read from the right: each proxy appends the
    address it got the request from, so the first address that is not a trusted proxy is the
    client. Anything to the left of it was written by the client and proves nothing.
    """
    peer = request.client.host if request.client else "unknown"
    settings: Settings = request.app.state.settings
    trusted = settings.trusted_proxy_networks
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
    ]
    nearest_trusted = peer
    for hop in reversed(hops):
        if not _is_address(hop):
            break  # garbage the client wrote: the last proxy is all we can name
        if not _within(hop, trusted):
            return hop
        nearest_trusted = hop
    return nearest_trusted


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _within(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
