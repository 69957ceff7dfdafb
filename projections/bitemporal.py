"""Bitemporal read helpers: `known_at` becomes a position bound, rows carry the position
range during which they were believed (`recorded_from`, `superseded_at`)."""

from __future__ import annotations

from datetime import datetime

from projections.db import Cursor

BELIEVED = "recorded_from <= ? AND (superseded_at IS NULL OR superseded_at > ?)"


def position_at(cur: Cursor, known_at: datetime | None) -> int:
    """The last position recorded at or before `known_at` (everything when None)."""
    if known_at is None:
        cur.execute("SELECT COALESCE(MAX(position), 0) FROM hlm_enregistrements")
    else:
        cur.execute("SELECT COALESCE(MAX(position), 0) FROM hlm_enregistrements "
                    "WHERE enregistre_le <= ?", (_as_stored(cur, known_at),))
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
