"""A view error caused by the database clears itself (issue 8): the runner retries the batch
with a backoff, shows the failure as `erreur_transitoire` while it lasts, and the view goes
on once the database answers again. An error caused by an event stays (test_projections)."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.conninfo import make_conninfo

from api.app import create_app
from domain.application import HlmApplication
from infra.settings import Settings
from infra.synthetic.generate import generate
from projections.db import PostgresViewDB, SQLiteViewDB, ViewDB
from projections.rebuild import differences
from projections.runner import Runner, ViewStatus
from projections.service import all_views
from tests.helpers_sec import deposer


def _short_waits_db(settings: Settings) -> ViewDB:
    """The views' database, giving up on a lock after 0.3 s instead of waiting."""
    if settings.uses_postgres:
        assert settings.database_url is not None
        url = make_conninfo(settings.database_url, options="-c lock_timeout=300")
        return PostgresViewDB(url, settings.database_schema, pool_size=2)
    return SQLiteViewDB(settings.sqlite_path, timeout=0.3)


@contextmanager
def _database_locked(settings: Settings) -> Iterator[None]:
    """Another session holds a lock the runner needs: on PostgreSQL the demande view's
    table (its writes fail with lock_not_available, inside the view's code), on SQLite the
    write lock itself (every batch's BEGIN IMMEDIATE fails with "database is locked")."""
    if settings.uses_postgres:
        assert settings.database_url is not None
        with psycopg.connect(settings.database_url) as conn:
            conn.execute(f'SET search_path TO "{settings.database_schema}"')
            conn.execute("LOCK TABLE pv_demandes IN EXCLUSIVE MODE")
            yield
            conn.rollback()
        return
    conn = sqlite3.connect(settings.sqlite_path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE hlm_vues SET mis_a_jour = mis_a_jour")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def _wait(what: str, done: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_database_error_is_retried_shown_and_cleared(application: HlmApplication,
                                                       settings: Settings) -> None:
    for i in range(3):
        deposer(application, f"RETRY-{i}")
    db = _short_waits_db(settings)
    runner = Runner(application, db, all_views(application))
    runner.setup()
    runner.catch_up()
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop, 0.05))

    def demandes() -> ViewStatus:
        return runner.statuses()["demandes"]

    for i in range(3, 5):
        deposer(application, f"RETRY-{i}")
    # Another process (the API, HLM_PROJECTOR=external), started before the lock: its
    # startup creates the views' tables and indexes, which would wait behind the lock.
    external = settings.model_copy(update={"projector": "external"})
    client = TestClient(create_app(external, application))
    try:
        client.__enter__()
        with _database_locked(settings):
            thread.start()
            _wait("no transient error shown", lambda: demandes().erreur_transitoire is not None)
            status = demandes()
            assert status.erreur is None and status.position == 3  # not stopped, not moved
            # The error's class and SQLSTATE only: a server's text names hosts and users.
            shown = ("LockNotAvailable (SQLSTATE 55P03)" if settings.uses_postgres
                     else "OperationalError: database is locked")
            assert status.erreur_transitoire == shown, status
            if settings.uses_postgres:
                # The other process shows it too: it was written to hlm_vues, whose row the
                # lock leaves free (on SQLite the lock is the whole file's: memory only).
                sante = client.get("/v1/sante")
                assert sante.status_code == 200, sante.text
                assert sante.json()["statut"] == "transitoire"
                vue = next(v for v in sante.json()["vues"] if v["nom"] == "demandes")
                assert vue["erreur"] is None and vue["erreur_transitoire"] == shown
            time.sleep(1.0)  # a few more retries, still nothing recorded as the event's
            assert demandes().erreur is None
        head = application.recorder.max_notification_id()
        _wait("the views did not go on once the lock was released",
              lambda: all(s.position == head and s.erreur is None
                          and s.erreur_transitoire is None
                          for s in runner.statuses().values()))
        with db.lecture() as cur:  # cleared in the table too, not only in memory
            cur.execute("SELECT count(*) FROM hlm_vues WHERE erreur_transitoire IS NOT NULL")
            assert cur.fetchone() == (0,)
            cur.execute("SELECT count(*) FROM pv_demandes WHERE superseded_at IS NULL")
            assert cur.fetchone()[0] >= 5
    finally:
        stop.set()
        if thread.is_alive():
            thread.join(timeout=30)
        client.__exit__(None, None, None)
        db.close()


@pytest.mark.slow
@pytest.mark.fault
@pytest.mark.parametrize("settings", ["postgres"], indirect=True)  # a server's connections
def test_the_projectors_connections_killed_mid_batch_the_views_resume(
        application: HlmApplication, settings: Settings) -> None:
    """Issue 8, Faults: pg_terminate_backend on the projector's connections while it
    catches up, several times: it resumes by itself, leaves no error in hlm_vues, and the
    views equal a fresh build of the same history."""
    assert settings.database_url is not None
    generate(application, 1500, 31)
    head = application.recorder.max_notification_id() or 0
    name = f"hlm-projector-{uuid.uuid4().hex[:8]}"
    db = PostgresViewDB(make_conninfo(settings.database_url, application_name=name),
                        settings.database_schema, pool_size=2)
    runner = Runner(application, db, all_views(application), batch_size=50)
    runner.setup()
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop, 0.05))
    killed = 0
    try:
        thread.start()
        with psycopg.connect(settings.database_url, autocommit=True) as admin:
            while killed < 5:
                position = min(s.position for s in runner.statuses().values())
                if head - position < 200:
                    # A fast machine catches up before the fifth kill: new acts keep the
                    # projector at work (each demande filed is one event).
                    for _ in range(300):
                        deposer(application, f"TOPUP-{uuid.uuid4().hex[:12]}")
                    head = application.recorder.max_notification_id() or 0
                if 0 < position < head:  # batches are under way, the head not reached
                    killed += admin.execute(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = %s", (name,)).fetchone()[0] > 0
                time.sleep(0.15)
        _wait("the views did not resume after the kills",
              lambda: all(s.position == head for s in runner.statuses().values()), 120)
        for status in runner.statuses().values():
            assert status.erreur is None and status.erreur_transitoire is None, status
    finally:
        stop.set()
        thread.join(timeout=30)
        db.close()
    assert differences(application, settings) == []
