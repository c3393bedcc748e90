"""The event-sourced application: loads aggregates and records changes with their read models."""

from __future__ import annotations

import asyncio
from copy import deepcopy
from datetime import date
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, Mapper, Transcoding, UUIDAsHex

from domain.base import Record
from projections.writes import Change, Committed


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


# The library's own, and dates (effectiveOn, dueOn, ...).
TRANSCODINGS = (UUIDAsHex, DecimalAsStr, DatetimeAsISO, DateAsISO)


class RecordsApplication(Application):
    name = "SendRecords"
    # Aggregates recently loaded or saved stay decoded in memory: a load reads only the events stored since (by
    # any process) and applies them, instead of decoding the aggregate's whole history again.
    env = {"AGGREGATE_CACHE_MAXSIZE": "10000"}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.recorder.mapper = self.mapper  # the recorder encodes events once it has stamped them

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        for transcoding in TRANSCODINGS:
            transcoder.register(transcoding())

    def record(self, change: Change) -> Committed:
        """Store the change's events with their read models, in one transaction (stamped with the instant they
        are recorded at as they commit), and keep the aggregate as it now stands."""
        return self.recorded(change, self.recorder.commit(change).result())

    async def record_from_loop(self, change: Change) -> Committed:
        """`record`, awaited on the event loop (no thread waits for the commit)."""
        return self.recorded(change, await asyncio.wrap_future(self.recorder.commit(change)))

    def recorded(self, change: Change, committed: Committed) -> Committed:
        self.repository.cache.put(change.aggregate.id, change.aggregate)  # the next change to it starts from here
        return committed

    @classmethod
    def offline_mapper(cls) -> Mapper:
        """Decodes stored events with no store at all (to recheck an audit bundle)."""
        transcoder = JSONTranscoder()
        for transcoding in TRANSCODINGS:
            transcoder.register(transcoding())
        return Mapper(transcoder=transcoder)

    def load(self, aggregate_id: Any) -> Record:
        """The aggregate at its latest version."""
        return self.repository.get(aggregate_id)

    def cached(self, aggregate_id: Any) -> Record | None:
        """A copy of the aggregate as this process last saw it (loaded or saved), if it has: perhaps not the
        latest version."""
        try:
            return deepcopy(self.repository.cache.get(aggregate_id))
        except KeyError:
            return None
        except RuntimeError:  # another thread was bringing that copy up to date (an attribute added meanwhile)
            return None
