"""Tokens of the council's identity provider (OpenID Connect): RS256 or ES256 JWTs, checked by PyJWT against the
keys the provider publishes (its JWKS), with issuer, audience and expiry checked.

The keys are fetched with PyJWT's PyJWKClient in a worker thread, never on the event loop, from
SEND_RECORDS_OIDC_JWKS_URL or else the `jwks_uri` of the issuer's discovery document. They are kept for an hour,
and fetched again at once when a token names a key id that is not among them (the provider rotated its keys); a
fetch that does not find the id holds off further such fetches for REFETCH_PAUSE seconds, so that tokens with
made-up ids cannot make the service hammer the provider.

Which claims name the caller is configuration (SEND_RECORDS_OIDC_CLAIMS, on the model of Hasura's claims map): our
names (subject, role, partnership, agency) to dotted paths in the token's claims.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.request
from dataclasses import dataclass, field

import jwt
from anyio import to_thread

from service.settings import ConfigurationError
from service.tokens import Identity, KeysUnavailable, TokenError, decode, principal

ALGORITHMS = ["RS256", "ES256"]
DEFAULT_CLAIMS = {"subject": "sub", "role": "role", "partnership": "partnership", "agency": "agency"}
KEYS_MAX_AGE = 3600.0
REFETCH_PAUSE = 10.0
FETCH_TIMEOUT = 5.0
MISSING = object()


@dataclass(frozen=True)
class ProviderSettings:
    issuer: str
    audience: str
    jwks_url: str | None = None
    claims: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CLAIMS))

    @classmethod
    def from_environment(cls) -> ProviderSettings | None:
        """The provider SEND_RECORDS_OIDC_* names, or None when no issuer is set."""
        issuer = (os.environ.get("SEND_RECORDS_OIDC_ISSUER") or "").strip()
        audience = (os.environ.get("SEND_RECORDS_OIDC_AUDIENCE") or "").strip()
        jwks_url = (os.environ.get("SEND_RECORDS_OIDC_JWKS_URL") or "").strip() or None
        mapped = (os.environ.get("SEND_RECORDS_OIDC_CLAIMS") or "").strip()
        if not issuer:
            if audience or jwks_url or mapped:
                raise ConfigurationError("the SEND_RECORDS_OIDC_* settings need SEND_RECORDS_OIDC_ISSUER")
            return None
        if not audience:
            raise ConfigurationError("SEND_RECORDS_OIDC_ISSUER needs SEND_RECORDS_OIDC_AUDIENCE (the client id that "
                                     "the identity provider puts in the tokens' aud claim for this service)")
        return cls(issuer, audience, jwks_url, claims_map(mapped))


def claims_map(text: str) -> dict[str, str]:
    if not text:
        return dict(DEFAULT_CLAIMS)
    try:
        given = json.loads(text)
    except ValueError:
        given = None
    if not isinstance(given, dict) or not set(given) <= set(DEFAULT_CLAIMS) or not all(
            isinstance(path, str) and path.strip() for path in given.values()):
        raise ConfigurationError('SEND_RECORDS_OIDC_CLAIMS must be a JSON object from any of subject, role, partnership '
                                 'and agency to a dotted path in the token, e.g. {"role": "app_metadata.send_role"}')
    return {**DEFAULT_CLAIMS, **given}


def claim(claims: object, path: str) -> object:
    """The value at a dotted path. A key that itself holds dots (a namespaced claim such as
    "https://council.example/send.role") is matched whole before the path is split at its dots."""
    if not isinstance(claims, dict):
        return MISSING
    if path in claims:
        return claims[path]
    for at, character in enumerate(path):
        if character == "." and path[:at] in claims:
            found = claim(claims[path[:at]], path[at + 1:])
            if found is not MISSING:
                return found
    return MISSING


class Provider:
    algorithms = ALGORITHMS

    def __init__(self, settings: ProviderSettings):
        self.settings = settings
        self.jwks_url = settings.jwks_url
        self.discovered: dict | None = None  # the discovery document, once read (service/sign_in.py reads it too)
        self.keys: dict[str | None, jwt.PyJWK] = {}
        self.fetched_at = self.missed_at = float("-inf")
        self.failure: str | None = None
        self.fetching = asyncio.Lock()

    async def identify(self, token: str) -> Identity:
        header = jwt.get_unverified_header(token)
        key = await self.key(header.get("kid"))
        claims = decode(token, key.key, algorithms=[key.algorithm_name], issuer=self.settings.issuer,
                        audience=self.settings.audience, options={"require": ["iss", "aud", "exp"]})
        mapped = {}
        for name, path in self.settings.claims.items():
            value = claim(claims, path)
            if value is MISSING and name in ("subject", "role"):
                raise TokenError(f"the token has no claim at {path!r} (SEND_RECORDS_OIDC_CLAIMS maps {name} to it)")
            mapped[name] = None if value is MISSING else value
        return Identity(principal(mapped["subject"], mapped["role"], mapped["partnership"], mapped["agency"]),
                        float(claims["exp"]))

    async def key(self, kid: str | None) -> jwt.PyJWK:
        if self.due(kid):
            async with self.fetching:
                if self.due(kid):  # (unless a fetch finished while this one waited)
                    await self.refresh(kid)
        found = self.keys.get(kid)
        if found is None and kid is None and len(self.keys) == 1:
            found = next(iter(self.keys.values()))  # a provider with one key may leave kid out
        if found is None:
            if self.failure is not None:
                raise KeysUnavailable(self.failure)
            raise TokenError("the token's key id (kid) is not one of the identity provider's keys")
        return found

    def due(self, kid: str | None) -> bool:
        now = time.monotonic()
        return now - self.fetched_at > KEYS_MAX_AGE or (kid not in self.keys and now - self.missed_at > REFETCH_PAUSE)

    async def refresh(self, kid: str | None) -> None:
        try:
            self.keys = await to_thread.run_sync(self.fetch)
            self.fetched_at, self.failure = time.monotonic(), None
        except KeysUnavailable as error:  # the keys fetched before, if any, are kept meanwhile
            self.failure = str(error)
        if kid not in self.keys:
            self.missed_at = time.monotonic()

    def fetch(self) -> dict[str | None, jwt.PyJWK]:
        """The provider's signing keys by id (runs in a worker thread)."""
        url = self.jwks_url or self.discover()
        try:
            keys = key_client(url).get_jwk_set().keys
        except (jwt.PyJWKClientError, jwt.PyJWKSetError, ValueError) as error:
            raise KeysUnavailable(f"the identity provider's keys could not be fetched from {url}: {error}") from None
        return {key.key_id: key for key in keys
                if key.public_key_use in (None, "sig") and key.algorithm_name in ALGORITHMS}

    def discover(self) -> str:
        """The JWKS address the issuer's discovery document names (remembered once found)."""
        url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:
                document = json.load(response)
        except (OSError, ValueError) as error:
            raise KeysUnavailable(f"the identity provider's discovery document could not be read from {url}: {error}") from None
        if not isinstance(document, dict) or document.get("issuer") != self.settings.issuer:
            raise KeysUnavailable(f"the discovery document at {url} is not that of SEND_RECORDS_OIDC_ISSUER "
                                  f"({self.settings.issuer})")
        if not isinstance(document.get("jwks_uri"), str):
            raise KeysUnavailable(f"the discovery document at {url} names no jwks_uri")
        self.discovered, self.jwks_url = document, document["jwks_uri"]
        return self.jwks_url


def key_client(url: str) -> jwt.PyJWKClient:
    """A client that fetches every time it is asked: Provider decides when to fetch, and keeps the keys."""
    return jwt.PyJWKClient(url, cache_keys=False, cache_jwk_set=False, timeout=FETCH_TIMEOUT)
