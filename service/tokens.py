"""Bearer tokens: HS256 JWTs naming the caller's subject, role, partnership and agency."""

from __future__ import annotations

import os
import secrets
import time
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import jwt

from domain.vocabulary import Role
from service.authorisation import SCOPED_ROLES, Principal

ALGORITHM = "HS256"
SECRET_FILE = "jwt-secret"


class TokenError(Exception):
    pass


def load_secret(data_dir: Path) -> str:
    """SEND_RECORDS_JWT_SECRET, else a secret generated once and kept in the data directory,
    so that `serve` and `token` on one machine agree."""
    configured = os.environ.get("SEND_RECORDS_JWT_SECRET")
    if configured:
        return configured
    path = data_dir / SECRET_FILE
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(secrets.token_urlsafe(48))
    except FileExistsError:
        pass  # made before, perhaps by another process starting at the same moment
    return path.read_text().strip()


def issue(secret: str, principal: Principal, ttl: timedelta = timedelta(hours=12)) -> str:
    check_claims(principal)
    now = datetime.now(timezone.utc)
    claims = {"sub": principal.subject, "role": str(principal.role), "iat": now, "exp": now + ttl}
    if principal.partnership_id:
        claims["partnership"] = principal.partnership_id
    if principal.agency_id:
        claims["agency"] = principal.agency_id
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(secret: str, token: str) -> Principal:
    """The caller a token names, once its signature and claims are checked; a token seen before is not checked
    again (a client sends the same one with every request) but its expiry is."""
    principal, expires = _checked(secret, token)
    if time.time() >= expires:
        raise TokenError("invalid token: Signature has expired")
    return principal


@lru_cache(maxsize=4096)
def _checked(secret: str, token: str) -> tuple[Principal, float]:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "role", "exp"]})
        principal = Principal(
            subject=str(claims["sub"]), role=Role(claims["role"]),
            partnership_id=claims.get("partnership"), agency_id=claims.get("agency"),
        )
    except (jwt.InvalidTokenError, ValueError) as error:
        raise TokenError(f"invalid token: {error}") from None
    check_claims(principal)
    return principal, float(claims["exp"])


def check_claims(principal: Principal) -> None:
    if not principal.subject.strip():
        raise TokenError("a token names its subject")
    if principal.role in SCOPED_ROLES and not principal.partnership_id:
        raise TokenError(f"a {principal.role} token names its partnership")
    if principal.role == Role.PARTNER and not principal.agency_id:
        raise TokenError("a PARTNER token names its agency")


def bearer(header: str | None) -> str:
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenError("send an Authorization: Bearer <token> header")
    return token.strip()
