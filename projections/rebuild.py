"""`hlm projections rebuild`: fresh view tables built side by side, then swapped in at once.

The live views keep answering (and a live projector keeps working) while a second runner,
with fresh view instances, folds the whole history into a *shadow*:

- PostgreSQL: the schema `{schema}_rebuild`, a `PostgresViewDB` whose search_path is that
  schema (views only touch their own tables, and read events through the application);
- SQLite: the file `hlm.rebuild.sqlite3` next to the store.

The shadow has its own `hlm_vues`. Once it is within one batch of the head, the swap runs in
one transaction of the live database:

1. lock the rebuilt views' rows of `hlm_vues` (PostgreSQL `SELECT ... FOR UPDATE`; SQLite:
   a no-op UPDATE of those rows, which takes the store's write lock). A live runner's batch
   in flight commits first; the next one waits on its first statement, the guarded update
   of its row (see `projections.runner`), holding no lock on any view table;
2. apply the last events to the shadow (up to the head seen under the lock);
3. PostgreSQL: drop the live tables and `ALTER TABLE ... SET SCHEMA` the shadow ones in
   (indexes move with them). SQLite: drop the live tables, create them again from the view's
   DDL and `INSERT ... SELECT` from the attached shadow (indexes after the copy);
4. set the rows of `hlm_vues` to the shadow's positions (errors cleared), commit.

A live runner then finds its row moved: its guarded update matches nothing, it drops the
batch and its caches and goes on from the swapped position. A rebuild where a view fails on
an event swaps nothing. Only one rebuild at a time per store (a lock like the projector's).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import psycopg
from psycopg.sql import SQL, Identifier

from domain.application import HlmApplication
from projections.config import StoreConfig
from projections.db import PostgresViewDB, SQLiteViewDB, ViewDB
from projections.runner import Runner, TablesView, ViewStatus
from projections.service import all_views, view_db

log = logging.getLogger("hlm.projections")

Progress = Callable[[int, int], None]  # (position reached by every rebuilt view, head)


class RebuildError(RuntimeError):
    """The rebuild could not complete; the live views were left as they were."""


class RebuildBusy(RebuildError):
    pass


@dataclass
class RebuildResult:
    positions: dict[str, int]  # view -> position swapped in
    events: int  # events applied to the shadow
    seconds: float


def select_views(app: HlmApplication, names: list[str] | None) -> list[TablesView]:
    views = all_views(app)
    if not names:
        return views
    known = {v.name for v in views}
    unknown = sorted(set(names) - known)
    if unknown:
        raise ValueError(f"unknown view(s) {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(known))}")
    return [v for v in views if v.name in names]


class Shadow:
    """Fresh view tables next to the live ones; `swap` moves them in, `discard` drops them."""

    db: ViewDB

    def swap(self, views: list[TablesView],
             final: Callable[[], dict[str, ViewStatus]]) -> dict[str, int]:
        raise NotImplementedError

    def discard(self) -> None:
        raise NotImplementedError


class PostgresShadow(Shadow):
    def __init__(self, settings: StoreConfig) -> None:
        assert settings.database_url is not None
        self.url = settings.database_url
        self.live = settings.database_schema
        self.schema = f"{self.live}_rebuild"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(self.schema)))
            conn.execute(SQL("CREATE SCHEMA {}").format(Identifier(self.schema)))
        self.db = PostgresViewDB(self.url, self.schema, pool_size=2)

    def swap(self, views: list[TablesView],
             final: Callable[[], dict[str, ViewStatus]]) -> dict[str, int]:
        live, shadow = Identifier(self.live), Identifier(self.schema)
        names = [v.name for v in views]
        with psycopg.connect(self.url) as conn:  # one transaction, committed on exit
            conn.execute(SQL("SELECT nom FROM {}.hlm_vues WHERE nom = ANY(%s) ORDER BY nom "
                             "FOR UPDATE").format(live), (names,))
            statuses = final()
            for view in views:
                for table in view.tables:
                    conn.execute(SQL("DROP TABLE IF EXISTS {}.{}").format(live,
                                                                        Identifier(table)))
                    conn.execute(SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(
                        shadow, Identifier(table), live))
            now = datetime.now(UTC).isoformat()
            for view in views:
                conn.execute(SQL("UPDATE {}.hlm_vues SET position = %s, erreur = NULL, "
                                 "mis_a_jour = %s, forme = %s WHERE nom = %s").format(live),
                             (statuses[view.name].position, now, view.forme, view.name))
        return {n: statuses[n].position for n in names}

    def discard(self) -> None:
        self.db.close()
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(self.schema)))


class SQLiteShadow(Shadow):
    def __init__(self, settings: StoreConfig) -> None:
        self.store = settings.sqlite_path
        self.path = settings.sqlite_path.with_name("hlm.rebuild.sqlite3")
        self._remove()
        self.db = SQLiteViewDB(self.path)

    def _remove(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def swap(self, views: list[TablesView],
             final: Callable[[], dict[str, ViewStatus]]) -> dict[str, int]:
        names = [v.name for v in views]
        marks = ", ".join("?" * len(names))
        conn = sqlite3.connect(self.store, isolation_level=None, timeout=30)
        try:
            conn.execute("ATTACH DATABASE ? AS rebuild", (str(self.path),))
            # Take the store's write lock (not the shadow's: the last events go there now).
            _write_lock(conn, f"UPDATE main.hlm_vues SET mis_a_jour = mis_a_jour "
                              f"WHERE nom IN ({marks})", names)
            try:
                statuses = final()
                cur = conn.cursor()
                for view in views:
                    for table in view.tables:
                        cur.execute(f"DROP TABLE IF EXISTS main.{table}")
                    for statement in view.table_ddl:
                        cur.execute(statement)
                    for table in view.tables:
                        cur.execute(f"INSERT INTO main.{table} SELECT * FROM rebuild.{table}")
                    view.create(cur)  # the indexes, after the copy
                now = datetime.now(UTC).isoformat()
                cur.executemany("UPDATE main.hlm_vues SET position = ?, erreur = NULL, "
                                "mis_a_jour = ?, forme = ? WHERE nom = ?",
                                [(statuses[v.name].position, now, v.forme, v.name)
                                 for v in views])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                conn.execute("DETACH DATABASE rebuild")
        finally:
            conn.close()
        return {n: statuses[n].position for n in names}

    def discard(self) -> None:
        self.db.close()
        self._remove()


def _write_lock(conn: sqlite3.Connection, sql: str, params: list[str],
                timeout: float = 60.0) -> None:
    """BEGIN and a write: the store's write lock, retried while another writer holds it
    (a deferred transaction whose snapshot went stale is refused at once, not waited for)."""
    deadline = time.monotonic() + timeout
    while True:
        conn.execute("BEGIN")
        try:
            conn.execute(sql, params)
            return
        except sqlite3.OperationalError:
            conn.execute("ROLLBACK")
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def open_shadow(settings: StoreConfig) -> Shadow:
    return PostgresShadow(settings) if settings.uses_postgres else SQLiteShadow(settings)


def _advance(app: HlmApplication, runner: Runner, until: int | None,
             progress: Progress | None) -> tuple[dict[str, ViewStatus], int]:
    """Step the shadow runner until every view reached `until` (None: within one batch of
    the head), or nothing more is recorded; the statuses then and the events applied. A
    view failing on an event stops the rebuild."""
    applied, more = 0, True
    while True:
        statuses = runner.statuses()
        failed = [s for s in statuses.values() if s.erreur]
        if failed:
            raise RebuildError("; ".join(f"view {s.nom} fails during the rebuild: {s.erreur}"
                                         for s in failed) + "; nothing was swapped")
        reached = min(s.position for s in statuses.values())
        head = app.recorder.max_notification_id() or 0
        if progress is not None:
            progress(reached, max(head, reached))
        target = until if until is not None else head - runner.batch_size
        if reached >= target or not more:
            return statuses, applied
        done = runner.step()
        applied += done
        more = done > 0


@contextlib.contextmanager
def _shadow_runner(app: HlmApplication, settings: StoreConfig, views: list[TablesView],
                   batch_size: int) -> Iterator[tuple[Shadow, Runner]]:
    """Under the rebuild lock, a fresh shadow and a runner of `views` into it; the shadow
    is discarded on exit."""
    lock = settings.lock("rebuild")
    if not lock.acquire():
        raise RebuildBusy("a rebuild is running on this store")
    try:
        shadow = open_shadow(settings)
        try:
            runner = Runner(app, shadow.db, views, batch_size)
            runner.setup()
            yield shadow, runner
        finally:
            shadow.discard()
    finally:
        lock.release()


@contextlib.contextmanager
def built(app: HlmApplication, settings: StoreConfig, names: list[str] | None = None,
          batch_size: int = 1000, progress: Progress | None = None
          ) -> Iterator[tuple[Shadow, Runner]]:
    """Fresh view tables caught up to the head in a shadow, discarded on exit (tests compare
    them with the live ones)."""
    with _shadow_runner(app, settings, select_views(app, names), batch_size) as (shadow,
                                                                               runner):
        _advance(app, runner, app.recorder.max_notification_id() or 0, progress)
        yield shadow, runner


def differences(app: HlmApplication, settings: StoreConfig, names: list[str] | None = None,
                batch_size: int = 1000) -> list[str]:
    """The live view tables compared row by row with a fresh build: what differs (nothing
    when the live views hold exactly what folding the history once gives)."""
    live = view_db(settings)
    found: list[str] = []
    try:
        with built(app, settings, names, batch_size) as (shadow, runner):
            # `built` runs the views of select_views, all of them TablesView.
            for view in cast("Iterable[TablesView]", runner.views.values()):
                for table in view.tables:
                    ours, fresh = table_rows(live, table), table_rows(shadow.db, table)
                    if ours != fresh:
                        extra = list((Counter(ours) - Counter(fresh)).elements())
                        missing = list((Counter(fresh) - Counter(ours)).elements())
                        found.append(f"{table}: {len(ours)} live rows, {len(fresh)} fresh; "
                                     f"{len(extra)} only live (e.g. {extra[:1]}), "
                                     f"{len(missing)} only fresh (e.g. {missing[:1]})")
    finally:
        live.close()
    return found


def rebuild(app: HlmApplication, settings: StoreConfig, names: list[str] | None = None,
            batch_size: int = 1000, progress: Progress | None = None) -> RebuildResult:
    """Rebuild the views named (all by default) side by side and swap them in."""
    views = select_views(app, names)
    began = time.perf_counter()
    live = view_db(settings)
    try:  # the live tracking rows exist, to be locked and set
        Runner(app, live, all_views(app)).setup()
    finally:
        live.close()
    with _shadow_runner(app, settings, views, batch_size) as (shadow, runner):
        applied = _advance(app, runner, None, progress)[1]

        def final() -> dict[str, ViewStatus]:
            nonlocal applied
            head = app.recorder.max_notification_id() or 0
            statuses, more = _advance(app, runner, head, progress)
            applied += more
            return statuses

        positions = shadow.swap(views, final)
    log.info("views rebuilt and swapped in at %s", positions)
    return RebuildResult(positions, applied, time.perf_counter() - began)


def table_rows(db: ViewDB, table: str) -> list[tuple[Any, ...]]:
    """Every row of a view table, sorted (to compare two builds row by row)."""
    with db.transaction() as cur:
        cur.execute(f"SELECT * FROM {table}")
        rows = [tuple(r) for r in cur.fetchall()]
    return sorted(rows, key=lambda r: tuple((v is None, v if v is not None else 0)
                                            for v in r))
