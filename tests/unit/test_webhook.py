"""The Webhook aggregate's rules, its secrets, and the engine's pure parts (no store, no network)."""

import asyncio
import base64
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from domain.base import InvalidError, InvalidTransitionError
from domain.webhook import OVERLAP, Webhook
from projections.shapes import WebhookState, webhook_state
from projections.views import event_record
from service.application import RecordsApplication
from service.webhooks.engine import DEFAULT_SCHEDULE, Settings, wants
from service.webhooks.outbound import MAX_RETRY_AFTER_SECONDS, AddressRefused, CheckedResolver, Secrets, refusal, retry_after

SECRETS = Secrets("a-service-secret")


def webhook(partnership="p1", owner="p1", types=("ActionCompleted",)) -> Webhook:
    return Webhook.register(partnership, "https://cms.example.org/hooks/send", list(types), "Case management", owner)


@pytest.mark.parametrize("url", ["ftp://example.org/x", "https:///no-host", "not a url", "https://user:pw@example.org/",
                                 "https://example.org:99999/", "https://example.org/" + "x" * 2048, ""])
def test_a_webhook_needs_an_http_url_with_a_host_and_no_credentials(url):
    with pytest.raises(InvalidError) as refused:
        Webhook.register("p1", url, [], None, "p1")
    assert refused.value.field == "url"


def test_event_types_must_be_events_of_the_log():
    with pytest.raises(InvalidError) as refused:
        Webhook.register("p1", "https://example.org/", ["ActionCompleted", "ActionExploded"], None, "p1")
    assert refused.value.field == "event_types" and "ActionExploded" in refused.value.message
    assert webhook(types=["ActionCompleted", "PlanApproved", "ActionCompleted"]).event_types == ["ActionCompleted", "PlanApproved"]
    assert Webhook.register("p1", "http://example.org/", ["WebhookDisabled"], None, "p1").event_types == ["WebhookDisabled"]


def test_a_webhook_never_follows_a_partnership_its_owner_cannot_read():
    for partnership in ("p2", None):
        with pytest.raises(InvalidError) as refused:
            webhook(partnership=partnership, owner="p1")
        assert refused.value.field == "partnership_id"
    for_all = webhook(partnership=None, owner=None)
    assert for_all.partnership_id is None and webhook_state(for_all).partnership_id is None
    assert webhook().partnership_id == "p1"


def test_rotation_keeps_the_previous_secret_signing_for_a_day():
    w = webhook()
    first = w.secret_id
    w.rotate_secret()
    assert w.secret_id != first and w.previous_secret_id == first
    expires = w.previous_secret_expires_at
    assert abs(expires - (datetime.now(timezone.utc) + OVERLAP)).total_seconds() < 5
    state = webhook_state(w)
    now = datetime.now(timezone.utc)
    both = SECRETS.signing(state, now)
    assert both == [SECRETS.of(str(w.id), w.secret_id), SECRETS.of(str(w.id), first)]
    assert SECRETS.signing(state, expires + timedelta(seconds=1)) == both[:1]
    w.rotate_secret()  # a second rotation retires the one before at once
    assert len(SECRETS.signing(webhook_state(w), now)) == 2


def test_disable_needs_a_reason_and_enable_a_disabled_webhook():
    w = webhook()
    with pytest.raises(InvalidError):
        w.disable("  ")
    with pytest.raises(InvalidTransitionError):
        w.enable()
    w.disable("the receiver answered 410 Gone")
    assert not w.active and w.disabled_reason == "the receiver answered 410 Gone"
    for refused in (lambda: w.disable("again"), w.rotate_secret):
        with pytest.raises(InvalidTransitionError):
            refused()
    w.enable()
    assert w.active and w.disabled_reason is None


def test_redelivery_counts_requests_from_a_position():
    w = webhook()
    with pytest.raises(InvalidError):
        w.redeliver(-1)
    w.redeliver(10)
    w.redeliver(4)
    assert (w.redeliveries, w.redeliver_after) == (2, 4)


