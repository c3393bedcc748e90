"""docker-compose.yml, checked as far as a machine without Docker can: its replicas run `send-records serve` as
the compose file says, on one PostgreSQL and one secret, and its health checks pass against them."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from service.cli import parser
from tests.conftest import new_database
from tests.support import Server

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"
SETTINGS = {"POSTGRES_PASSWORD": "a-password", "SEND_RECORDS_JWT_SECRET": "a-secret-" + "x" * 40}


def substituted(text: str) -> str:
    """Compose's ${NAME:?message} and ${NAME:-default}, with this test's settings."""
    return re.sub(r"\$\{(\w+)(?::[?-]([^}]*))?\}", lambda m: SETTINGS.get(m.group(1), m.group(2) or ""), text)


def compose() -> dict:
    return yaml.safe_load(substituted(COMPOSE.read_text()))


def serve_arguments(service: dict) -> list[str]:
    """The arguments its command gives `send-records` (after installing the package)."""
    script = shlex.split(service["command"])[-1]
    return shlex.split(script.split("&&")[-1])[1:]


def test_the_replicas_share_one_database_and_one_secret_and_serve_as_the_command_line_expects():
    services = compose()["services"]
    replicas = [services[name] for name in ("send-records-1", "send-records-2")]
    database = services["postgres"]["environment"]
    url = f"postgresql://{database['POSTGRES_USER']}:{database['POSTGRES_PASSWORD']}@postgres:5432/{database['POSTGRES_DB']}"
    for replica in replicas:
        assert replica["environment"]["DATABASE_URL"] == url
        assert replica["environment"]["SEND_RECORDS_JWT_SECRET"] == SETTINGS["SEND_RECORDS_JWT_SECRET"]
        assert replica["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        args = parser().parse_args(serve_arguments(replica))
        assert (args.command, args.host, args.port, args.workers) == ("serve", "0.0.0.0", 8000, 2)
    assert sorted(r["ports"][0] for r in replicas) == ["8001:8000", "8002:8000"]


def test_the_health_check_passes_against_a_replica_started_as_the_compose_file_starts_it(tmp_path, postgres_server):
    replica = compose()["services"]["send-records-1"]
    arguments = serve_arguments(replica)  # serve --host 0.0.0.0 --port 8000 --workers 2
    port = arguments.index("--port")
    server = Server(tmp_path, {"DATABASE_URL": new_database(postgres_server[1]),
                               "SEND_RECORDS_JWT_SECRET": replica["environment"]["SEND_RECORDS_JWT_SECRET"]})
    server.start(*arguments[1:port], *arguments[port + 2:])  # on a free port of this machine instead of 8000
    try:
        kind, program, *rest = replica["healthcheck"]["test"]
        assert kind == "CMD" and program == "python"
        check = [sys.executable, *[a.replace(":8000/", f":{server.port}/") for a in rest]]
        assert subprocess.run(check, timeout=30).returncode == 0
    finally:
        server.stop()
