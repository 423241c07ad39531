"""Which network addresses a source may reach: public ones only, unless it is declared an intranet."""

from __future__ import annotations

import ipaddress
import socket


class AddressRefused(Exception):
    """The host resolves to an address this source may not reach; the message says which, in French."""


def check_host(host: str, port: int, intranet: bool) -> str | None:
    """Resolve ``host`` and refuse it when any of its addresses is private, loopback, link-local, multicast or
    reserved (the cloud metadata address among them), unless ``intranet``. Returns the address to connect to, so
    the name is not resolved a second time (a DNS answer changed in between cannot lead elsewhere); None for an
    intranet source, whose name the client resolves itself."""
    if intranet:
        return None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(f"hôte « {host} » introuvable ({error})") from None
    addresses = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global:
            raise AddressRefused(f"adresse non publique refusée pour « {host} » ({address}) : déclarez la source "
                                 "« intranet = true » pour l'autoriser")
        addresses.append(address)
    return str(addresses[0])
