"""The service layer: every mutation declared once, and run under one mechanism.

A mutation is declared where its handler is (service/mutations/), with the
`mutation` decorator: its name, its typed input (the handler's annotation), who
may call it, which input field dates it, and its payload. The GraphQL mutation
fields (service/graphql/schema.py), the roles table (docs/roles.md) and the test
helpers are derived from these declarations.

`Commands.execute` gives every mutation the contract's guarantees, in stages:

1. input checks (text the store cannot keep, the declared limits on text and lists, and no change taking effect
   after the day it is recorded);
2. idempotency: a key used before replays its first answer, refusals included;
3. decide on this process's copy of the aggregates, reading nothing (see Scope);
4. decide again on the latest, where a copy may have been out of date or before refusing;
5. commit, retrying on a concurrent writer (unless expectedVersion was given).

`Commands.perform` is the same from the event loop, where GraphQL calls it: stages 2, 3 and 5 are done on the
loop when they read nothing but the idempotency key (every aggregate the handler loads is held here, and
nothing is refused), the commit awaited; anything else is done as `execute` does it, in a worker thread.

A handler only loads, authorises, calls the domain and says what to save. Any
refusal (unknown id, forbidden, stale expectedVersion, a rule of the domain)
comes back as a user error with nothing recorded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import random
import re
import time
import types
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Callable, Union, get_args, get_origin, get_type_hints
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, RecordConflictError

from domain.base import DomainError, InvalidError, Record, stamped, words
from domain.vocabulary import Role
from projections import queries as q
from projections.shapes import State, children, kind_of
from projections.store import ReadModel, StoreUnavailable
from projections.views import camel, event_record, plain
from projections.writes import INSERT_KEY, Change, Committed, IdempotencyKey, idempotency_row
from service.application import RecordsApplication
from service.authorisation import PARTNER, Principal, RolesBy, article

ATTEMPTS = 12  # tries at a change without expectedVersion that keeps meeting concurrent writers


class ErrorCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"
    INVALID_TRANSITION = "INVALID_TRANSITION"


@dataclass(frozen=True)
class Mutation:
    """One mutation, declared once."""

    name: str
    handler: Callable[[Scope, Any], Done]
    input: type
    payload: Any  # the GraphQL payload type, with `of(info, outcome)`
    roles: frozenset[Role] | RolesBy
    dated_by: str | None  # the input's own date, which is when the change took effect
    description: str


MUTATIONS: dict[str, Mutation] = {}


def mutation(name: str, payload: Any, *, roles: set[Role] | RolesBy, description: str,
             dated_by: str | None = None) -> Callable[[Callable], Callable]:
    """Declares the decorated handler as the mutation of this name; its `input` annotation is its input type."""

    def declare(handler: Callable) -> Callable:
        input_type = get_type_hints(handler)["input"]
        fields = {f.name: f for f in dataclasses.fields(input_type)}
        assert name not in MUTATIONS, f"{name} is declared twice"
        assert dated_by is None or get_type_hints(input_type)[dated_by] in (date, date | None), \
            f"{name}: {dated_by} is not a date of {input_type.__name__}"
        assert dated_by is None or "effective_on" not in fields, f"{name}: dated by {dated_by} and by effective_on"
        MUTATIONS[name] = Mutation(name, handler, input_type, payload,
                                   roles if isinstance(roles, RolesBy) else frozenset(roles), dated_by, description)
        return handler

    return declare


def declared() -> dict[str, Mutation]:
    """Every declared mutation (importing the declarations registers them)."""
    import service.mutations  # noqa: F401

    return MUTATIONS


def who_may(m: Mutation) -> str:
    """The roles that may make a change, as docs/roles.md and the schema say them."""
    if isinstance(m.roles, RolesBy):
        return f"by {m.roles.what}: " + "; ".join(f"{key}: {', '.join(sorted(roles))}" for key, roles in m.roles.roles.items())
    return ", ".join(sorted(m.roles)) or "ADMIN only"


def takes_effect(m: Mutation) -> str:
    """The date a change takes effect on, as docs/roles.md and the schema say it."""
    fields = {f.name for f in dataclasses.fields(m.input)}
    return (f"`{camel(m.dated_by)}`" if m.dated_by else "`effectiveOn`, else today" if "effective_on" in fields
            else "today")


def documented(m: Mutation) -> str:
    """The mutation's description in the schema: what it does, who may make it, when it takes effect, and how it
    may be refused."""
    fields = {f.name for f in dataclasses.fields(m.input)}
    who = who_may(m)
    partner = ", or a PARTNER's for what another agency owns" if "PARTNER" in who.replace("PARTNERSHIP_LEAD", "") else ""
    refusals = (f"FORBIDDEN (a token of a role not named here{partner}), NOT_FOUND (an id the caller cannot read, another "
                "partnership's alike), INVALID (the input breaks a rule: `field` names it), INVALID_TRANSITION (the "
                "record's state does not allow it)" + (", CONFLICT (`expectedVersion` is not the record's)"
                                                       if "expected_version" in fields else ""))
    return (f"{m.description}\n\nMay be made by {who}{'' if who == 'ADMIN only' else ', and ADMIN'}; takes effect on "
            f"{takes_effect(m)}. Refused in `userErrors`, recording nothing: {refusals}.")


def roles_table() -> str:
    """Who may call each mutation and which date it takes effect on, from the declarations (docs/roles.md)."""
    lines = ["# Who may make each change", "",
             "Generated from the mutations' declarations (`send-records roles`); a test keeps it in sync. ADMIN may "
             "make every change; a PARTNER only changes what its own agency owns; a PARTNERSHIP_LEAD or PARTNER only "
             "in its own partnership.", "",
             "| mutation | roles | takes effect on |", "|---|---|---|"]
    lines += [f"| `{m.name}` | {who_may(m)} | {takes_effect(m)} |" for m in declared().values()]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class UserError:
    code: ErrorCode
    message: str
    field: list[str] | None = None


class Refused(DomainError):
    """The service refused the change (nothing found, forbidden, a stale expectedVersion); nothing is recorded."""

    def __init__(self, code: ErrorCode, message: str, field_name: str | None = None):
        super().__init__(message, field_name)
        self.code = code


@dataclass
class Outcome:
    """What a mutation answers: the entity changed, the event recorded, or why not."""

    entity_id: str | None = None
    event: dict | None = None
    extra: dict = field(default_factory=dict)
    errors: list[UserError] = field(default_factory=list)
    replayed: bool = False
    written: dict[str, tuple[str, State]] = field(default_factory=dict)  # the states the change wrote, by id


@dataclass
class Done:
    """What a handler decided: the aggregate to save, and ids worth answering with (the child it added)."""

    aggregate: Record
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """One call of a mutation: who, what, its idempotency key and fingerprint, and when it takes effect."""

    principal: Principal
    mutation: Mutation
    input: Any

    @property
    def key(self) -> str | None:
        return getattr(self.input, "idempotency_key", None)

    @property
    def expected_version(self) -> int | None:
        return getattr(self.input, "expected_version", None)

    @property
    def fingerprint(self) -> str:
        given = {k: v for k, v in dataclasses.asdict(self.input).items() if k != "idempotency_key"}
        return hashlib.sha256(json.dumps([self.mutation.name, plain(given)], sort_keys=True).encode()).hexdigest()

    @property
    def effective_on(self) -> date:
        """The input's own date where the mutation has one, else its effectiveOn, else today."""
        own = getattr(self.input, self.mutation.dated_by) if self.mutation.dated_by else None
        return own or getattr(self.input, "effective_on", None) or datetime.now(timezone.utc).date()

    def error(self, error: DomainError) -> UserError:
        """A refusal as the API names it: the field in the input's casing (a change dated by its own date is
        refused on that date's field)."""
        name = self.mutation.dated_by if error.field == "effective_on" and self.mutation.dated_by else error.field
        return UserError(ErrorCode(error.code), error.message, [camel(name)] if name else None)


