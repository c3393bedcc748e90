"""Tokens of an OpenID Connect identity provider, played by the test: keys generated here, the discovery document
and the JWKS served by a local HTTP server, and a real service verifying tokens against them."""

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from domain.vocabulary import Role
from tests.support import Server, token

AUDIENCE = "send-records-portal"
QUERY = "{ partnerships { id } }"
CLAIMS = {"subject": "email", "role": "https://council.example/send.role",
          "partnership": "https://council.example/send.partnership"}


class Provider:
    """An identity provider: a discovery document and a JWKS on a local HTTP server, keys it can rotate, and a
    count of the JWKS fetches."""

    def __init__(self):
        self.keys = {}
        self.published: list[str] = []
        self.fetches = 0
        self.hold = threading.Event()
        self.hold.set()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": provider.issuer, "jwks_uri": f"{provider.issuer}/jwks"}
                elif self.path == "/jwks":
                    provider.hold.wait(30)
                    provider.fetches += 1
                    body = {"keys": [provider.jwk(kid) for kid in provider.published]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.http.server_port}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def new_key(self, kind: str = "RS256", publish: bool = True) -> str:
        kid = f"{kind}-{uuid.uuid4().hex[:8]}"
        self.keys[kid] = (kind, rsa.generate_private_key(65537, 2048) if kind == "RS256" else ec.generate_private_key(ec.SECP256R1()))
        if publish:
            self.published.append(kid)
        return kid

    def jwk(self, kid: str) -> dict:
        kind, key = self.keys[kid]
        algorithm = jwt.algorithms.RSAAlgorithm if kind == "RS256" else jwt.algorithms.ECAlgorithm
        return {**json.loads(algorithm.to_jwk(key.public_key())), "kid": kid, "use": "sig", "alg": kind}

    def token(self, kid: str, claims: dict | None = None, **changes) -> str:
        kind, key = self.keys[kid]
        now = int(time.time())
        body = {"iss": self.issuer, "aud": AUDIENCE, "iat": now, "exp": now + 600, "email": f"{uuid.uuid4().hex[:6]}@council.example",
                "https://council.example/send": {"role": "AUDITOR"}, **(claims or {}), **changes}
        return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=kind, headers={"kid": kid})

    def public_pem(self, kid: str) -> bytes:
        return self.keys[kid][1].public_key().public_bytes(serialization.Encoding.PEM,
                                                           serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(scope="module")
def provider():
    played = Provider()
    played.rsa, played.ec = played.new_key("RS256"), played.new_key("ES256")
    yield played
    played.http.shutdown()


@pytest.fixture(scope="module")
def service(provider, tmp_path_factory):
    """A service that accepts the provider's tokens (its JWKS found through discovery) beside its own."""
    running = Server(tmp_path_factory.mktemp("oidc"), {
        "SEND_RECORDS_OIDC_ISSUER": provider.issuer, "SEND_RECORDS_OIDC_AUDIENCE": AUDIENCE,
        "SEND_RECORDS_OIDC_CLAIMS": json.dumps(CLAIMS)}).start()
    yield running
    running.stop()


def refusal(service: Server, bearer: str) -> tuple[int, str]:
    response = service.post(QUERY, token=bearer)
    assert "data" not in response.json()
    return response.status_code, response.json()["errors"][0]["message"]


def test_rs256_and_es256_tokens_of_the_provider_are_accepted_and_mapped(provider, service):
    rsa_kid, ec_kid = provider.rsa, provider.ec
    assert service.query(QUERY, provider.token(rsa_kid)) is not None
    assert service.query(QUERY, provider.token(ec_kid)) is not None
    # The claims map names the partnership too: a lead sees its own partnership only.
    admin = token(Role.ADMIN)  # a locally minted token works beside the provider's
    mine = service.ok("registerPartnership", {"name": "Mine", "localAuthority": "Mine Council"}, admin,
                      "partnership { id }")["partnership"]["id"]
    service.ok("registerPartnership", {"name": "Theirs", "localAuthority": "Theirs Council"}, admin)
    lead = provider.token(rsa_kid, {"https://council.example/send": {"role": "PARTNERSHIP_LEAD", "partnership": mine}})
    assert service.query(QUERY, lead) == {"partnerships": [{"id": mine}]}
    event = service.mutate("addAgency", {"partnershipId": mine, "name": "Mine ICB", "kind": "HEALTH"}, lead)["event"]
    assert event["actor"]["role"] == "PARTNERSHIP_LEAD" and event["actor"]["subject"].endswith("@council.example")


@pytest.mark.parametrize("changes, says", [
    ({"iss": "https://another-provider.example"}, "issuer (iss) is not accepted"),
    ({"aud": "another-application"}, "audience (aud) is not this service"),
    ({"exp": int(time.time()) - 60}, "the token has expired"),
    ({"aud": None}, "no 'aud' claim"),
    ({"https://council.example/send": {"partnership": "p"}}, "no claim at 'https://council.example/send.role'"),
    ({"email": None}, "no claim at 'email'"),
    ({"https://council.example/send": {"role": "PARTNER"}}, "a PARTNER token names its partnership"),
])
def test_provider_tokens_with_bad_claims_are_refused(provider, service, changes, says):
    status, message = refusal(service, provider.token(provider.rsa, **changes))
    assert status == 401 and says in message


def test_a_token_signed_by_another_key_under_a_known_kid_is_refused(provider, service):
    forger = rsa.generate_private_key(65537, 2048)
    claims = {"iss": provider.issuer, "aud": AUDIENCE, "exp": int(time.time()) + 600, "email": "m@x",
              "https://council.example/send": {"role": "ADMIN"}}
    forged = jwt.encode(claims, forger, algorithm="RS256", headers={"kid": provider.rsa})
    assert refusal(service, forged) == (401, "the token's signature does not match")
    # Under the id of the provider's EC key, an RS256 token is refused for its algorithm before any signature check.
    mismatched = jwt.encode(claims, forger, algorithm="RS256", headers={"kid": provider.ec})
    assert refusal(service, mismatched) == (401, "the token's algorithm is not accepted")


def test_algorithm_confusion_and_unsigned_tokens_are_refused(provider, service):
    kid = provider.rsa
    claims = {"iss": provider.issuer, "aud": AUDIENCE, "exp": int(time.time()) + 600, "email": "m@x",
              "https://council.example/send": {"role": "ADMIN"}, "sub": "m", "role": "ADMIN"}
    # HS256 "signed" with the provider's public key, which anyone can fetch: checked against the local secret only.
    # (PyJWT refuses to sign with a PEM key as an HMAC secret, so the token is put together by hand.)
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT', 'kid': kid}).encode())}.{b64(json.dumps(claims).encode())}"
    confused = f"{signing_input}.{b64(hmac.new(provider.public_pem(kid), signing_input.encode(), hashlib.sha256).digest())}"
    status, _ = refusal(service, confused)
    assert status == 401
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": kid})
    assert refusal(service, unsigned) == (401, "tokens signed with 'none' are not accepted here (only HS256, RS256, ES256)")
    hs512 = jwt.encode(claims, "x" * 64, algorithm="HS512")
    assert refusal(service, hs512)[0] == 401


def test_fetching_keys_never_blocks_other_requests(provider, service):
    kid = provider.new_key()
    provider.hold.clear()  # the provider stalls on its JWKS
    answer = {}
    waiting = threading.Thread(target=lambda: answer.update(r=service.post(QUERY, token=provider.token(kid))))
    waiting.start()
    try:
        time.sleep(0.5)
        assert httpx.get(f"http://127.0.0.1:{service.port}/healthz", timeout=5).status_code == 200
        assert service.query(QUERY, token(Role.AUDITOR)) is not None
    finally:
        provider.hold.set()
    waiting.join(30)
    assert answer["r"].status_code == 200


# Last of the tests on `service`: its made-up key ids hold off fetches for a few seconds.
def test_keys_are_cached_and_fetched_again_for_a_new_kid(provider, service):
    first = provider.new_key()
    for _ in range(3):
        assert service.query(QUERY, provider.token(first)) is not None
    fetched = provider.fetches
    for _ in range(5):  # new tokens under a key already known: no fetch
        assert service.query(QUERY, provider.token(first)) is not None
    assert provider.fetches == fetched
    # The provider rotates: a new key is published and the old one withdrawn.
    rotated = provider.new_key()
    provider.published.remove(first)
    assert service.query(QUERY, provider.token(rotated)) is not None
    assert provider.fetches == fetched + 1
    # Made-up key ids do not make the service fetch again and again.
    for _ in range(5):
        status, message = refusal(service, jwt.encode({"sub": "x"}, provider.keys[rotated][1], algorithm="RS256",
                                                      headers={"kid": f"unknown-{uuid.uuid4().hex}"}))
        assert status == 401 and "key id (kid) is not one of the identity provider's keys" in message
    assert provider.fetches <= fetched + 2


def test_an_unreachable_provider_is_a_503_not_the_callers_fault(provider, tmp_path):
    dead = Server(tmp_path, {"SEND_RECORDS_OIDC_ISSUER": "http://127.0.0.1:9", "SEND_RECORDS_OIDC_AUDIENCE": AUDIENCE}).start()
    try:
        kid = provider.new_key()
        status, message = refusal(dead, provider.token(kid, iss="http://127.0.0.1:9"))
        assert status == 503 and "discovery document could not be read" in message
        assert dead.query(QUERY, token(Role.AUDITOR)) is not None  # local tokens still work
    finally:
        dead.stop()


def test_local_tokens_can_be_turned_off(provider, tmp_path):
    only_provider = Server(tmp_path, {"SEND_RECORDS_OIDC_ISSUER": provider.issuer, "SEND_RECORDS_OIDC_AUDIENCE": AUDIENCE,
                                      "SEND_RECORDS_OIDC_JWKS_URL": f"{provider.issuer}/jwks",
                                      "SEND_RECORDS_LOCAL_TOKENS": "off"}).start()
    try:
        kid = provider.new_key()
        assert only_provider.query(QUERY, provider.token(kid, sub="s", role="AUDITOR")) is not None  # the default map
        status, message = refusal(only_provider, token(Role.ADMIN))
        assert status == 401 and "'HS256' are not accepted here (only RS256, ES256)" in message
    finally:
        only_provider.stop()
