"""Outbound webhook calls: Standard Webhooks signatures, and only to addresses safe to call from the service.

Secrets. A webhook's `whsec_` secret is derived, never stored: HMAC-SHA256 under a key derived from the service's
signing secret (SEND_RECORDS_JWT_SECRET), of the webhook's id and the random secret id its record keeps. Every
process sharing the database derives the same secret; the log, the read models and the logs hold only the id; and
the secret is shown once, when registered or rotated. Changing SEND_RECORDS_JWT_SECRET changes every webhook's
secret (rotate each then, and hand the receivers their new one).

Safety. Only http and https; every address a host resolves to must be public (not loopback, private, link-local,
shared, reserved or multicast, nor an IPv4 one of those inside IPv6) unless SEND_RECORDS_WEBHOOK_ALLOW_PRIVATE=1. The
check is aiohttp's resolver (CheckedResolver): the connection is made to an address it returned, never to one
resolved again elsewhere, and TLS checks the certificate for the name. An address given as the host is checked
before the request (aiohttp does not resolve it). Connect and read timeouts and an overall deadline; at most 64 KB of
a response is read, as sent (not decompressed); redirects are not followed; no proxy from the environment. A secret
is never logged: errors name the address, the status or the failure, nothing else. No maintained library guards an
async client so (the known ones wrap `requests`), so the check is these few lines on the standard library's
`ipaddress`.

Cost. One aiohttp session for all webhooks keeps connections alive per host (aiohttp's pool is keyed by host, port
and TLS). A POST costs it about 0.2 ms of CPU, a sixth of httpx's (1.1 to 1.3 ms here): with a hundred webhooks,
that is what lets one commit reach them all within the latency target (README, bench/webhooks.py).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from standardwebhooks import Webhook as Signer
from yarl import URL

from projections.shapes import WebhookState

MAX_RESPONSE_BYTES = 64 * 1024
MAX_RETRY_AFTER_SECONDS = 24 * 3600
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Secrets:
    """Webhooks' secrets, derived from the service's signing secret."""

    def __init__(self, service_secret: str):
        self.key = hashlib.sha256(b"send-records webhook secrets\n" + service_secret.encode()).digest()

    def of(self, webhook_id: str, secret_id: str) -> str:
        """The webhook's Standard Webhooks secret for this secret id."""
        derived = hmac.new(self.key, f"{webhook_id}\n{secret_id}".encode(), hashlib.sha256).digest()
        return "whsec_" + base64.b64encode(derived).decode()

    def signing(self, webhook: WebhookState, now: datetime) -> list[str]:
        """The secrets a delivery is signed with now: the current one, and the previous one during its overlap."""
        secrets = [self.of(webhook.id, webhook.secret_id)]
        expires = webhook.previous_secret_expires_at
        if webhook.previous_secret_id and expires and expires > now:
            secrets.append(self.of(webhook.id, webhook.previous_secret_id))
        return secrets


def signed_headers(message_id: str, body: str, secrets: list[str], at: datetime) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(Signer(secret).sign(message_id, at, body) for secret in secrets),
    }


def body_of(event_type: str, timestamp: str, data: dict) -> str:
    """The Standard Webhooks body: the event's type, when it was recorded, and the event as GraphQL shows it."""
    return json.dumps({"type": event_type, "timestamp": timestamp, "data": data}, separators=(",", ":"),
                      ensure_ascii=False)


class AddressRefused(Exception):
    pass