class Scope:
    """What a handler may use: the caller, the aggregates and the read model.

    With `cached`, aggregates this process has seen are taken as it last saw them, reading nothing; `self.cached`
    names them. Such a copy may be out of date (another process may have changed the aggregate since), so a
    decision made on one stands only where it would be found out: for the aggregate the change is appended to,
    whose next version would then already be taken (a conflict). Commands.execute decides again on the latest
    whenever the copy of any other aggregate counted, and before refusing anything.
    """

    def __init__(self, commands: Commands, request: Request, cached: bool = False, offline: bool = False):
        self.app = commands.app
        self.read_model = commands.read_model
        self.request = request
        self.principal = request.principal
        self.use_cached = cached
        self.offline = offline  # nothing may be read from the store (the event loop decides): raise WouldRead
        self.cached: set[UUID] = set()

    def load(self, cls: type[Record], entity_id: str | None, field_name: str) -> Any:
        """The aggregate of this kind with this id. One the caller may not read is answered as one that does not
        exist, so that a refusal tells nothing of other partnerships' records."""
        try:
            aggregate_id = UUID(entity_id or "")
            aggregate = self.app.cached(aggregate_id) if self.use_cached else None
            if aggregate is not None:
                self.cached.add(aggregate_id)
            elif self.offline:
                raise WouldRead()
            else:
                aggregate = self.app.load(aggregate_id)
        except (ValueError, AggregateNotFoundError):
            aggregate = None
        if not isinstance(aggregate, cls) or not self.principal.can_read(aggregate.partnership_id):
            raise Refused(ErrorCode.NOT_FOUND, f"no {words(cls.__name__)} has id {entity_id!r}", field_name)
        return aggregate

    def load_optional(self, cls: type[Record], entity_id: str | None, field_name: str) -> Any:
        return None if entity_id is None else self.load(cls, entity_id, field_name)

    def locate(self, entity_id: str, field_name: str) -> tuple[str, State]:
        """The kind and current state of any entity the caller may read: aggregates and the children in them."""
        if self.offline:
            raise WouldRead()
        found = self.read_model.run(q.entity(entity_id)) if is_id(entity_id) else None
        if found is None or not self.principal.can_read(found[1].partnership_id):
            raise Refused(ErrorCode.NOT_FOUND, f"nothing has id {entity_id!r}", field_name)
        return found

    def authorise(self, partnership_id: str, entity: Record | None = None, owner_agency_id: str | None = None,
                  by: Any = None) -> None:
        """The caller may make this change to this partnership's record (`by`: what the roles depend on), and
        the entity is still at the version the caller expects."""
        declared_roles = self.request.mutation.roles
        roles = declared_roles.of(by) if isinstance(declared_roles, RolesBy) else declared_roles
        principal = self.principal
        if not principal.may(roles, partnership_id, owner_agency_id):
            if principal.role == PARTNER and PARTNER in roles:
                raise Refused(ErrorCode.FORBIDDEN, f"the {words(type(entity).__name__)} is owned by another agency: "
                                                   f"{article(PARTNER)} changes only what its own agency owns")
            allowed = " or ".join(f"{r}" for r in sorted(roles)) or "ADMIN"
            raise Refused(ErrorCode.FORBIDDEN, f"{article(principal.role)} may not {self.request.mutation.name}: "
                                               f"it is for {allowed} tokens" +
                                               (f" (by {declared_roles.what})" if isinstance(declared_roles, RolesBy) else ""))
        expected = self.request.expected_version
        if expected is not None and entity is not None and entity.version != expected:
            raise Refused(ErrorCode.CONFLICT,
                          f"expected version {expected} but the record is at version {entity.version}", "expected_version")


