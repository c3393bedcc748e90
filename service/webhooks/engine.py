"""The delivery engine: every active webhook receives the events it asks for, in log order, signed, at least once.

Each process runs one engine. It follows the log as the live feed does (woken by this process's commits, by
PostgreSQL's NOTIFY from other processes, and by a slow poll, SEND_RECORDS_FEED_POLL_SECONDS), and works in rounds,
each one transaction of the store (service/webhooks/deliveries.py): record the runs that have ended, claim the due
webhooks, and for each one claim a run of its next events after its cursor (up to RUN of them), and the parked
deliveries due for a retry. The runs then go on concurrently outside any transaction, each delivering its events one
after another. A claim is a lease: a process that dies mid-run leaves its deliveries to be taken over when the
lease runs out (a run stops before an attempt could outlast it); one that stops cleanly hands back what it has not
delivered, to be taken at once. On PostgreSQL rows are claimed with FOR UPDATE SKIP LOCKED, so several processes
share the work and each delivery is attempted by one of them at a time; on the embedded store the one process
delivers.

Ordering. A webhook's events are delivered one at a time in log order: its next event is attempted only once the
one before is delivered, given up, or parked. An event that keeps failing holds its webhook's place for at most
SEND_RECORDS_WEBHOOK_PARK_SECONDS (default 120) from its first attempt; it is then parked: it keeps its own retry
schedule and no longer holds the others back, which may then arrive before it. When the receiver answers again
(a success after a failure), every parked delivery of that webhook is retried at once.

Retries. After a failed attempt n (no answer, a timeout, a status other than 2xx; redirects are not followed), the
next waits schedule[n - 1] seconds, +/- 20% jitter; the default schedule is 5 s, 20 s, 80 s, 5.3 min, 21 min,
85 min, 5.7 h, 8 h, 8 h (each four times the last, capped at 8 hours): ten attempts over about 24 hours, after
which the delivery is GIVEN_UP. SEND_RECORDS_WEBHOOK_RETRY_SECONDS (e.g. "0.2,0.4") replaces the schedule. A 429
or 503 with Retry-After waits what it asks (at most a day). A 410 Gone disables the webhook: the system makes the
disableWebhook change (service/mutations/webhooks.py) through the commands, as a user would, and the log records it
as the system's; enabled again, the webhook resumes where it stopped.

Sharing. On PostgreSQL a round claims at most ROUND due webhooks; when more are due it is followed by another at
once, so that processes woken by the same commit share the webhooks between them rather than the first taking them
all. On the embedded store, alone, it claims all that are due.

Keeping. Deliveries settled for good (delivered or given up) are kept SEND_RECORDS_WEBHOOK_KEEP_DAYS (default 30)
after their last attempt, then pruned (each process looks once an hour); the cursors in webhook_progress are what
the engine needs, the deliveries are for `Webhook.deliveries`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from uuid import uuid4

from graphql import GraphQLObjectType, get_named_type

from domain.vocabulary import Role
from domain.webhook import Webhook
from projections import queries as q
from projections.shapes import WebhookState
from service.authorisation import Principal
from service.commands import Commands
from service.feed import poll_seconds
from service.graphql import cursors
from service.graphql.context import Context
from service.graphql.schema import schema
from service.graphql.types import EventRecord
from service.webhooks import deliveries as d
from service.webhooks.deliveries import Claim, DeliveryStatus, Settled
from service.webhooks.outbound import Answer, Outbound, Secrets, body_of, private_allowed, signed_headers

log = logging.getLogger("send_records.webhooks")

DEFAULT_SCHEDULE = tuple(min(5.0 * 4 ** n, 8 * 3600.0) for n in range(9))
JITTER = 0.2
BATCH = 500  # log records read at a time for one cursor
RUN = 50  # events of one webhook claimed at once, delivered one after another
MAX_IN_FLIGHT = 256  # runs under way at once in one process
ROUND = 20  # due webhooks one round claims
PRUNE_SECONDS = 3600  # how often a process prunes old deliveries
COALESCE = 0.01  # seconds the engine waits for other runs to end, so that one transaction records them all
RUN_SECONDS = 20.0  # a run starts no attempt after this long (and its claim, its lease, outlasts the last attempt)
LEASE_MARGIN = 10.0  # seconds a claim outlasts a run's last attempt, for the run to be recorded
WEBHOOK_EVENTS = [name for name, value in vars(Webhook).items() if isinstance(value, type)
                  and issubclass(value, Webhook.Event) and name.startswith("Webhook")]
SYSTEM = Principal("system", Role.ADMIN)  # the service itself, disabling a webhook whose receiver answered 410


@dataclass
class Run:
    """Claimed deliveries attempted one after another (a webhook's next events, or one parked delivery)."""

    claims: list[Claim]
    settled: list[Settled] = field(default_factory=list)

    def ended(self) -> list[Settled]:
        """How each ended; those not attempted are handed back."""
        return self.settled + [Settled(claim) for claim in self.claims[len(self.settled):]]


@dataclass(frozen=True)
class Settings:
    schedule: tuple[float, ...] = DEFAULT_SCHEDULE  # seconds before each retry
    park_after: float = 120.0  # seconds a failing event may hold its webhook's place
    timeout: float = 10.0  # read timeout; connecting gets at most 5 s of it
    allow_private: bool = False
    poll: float = 1.0
    keep_days: float = 30.0  # how long deliveries settled for good are kept

    @classmethod
    def from_environment(cls) -> Settings:
        """The settings from SEND_RECORDS_WEBHOOK_* (a bad value raises ValueError naming them), and the feed's
        poll (ConfigurationError)."""
        env, poll = os.environ.get, poll_seconds()
        try:
            schedule = env("SEND_RECORDS_WEBHOOK_RETRY_SECONDS")
            settings = cls(
                schedule=tuple(float(s) for s in schedule.split(",")) if schedule else DEFAULT_SCHEDULE,
                park_after=float(env("SEND_RECORDS_WEBHOOK_PARK_SECONDS") or cls.park_after),
                timeout=float(env("SEND_RECORDS_WEBHOOK_TIMEOUT_SECONDS") or cls.timeout),
                allow_private=private_allowed(),
                poll=poll,
                keep_days=float(env("SEND_RECORDS_WEBHOOK_KEEP_DAYS") or cls.keep_days),
            )
        except ValueError:
            settings = None
        if (settings is None or min(settings.schedule + (settings.park_after, settings.keep_days)) < 0
                or settings.timeout <= 0):
            raise ValueError("SEND_RECORDS_WEBHOOK_RETRY_SECONDS (seconds, comma-separated), _PARK_SECONDS, "
                             "_TIMEOUT_SECONDS and _KEEP_DAYS must be numbers, not negative (the timeout positive)")
        return settings


def now_ms() -> int:
    return int(time.time() * 1000)


def wants(webhook: WebhookState, record: dict) -> bool:
    """Whether the webhook asks for this event, and its owner may read it."""
    partnership_id = record["partnershipId"]
    return ((webhook.partnership_id is None or partnership_id == webhook.partnership_id)
            and (webhook.owner_partnership_id is None or partnership_id == webhook.owner_partnership_id)
            and (not webhook.event_types or record["type"] in webhook.event_types))


@lru_cache(maxsize=None)
def selection(type_name: str) -> str:
    """Every field of a GraphQL object type (and of the objects in it), as the schema has them."""
    fields = []
    for name, found in schema._schema.get_type(type_name).fields.items():
        inner = get_named_type(found.type)
        fields.append(name + (f" {{ {selection(inner.name)} }}" if isinstance(inner, GraphQLObjectType) else ""))
    return " ".join(fields)


async def event_data(record: dict) -> dict:
    """The event as GraphQL returns it: the schema's own selection of every EventRecord field, run on it as a
    subscription's is (its fields read nothing of the caller)."""
    result = await schema.execute(f"subscription {{ events {{ {selection('EventRecord')} }} }}",
                                 root_value=EventRecord.of(record), context_value=Context(commands=None))
    assert not result.errors, result.errors
    return result.data["events"]


class DeliveryEngine:
    def __init__(self, commands: Commands, secrets: Secrets, settings: Settings | None = None):
        self.commands = commands
        self.read_model = commands.read_model
        self.store = commands.read_model.store
        self.secrets = secrets
        self.settings = settings or Settings.from_environment()
        self.outbound = Outbound(self.settings.allow_private, self.settings.timeout, MAX_IN_FLIGHT)
        # A store that tells other processes of commits is shared by them: claims must skip each other's rows.
        self.lock = " FOR UPDATE SKIP LOCKED" if getattr(self.store, "channel", None) else ""
        self.round = ROUND if self.lock else MAX_IN_FLIGHT  # alone on its store, a process claims all that is due
        self.lease = RUN_SECONDS + self.outbound.deadline + LEASE_MARGIN
        self.webhooks: dict[str, WebhookState] = {}
        self.started: set[str] = set()  # webhooks whose progress row exists
        self.watched = 0  # the log position up to which Webhook events have been looked for
        self.ended: list[list[Settled]] = []  # runs ended, to record in the next round
        self.in_flight: dict[asyncio.Task, Run] = {}
        self.bodies: dict[int, str] = {}
        self.due: int | None = None
        self.pruned_at = 0
        self.woken = asyncio.Event()
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.watched = await self.read_model.ask(q.last_position())
        await self._load_webhooks()
        self.commands.listeners.append(self.wake)  # the app has NOTIFY (other processes' commits) call them too
        self.task = asyncio.create_task(self.follow())

    async def close(self) -> None:
        """Stop; attempts under way are abandoned, and what is claimed and not yet delivered is handed back, to be
        taken again at once."""
        self.commands.listeners.remove(self.wake)
        tasks = [self.task, *self.in_flight] if self.task else list(self.in_flight)
        runs = list(self.in_flight.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        if runs or self.ended:
            try:
                await asyncio.to_thread(self._settle, [*self.ended, *(run.ended() for run in runs)])
            except Exception:  # the store away: the claims' leases run out instead
                log.warning("webhook claims could not be handed back; they will be taken over", exc_info=True)
        await self.outbound.close()

    def _settle(self, runs: list[list[Settled]]) -> None:
        with self.store.writer() as w:
            d.settle(w, runs, now_ms())

    def wake(self, *_: object) -> None:
        """Safe to call from any thread: something was committed."""
        self.loop.call_soon_threadsafe(self.woken.set)

    async def follow(self) -> None:
        more = False
        while True:
            if not more and self.idle():  # commits are looked at once a poll, not each: writes cost nothing here
                await asyncio.sleep(self.settings.poll)
            elif not more:
                wait = self.settings.poll if self.due is None else min(self.settings.poll, (self.due - now_ms()) / 1000)
                try:  # (not wait_for: on Python 3.11 it can lose a cancellation that comes as the wait ends)
                    async with asyncio.timeout(max(wait, 0.0)):
                        await self.woken.wait()
                except TimeoutError:
                    pass
                if self.in_flight:  # let runs ending about now be recorded together
                    await asyncio.sleep(COALESCE)
            self.woken.clear()  # before the round: a wake-up during it brings another
            try:
                await self._watch()
                more = await self._round()
            except Exception:  # the store away for a moment: the next wake-up or poll goes on from here
                log.warning("webhook deliveries paused: the store could not be used; trying again", exc_info=True)
                more = False
                await asyncio.sleep(self.settings.poll)

    def idle(self) -> bool:
        """No webhook to deliver to, nothing under way: a webhook registered meanwhile (here or on another process)
        is found by the next poll, and delivers from its registration on."""
        return not self.in_flight and not self.ended and not any(w.active for w in self.webhooks.values())

    async def _watch(self) -> None:
        """Reload the webhooks when any has changed since last looked (or, on another process, been registered)."""
        found = await self.read_model.store.fetch(
            f"SELECT MAX(position) AS last, COUNT(CASE WHEN type IN ({','.join('?' * len(WEBHOOK_EVENTS))}) THEN 1 END)"
            " AS changes FROM records WHERE position > ?", [*WEBHOOK_EVENTS, self.watched])
        if found[0]["last"] is not None:
            self.watched = found[0]["last"]
            if found[0]["changes"]:
                await self._load_webhooks()

    async def _load_webhooks(self) -> None:
        self.webhooks = {w.id: w for w in await self.read_model.ask(q.entities("Webhook", None, [], None))}

    async def _round(self) -> bool:
        """One round; whether another should follow at once (work was left for lack of room)."""
        active = {i: w for i, w in self.webhooks.items() if w.active}
        if not active and not self.ended:
            self.due = None
            return False
        ended, self.ended = self.ended, []
        try:
            runs, records, self.due, more = await asyncio.to_thread(
                self._claim, ended, active, min(self.round, MAX_IN_FLIGHT - len(self.in_flight)))
        except BaseException:
            self.ended = ended + self.ended
            raise
        for claims in runs:
            run = Run(claims)
            task = asyncio.create_task(self._deliver(run, active[claims[0].webhook_id], records))
            self.in_flight[task] = run
        return more

    def _claim(self, ended: list[list[Settled]], active: dict[str, WebhookState], room: int
               ) -> tuple[list[list[Claim]], dict[int, dict], int | None, bool]:
        """In one transaction: record the runs that ended, and claim at most `room` runs: a due webhook's next
        events, or a parked delivery due for a retry."""
        now, token, ids = now_ms(), uuid4().hex, list(active)
        lease_until = now + int(self.lease * 1000)
        with self.store.writer() as w:
            d.settle(w, ended, now)
            if now - self.pruned_at > PRUNE_SECONDS * 1000:
                d.prune(w, now - int(self.settings.keep_days * 86_400_000))
                self.pruned_at = now
            if not ids:
                return [], {}, None, False
            new = [active[i] for i in ids if i not in self.started]
            if new:
                d.start(w, new, now)
            due = d.due_webhooks(w, ids, now, room, self.lock) if room else []
            more, failing, by_cursor, heads = len(due) == room > 0, {}, defaultdict(list), {}
            for row in due:
                webhook, cursor = active[row["webhook_id"]], row["position"]
                if webhook.redeliveries > row["redeliveries"]:  # (never past an event not yet delivered)
                    cursor = min(webhook.redeliver_after or 0, cursor)
                    d.apply_redelivery(w, webhook.id, cursor, webhook.redeliveries, now)
                failing[webhook.id] = bool(row["failing"]) and cursor == row["position"]
                by_cursor[cursor].append(webhook)
            for cursor, webhooks in by_cursor.items():
                records = d.records_after(w, cursor, BATCH)
                for webhook in webhooks:
                    wanted = [r["position"] for r in records if wants(webhook, r)][:RUN]
                    if wanted:
                        heads[webhook.id] = wanted
                    elif records:
                        d.skip_to(w, webhook.id, records[-1]["position"])
                        more = more or len(records) == BATCH
            d.claim_runs(w, heads, lease_until, token)
            if room > len(heads):
                d.claim_parked(w, ids, now, lease_until, token, room - len(heads), self.lock)
            claims = d.claimed(w, token, failing)
            claimed_records = d.records_at(w, sorted({c.position for c in claims})) if claims else {}
            due_at = d.next_due(w, ids, now)
        self.started.update(webhook.id for webhook in new)
        runs: dict[object, list[Claim]] = defaultdict(list)
        for claim in claims:  # a webhook's next events make one run; each parked delivery its own
            runs[claim.webhook_id if claim.head else (claim.webhook_id, claim.position)].append(claim)
        return list(runs.values()), claimed_records, due_at, more

    async def _deliver(self, run: Run, webhook: WebhookState, records: dict[int, dict]) -> None:
        """Deliver a run one after another, starting none after RUN_SECONDS (its lease covers the last); stop at a
        failure."""
        ends = time.monotonic() + RUN_SECONDS
        try:
            try:
                for claim in run.claims:
                    if time.monotonic() > ends:
                        break
                    settled = await self._attempt(claim, webhook, records[claim.position])
                    run.settled.append(settled)
                    if settled.status != DeliveryStatus.DELIVERED:
                        break
            except Exception:  # a fault of ours: what is left is handed back, to be tried again
                log.warning("a webhook delivery failed unexpectedly", exc_info=True)
            self.ended.append(run.ended())
            self.wake()
        finally:
            self.in_flight.pop(asyncio.current_task(), None)

    async def _attempt(self, claim: Claim, webhook: WebhookState, record: dict) -> Settled:
        now = datetime.now(timezone.utc)
        message_id, body = cursors.encode("e", claim.position), await self._body(record)
        headers = signed_headers(message_id, body, self.secrets.signing(webhook, now), now)
        answer = await self.outbound.post(webhook.url, headers, body)
        if answer.status == 410:
            try:
                await asyncio.to_thread(self.commands.run, SYSTEM, "disableWebhook", webhook_id=webhook.id,
                                        reason="the receiver answered 410 Gone")
            except Exception:  # the store away: the next 410 disables it
                log.warning("a webhook answered 410 but could not be disabled", exc_info=True)
        settled = self.settled(claim, answer, int(now.timestamp() * 1000))
        if settled.status != DeliveryStatus.DELIVERED:  # the webhook and the failure, never its URL or secret
            log.info(json.dumps({"webhook": claim.webhook_id, "position": claim.position,
                                 "attempt": claim.attempts + 1, "status": settled.status, "parked": settled.parked,
                                 "error": answer.error}))
        return settled

    async def _body(self, record: dict) -> str:
        """The body of a record's deliveries, made once for every webhook and attempt (while it is recent)."""
        position = record["position"]
        if position not in self.bodies:
            data = await event_data(record)
            self.bodies[position] = body_of(record["type"], data["recordedAt"], data)
            if len(self.bodies) > 4 * BATCH:
                del self.bodies[next(iter(self.bodies))]
        return self.bodies[position]

    def settled(self, claim: Claim, answer: Answer, attempted_at: int) -> Settled:
        """How an attempt ends: delivered; given up after the last of the schedule; or failed, to be retried after
        the schedule's wait (or Retry-After's), parked if the wait would hold the webhook's place too long."""
        attempt = claim.attempts + 1
        if answer.delivered:
            return Settled(claim, attempted_at, DeliveryStatus.DELIVERED, None, False, answer.status)
        schedule = self.settings.schedule
        if attempt > len(schedule):
            return Settled(claim, attempted_at, DeliveryStatus.GIVEN_UP, None, False, answer.status, answer.error)
        wait = answer.retry_after
        if wait is None:
            wait = schedule[attempt - 1] * random.uniform(1 - JITTER, 1 + JITTER)
        next_attempt_at = now_ms() + int(wait * 1000)
        first_attempt_at = claim.first_attempt_at or attempted_at
        parked = not claim.head or next_attempt_at - first_attempt_at > self.settings.park_after * 1000
        return Settled(claim, attempted_at, DeliveryStatus.FAILED, next_attempt_at, parked, answer.status, answer.error)
