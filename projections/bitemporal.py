"""Bitemporal read helpers: `known_at` becomes a position bound, rows carry the position
range during which they were believed (`recorded_from`, `superseded_at`)."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from projections.db import Cursor, insert_rows, supersede_rows

BELIEVED = "recorded_from <= ? AND (superseded_at IS NULL OR superseded_at > ?)"


def position_at(cur: Cursor, known_at: datetime | None) -> int:
    """The last position recorded at or before `known_at` (everything when None)."""
    if known_at is None:
        cur.execute("SELECT COALESCE(MAX(position), 0) FROM hlm_enregistrements")
    else:
        # Record times follow positions (ARCHITECTURE.md, Record time), so the latest record
        # time at or before `known_at` is the last position: one index probe, where
        # MAX(position) would make PostgreSQL walk the whole table back to that time.
        cur.execute("SELECT position FROM hlm_enregistrements WHERE enregistre_le <= ? "
                    "ORDER BY enregistre_le DESC, position DESC LIMIT 1",
                    (_as_stored(cur, known_at),))
    row = cur.fetchone()
    return int(row[0]) if row else 0


def _as_stored(cur: Cursor, moment: datetime) -> object:
    # SQLite keeps ISO text in UTC; PostgreSQL a timestamptz.
    if moment.tzinfo is None:
        moment = moment.astimezone()
    if type(cur).__module__ == "sqlite3":
        from datetime import UTC

        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    return moment


Period = tuple[date, date | None, str]  # [valid_from, valid_to) and the state as JSON


class Timelines:
    """Writes the business-time timelines of one table's aggregates, as believed by position.

    `replace` is given an aggregate's whole new timeline and writes only what changed: the
    rows believed so far that are no longer in it are superseded at the position, the new
    ones inserted; a row that stays the same (same interval, same state) stays believed. A
    late event rewrites the periods it changes, a usual one only closes the last period and
    opens the next, so the table keeps one row per (interval, state) ever believed instead
    of a copy of the whole timeline per event.

    Writes wait for `flush` (the runner calls it before committing a batch): a row inserted
    and superseded within one batch is written once, already closed; the batch's rows go in
    one bulk insert and the rows it supersedes in one update (db.insert_rows,
    db.supersede_rows). What was last written for an aggregate is remembered (digests of the
    states, least recently used first out, trimmed at `flush` so that nothing pending is
    forgotten); after a restart or an eviction it is read back from the table.
    """

    COLUMNS = ("valid_from", "valid_to", "recorded_from", "etat", "superseded_at")

    def __init__(self, table: str, key_column: str, size: int = 50_000) -> None:
        self.table, self.key_column, self.size = table, key_column, size
        self._believed: OrderedDict[str, dict[str, tuple[str | None, bytes]]] = OrderedDict()
        self._superseded: list[tuple[int, str, str]] = []  # rows already in the table
        self._rows: list[list[Any]] = []  # rows to insert, as COLUMNS after the key
        self._pending: dict[tuple[str, str], int] = {}  # believed ones: index in _rows

    def clear(self) -> None:
        """Forget what was remembered and drop what is pending: the table moved without
        this instance, or the batch was rolled back (see `TablesView.reset`)."""
        self._believed.clear()
        self._superseded, self._rows, self._pending = [], [], {}

    def replace(self, cur: Cursor, key: str, position: int, periods: Iterable[Period],
                first: bool = False) -> None:
        """Make `periods` the timeline of `key` believed from `position`. `first`: the
        aggregate's first event, so nothing was believed before."""
        new = {start.isoformat(): (end.isoformat() if end else None, etat)
               for start, end, etat in periods}
        digests = {start: (end, _digest(etat)) for start, (end, etat) in new.items()}
        old = self._believed.pop(key, None)
        if old is None:
            old = {} if first else self._load(cur, key)
        for start, row in old.items():
            if digests.get(start) != row:
                pending = self._pending.pop((key, start), None)
                if pending is None:
                    self._superseded.append((position, key, start))
                else:
                    self._rows[pending][-1] = position
        for start, (end, etat) in new.items():
            if old.get(start) != digests[start]:
                self._pending[(key, start)] = len(self._rows)
                self._rows.append([key, start, end, position, etat, None])
        self._believed[key] = digests

    def flush(self, cur: Cursor) -> None:
        """Write what the events since the last flush changed."""
        if self._superseded:
            supersede_rows(cur, self.table, self.key_column, self._superseded)
        if self._rows:
            insert_rows(cur, self.table, (self.key_column, *self.COLUMNS), self._rows)
        self._superseded, self._rows, self._pending = [], [], {}
        while len(self._believed) > self.size:
            self._believed.popitem(last=False)

    def _load(self, cur: Cursor, key: str) -> dict[str, tuple[str | None, bytes]]:
        cur.execute(f"SELECT valid_from, valid_to, etat FROM {self.table} WHERE "
                    f"{self.key_column} = ? AND superseded_at IS NULL", (key,))
        return {start: (end, _digest(etat)) for start, end, etat in cur.fetchall()}


def _digest(etat: str) -> bytes:
    return hashlib.blake2b(etat.encode(), digest_size=16).digest()


def read_timeline(cur: Cursor, table: str, key_column: str, key: str, as_of: date,
                  position: int) -> dict[str, Any] | None:
    """The state of one aggregate on `as_of`, as believed at `position`."""
    cur.execute(
        f"SELECT etat FROM {table} WHERE {key_column} = ? AND valid_from <= ? AND "
        f"(valid_to IS NULL OR valid_to > ?) AND {BELIEVED} ORDER BY valid_from DESC LIMIT 1",
        (key, as_of.isoformat(), as_of.isoformat(), position, position),
    )
    row = cur.fetchone()
    return None if row is None else json.loads(row[0])