class WouldRead(Exception):
    """A decision made offline (Scope) needs something read from the store."""


def is_id(text: str | None) -> bool:
    """Every entity's id is a UUID; anything else names nothing (and is never sent to the store)."""
    try:
        UUID(text or "")
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Limit:
    """The most characters a text field of an input may hold, or items a list field: declared on the field's type
    with Annotated (below), and checked before anything else, so that no one can store text that every later read
    of the partnership would carry."""

    most: int


Name = Annotated[str, Limit(200)]  # a name or a title, a lead officer, a period
Key = Annotated[str, Limit(200)]  # an idempotency key
Text = Annotated[str, Limit(10_000)]  # a finding's text, a note, a reason, a rationale, a description
Item = Annotated[str, Limit(2_000)]  # one item of evidence or one success measure
TEXT = Limit(1_000)  # text declared without a limit (ids included)
LIST = Limit(100)  # a list declared without a limit


# Characters no text of the record holds: the C0 and C1 controls but tab, line feed and carriage return (NUL, which
# PostgreSQL cannot store; escape and bell, which rewrite a terminal showing the text), DEL, and the bidirectional
# embeddings, overrides and isolates, which make text read otherwise than it is stored ("Trojan Source").
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# The days a change's dates may name: a record of SEND partnerships has nothing before 1990 (the SEND reforms are of
# 2014) or after this century; year 1 or 9999 is a slip (and would make a plan look submitted on time, or an
# inspection never end).
EARLIEST, LATEST = date(1990, 1, 1), date(2099, 12, 31)


@cache
def declared_types(input_type: type) -> dict[str, Any]:
    return get_type_hints(input_type, include_extras=True)


