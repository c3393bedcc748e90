"""Wiring: one place that builds the application, the store and the commands from the environment.

Without DATABASE_URL the record lives in an embedded SQLite file under
SEND_RECORDS_DATA_DIR; with it, everything (events, read models, idempotency
keys) lives in that PostgreSQL database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from projections import queries as q
from projections.rebuild import rebuild
from projections.store import ReadModel
from projections.tables import READ_MODEL_VERSION
from service.application import RecordsApplication
from service.commands import Commands
from service.tokens import load_secret

DEFAULT_DATA_DIR = "./data"
DB_FILE = "records.sqlite"


class ConfigurationError(Exception):
    pass


@dataclass
class Services:
    commands: Commands
    secret: str
    data_dir: Path

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
    try:
        if database_url:
            from projections.postgres import POOL_SIZE, PostgresStore, library_env

            app = RecordsApplication(env=library_env(database_url, connections or POOL_SIZE))
            store = PostgresStore(database_url, app.recorder)
        else:
            from projections.sqlite import SQLiteStore

            db_name = str(directory / DB_FILE)
            app = RecordsApplication(env={
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": db_name,
                "SQLITE_LOCK_TIMEOUT": "30",
                "APPLICATION_RECORDER_TOPIC": "projections.sqlite:RecordsRecorder",
            })
            store = SQLiteStore(db_name, app.recorder)
    except Exception as error:  # a bad URL, an unreachable server, bad credentials, an unwritable file
        raise ConfigurationError(f"cannot open the record store: {error}") from None
    return Services(commands=Commands(app, ReadModel(store)), secret=load_secret(directory), data_dir=directory)


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