def refusal(address: str) -> str | None:
    """Why an address may not be called, or None. IPv4 addresses carried inside IPv6 are judged as themselves."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in NAT64 else None)
        ip = embedded or ip
    if ip.is_global and not ip.is_multicast:
        return None
    kind = ("loopback" if ip.is_loopback else "link-local" if ip.is_link_local else "multicast" if ip.is_multicast
            else "private or reserved")
    return f"{address} is a {kind} address (set SEND_RECORDS_WEBHOOK_ALLOW_PRIVATE=1 to allow it)"


def private_allowed() -> bool:
    """Whether webhooks may be delivered to private addresses (SEND_RECORDS_WEBHOOK_ALLOW_PRIVATE=1: tests, and a
    receiver inside the council's own network)."""
    return os.environ.get("SEND_RECORDS_WEBHOOK_ALLOW_PRIVATE") == "1"


def host_refusal(url: str, allow_private: bool) -> str | None:
    """Why a webhook's URL may not be registered: its host is this machine (`localhost`, a loopback or unspecified
    address) or a link-local address (a cloud's metadata service). Any other address or name is checked when
    delivering, on the addresses it then resolves to."""
    host = urlsplit(url).hostname or ""
    if allow_private:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} names this machine (set SEND_RECORDS_WEBHOOK_ALLOW_PRIVATE=1 to allow it)"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:  # a name
        return None
    return refusal(host) if ip.is_loopback or ip.is_link_local or ip.is_unspecified else None


def check(address: str, allow_private: bool) -> None:
    if not allow_private and (reason := refusal(address)) is not None:
        raise AddressRefused(reason)


class CheckedResolver(AbstractResolver):
    """Resolves a webhook's host for aiohttp, and refuses it if any of its addresses may not be called."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        try:
            found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM, family=family)
        except socket.gaierror as error:
            raise AddressRefused(f"{host} does not resolve: {error.strerror}") from None
        for info in found:
            check(info[4][0], self.allow_private)
        return [ResolveResult(hostname=host, host=info[4][0], port=port, family=info[0], proto=info[2],
                              flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV) for info in found]

    async def close(self) -> None:
        pass


@dataclass(frozen=True)
class Answer:
    """What one attempt got: the receiver's status (None if there was no answer), how long it asked us to wait
    (Retry-After on 429 and 503), and what went wrong."""

    status: int | None
    retry_after: float | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Outbound:
    """The service's HTTP client for webhooks: one aiohttp session, made on first use in the event loop."""

    def __init__(self, allow_private: bool, timeout: float, connections: int):
        self.allow_private = allow_private
        self.timeout = aiohttp.ClientTimeout(connect=min(timeout, 5.0), sock_read=timeout)
        self.deadline = timeout + min(timeout, 5.0)
        self.connections = connections
        self.session: aiohttp.ClientSession | None = None

    async def post(self, url: str, headers: dict[str, str], body: str) -> Answer:
        if self.session is None:
            connector = aiohttp.TCPConnector(resolver=CheckedResolver(self.allow_private), limit=self.connections,
                                             limit_per_host=0, ttl_dns_cache=10)
            self.session = aiohttp.ClientSession(connector=connector, timeout=self.timeout, auto_decompress=False,
                                                 headers={"user-agent": "send-records-webhooks"})
        try:
            async with asyncio.timeout(self.deadline):
                return await self._post(url, headers, body)
        except AddressRefused as error:
            return Answer(None, error=f"refused: {error}")
        except TimeoutError:  # (aiohttp's own timeouts are TimeoutErrors too)
            return Answer(None, error=f"no answer within {self.deadline:g} s")
        except (aiohttp.ClientError, ValueError) as error:
            return Answer(None, error=f"{type(error).__name__}: {error}"[:300])

    async def _post(self, url: str, headers: dict[str, str], body: str) -> Answer:
        host = URL(url).host or ""
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            pass  # a name: the resolver checks what it resolves to
        else:
            check(host.strip("[]"), self.allow_private)  # an address: aiohttp would call it unresolved, unchecked
        async with self.session.post(url, data=body.encode(), headers={**headers, "content-type": "application/json"},
                                     allow_redirects=False) as response:
            read = 0
            while read < MAX_RESPONSE_BYTES and (chunk := await response.content.read(MAX_RESPONSE_BYTES - read)):
                read += len(chunk)
        status = response.status
        wait = retry_after(response.headers.get("retry-after")) if status in (429, 503) else None
        return Answer(status, wait, None if 200 <= status < 300 else f"HTTP {status}")

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds, or an HTTP date), at most a day; None if unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)
