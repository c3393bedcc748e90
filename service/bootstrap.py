"""Wiring: one place that builds the application, the store and the commands from the environment.

Without DATABASE_URL the record lives in an embedded SQLite file under
SEND_RECORDS_DATA_DIR; with it, everything (events, read models, idempotency
keys) lives in that PostgreSQL database.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from projections import queries as q
from projections.rebuild import rebuild
from projections.store import ReadModel
from projections.tables import READ_MODEL_VERSION
from service.application import RecordsApplication
from service.commands import Commands
from service.graphql import cursors
from service.oidc import Provider, ProviderSettings
from service.settings import ConfigurationError, EdgeSettings
from service.tokens import Authenticator, load_secret

DEFAULT_DATA_DIR = "./data"
DB_FILE = "records.sqlite"


@dataclass
class Services:
    commands: Commands
    secret: str
    data_dir: Path
    tokens: Authenticator
    edge: EdgeSettings
    store_description: str
    secret_source: str

    @property
    def store(self):
        return self.commands.read_model.store


def data_dir() -> Path:
    path = Path(os.environ.get("SEND_RECORDS_DATA_DIR") or DEFAULT_DATA_DIR)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigurationError(f"cannot use SEND_RECORDS_DATA_DIR {str(path)!r}: {error.strerror}") from None
    return path


def bootstrap(connections: int | None = None) -> Services:
    """The services, on the store the environment names; with PostgreSQL, the pool holds this many connections
    (the service's default when None)."""
    directory = data_dir()
    database_url = os.environ.get("DATABASE_URL")
    edge = EdgeSettings.from_environment()
    provider = ProviderSettings.from_environment()
    try:
        if database_url:
            from projections.postgres import POOL_SIZE, PostgresStore, library_env

            settings = library_env(database_url, connections or POOL_SIZE)
            description = reach_postgres(settings)
            app = RecordsApplication(env=settings)
            store = PostgresStore(database_url, app.recorder)
        else:
            from projections.sqlite import SQLiteStore

            db_name = str(directory / DB_FILE)
            description = f"embedded, {Path(db_name).resolve()}"
            if not Path(db_name).exists():
                description += " (new: nothing recorded yet)"
            app = RecordsApplication(env={
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": db_name,
                "SQLITE_LOCK_TIMEOUT": "30",
                "APPLICATION_RECORDER_TOPIC": "projections.sqlite:RecordsRecorder",
            })
            store = SQLiteStore(db_name, app.recorder)
    except ConfigurationError:
        raise
    except Exception as error:  # a bad URL, an unwritable file
        raise ConfigurationError(f"cannot open the record store: {error}") from None
    secret = load_secret(directory)
    cursors.use_secret(secret.value)
    tokens = Authenticator(secret.value if edge.local_tokens else None, Provider(provider) if provider else None)
    return Services(commands=Commands(app, ReadModel(store)), secret=secret.value, data_dir=directory, tokens=tokens,
                    edge=edge, store_description=description, secret_source=secret.source)


def reach_postgres(settings: dict[str, str]) -> str:
    """Where the PostgreSQL store is, once one connection to it has been made; if none can be, why not (the
    library's pool would only say that it could not get a connection)."""
    import psycopg

    where = f"PostgreSQL database {settings['POSTGRES_DBNAME']!r} on {settings['POSTGRES_HOST']}:{settings['POSTGRES_PORT']}"
    try:
        psycopg.connect(host=settings["POSTGRES_HOST"], port=settings["POSTGRES_PORT"], dbname=settings["POSTGRES_DBNAME"],
                        user=settings["POSTGRES_USER"], password=settings["POSTGRES_PASSWORD"],
                        connect_timeout=int(settings["POSTGRES_CONNECT_TIMEOUT"])).close()
    except psycopg.Error as error:
        raise ConfigurationError(f"cannot reach the {where}: {unreachable(error, settings)}") from None
    return where


def unreachable(error: Exception, settings: dict[str, str]) -> str:
    """Why a connection failed, from psycopg's error (its class, or libpq's message)."""
    message = str(error)
    if "authentication failed" in message or re.search(r'role "[^"]*" does not exist', message):
        return f"authentication failed for user {settings['POSTGRES_USER']!r} (check the user and password in DATABASE_URL)"
    if re.search(r'database "[^"]*" does not exist', message):
        return f"the database {settings['POSTGRES_DBNAME']!r} does not exist"
    if "Connection refused" in message or "No such file or directory" in message:
        return "connection refused (is PostgreSQL running, and listening on that host and port?)"
    if "translate host name" in message or "Name or service not known" in message:
        return f"unknown host {settings['POSTGRES_HOST']!r}"
    if "timeout expired" in message:
        return f"no answer within {settings['POSTGRES_CONNECT_TIMEOUT']} seconds"
    return message.strip().splitlines()[-1] if message.strip() else type(error).__name__


def store_and_app() -> tuple[Any, Any]:
    """The store and the application, opened from the environment, for a rebuild's worker process (which reads
    on one connection at a time, so it holds only one)."""
    services = bootstrap(connections=1)
    return services.store, services.commands.app


def bring_up_to_date(services: Services, progress: Any = None) -> bool:
    """Rebuild the read models from the log if an earlier version built them in other shapes (a migration left
    them empty); several processes starting at once rebuild once. True if it rebuilt them."""
    read_model = services.commands.read_model

    def current() -> bool:
        return read_model.run(q.read_model_version()) == READ_MODEL_VERSION

    if current():
        return False
    with services.store.exclusively():
        if current():
            return False
        rebuild(services.store, services.commands.app.mapper, progress, workers=os.cpu_count() or 1,
                opener=store_and_app)
    return True
