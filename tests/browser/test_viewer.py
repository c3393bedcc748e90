"""The record viewer (/app) in a real browser, with the network cut off: signing in with a token, what a partner
sees, a plan at past moments (the slider, the date inputs, a shared link), what changed between two dates, a
live change arriving, keyboard use, and no WCAG 2.2 A or AA violations found by axe-core on any view.

Each test saves screenshots in tests/browser/screenshots/ (not committed)."""

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from domain.vocabulary import Role
from tests.support import Server, new_area, token

SCREENSHOTS = Path(__file__).parent / "screenshots"
AXE = Path(__file__).parent / "axe" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("viewer")).start("--demo")
    yield running
    running.stop()


@pytest.fixture
def area(service):
    """A partnership of its own, whose plan has an action added on 1 April 2018 (`tracked`) that a partner starts on
    1 May and completes on 30 June, beside one added today and not started."""
    made = new_area(service)
    partner = token(Role.PARTNER, made.partnership, made.council)
    made.tracked = service.ok("addAction", {"planId": made.plan, "title": "Relaunch the local offer", "ownerAgencyId": made.council,
                                            "dueOn": "2030-12-31", "effectiveOn": "2018-04-01"}, made.lead, "action { id }")["action"]["id"]
    made.started = service.ok("startAction", {"actionId": made.tracked, "effectiveOn": "2018-05-01"}, partner)["event"]
    made.completed = service.ok("completeAction", {"actionId": made.tracked, "completedOn": "2018-06-30",
                                                   "evidence": ["Six coordinators in post"]}, partner)["event"]
    made.partner = partner
    return made


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def settled(page) -> None:
    """Waits until the view the URL names is shown, with its time bar and what needs the partnership's log."""
    page.wait_for_function("""() => { const content = document.getElementById('content');
        return content.dataset.logged === location.pathname + location.search && !content.hasAttribute('aria-busy'); }""")


def sign_in(page, service: Server, bearer: str, path: str = "/app") -> None:
    page.goto(f"http://127.0.0.1:{service.port}{path}")
    page.fill("#token", bearer)
    page.press("#token", "Enter")
    settled(page)


def status_of(page, action_id: str) -> str:
    # (textContent: the browser may not lay out a priority area out of sight, and innerText needs the layout)
    return page.text_content(f'tr[data-action="{action_id}"] td:nth-child(4)').strip()


def no_accessibility_violations(page) -> list:
    """axe-core's WCAG 2.2 A and AA violations on the page as it stands (the script is put in by the browser's
    devtools protocol, which the page's Content-Security-Policy does not govern)."""
    if page.evaluate("typeof axe") == "undefined":
        page.evaluate(AXE.read_text())
    found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r => r.violations)", WCAG_AA)
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in found]


def test_a_partner_signs_in_with_a_token_and_sees_only_its_partnership(page, service, area):
    page.goto(f"http://127.0.0.1:{service.port}/app")
    page.press("#token", "Enter")  # nothing pasted
    assert "Enter a bearer token" in page.inner_text(".govuk-error-summary")
    page.fill("#token", "not-a-token")
    page.press("#token", "Enter")
    page.wait_for_selector("#token-error:has-text('malformed token')")  # as the service says it
    shot(page, "sign-in-refused")
    page.fill("#token", area.partner)
    page.press("#token", "Enter")
    settled(page)
    names = page.locator(".govuk-summary-card__title").all_inner_texts()
    assert names == [service.query("{ partnerships { name } }", area.partner)["partnerships"][0]["name"]]
    assert "Lancashire" not in page.inner_text("main")  # the demo's partnerships are there, but not the partner's
    lancashire_plan = service.query("{ partnerships { plans { id } } }", area.admin)["partnerships"][0]["plans"][0]["id"]
    page.goto(f"http://127.0.0.1:{service.port}/app?plan={lancashire_plan}")  # a reload: the token is gone with it
    page.locator("#token").wait_for(state="visible")  # the sign-in form again: the token went with the reload
    page.fill("#token", area.partner)
    page.press("#token", "Enter")
    settled(page)
    assert "The record held no plan with this id now" in page.inner_text("#content")
    assert page.requests_off_machine == []
    assert page.console_errors == ["Failed to load resource: the server responded with a status of 401 (Unauthorized)"]
    kept = page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])")
    assert area.partner not in kept and area.partner not in page.url


