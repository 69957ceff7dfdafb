"""Bitemporal read helpers: `known_at` becomes a position bound, rows carry the position
range during which they were believed (`recorded_from`, `superseded_at`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from projections.db import Cursor

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


def replace_timeline(cur: Cursor, table: str, key_column: str, key: str, position: int,
                     periods: Iterable[tuple[date, date | None, dict[str, Any]]]) -> None:
    """Supersede the rows believed so far for one aggregate and record its new timeline:
    one row per business period [start, end) with the state then."""
    cur.execute(f"UPDATE {table} SET superseded_at = ? WHERE {key_column} = ? "
                "AND superseded_at IS NULL", (position, key))
    rows = [(key, start.isoformat(), end.isoformat() if end else None, position,
             json.dumps(state)) for start, end, state in periods]
    cur.executemany(f"INSERT INTO {table} ({key_column}, valid_from, valid_to, recorded_from, "
                    "etat) VALUES (?, ?, ?, ?, ?)", rows)


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
