"""The tables beside the event log, and the migrations that bring an older database up to date.

Written once for both stores: `{bigint}` is each store's 64-bit integer type.
The read models (`records`, `entities`, `entity_versions`) are derived from the
log and can be rebuilt; `audit_chain`, `idempotency` and `log_clock` are part of
the record itself and never are.
"""

from __future__ import annotations

from datetime import datetime, timezone

from projections.views import instant

SCHEMA_VERSION = 3
# The shapes of the read models' states (projections/shapes.py) and tables: when they change, the read models are
# rebuilt. Version 5: records and entities of no partnership (an admin's webhook for every partnership), records' instants.
READ_MODEL_VERSION = 5

READ_MODELS = ("records", "entities", "entity_versions")


def read_model_tables(suffix: str = "") -> list[str]:
    """The read models' tables; a rebuild fills a second set with a suffix."""
    return [statement.replace("{s}", suffix) for statement in [
        """CREATE TABLE IF NOT EXISTS records{s} (
            position {bigint} PRIMARY KEY,
            entity_id TEXT NOT NULL,
            about TEXT,
            type TEXT NOT NULL,
            partnership_id TEXT,
            recorded_at TEXT NOT NULL,
            body TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS entities{s} (
            id TEXT NOT NULL,
            type TEXT NOT NULL,
            partnership_id TEXT,
            plan_id TEXT,
            inspection_id TEXT,
            subject_id TEXT,
            seq {bigint} NOT NULL,
            version INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            state TEXT NOT NULL)""",
        # An aggregate's state after each of its events; effective_on is that event's, and in_order says whether
        # its events up to this one came in order of effective date (projections/temporal.py).
        """CREATE TABLE IF NOT EXISTS entity_versions{s} (
            id TEXT NOT NULL,
            version INTEGER NOT NULL,
            recorded_at TEXT NOT NULL,
            effective_on TEXT NOT NULL,
            in_order BOOLEAN NOT NULL,
            state TEXT NOT NULL)""",
    ]]


# The read models' indexes (but the records' primary key): a rebuild creates them once its rows are in, which is
# far faster than keeping them up to date row by row.
READ_MODEL_INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS entities_by_id ON entities (id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS entity_versions_by_id ON entity_versions (id, version)",
    "CREATE INDEX IF NOT EXISTS records_by_entity ON records (entity_id, position)",
    "CREATE INDEX IF NOT EXISTS records_by_about ON records (about, position) WHERE about IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS records_by_partnership ON records (partnership_id, position)",
    "CREATE INDEX IF NOT EXISTS records_by_instant ON records (recorded_at, position)",
    "CREATE INDEX IF NOT EXISTS entities_by_partnership ON entities (partnership_id, type, seq)",
    "CREATE INDEX IF NOT EXISTS entities_by_plan ON entities (plan_id, seq) WHERE plan_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS entities_by_inspection ON entities (inspection_id, seq) WHERE inspection_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS entities_by_subject ON entities (subject_id, seq) WHERE subject_id IS NOT NULL",
]

# A rebuild under way (projections/rebuild.py): the log's end when it started, and how far it has got (every
# aggregate created at or before that position is rebuilt).
REBUILD_PROGRESS = ("CREATE TABLE IF NOT EXISTS rebuild_progress (started_position {bigint} NOT NULL,"
                    " replayed_through {bigint} NOT NULL)")

# Idempotency keys, scoped by the whole of the caller's identity (subject, role, partnership, agency); a refused
# call keeps its refusal (no position), so that a retry answers as the first call did.
IDEMPOTENCY = """CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    position {bigint},
    result TEXT NOT NULL,
    PRIMARY KEY (scope, key))"""

# The latest instant whose answers are final (one row): every event is stamped later than it, in the transaction
# that stores it, and a read as at a later instant first moves it there (projections/temporal.py).
LOG_CLOCK = "CREATE TABLE IF NOT EXISTS log_clock (instant TEXT NOT NULL)"
READ_MODEL_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS read_model_version (version INTEGER NOT NULL)"