def refusal(value: Any, declared: Any) -> str | None:
    """What is wrong with an input value, by its declared type, said of "{field}": a control character (CONTROLS), a
    day outside EARLIEST to LATEST, or more characters or items than its limit. Nested inputs are checked field by
    field."""
    limit = TEXT if isinstance(value, str) else LIST
    while get_origin(declared) in (Annotated, Union, types.UnionType):  # Optional[Annotated[list[Item], Limit]]
        args = get_args(declared)
        if get_origin(declared) is Annotated:
            limit = next((a for a in args[1:] if isinstance(a, Limit)), limit)
            declared = args[0]
        else:
            declared = next(a for a in args if a is not type(None))
    if isinstance(value, str):
        if (control := CONTROLS.search(value)) is not None:
            return (f"{{field}} must not contain control characters (it holds U+{ord(control[0]):04X}): tab and new "
                    "lines are the only ones text may hold")
        return f"{{field}} is at most {limit.most:,} characters" if len(value) > limit.most else None
    if isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        return f"{{field}} must be a day from {EARLIEST} to {LATEST}" if not EARLIEST <= day <= LATEST else None
    if isinstance(value, list):
        if len(value) > limit.most:
            return f"{{field}} holds at most {limit.most:,} items"
        item = get_args(declared)[0] if get_args(declared) else Any
        found = next((r for v in value if (r := refusal(v, item))), None)
        return found.replace("{field}", "each item of {field}") if found else None
    if dataclasses.is_dataclass(value):
        return next((r.replace("{field}", "{field}." + camel(f.name)) for f in dataclasses.fields(value)
                     if (r := refusal(getattr(value, f.name), declared_types(type(value))[f.name]))), None)
    return None


def written_states(aggregate: Record) -> dict[str, tuple[str, State]]:
    """The states a change wrote: the aggregate's, and its children's."""
    kind = kind_of(aggregate)
    state = kind.build(aggregate)
    return {s.id: (k, s) for k, s in [(kind.name, state), *children(state, kind)]}