def test_the_asat_slider_moves_a_plan_back_to_before_an_actions_completion(page, service, area):
    sign_in(page, service, area.auditor, f"/app?plan={area.plan}")
    assert status_of(page, area.tracked) == "Completed"
    slider = page.locator("#asAt-slider")
    stops = slider.get_attribute("data-stops")
    assert area.started["recordedAt"] in stops and area.completed["recordedAt"] in stops
    slider.focus()
    page.keyboard.press("ArrowLeft")  # from now to the completion's instant: still completed
    settled(page)
    assert parse_qs(urlsplit(page.url).query)["asAt"] == [area.completed["recordedAt"]]
    assert status_of(page, area.tracked) == "Completed"
    page.keyboard.press("ArrowLeft")  # the focus stays on the slider: to the instant the action was started
    settled(page)
    assert page.evaluate("document.activeElement.id") == "asAt-slider"
    assert parse_qs(urlsplit(page.url).query)["asAt"] == [area.started["recordedAt"]]
    assert status_of(page, area.tracked) == "In progress"
    assert "Action started" in page.get_attribute("#asAt-slider", "aria-valuetext")
    report = urlsplit(page.get_attribute("#report", "href"))  # the termly report of the moment shown (issue 19)
    assert report.path == f"/reports/plans/{area.plan}"
    assert parse_qs(report.query) == {"asAt": [area.started["recordedAt"]], "format": ["pdf"]}
    with page.expect_download(timeout=60_000) as download:
        page.click("#report")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"  # the report as at that moment, fetched with the tab's token
    shot(page, "plan-before-completion")
    shared = page.url

    # A colleague opens the link in a tab of its own (no token: that lives in the first tab's memory), signs in, and
    # sees the same picture.
    colleague = page.context.new_page()
    try:
        colleague.goto(shared)
        colleague.fill("#token", area.lead)
        colleague.press("#token", "Enter")
        settled(colleague)
        assert colleague.url == shared
        assert status_of(colleague, area.tracked) == "In progress"
        assert f"as it stood at {instant_words(colleague, area.started['recordedAt'])}" in colleague.inner_text("#timebar")
    finally:
        colleague.close()

    page.click("text=Back to now")
    settled(page)
    assert status_of(page, area.tracked) == "Completed" and "asAt" not in page.url
    assert page.requests_off_machine == [] and page.console_errors == []


def instant_words(page, iso: str) -> str:
    """An instant as the page writes it."""
    return page.evaluate("""iso => new Intl.DateTimeFormat('en-GB', {day: 'numeric', month: 'long', year: 'numeric',
        hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: 'UTC', timeZoneName: 'short'}).format(new Date(iso))""", iso)


def test_asof_dates_and_what_changed_between_two_dates(page, service, area):
    sign_in(page, service, area.lead, f"/app?plan={area.plan}")
    page.fill("#asOf-date", "2018-06-01")
    page.click("#timebar button[type=submit]")
    settled(page)
    assert parse_qs(urlsplit(page.url).query)["asOf"] == ["2018-06-01"]
    assert status_of(page, area.tracked) == "In progress"
    assert page.get_attribute("#asOf-slider", "aria-valuetext").startswith("1 May 2018: Action started")
    page.fill("#asOf-date", "2018-04-30")
    page.click("#timebar button[type=submit]")
    settled(page)
    assert status_of(page, area.tracked) == "Not started"

    page.fill("#changes-from", "2018-03-01")
    page.fill("#changes-to", "2018-06-30")
    page.click("text=List the changes")
    settled(page)
    query = parse_qs(urlsplit(page.url).query)
    assert query["from"] == ["2018-03-01"] and query["to"] == ["2018-06-30"] and query["asOf"] == ["2018-04-30"]
    rows = page.locator("#changes-found tbody tr").all_inner_texts()
    # The plan's own events that took effect then (drafted 1 March, its priority area on 15 March), and the action's.
    assert [row.split("\t")[2] for row in rows] == ["Plan drafted", "Priority area added", "Action added", "Action started",
                                                    "Action completed"]
    assert all("Relaunch the local offer" in row for row in rows[2:])
    page.check("#by-recorded")
    page.click("text=List the changes")
    settled(page)
    assert "No changes between 1 March 2018 and 30 June 2018" in page.inner_text("#changes")  # all were recorded today
    shot(page, "what-changed")
    assert page.requests_off_machine == [] and page.console_errors == []