# Where each webhook has got to in the log, and every delivery attempted (service/webhooks/deliveries.py): kept as
# the engine delivers, never rebuilt (a rebuild of the read models leaves them be). Times are milliseconds since
# the epoch.
WEBHOOK_TABLES = [
    """CREATE TABLE IF NOT EXISTS webhook_progress (
        webhook_id TEXT PRIMARY KEY,
        position {bigint} NOT NULL,
        next_attempt_at {bigint} NOT NULL,
        failing INTEGER NOT NULL DEFAULT 0,
        redeliveries INTEGER NOT NULL DEFAULT 0,
        claim TEXT)""",
    """CREATE TABLE IF NOT EXISTS webhook_deliveries (
        webhook_id TEXT NOT NULL,
        position {bigint} NOT NULL,
        status TEXT NOT NULL,
        parked INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        first_attempt_at {bigint},
        last_attempt_at {bigint},
        next_attempt_at {bigint},
        last_status_code INTEGER,
        last_error TEXT,
        claim TEXT,
        PRIMARY KEY (webhook_id, position))""",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_parked ON webhook_deliveries (next_attempt_at) WHERE parked = 1",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_claimed ON webhook_deliveries (claim) WHERE claim IS NOT NULL",
]

TABLES = read_model_tables() + READ_MODEL_INDEXES + [
    IDEMPOTENCY,
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    # The audit trail's hash chain (projections/audit.py): part of the record, written with the events, never rebuilt.
    """CREATE TABLE IF NOT EXISTS audit_chain (
        position {bigint} PRIMARY KEY,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL)""",
    REBUILD_PROGRESS,
    LOG_CLOCK,
    READ_MODEL_VERSION_TABLE,
    *WEBHOOK_TABLES,
    # How far the audit chain was last verified from its start (projections/audit.py): one row, or none.
    """CREATE TABLE IF NOT EXISTS audit_verified (
        one INTEGER PRIMARY KEY,
        position {bigint} NOT NULL,
        hash TEXT NOT NULL,
        events {bigint} NOT NULL)""",
]

# What changes a database made by an earlier version, by the version it brings the database to.
MIGRATIONS = {
    # A rebuild's progress is the position it has replayed through, no longer the last aggregate id it finished
    # (a rebuild interrupted under version 1 starts again); the new read-model indexes are made by TABLES.
    2: ["DROP TABLE rebuild_progress", REBUILD_PROGRESS],
    # Idempotency keys are scoped by the caller's whole identity and keep refusals: keys recorded before are not
    # replayed. The read models take the shapes of projections/shapes.py: they are emptied here and rebuilt from
    # the log before the service answers (service/bootstrap.py). The log clock starts now.
    3: ["DROP TABLE idempotency", IDEMPOTENCY,
        *[f"DROP TABLE IF EXISTS {table}" for table in READ_MODELS], *read_model_tables(), *READ_MODEL_INDEXES,
        "DELETE FROM read_model_version", "INSERT INTO read_model_version (version) VALUES (0)"],
}


def create_tables(w, bigint: str) -> None:
    """Create what is missing, bring a database of an earlier version up to this one, and record the schema
    version (inside the caller's transaction)."""
    for statement in TABLES:
        w.execute(statement.format(bigint=bigint), ())
    if not w.fetch("SELECT instant FROM log_clock", ()):
        w.execute("INSERT INTO log_clock (instant) VALUES (?)", (instant(datetime.now(timezone.utc)),))
    found = w.fetch("SELECT version FROM schema_version", ())
    if not found:
        w.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        w.execute("INSERT INTO read_model_version (version) VALUES (?)", (READ_MODEL_VERSION,))
        return
    for version in range(found[0]["version"] + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[version]:
            w.execute(statement.format(bigint=bigint), ())
        w.execute("UPDATE schema_version SET version = ?", (version,))
