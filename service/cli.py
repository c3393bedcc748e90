"""The `send-records` command: serve, token, demo."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from domain.vocabulary import Role
from projections import queries as q
from service.authorisation import SCOPED_ROLES, Principal
from service.audit import AuditError, canonical, check_checkpoint, export_history, make_checkpoint, verify_bundle, verify_log
from projections.rebuild import RebuildError, rebuild
from projections.views import instant as instant_text
from service.bootstrap import ConfigurationError, Services, bootstrap, bring_up_to_date, store_and_app
from service.tokens import MAX_LIFETIME, TokenError, issue


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: {message}\n")


def port(text: str) -> int:
    value = int(text)
    if not 0 < value < 65536:
        raise ValueError(text)
    return value


def parser() -> Parser:
    p = Parser(prog="send-records", description="The SEND partnership record service.")
    commands = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    serve = commands.add_parser("serve", help="serve GraphQL at /graphql")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=port, default=8000)
    serve.add_argument("--demo", action="store_true", help="load the demo story first (once; it is idempotent)")
    serve.add_argument("--workers", type=at_least(1), default=1,
                       help="server processes sharing the port, say one per CPU (default 1; more needs DATABASE_URL)")
    token = commands.add_parser("token", help="print a bearer token (on the last line)")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--partnership")
    token.add_argument("--agency")
    token.add_argument("--subject", required=True)
    token.add_argument("--hours", type=float, default=12.0,
                       help=f"lifetime of the token (default 12, at most {MAX_LIFETIME.total_seconds() / 3600:g})")
    commands.add_parser("demo", help="load the demo story built from the seed minutes")
    commands.add_parser("schema", help="print the GraphQL SDL (schema.graphql is this output)")
    commands.add_parser("roles", help="print who may make each change (docs/roles.md is this output)")
    verify = commands.add_parser("verify", help="verify the audit trail's hash chain (exit 0 intact, 1 broken)")
    verify.add_argument("--partnership", help="rehash only this partnership's events (every link is still checked)")
    verify.add_argument("--checkpoint", type=Path, help="a checkpoint made earlier: the log must have only grown since")
    verify.add_argument("--as-at", type=instant, help="verify the chain as it stood at this instant, and print its head "
                                                       "then (a termly report's footer)")
    checkpoint = commands.add_parser("checkpoint", help="print a signed checkpoint of the chain's head, to keep elsewhere")
    checkpoint.add_argument("--out", type=Path)
    export = commands.add_parser("export-history", help="write a self-contained audit bundle of one plan")
    export.add_argument("--plan", required=True)
    export.add_argument("--as-at", type=datetime.fromisoformat, help="only what was recorded by this instant (ISO 8601)")
    export.add_argument("--out", type=Path)
    bundle = commands.add_parser("verify-bundle", help="recheck an audit bundle offline (exit 0 intact, 1 not)")
    bundle.add_argument("file", type=Path)
    report = commands.add_parser("report", help="write the termly report on a plan (to scrutiny, the improvement board)")
    report.add_argument("--plan", required=True)
    report.add_argument("--as-at", type=instant, help="what the record showed at this instant (ISO 8601; default now)")
    report.add_argument("--since", type=instant, help="changes recorded after this instant (default: a term, four months, before --as-at)")
    report.add_argument("--format", choices=["pdf", "html", "csv", "xlsx"], default="pdf")
    report.add_argument("--out", type=Path, help="the file to write (default: standard output)")
    rebuild = commands.add_parser("rebuild", help="rebuild the read models from the event log (resumes an interrupted rebuild)")
    rebuild.add_argument("--workers", type=at_least(0), default=os.cpu_count() or 1,
                         help="processes replaying events beside the one writing (default: one per CPU; 0: none)")
    return p


def instant(text: str) -> datetime:
    """An argument type: an instant, as GraphQL's DateTime takes it."""
    from service.graphql.scalars import parse_instant

    try:
        return parse_instant(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def at_least(least: int) -> Callable[[str], int]:
    """An argument type: a whole number of at least this."""

    def whole(text: str) -> int:
        if not text.isdigit() or int(text) < least:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of {least} or more")
        return int(text)

    return whole


def main(argv: list[str] | None = None) -> int:
    commands = parser()
    args = commands.parse_args(argv)
    if args.command == "token":
        check_token_arguments(commands, args)
    if args.command == "schema":
        from service.graphql.schema import schema

        print(schema.as_str())
        return 0
    if args.command == "roles":
        from service.commands import roles_table

        print(roles_table(), end="")
        return 0
    if args.command == "verify-bundle":
        return verify_bundle_file(args.file)
    try:
        if args.command == "serve" and args.workers != 1 and not os.environ.get("DATABASE_URL"):
            # Only PostgreSQL tells one process of another's writes (NOTIFY): on the embedded store, one worker's
            # subscribers would hear the others' writes only at the feed's slow poll.
            raise ConfigurationError("--workers other than 1 needs DATABASE_URL (PostgreSQL)")
        if args.command == "serve":
            from service.webhooks.engine import Settings

            Settings.from_environment()  # a bad webhook setting is refused here, not in each server process
        services = bootstrap()
        # Said first, on standard error: run from another folder, a command would otherwise quietly use (or
        # make) another store; `token`'s last line on standard output stays the token.
        print(f"send-records: store: {services.store_description}", file=sys.stderr)
        print(f"send-records: signing secret: {services.secret_source}", file=sys.stderr)
        if args.command == "token":
            principal = Principal(args.subject, Role(args.role), args.partnership, args.agency)
            bearer_token = issue(services.secret, principal, timedelta(hours=args.hours))
            print(f"# {args.role} token for {args.subject}, valid {args.hours:g} hours", file=sys.stderr)
            print(bearer_token)
            return 0
        if args.command != "rebuild" and bring_up_to_date(services, progress_bar("rebuilding the read models", 100)):
            print("send-records: the read models were of an earlier version; rebuilt them from the log", file=sys.stderr)
        if args.command in STORE_COMMANDS:
            return STORE_COMMANDS[args.command](services, args)
        if args.command == "demo" or args.demo:
            from service import demo

            for name, entity_id in demo.load(services.commands).items():
                print(f"{name}: {entity_id}")
        if args.command == "serve":
            return serve(services, args)
        return 0
    except (ConfigurationError, TokenError, AuditError, RebuildError, OSError, ValueError) as error:
        print(f"send-records: {error}", file=sys.stderr)
        return 1


def check_token_arguments(commands: Parser, args: argparse.Namespace) -> None:
    role = Role(args.role)
    missing = [flag for flag, needed in (("--partnership", role in SCOPED_ROLES), ("--agency", role == Role.PARTNER))
               if needed and not getattr(args, flag[2:])]
    if missing:
        commands.error(f"a {role} token needs {' and '.join(f'{flag} ID' for flag in missing)}")
    if not 0 < args.hours <= MAX_LIFETIME.total_seconds() / 3600:
        commands.error(f"--hours must be more than 0 and at most {MAX_LIFETIME.total_seconds() / 3600:g}")


def serve(services: Services, args: argparse.Namespace) -> int:
    import uvicorn

    from service import workers
    from service.app import MAX_BODY_BYTES

    services.commands.app.close()  # each server process opens the store for itself
    # WebSocket messages are not compressed (permessage-deflate declined, as Node's `ws` declines it by default): a
    # live event is one small frame sent to every subscriber, and compressing it once for each connection, with a
    # compressor kept for each, put 1,000 subscribers' p99 past 70 ms where it is under 60 (bench/subscriptions.py).
    options = dict(host=args.host, port=args.port, log_level="info", access_log=False, ws_max_size=MAX_BODY_BYTES,
                   http="service.http:EdgeProtocol", ws_ping_interval=services.edge.ping_seconds,
                   ws_ping_timeout=services.edge.ping_seconds, ws_per_message_deflate=False)
    if args.workers == 1:
        uvicorn.run("service.app:serving_app", factory=True, **options)
        return 0
    return 0 if workers.serve(uvicorn.Config("service.app:serving_app", factory=True, **options), args.workers) else 1


def progress_bar(doing: str, least: int) -> Callable[[int, int], None]:
    """A progress bar on standard error, for work large enough to wait for."""

    def show(done: int, total: int) -> None:
        if total >= least:
            filled = int(30 * done / max(total, 1))
            end = "\n" if done >= total else ""
            print(f"\r{doing} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", end=end, file=sys.stderr, flush=True)

    return show


def verify_command(services: Services, args: argparse.Namespace) -> int:
    """Positions are said as checkpoint files hold them: the event's number in the global log."""
    if args.partnership is not None:
        found = services.commands.read_model.run(q.entity(args.partnership))
        if found is None or found[0] != "Partnership":
            print(f"send-records: no partnership has id {args.partnership!r}", file=sys.stderr)
            return 2
    checkpoint = check_checkpoint(json.loads(args.checkpoint.read_text()), services.secret) if args.checkpoint else None
    until = services.commands.read_model.run(q.position_at(instant_text(args.as_at)))[0] if args.as_at else None
    result = verify_log(services.store, args.partnership, checkpoint, progress_bar("verifying", 10_000), until)
    if result.ok:
        at = f" as at {args.as_at.isoformat()}" if args.as_at else ""
        print(f"intact: {result.events_checked} events checked, head{at} at position {result.head_position}, "
              f"hash {result.head_hash}")
        return 0
    print(f"broken: first broken position {result.first_broken_position}; "
          f"{result.events_checked} events checked before it")
    return 1


def write_json(document: dict, out: Path | None) -> None:
    text = canonical(document).decode()
    if out is None:
        print(text)
    else:
        out.write_text(text)
        print(f"written to {out}", file=sys.stderr)


def checkpoint_command(services: Services, args: argparse.Namespace) -> int:
    write_json(make_checkpoint(services.store, services.secret), args.out)
    return 0


def export_command(services: Services, args: argparse.Namespace) -> int:
    as_at = args.as_at.replace(tzinfo=args.as_at.tzinfo or timezone.utc) if args.as_at else None
    write_json(export_history(services.commands, args.plan, as_at), args.out)
    return 0


def verify_bundle_file(path: Path) -> int:
    from service.application import RecordsApplication

    try:
        count = verify_bundle(path.read_bytes(), RecordsApplication.offline_mapper())
    except (AuditError, OSError) as error:
        print(f"send-records: {error}", file=sys.stderr)
        return 1
    print(f"intact: {count} events rechecked")
    return 0


def rebuild_command(services: Services, args: argparse.Namespace) -> int:
    replayed = rebuild(services.store, services.commands.app.mapper, progress_bar("rebuilding aggregates", 100),
                       workers=args.workers, opener=store_and_app)
    print(f"rebuilt the read models from {replayed} events")
    return 0


def report_command(services: Services, args: argparse.Namespace) -> int:
    """The report as an auditor of every partnership sees it (the command line has the store's own access)."""
    import asyncio

    from service.reports import ReportNotFound, make_report

    async def made() -> tuple[bytes, str, str]:
        await services.store.start()
        try:
            return await make_report(services.commands, Principal("send-records report", Role.AUDITOR), args.plan,
                                     args.as_at, args.since, args.format)
        finally:
            await services.store.close()

    try:
        body, _, name = asyncio.run(made())
    except ReportNotFound as error:
        print(f"send-records: {error}", file=sys.stderr)
        return 2
    if args.out is None:
        sys.stdout.buffer.write(body)
    else:
        args.out.write_bytes(body)
        print(f"written to {args.out}", file=sys.stderr)
    return 0


STORE_COMMANDS = {"report": report_command, "verify": verify_command, "checkpoint": checkpoint_command, "export-history": export_command,
                  "rebuild": rebuild_command}


if __name__ == "__main__":
    sys.exit(main())
