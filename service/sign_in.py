"""Signing in to the record viewer (/app) through the identity provider: OpenID Connect's authorisation code flow
with PKCE (RFC 7636), for a page that keeps its token in memory.

`GET /app/sign-in` tells the page where to send the reader: the provider's authorization_endpoint (from its
discovery document) and the client id (SEND_RECORDS_OIDC_AUDIENCE, the aud of the provider's tokens for this
service), or that there is no provider. The page sends the reader there with a code challenge; the provider sends
the reader back to /app with a code; the page posts the code and its verifier to `POST /app/sign-in`, and the
service redeems them at the provider's token_endpoint as a public client (no secret: the verifier shows that the
page redeeming the code is the one that asked for it) and answers with the token it accepts: the access token if
it is one of the provider's tokens for this service, else the ID token. The page then uses it as any bearer token.

The code is redeemed here rather than by the page so that the page's Content-Security-Policy keeps
`connect-src 'self'` and the provider need not answer requests from other origins.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse

from service.oidc import FETCH_TIMEOUT, Provider
from service.tokens import Authenticator, KeysUnavailable, TokenError

SCOPE = "openid"


async def endpoint(provider: Provider, name: str) -> str:
    """An endpoint the provider's discovery document names (the document is read once)."""
    if provider.discovered is None:
        await to_thread.run_sync(provider.discover)
    found = provider.discovered.get(name)
    if not isinstance(found, str) or not found.startswith(("https://", "http://")):
        raise KeysUnavailable(f"the identity provider's discovery document names no {name}")
    return found


def sign_in(tokens: Authenticator):
    async def where(request: Request) -> JSONResponse:
        """Where the page sends the reader to sign in, if anywhere."""
        provider = tokens.provider
        if provider is None:
            return JSONResponse({"provider": None})
        try:
            authorize = await endpoint(provider, "authorization_endpoint")
        except TokenError as error:
            return JSONResponse({"provider": None, "unavailable": str(error)}, status_code=503)
        return JSONResponse({"provider": {"authorizationEndpoint": authorize, "clientId": provider.settings.audience,
                                          "scope": SCOPE}})

    async def redeem(request: Request) -> JSONResponse:
        """The token for a code the provider gave the page, and the verifier of its challenge."""
        provider = tokens.provider
        if provider is None:
            return refusal(404, "this service signs no one in through an identity provider (SEND_RECORDS_OIDC_ISSUER)")
        try:
            asked = await request.json()
        except ValueError:
            asked = None
        if not isinstance(asked, dict) or not all(isinstance(asked.get(k), str) and asked[k] for k in ("code", "codeVerifier", "redirectUri")):
            return refusal(400, 'send {"code": ..., "codeVerifier": ..., "redirectUri": ...} as JSON')
        redirect = urllib.parse.urlsplit(asked["redirectUri"])
        if redirect.scheme not in ("https", "http") or redirect.path != "/app":
            return refusal(400, "redirectUri must be the address of /app")
        try:
            issued = await to_thread.run_sync(exchange, await endpoint(provider, "token_endpoint"), {
                "grant_type": "authorization_code", "code": asked["code"], "redirect_uri": asked["redirectUri"],
                "client_id": provider.settings.audience, "code_verifier": asked["codeVerifier"]})
        except TokenError as error:
            return refusal(error.status, str(error))
        candidates = [issued[name] for name in ("access_token", "id_token") if isinstance(issued.get(name), str)]
        reason = "the identity provider gave no token"
        for candidate in candidates:
            try:
                await tokens.identify(candidate)
                return JSONResponse({"token": candidate})
            except TokenError as error:
                reason = f"the identity provider's token is not accepted here: {error}"
        return refusal(401, reason)

    return where, redeem


def exchange(url: str, form: dict[str, str]) -> dict:
    """The provider's answer to a token request (runs in a worker thread)."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as error:  # the provider refused the code: say what it said
        try:
            said = json.load(error)
        except ValueError:
            said = None
        said = said if isinstance(said, dict) else {}
        detail = said.get("error_description") or said.get("error") or f"HTTP {error.code}"
        raise TokenError(f"the identity provider refused the sign-in: {detail}") from None
    except (OSError, ValueError) as error:
        raise KeysUnavailable(f"the identity provider could not be reached at {url}: {error}") from None
    if not isinstance(answer, dict):
        raise TokenError("the identity provider's answer to the token request is not a JSON object")
    return answer


def refusal(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
