"""Bearer tokens: who the caller is (subject, role, partnership, agency), and until when.

Two kinds are accepted, each when enabled:
- tokens this service mints (`send-records token`): HS256 JWTs under the signing secret, naming this service as
  issuer and audience, living at most MAX_LIFETIME;
- tokens of the council's identity provider (OpenID Connect, service/oidc.py): RS256 or ES256, checked against
  the provider's published keys.
A token's header names its algorithm, and that alone picks the check: an HS256 token is only ever checked against
the signing secret, so one "signed" with the provider's public key (algorithm confusion) fails there.
"""

from __future__ import annotations

import os
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import jwt

from domain.vocabulary import Role
from service.authorisation import SCOPED_ROLES, Principal

if TYPE_CHECKING:
    from service.oidc import Provider

ALGORITHM = "HS256"
ISSUER = AUDIENCE = "send-records"
MAX_LIFETIME = timedelta(hours=24)
SECRET_FILE = "jwt-secret"
REMEMBERED = 4096  # tokens whose checks are remembered (a client sends the same token with every request)


class TokenError(Exception):
    status = 401


class KeysUnavailable(TokenError):
    """The identity provider's keys could not be fetched: not the caller's fault."""

    status = 503


@dataclass(frozen=True)
class Secret:
    value: str
    source: str  # where it came from, for the command line to say


def load_secret(data_dir: Path) -> Secret:
    """SEND_RECORDS_JWT_SECRET, else a secret generated once and kept in the data directory,
    so that `serve` and `token` on one machine agree."""
    configured = os.environ.get("SEND_RECORDS_JWT_SECRET")
    if configured:
        return Secret(configured, "SEND_RECORDS_JWT_SECRET")
    path = data_dir / SECRET_FILE
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(secrets.token_urlsafe(48))
        made = "generated just now"
    except FileExistsError:
        made = "generated earlier"  # perhaps by another process starting at the same moment
    return Secret(path.read_text().strip(), f"{path.resolve()} ({made}; set SEND_RECORDS_JWT_SECRET to share one)")


def issue(secret: str, principal: Principal, ttl: timedelta = timedelta(hours=12)) -> str:
    if ttl > MAX_LIFETIME:
        raise TokenError(f"a token lives at most {MAX_LIFETIME.total_seconds() / 3600:g} hours")
    check_claims(principal)
    now = datetime.now(timezone.utc)
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": principal.subject, "role": str(principal.role), "iat": now,
              "exp": now + ttl}
    if principal.partnership_id:
        claims["partnership"] = principal.partnership_id
    if principal.agency_id:
        claims["agency"] = principal.agency_id
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@dataclass(frozen=True)
class Identity:
    principal: Principal
    expires: float  # seconds since the epoch


def local_identity(secret: str, token: str) -> Identity:
    claims = decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER, audience=AUDIENCE,
                    options={"require": ["iss", "aud", "sub", "role", "iat", "exp"]})
    if float(claims["exp"]) - float(claims["iat"]) > MAX_LIFETIME.total_seconds():
        raise TokenError(f"the token lives longer than {MAX_LIFETIME.total_seconds() / 3600:g} hours, "
                         "the most this service accepts")
    return Identity(principal(claims["sub"], claims["role"], claims.get("partnership"), claims.get("agency")),
                    float(claims["exp"]))


def decode(token: str, key, **checks) -> dict:
    """The token's claims once PyJWT has checked its signature and these claims, or a TokenError saying why not."""
    try:
        return jwt.decode(token, key, **checks)
    except jwt.InvalidTokenError as error:
        raise TokenError(refusal(error)) from None


def refusal(error: jwt.InvalidTokenError) -> str:
    """PyJWT's refusal, said for a caller."""
    if isinstance(error, jwt.InvalidSignatureError):
        return "the token's signature does not match"
    if isinstance(error, jwt.DecodeError):
        return "malformed token"
    if isinstance(error, jwt.ExpiredSignatureError):
        return "the token has expired"
    if isinstance(error, jwt.InvalidIssuerError):
        return "the token's issuer (iss) is not accepted here"
    if isinstance(error, jwt.InvalidAudienceError):
        return "the token's audience (aud) is not this service"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"the token has no {error.claim!r} claim"
    if isinstance(error, jwt.ImmatureSignatureError):
        return "the token is not valid yet"
    if isinstance(error, jwt.InvalidAlgorithmError):
        return "the token's algorithm is not accepted"
    return f"invalid token: {error}"


def principal(subject: object, role: object, partnership: object, agency: object) -> Principal:
    """The caller the claims name, whichever kind of token carried them."""
    if not isinstance(subject, str) or not subject.strip():
        raise TokenError("the token names no subject")
    if not isinstance(role, str) or role not in Role.__members__:
        raise TokenError(f"the token's role is not one of {', '.join(Role.__members__)}")
    for name, value in (("partnership", partnership), ("agency", agency)):
        if value is not None and not isinstance(value, str):
            raise TokenError(f"the token's {name} is not a string")
    found = Principal(subject=subject, role=Role(role), partnership_id=partnership, agency_id=agency)
    check_claims(found)
    return found


def check_claims(principal: Principal) -> None:
    if not principal.subject.strip():
        raise TokenError("a token names its subject")
    if principal.role in SCOPED_ROLES and not principal.partnership_id:
        raise TokenError(f"a {principal.role} token names its partnership")
    if principal.role == Role.PARTNER and not principal.agency_id:
        raise TokenError("a PARTNER token names its agency")


class Authenticator:
    """Checks bearer tokens of the kinds enabled: locally minted (a secret) and the identity provider's."""

    def __init__(self, secret: str | None, provider: Provider | None):
        self.secret = secret
        self.provider = provider
        self.seen: OrderedDict[str, Identity] = OrderedDict()

    async def identify(self, token: str) -> Identity:
        """Who the token names; a token checked before is not checked again, but its expiry is, every time."""
        identity = self.seen.get(token)
        if identity is None:
            identity = await self.check(token)
            self.seen[token] = identity
            if len(self.seen) > REMEMBERED:
                self.seen.popitem(last=False)
        if time.time() >= identity.expires:
            raise TokenError("the token has expired")
        return identity

    async def check(self, token: str) -> Identity:
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.InvalidTokenError:
            raise TokenError("malformed token") from None
        if algorithm == ALGORITHM and self.secret is not None:
            return local_identity(self.secret, token)
        if self.provider is not None and algorithm in self.provider.algorithms:
            return await self.provider.identify(token)
        accepted = ([ALGORITHM] if self.secret is not None else []) + (self.provider.algorithms if self.provider else [])
        raise TokenError(f"tokens signed with {algorithm!r} are not accepted here (only {', '.join(accepted)})")


def bearer(header: str | None) -> str:
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenError("send an Authorization: Bearer <token> header")
    return token.strip()
