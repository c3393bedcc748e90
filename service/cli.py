"""The `send-records` command: serve, token, demo."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from domain.vocabulary import Role
from service.authorisation import Principal
from service.bootstrap import ConfigurationError, bootstrap
from service.tokens import TokenError, issue


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
    token = commands.add_parser("token", help="print a bearer token (on the last line)")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--partnership")
    token.add_argument("--agency")
    token.add_argument("--subject", required=True)
    token.add_argument("--hours", type=float, default=12.0, help="lifetime of the token (default 12)")
    commands.add_parser("demo", help="load the demo story built from the seed minutes")
    commands.add_parser("schema", help="print the GraphQL SDL (schema.graphql is this output)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "schema":
        from service.graphql.schema import schema

        print(schema.as_str())
        return 0
    try:
        services = bootstrap()
        if args.command == "token":
            if args.hours <= 0:
                raise TokenError("--hours must be positive")
            principal = Principal(args.subject, Role(args.role), args.partnership, args.agency)
            bearer_token = issue(services.secret, principal, timedelta(hours=args.hours))
            print(f"# {args.role} token for {args.subject}, valid {args.hours:g} hours", file=sys.stderr)
            print(bearer_token)
            return 0
        if args.command == "demo" or args.demo:
            from service import demo

            for name, entity_id in demo.load(services.commands).items():
                print(f"{name}: {entity_id}")
        if args.command == "serve":
            import uvicorn

            # A worker thread that holds the events table's lock must get the GIL back quickly when its
            # database call returns, or every other writer waits behind it (the default is 5 ms).
            sys.setswitchinterval(0.0005)

            from service.app import create_app

            uvicorn.run(create_app(services), host=args.host, port=args.port, log_level="info")
        return 0
    except (ConfigurationError, TokenError) as error:
        print(f"send-records: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
