"""Outbound webhook calls: Standard Webhooks signatures, and only to addresses safe to call from the service.

Secrets. A webhook's `whsec_` secret is derived, never stored: HMAC-SHA256 under a key derived from the service's
signing secret (SEND_RECORDS_JWT_SECRET), of the webhook's id and the random secret id its record keeps. Every
process sharing the database derives the same secret; the log, the read models and the logs hold only the id; and
the secret is shown once, when registered or rotated. Changing SEND_RECORDS_JWT_SECRET changes every webhook's
secret (rotate each then, and hand the receivers their new one).

Safety. Only http and https; the host is resolved here and every address it resolves to must be public (not
loopback, private, link-local, shared, reserved or multicast, nor an IPv4 one of those inside IPv6) unless
SEND_RECORDS_WEBHOOK_ALLOW_PRIVATE=1. The request then goes to the address checked, with the name in the Host header
and in TLS (SNI and the certificate's check), so a second resolution cannot point it elsewhere. Connect and read
timeouts and an overall deadline; at most 64 KB of a response is read; redirects are not followed; no proxy from
the environment. A secret is never logged: errors name the address, the status or the failure, nothing else.
No maintained library does this for httpx (the known ones wrap `requests`), so it is these few lines on the
standard library's `ipaddress`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx
from standardwebhooks import Webhook as Signer

from projections.shapes import WebhookState

MAX_RESPONSE_BYTES = 64 * 1024
MAX_RETRY_AFTER_SECONDS = 24 * 3600
NAT64 = ipaddress.ip_network("64:ff9b::/96")
logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs every request's URL at INFO


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


async def checked_address(host: str, port: int, allow_private: bool) -> str:
    """An address of the host that may be called; AddressRefused if it resolves to any that may not."""
    try:
        addresses = [str(ipaddress.ip_address(host))]  # an address already: nothing to resolve
    except ValueError:
        try:
            found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise AddressRefused(f"{host} does not resolve: {error.strerror}") from None
        addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not allow_private:
        for address in addresses:
            reason = refusal(address)
            if reason is not None:
                raise AddressRefused(reason)
    return addresses[0]


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
    """The service's HTTP client for webhooks: one connection pool per webhook (its URL's host never changes, so a
    kept-alive connection is only ever reused for the name it was checked and verified for)."""

    def __init__(self, allow_private: bool, timeout: float):
        self.allow_private = allow_private
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self.deadline = timeout + min(timeout, 5.0)
        self.tls = httpx.create_ssl_context()  # made once: loading the CA bundle costs milliseconds
        self.clients: dict[str, httpx.AsyncClient] = {}

    def client(self, webhook_id: str) -> httpx.AsyncClient:
        if webhook_id not in self.clients:
            self.clients[webhook_id] = httpx.AsyncClient(
                verify=self.tls, timeout=self.timeout, follow_redirects=False, trust_env=False,
                limits=httpx.Limits(max_connections=8, max_keepalive_connections=2))
        return self.clients[webhook_id]

    async def post(self, webhook_id: str, url: str, headers: dict[str, str], body: str) -> Answer:
        try:
            async with asyncio.timeout(self.deadline):
                return await self._post(webhook_id, httpx.URL(url), headers, body)
        except AddressRefused as error:
            return Answer(None, error=f"refused: {error}")
        except (asyncio.TimeoutError, httpx.TimeoutException):
            return Answer(None, error=f"no answer within {self.deadline:g} s")
        except httpx.HTTPError as error:
            return Answer(None, error=f"{type(error).__name__}: {error}"[:300])

    async def _post(self, webhook_id: str, url: httpx.URL, headers: dict[str, str], body: str) -> Answer:
        host = url.raw_host.decode()
        address = await checked_address(host, url.port or (443 if url.scheme == "https" else 80), self.allow_private)
        request_headers = {**headers, "host": url.netloc.decode(), "content-type": "application/json",
                           "user-agent": "send-records-webhooks"}
        extensions = {"sni_hostname": host} if url.scheme == "https" else {}
        async with self.client(webhook_id).stream("POST", url.copy_with(host=address), content=body.encode(),
                                                  headers=request_headers, extensions=extensions) as response:
            read = 0
            async for chunk in response.aiter_raw():  # undecoded: 64 KB of the wire, whatever it unpacks to
                read += len(chunk)
                if read >= MAX_RESPONSE_BYTES:
                    break
        wait = retry_after(response.headers.get("retry-after")) if response.status_code in (429, 503) else None
        return Answer(response.status_code, wait, None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}")

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()
        self.clients.clear()


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