def test_a_change_arrives_live_on_the_plan(page, service, area):
    other = service.ok("addAction", {"planId": area.plan, "title": "Publish the local offer", "ownerAgencyId": area.council,
                                     "dueOn": "2030-12-31"}, area.lead, "action { id }")["action"]["id"]
    sign_in(page, service, area.partner, f"/app?plan={area.plan}")
    assert status_of(page, other) == "Not started"
    page.evaluate("window.notReloaded = true")
    page.fill("#changes-from", "2018-01-01")  # being typed, not yet sent, when the change arrives
    service.ok("startAction", {"actionId": other}, area.partner)
    page.wait_for_function("id => document.querySelector(`tr[data-action='${id}'] td:nth-child(4)`)?.textContent.trim() === 'In progress'", arg=other)
    assert page.evaluate("window.notReloaded") is True and page.input_value("#changes-from") == "2018-01-01"
    assert "Changed: Action started" in page.inner_text("#announce")
    assert page.inner_text(".viewer-counts").split() == ["3", "Total", "1", "Not", "started", "1", "In", "progress", "1",
                                                        "Completed", "0", "Cancelled", "0", "Overdue"]
    shot(page, "plan-live")
    assert page.requests_off_machine == [] and page.console_errors == []


def test_the_viewer_is_used_with_the_keyboard_alone(page, service, area):
    page.goto(f"http://127.0.0.1:{service.port}/app")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "token"
    page.keyboard.type(area.lead)
    page.keyboard.press("Enter")
    settled(page)
    assert page.evaluate("document.activeElement.id") == "title"
    for _ in range(30):  # on through the time bar to the first plan
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "WSoA":
            break
    else:
        pytest.fail("the plan's link was not reached with Tab")
    page.keyboard.press("Enter")
    settled(page)
    assert page.evaluate("document.activeElement.id") == "title"  # the new view's heading, for screen readers
    assert page.inner_text("h1") == "WSoA"
    page.keyboard.press("Tab")  # the next stop after the heading: the time bar's first slider
    assert page.evaluate("document.activeElement.id") == "asAt-slider"
    page.keyboard.press("Home")  # to the first instant: the plan as it was drafted
    settled(page)
    assert page.inner_text(".viewer-counts").split()[:2] == ["0", "Total"]
    page.go_back()
    settled(page)
    assert "asAt" not in page.url and page.inner_text(".viewer-counts").split()[:2] == ["2", "Total"]


