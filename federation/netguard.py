"""Network guard for outgoing requests: which addresses the server may connect to.

Every URL we fetch is chosen by a remote party (actor ids, inbox URLs, redirect
``Location`` headers), so without a guard any federated peer could make this
server talk to its own loopback admin ports, the cloud metadata service at
169.254.169.254, or the operator's private network (server-side request forgery,
SSRF).  Two rules keep that from happening:

* :func:`is_public_address` decides whether one IP address is globally routable
  unicast.  It is an explicit allow-list for IPv6 (2000::/3) plus a deny table for
  both families, and it unwraps IPv4 addresses embedded in IPv6 (mapped, NAT64,
  6to4) so ``::ffff:127.0.0.1`` is judged as ``127.0.0.1``.
* :class:`GuardedResolver` is the aiohttp resolver of the one client session: it
  resolves a name, drops every address the predicate refuses and hands aiohttp
  only what was checked.  aiohttp then connects to exactly those numeric
  addresses, so a second, different DNS answer (DNS rebinding: public on the
  check, private on the connect) cannot be slipped in between check and connect.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping, Sequence
from typing import TypeAlias

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
# Decides whether the server may open a connection to this address.  Injectable
# so tests can treat 127.0.0.1 as "public" and still exercise the refusals.
AddressPredicate: TypeAlias = Callable[[IPAddress], bool]

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# IANA IPv4 special-purpose registry and friends.  Written out instead of relying
# on ``ipaddress.is_global`` alone because that table has changed between Python
# patch releases (and never covered CGNAT in ``is_private``).
_DENIED_V4: tuple[ipaddress.IPv4Network, ...] = (
    _V4("0.0.0.0/8"),  # "this network"; 0.0.0.0 reaches localhost on Linux
    _V4("10.0.0.0/8"),  # RFC 1918
    _V4("100.64.0.0/10"),  # CGNAT shared space (RFC 6598): a provider's internal net
    _V4("127.0.0.0/8"),  # loopback
    _V4("169.254.0.0/16"),  # link-local, home of cloud metadata endpoints
    _V4("172.16.0.0/12"),  # RFC 1918
    _V4("192.0.0.0/24"),  # IETF protocol assignments
    _V4("192.0.2.0/24"),  # TEST-NET-1 documentation
    _V4("192.88.99.0/24"),  # deprecated 6to4 relay anycast
    _V4("192.168.0.0/16"),  # RFC 1918
    _V4("198.18.0.0/15"),  # benchmarking
    _V4("198.51.100.0/24"),  # TEST-NET-2
    _V4("203.0.113.0/24"),  # TEST-NET-3
    _V4("224.0.0.0/4"),  # multicast
    _V4("240.0.0.0/4"),  # reserved, includes 255.255.255.255 broadcast
)

# Only global unicast (2000::/3) is ever allowed for IPv6; these are the
# non-public carve-outs inside it.
_GLOBAL_UNICAST_V6 = _V6("2000::/3")
_DENIED_V6: tuple[ipaddress.IPv6Network, ...] = (
    _V6("2001::/23"),  # IETF protocol assignments, includes Teredo 2001::/32
    _V6("2001:db8::/32"),  # documentation
    _V6("3fff::/20"),  # documentation (RFC 9637)
)
# Prefixes whose low bits carry an IPv4 address the packet really goes to.
_NAT64_V6 = _V6("64:ff9b::/96")  # RFC 6052 well-known NAT64 prefix
_SIX_TO_FOUR_V6 = _V6("2002::/16")  # 6to4: IPv4 in bits 16..48


class AddressRefusedError(OSError):
    """A name resolved only to addresses the guard refuses.

    An ``OSError`` because aiohttp wraps resolver ``OSError``s into
    ``ClientConnectorDNSError``; the fetcher looks for this class in ``os_error``
    to report ``private_address`` instead of a generic DNS failure.
    """

    def __init__(self, host: str) -> None:
        super().__init__(f"no allowed address for {host}")
        self.host = host


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address actually delivers to, if it embeds one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64_V6:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    return None


def is_public_address(ip: IPAddress) -> bool:
    """True only for globally routable unicast addresses.

    Refuses private, loopback, link-local, multicast, unspecified, reserved,
    documentation, benchmarking and CGNAT ranges, IPv6 ULA/site-local, and any
    IPv6 form that embeds one of the refused IPv4 addresses.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:  # a zone index only makes sense for link-local targets
            return False
        inner = embedded_ipv4(ip)
        if inner is not None:
            return is_public_address(inner)
        if ip not in _GLOBAL_UNICAST_V6:  # ::, ::1, fc00::/7, fe80::/10, ff00::/8, ...
            return False
        if any(ip in net for net in _DENIED_V6):
            return False
        return ip.is_global
    if any(ip in net for net in _DENIED_V4):
        return False
    # Belt and braces: the stdlib table must agree too.
    return ip.is_global and not ip.is_multicast


