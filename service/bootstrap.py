"""Wiring: one place that builds the application, the read model and the commands from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from projections.sqlite import SQLiteReadModel
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


def data_dir() -> Path:
    path = Path(os.environ.get("SEND_RECORDS_DATA_DIR") or DEFAULT_DATA_DIR)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigurationError(f"cannot use SEND_RECORDS_DATA_DIR {str(path)!r}: {error.strerror}") from None
    return path


def bootstrap() -> Services:
    if os.environ.get("DATABASE_URL"):
        raise ConfigurationError("DATABASE_URL is set, but this version of the service keeps its record in the embedded store only")
    directory = data_dir()
    db_name = str(directory / DB_FILE)
    app = RecordsApplication(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": db_name,
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": "projections.sqlite:RecordsRecorder",
        }
    )
    return Services(commands=Commands(app, SQLiteReadModel(db_name)), secret=load_secret(directory), data_dir=directory)