def test_every_view_of_the_demo_has_no_wcag_aa_violations(page, service):
    auditor = token(Role.AUDITOR)
    lancashire = service.query("""{ partnerships { id name plans { id title actions(first: 1) { edges { node { id } } } } } }""",
                               auditor)["partnerships"][0]
    wsoa = lancashire["plans"][0]
    page.set_viewport_size({"width": 1024, "height": 900})
    page.goto(f"http://127.0.0.1:{service.port}/app")
    assert no_accessibility_violations(page) == []
    page.press("#token", "Enter")
    page.wait_for_selector(".govuk-error-summary")
    assert no_accessibility_violations(page) == []  # the sign-in form with its error
    page.fill("#token", auditor)
    page.press("#token", "Enter")
    settled(page)
    views = {
        "partnerships": "/app",
        "partnership": f"/app?partnership={lancashire['id']}",
        "plan": f"/app?plan={wsoa['id']}&asOf=2018-12-31&from=2018-06-01&to=2018-12-31",
        "action": f"/app?action={wsoa['actions']['edges'][0]['node']['id']}",
        "scorecard": f"/app?scorecard={lancashire['id']}",
    }
    for name, path in views.items():
        page.evaluate("path => { history.pushState(null, '', path); dispatchEvent(new PopStateEvent('popstate')); }", path)
        settled(page)
        shot(page, f"demo-{name}")
        assert no_accessibility_violations(page) == [], name
    assert lancashire["name"] in page.inner_text("main")
    assert page.locator("svg.viewer-chart").count() == 2  # one chart per metric of Lancashire's scorecard
    assert page.requests_off_machine == [] and page.console_errors == []


class IdentityProvider:
    """An OpenID Connect provider played by the test on a local HTTP server: a discovery document, its keys, an
    authorisation endpoint that signs in whoever it is told to (`self.signs_in`: the claims) and sends the browser
    back with a code, and a token endpoint that redeems a code once, for the verifier of its challenge."""

    def __init__(self):
        import base64
        import hashlib
        import json
        import threading
        import time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import parse_qs, urlencode, urlsplit

        import jwt
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.key = rsa.generate_private_key(65537, 2048)
        self.signs_in: dict = {}
        self.codes: dict[str, dict] = {}
        self.redeemed: list[dict] = []
        provider = self

        def challenge(verifier: str) -> str:
            return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()

        class Handler(BaseHTTPRequestHandler):
            def answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self.answer(200, {"issuer": provider.issuer, "jwks_uri": f"{provider.issuer}/jwks",
                                      "authorization_endpoint": f"{provider.issuer}/authorize", "token_endpoint": f"{provider.issuer}/token"})
                elif url.path == "/jwks":
                    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(provider.key.public_key()))
                    self.answer(200, {"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})
                elif url.path == "/authorize":
                    asked = {k: v[0] for k, v in parse_qs(url.query).items()}
                    code = f"code-{len(provider.codes)}"
                    provider.codes[code] = asked
                    self.send_response(302)
                    self.send_header("Location", f"{asked['redirect_uri']}?{urlencode({'code': code, 'state': asked['state']})}")
                    self.end_headers()
                else:
                    self.send_error(404)

            def do_POST(self):
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
                provider.redeemed.append(form)
                asked = provider.codes.pop(form.get("code"), None)
                if asked is None or challenge(form.get("code_verifier", "")) != asked["code_challenge"] \
                        or form.get("redirect_uri") != asked["redirect_uri"] or form.get("client_id") != asked["client_id"]:
                    self.answer(400, {"error": "invalid_grant", "error_description": "the code or its verifier is wrong"})
                    return
                now = int(time.time())
                id_token = jwt.encode({"iss": provider.issuer, "aud": asked["client_id"], "iat": now, "exp": now + 600,
                                       **provider.signs_in}, provider.key, algorithm="RS256", headers={"kid": "k1"})
                self.answer(200, {"access_token": "opaque-access-token", "token_type": "Bearer", "id_token": id_token})

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.http.server_port}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def provider():
    played = IdentityProvider()
    yield played
    played.http.shutdown()


@pytest.fixture(scope="module")
def signing_in(provider, tmp_path_factory):
    """A service whose readers sign in through the provider."""
    running = Server(tmp_path_factory.mktemp("viewer-oidc"), {"SEND_RECORDS_OIDC_ISSUER": provider.issuer,
                                                              "SEND_RECORDS_OIDC_AUDIENCE": "send-records-viewer"}).start()
    yield running
    running.stop()


def test_a_lead_signs_in_through_the_identity_provider_and_comes_back_to_the_link(page, signing_in, provider):
    area = new_area(signing_in)
    provider.signs_in = {"sub": "lead@council.example", "role": "PARTNERSHIP_LEAD", "partnership": area.partnership}
    link = f"/app?plan={area.plan}&asOf=2018-03-10"
    page.goto(f"http://127.0.0.1:{signing_in.port}{link}")
    page.click("#provider-sign-in")
    settled(page)
    assert page.url == f"http://127.0.0.1:{signing_in.port}{link}"  # back where the reader started, the code gone
    assert page.inner_text("h1") == "WSoA" and "true on 10 March 2018" in page.inner_text("#timebar")
    assert "Timely EHC plans" not in page.inner_text("#content")  # the priority area added on 15 March
    [redeemed] = provider.redeemed
    assert redeemed["grant_type"] == "authorization_code" and redeemed["client_id"] == "send-records-viewer"
    kept = page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])")
    assert kept == '[[],[],""]'  # the verifier is gone, and the token was never there
    assert page.console_errors == [] and page.requests_off_machine == []

    # A code redeemed once is not redeemed again: the page says why, and offers both ways in again.
    page.goto(f"http://127.0.0.1:{signing_in.port}/app?code=code-0&state=forged")
    page.wait_for_selector(".govuk-error-summary")
    assert "this sign-in was not started from this tab" in page.inner_text(".govuk-error-summary")
    assert page.locator("#provider-sign-in").is_visible() and page.locator("#token").is_visible()
    assert no_accessibility_violations(page) == []
    shot(page, "sign-in-through-the-provider-refused")