def parse_ip_literal(host: str) -> IPAddress | None:
    """Parse a URL host that is an IP literal; ``None`` for a DNS name.

    Raises ``ValueError`` for numeric-looking hosts that are not canonical
    dotted-quad IPv4 (``2130706433``, ``0x7f.1``, ``127.1``, ``017.0.0.1``).
    ``getaddrinfo`` would quietly turn those into an address, so a check that only
    looked at the string would be bypassed; no real DNS name ends in a numeric
    label (RFC 3696 section 2), so nothing legitimate is lost by refusing them.
    """
    host = host.strip("[]")
    if ":" in host:
        return ipaddress.IPv6Address(host)  # ValueError if malformed
    last_label = host.rstrip(".").rsplit(".", 1)[-1].lower()
    if last_label.isdigit() or last_label.startswith("0x"):
        return ipaddress.IPv4Address(host)  # strict dotted-quad only, else ValueError
    return None


class GuardedResolver(AbstractResolver):
    """Resolve with an upstream resolver and return only allowed addresses.

    This is the one place where names become addresses for the client session,
    so the address checked is the address connected to (no DNS rebinding window).
    Mixed answers are filtered rather than refused: the connection can only go to
    the surviving, checked addresses.
    """

    def __init__(
        self,
        is_allowed: AddressPredicate,
        upstream: AbstractResolver | None = None,
    ) -> None:
        self._is_allowed = is_allowed
        self._upstream = upstream
        self._owns_upstream = upstream is None

    def _allowed(self, host: str) -> bool:
        try:
            return self._is_allowed(ipaddress.ip_address(host))
        except ValueError:  # not an address at all: never connect to it
            return False

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._upstream is None:
            # Created lazily: aiohttp's resolvers bind to the running loop.
            self._upstream = DefaultResolver()
        results = await self._upstream.resolve(host, port, family)
        if not results:
            raise OSError(f"no addresses for {host}")
        allowed = [r for r in results if self._allowed(r["host"])]
        if not allowed:
            raise AddressRefusedError(host)
        return allowed

    async def close(self) -> None:
        if self._owns_upstream and self._upstream is not None:
            await self._upstream.close()


class StaticResolver(AbstractResolver):
    """Resolve names from a fixed table (tests, local multi-instance setups).

    Unknown names fail like NXDOMAIN.  Results carry ``AI_NUMERICHOST`` so the
    event loop's ``getaddrinfo`` never performs a second, real lookup.
    """

    def __init__(self, table: Mapping[str, str | Sequence[str]]) -> None:
        self._table = {
            name.lower().rstrip("."): [addrs] if isinstance(addrs, str) else list(addrs)
            for name, addrs in table.items()
        }
        self.calls: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls.append(host)
        addrs = self._table.get(host.lower().rstrip("."))
        if not addrs:
            raise socket.gaierror(socket.EAI_NONAME, f"unknown host {host}")
        results: list[ResolveResult] = []
        for addr in addrs:
            ip = ipaddress.ip_address(addr)
            fam = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            if family not in (socket.AF_UNSPEC, fam):
                continue
            results.append(
                ResolveResult(
                    hostname=host,
                    host=addr,
                    port=port,
                    family=fam,
                    proto=0,
                    flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
                )
            )
        return results

    async def close(self) -> None:
        return None
