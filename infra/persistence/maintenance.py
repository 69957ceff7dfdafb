"""`hlm maintenance`: what a store needs from time to time, safe to run beside the services.

Expired Idempotency-Keys are deleted in short batches (each its own transaction, so
commands wait at most one batch's time); on PostgreSQL, the tables rewritten in place at
every batch of the projector or the relay (a row per view or relay, each update leaving a
dead tuple behind) and the key table are vacuumed. SQLite rewrites rows in place and reuses
freed pages: there is nothing to vacuum, its query planner's statistics are refreshed.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

import psycopg
from psycopg.sql import SQL, Identifier

from domain.application import HlmApplication
from infra.settings import Settings

# Tables updated in place at every batch (one row per view, per relay), then the keys'.
VACUUMED = ("hlm_vues", "hlm_relais", "hlm_idempotence")
BATCH = 1000


@dataclass
class Bilan:
    cles_purgees: int = 0
    tables_nettoyees: list[str] = field(default_factory=list)


def purger_cles(application: HlmApplication, lot: int = BATCH) -> int:
    """Delete every expired key, `lot` at a time; how many."""
    if lot < 1:
        raise ValueError("a batch deletes at least one key")
    total = 0
    while True:
        n = application.side.purger_idempotence(lot)
        total += n
        if n < lot:
            return total


def nettoyer_tables(settings: Settings) -> list[str]:
    """VACUUM (ANALYZE) the tables of VACUUMED that exist (PostgreSQL), PRAGMA optimize
    (SQLite); the tables treated."""
    if not settings.uses_postgres:
        db = sqlite3.connect(settings.sqlite_path, timeout=30)
        try:
            db.execute("PRAGMA optimize")
        finally:
            db.close()
        return []
    assert settings.database_url is not None
    done: list[str] = []
    # VACUUM cannot run inside a transaction block.
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        for table in VACUUMED:
            row = conn.execute("SELECT to_regclass(%s)",
                               (f'"{settings.database_schema}".{table}',)).fetchone()
            if row is None or row[0] is None:
                continue
            conn.execute(SQL("VACUUM (ANALYZE) {}.{}").format(
                Identifier(settings.database_schema), Identifier(table)))
            done.append(table)
    return done


def maintenance(application: HlmApplication, settings: Settings) -> Bilan:
    return Bilan(purger_cles(application), nettoyer_tables(settings))