def test_the_sign_in_endpoint_refuses_clearly(service, signing_in, provider):
    import httpx

    assert httpx.get(f"http://127.0.0.1:{service.port}/app/sign-in").json() == {"provider": None}
    assert httpx.get(f"http://127.0.0.1:{signing_in.port}/app/sign-in").json() == {"provider": {
        "authorizationEndpoint": f"{provider.issuer}/authorize", "clientId": "send-records-viewer", "scope": "openid"}}
    app = f"http://127.0.0.1:{signing_in.port}/app"
    asked = {"code": "code-unknown", "codeVerifier": "v" * 43, "redirectUri": app}
    refusals = [
        (service, asked, 404, "this service signs no one in through an identity provider (SEND_RECORDS_OIDC_ISSUER)"),
        (signing_in, {"code": "x"}, 400, 'send {"code": ..., "codeVerifier": ..., "redirectUri": ...} as JSON'),
        (signing_in, {**asked, "redirectUri": "https://elsewhere.example/callback"}, 400, "redirectUri must be the address of /app"),
        (signing_in, asked, 401, "the identity provider refused the sign-in: the code or its verifier is wrong"),
    ]
    for server, body, status, message in refusals:
        response = httpx.post(f"http://127.0.0.1:{server.port}/app/sign-in", json=body)
        assert (response.status_code, response.json()) == (status, {"error": message})


def test_the_termly_report_reads_in_a_browser_with_its_charts_and_no_accessibility_violations(page, service):
    auditor = token(Role.AUDITOR)
    plans = {p["title"]: p["id"] for partnership in service.query("{ partnerships { plans { id title } } }", auditor)["partnerships"]
             for p in partnership["plans"]}
    page.set_extra_http_headers({"Authorization": f"Bearer {auditor}"})
    page.goto(f"http://127.0.0.1:{service.port}/reports/plans/{plans['Lancashire Written Statement of Action']}?format=html")
    charts = page.locator("figure svg")
    assert charts.count() == 2  # one per metric of Lancashire's scorecard, each drawn with its values
    for n in range(2):
        box = charts.nth(n).bounding_box()
        assert box["width"] > 300 and box["height"] > 100
        assert charts.nth(n).locator("text").count() > 5
    assert page.evaluate("getComputedStyle(document.querySelector('figure svg text')).fontFamily").startswith('"Helvetica Neue"')
    ids = page.evaluate("[...document.querySelectorAll('[id]')].map(element => element.id)")
    assert len(ids) == len(set(ids))  # the charts' own ids too
    shot(page, "report")
    assert no_accessibility_violations(page) == []
    assert page.requests_off_machine == [] and page.console_errors == []
