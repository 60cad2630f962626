"""The address a request came from, when it may have passed through reverse proxies.

Every proxy that handles a request appends the address it saw the request come from to
X-Forwarded-For. The header therefore reads: whatever the sender wrote (anything at all),
then one entry per proxy, the proxy nearest the application last. Only the entries our own
proxies added can be believed, and they are the rightmost ones: with N trusted proxies in
front of carematch, the Nth entry from the right is the address the outermost of them saw,
which is the client's. Everything to its left was sent by the client and is ignored.

When the header holds fewer entries than there are trusted proxies, the request did not
come through the chain as configured (the application was reached past a proxy, or the
number is set wrong), so none of the entries can be trusted: the peer's own address
(REMOTE_ADDR, the one address nobody can choose) is used. The same goes for an entry that is
not an IP address. Falling back to the peer errs on the side of the client: at worst several
people share one address for throttling, and nobody can put a chosen address in the log.
"""

from __future__ import annotations

import ipaddress


def ip_or_empty(text: str) -> str:
    """`text` as a normalised IPv4 or IPv6 address, or "" when it is not one. Zoned IPv6
    addresses (fe80::1%eth0) are refused: no proxy on the Internet's side writes them."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        return ""
    return str(address)


def forwarded_address(*, peer: str, forwarded_for: str, trusted_proxies: int) -> str:
    """The client's address: the X-Forwarded-For entry added by the outermost of
    `trusted_proxies` proxies (counted from the right), or `peer` (REMOTE_ADDR) when there is
    no trustworthy entry. Pass an empty `forwarded_for` when carematch is not behind a proxy."""
    if trusted_proxies < 1 or not forwarded_for.strip():
        return ip_or_empty(peer)
    entries = forwarded_for.split(",")
    if len(entries) < trusted_proxies:
        return ip_or_empty(peer)
    return ip_or_empty(entries[-trusted_proxies]) or ip_or_empty(peer)