class Commands:
    def __init__(self, app: RecordsApplication, read_model: ReadModel):
        self.app = app
        self.read_model = read_model
        self.listeners: list[Callable[[], None]] = []  # told after each commit (the live feed)

    def execute(self, principal: Principal, name: str, input: Any) -> Outcome:
        request = Request(principal, declared()[name], input)
        return self.check_input(request) or self.settle(request)

    async def perform(self, principal: Principal, name: str, input: Any, threads: Executor | None) -> Outcome:
        """`execute`, from the event loop. The decision on this process's copies (stage 3) is made on the loop where
        it reads nothing, and its commit awaited. Anything more (a replay, a copy this process does not hold, a
        read of the record, a refusal to confirm, a copy found out of date as it commits) is done on one of the
        threads, where the store may be read, deciding on the latest."""
        request = Request(principal, declared()[name], input)
        try:
            outcome = self.check_input(request) or await self.on_copies(request)
        except self.read_model.store.unavailable as error:
            raise StoreUnavailable() from error
        return outcome or await asyncio.get_running_loop().run_in_executor(threads, self.settle, request, False)

    def settle(self, request: Request, cached: bool = True) -> Outcome:
        """Stages 2 to 5, on checked input (without `cached`, from stage 4)."""
        try:
            return self.replay(request) or self.decide_and_commit(request, cached)
        except self.read_model.store.unavailable as error:
            raise StoreUnavailable() from error

    def run(self, principal: Principal, mutation: str, /, **fields: Any) -> Outcome:
        """Execute a mutation given its input's fields (the demo and in-process tests)."""
        return self.execute(principal, mutation, declared()[mutation].input(**fields))

    def check_input(self, request: Request) -> Outcome | None:
        """Stage 1: text the store cannot keep, text or lists longer than their declared limits, and a change dated
        after today (UTC): the record says what has happened, and what it says is true today must not change
        tomorrow by itself."""
        declared = declared_types(type(request.input))
        for f in dataclasses.fields(request.input):
            found = refusal(getattr(request.input, f.name), declared[f.name])
            if found is not None:
                return Outcome(errors=[UserError(ErrorCode.INVALID, found.replace("{field}", camel(f.name)),
                                                 [camel(f.name)])])
        key = getattr(request.input, "idempotency_key", None)
        if key is not None and not key.strip():  # (one blank key would stand for every retry of every change)
            return Outcome(errors=[UserError(ErrorCode.INVALID, "idempotencyKey must not be blank: give a key of the "
                                             "change (a UUID, say), or none", ["idempotencyKey"])])
        today = datetime.now(timezone.utc).date()
        if request.effective_on > today:
            return Outcome(errors=[request.error(InvalidError(
                f"a change takes effect on or before the day it is recorded ({today}, UTC), not on "
                f"{request.effective_on}: record it on the day it happens", "effective_on"))])
        return None

    def replay(self, request: Request) -> Outcome | None:
        """Stage 2: the first answer to this idempotency key, if it has one (refusals included)."""
        if request.key is None:
            return None
        stored = self.read_model.run(q.idempotency(request.principal.scope, request.key))
        if stored is None:
            return None
        fingerprint, position, result = stored
        if fingerprint != request.fingerprint:
            return Outcome(errors=[UserError(ErrorCode.INVALID, "this idempotencyKey was used with a different input",
                                             ["idempotencyKey"])])
        if position is None:
            return Outcome(errors=[UserError(ErrorCode(e["code"]), e["message"], e["field"]) for e in result["errors"]],
                           replayed=True)
        entity_id = result.pop("entityId")
        return Outcome(entity_id=entity_id, event=self.read_model.run(q.record_at(position)), extra=result, replayed=True)

    async def on_copies(self, request: Request) -> Outcome | None:
        """Stages 2, 3 and 5 on the event loop: the change decided on this process's copies, reading nothing but
        whether its idempotency key was used, and committed. None where it needs more than that."""
        if request.key is not None and await self.read_model.ask(q.idempotency(request.principal.scope, request.key)):
            return None
        scope = Scope(self, request, cached=True, offline=True)
        try:
            done = self.decide(scope)
        except (DomainError, WouldRead):  # (a refusal is confirmed on the latest)
            return None
        if scope.cached - {done.aggregate.id}:
            return None
        change = self.change(request, done)
        try:
            return self.outcome(change, done, await self.app.record_from_loop(change))
        except RecordConflictError:  # the copy was out of date, or another call took the key meanwhile
            return None

    def decide_and_commit(self, request: Request, cached: bool) -> Outcome:
        """Stages 3 to 5: decide on this process's copies (if `cached`), else on the latest, and commit."""
        attempts = 0
        while True:
            scope = Scope(self, request, cached)
            cached = False
            try:
                done = self.decide(scope)
            except DomainError as error:
                if scope.cached:
                    continue  # perhaps refused because a copy was out of date: decide again on the latest
                return self.refuse(request, error)
            if scope.cached - {done.aggregate.id}:
                continue  # it counted on a copy of another aggregate: decide again on the latest
            try:
                change = self.change(request, done)
                return self.outcome(change, done, self.app.record(change))
            except RecordConflictError:
                # Another writer got there first: with the same idempotency key, this call's answer is theirs;
                # without an expectedVersion, the change is made again on the new state, its rules checked again.
                replayed = self.replay(request)
                if replayed is not None:
                    return replayed
                if scope.cached:
                    continue  # this process's copy was out of date
                attempts += 1
                if request.expected_version is not None or attempts == ATTEMPTS:
                    return self.refuse(request, Refused(
                        ErrorCode.CONFLICT, "the record changed while this change was being made; read it and retry"))
                time.sleep(random.uniform(0, 0.002 * attempts))  # so that the same writers do not meet again

    @staticmethod
    def decide(scope: Scope) -> Done:
        """What the mutation's handler decides, its events naming the caller and the date the change takes effect."""
        request = scope.request
        with stamped(request.principal.actor, request.effective_on):
            return request.mutation.handler(scope, request.input)

    @staticmethod
    def change(request: Request, done: Done) -> Change:
        """The decided aggregate's new events, to be committed with the call's idempotency key."""
        aggregate = done.aggregate
        key = None
        if request.key is not None:
            key = IdempotencyKey(request.principal.scope, request.key, request.fingerprint,
                                 {"entityId": str(aggregate.id), **done.extra})
        return Change(aggregate, aggregate.collect_events(), key)

    def outcome(self, change: Change, done: Done, committed: Committed) -> Outcome:
        """The answer to a committed change (the live feed told of it)."""
        for listener in self.listeners:
            listener()
        aggregate = change.aggregate
        event = {**event_record(change.events[-1], aggregate.partnership_id), "position": committed.positions[-1]}
        return Outcome(entity_id=str(aggregate.id), event=event, extra=done.extra, written=written_states(aggregate))

    def refuse(self, request: Request, error: DomainError) -> Outcome:
        """A refusal; with an idempotency key it is kept, so that a retry gets it again (unless another call with
        the key got there first, whose answer is then this call's)."""
        outcome = Outcome(errors=[request.error(error)])
        if request.key is not None:
            result = {"errors": [{"code": e.code, "message": e.message, "field": e.field} for e in outcome.errors]}
            try:
                with self.read_model.store.writer() as w:
                    w.execute(INSERT_KEY, idempotency_row(
                        IdempotencyKey(request.principal.scope, request.key, request.fingerprint, result), None))
            except IntegrityError:
                return self.replay(request) or outcome
        return outcome