def test_secrets_are_derived_standard_webhooks_secrets_and_never_recorded():
    w = webhook()
    w.rotate_secret()
    secret = SECRETS.of(str(w.id), w.secret_id)
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[len("whsec_"):])) == 32
    assert secret == Secrets("a-service-secret").of(str(w.id), w.secret_id)
    others = {Secrets("another").of(str(w.id), w.secret_id), SECRETS.of(str(w.id), "other"),
              SECRETS.of("another-webhook", w.secret_id)}
    assert secret not in others and len(others) == 3
    mapper = RecordsApplication.offline_mapper()
    for event in w.collect_events():
        stored = bytes(mapper.to_stored_event(event).state).decode()
        shown = str(event_record(event, w.partnership_id))
        for text in (stored, shown):
            assert secret not in text and secret[len("whsec_"):] not in text


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                                     "0.0.0.0", "224.0.0.1", "::1", "fe80::1%eth0", "fd00::1", "::ffff:127.0.0.1",
                                     "64:ff9b::a00:1", "2002:a00:1::1"])
def test_loopback_private_and_link_local_addresses_are_refused(address):
    assert refusal(address) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_may_be_called(address):
    assert refusal(address) is None


def test_a_name_is_judged_by_the_addresses_it_resolves_to():
    with pytest.raises(AddressRefused, match="loopback"):
        asyncio.run(CheckedResolver(allow_private=False).resolve("localhost", 80))
    found = asyncio.run(CheckedResolver(allow_private=True).resolve("localhost", 80))
    assert {r["host"] for r in found} <= {"127.0.0.1", "::1"} and found[0]["hostname"] == "localhost"


def test_retry_after_is_read_as_seconds_or_a_date_and_capped_at_a_day():
    assert retry_after("7") == 7.0
    in_a_minute = format_datetime(datetime.now(timezone.utc) + timedelta(minutes=1), usegmt=True)
    assert 55 < retry_after(in_a_minute) <= 60
    assert retry_after("999999999") == MAX_RETRY_AFTER_SECONDS
    assert retry_after("-3") == 0.0
    assert retry_after("soon") is None and retry_after(None) is None


def test_the_default_schedule_retries_within_seconds_and_last_about_a_day_later():
    assert DEFAULT_SCHEDULE[0] == 5 and len(DEFAULT_SCHEDULE) == 9
    assert 22 * 3600 < sum(DEFAULT_SCHEDULE) < 26 * 3600


def test_settings_refuse_bad_values(monkeypatch):
    monkeypatch.setenv("SEND_RECORDS_WEBHOOK_RETRY_SECONDS", "0.1,0.5")
    monkeypatch.setenv("SEND_RECORDS_WEBHOOK_ALLOW_PRIVATE", "1")
    settings = Settings.from_environment()
    assert settings.schedule == (0.1, 0.5) and settings.allow_private
    for name, value in [("SEND_RECORDS_WEBHOOK_RETRY_SECONDS", "1,soon"), ("SEND_RECORDS_WEBHOOK_PARK_SECONDS", "-1"),
                        ("SEND_RECORDS_WEBHOOK_TIMEOUT_SECONDS", "0")]:
        with monkeypatch.context() as m:
            m.setenv(name, value)
            with pytest.raises(ValueError, match="SEND_RECORDS_WEBHOOK"):
                Settings.from_environment()


def hook(partnership_id: str | None, owner: str | None, event_types: list[str]) -> WebhookState:
    return WebhookState(id="w", partnership_id=partnership_id, owner_partnership_id=owner, event_types=event_types,
                        url="https://example.org/", secret_id="s", version=1, updated_at=datetime.now(timezone.utc))


def test_a_webhook_receives_only_what_it_asks_for_and_its_owner_may_read():
    record = {"partnershipId": "p1", "type": "ActionCompleted"}
    assert wants(hook("p1", "p1", []), record)
    assert wants(hook(None, None, ["ActionCompleted"]), record)
    assert wants(hook(None, None, []), {"partnershipId": None, "type": "WebhookRegistered"})
    assert not wants(hook("p2", None, []), record)
    assert not wants(hook(None, "p2", []), record)
    assert not wants(hook("p1", "p1", ["PlanApproved"]), record)
