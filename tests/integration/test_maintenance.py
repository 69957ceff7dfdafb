"""Idempotency keys expire (issue 8, item 7): a key older than HLM_IDEMPOTENCE_JOURS is
unknown again, its row replaced by the new request's; `hlm maintenance` deletes expired keys
in batches and vacuums the tables rewritten at every batch; stores created before the expiry
get the column on `hlm init`, their keys kept."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from domain.application import HlmApplication
from infra.cli.main import app as cli
from infra.persistence.maintenance import purger_cles
from infra.persistence.store import init_store, open_application
from infra.settings import Settings
from tests.helpers_sec import assert_error, bearer, demande_json


@contextmanager
def _sql(settings: Settings) -> Iterator[Any]:
    """A connection of the test's own to the store, committing at the end."""
    if settings.uses_postgres:
        assert settings.database_url is not None
        with psycopg.connect(settings.database_url) as conn:
            conn.execute(f'SET search_path TO "{settings.database_schema}"')
            yield conn
        return
    conn = sqlite3.connect(settings.sqlite_path, timeout=30)
    try:
        yield conn
        conn.commit()
    finally:
        conn.close()


def _age(settings: Settings, days: int, key: str = "%") -> None:
    """Move the recording of the caller's keys matching `key` `days` into the past."""
    with _sql(settings) as conn:
        if settings.uses_postgres:
            conn.execute("UPDATE hlm_idempotence SET cree_le = cree_le - make_interval("
                         "days => %s) WHERE cle LIKE %s", (days, f"%:{key}"))
        else:
            rows = conn.execute("SELECT cle, cree_le FROM hlm_idempotence WHERE cle LIKE ?",
                                (f"%:{key}",)).fetchall()
            conn.executemany("UPDATE hlm_idempotence SET cree_le = ? WHERE cle = ?", [
                ((datetime.fromisoformat(t) - timedelta(days=days)).isoformat(
                    timespec="microseconds"), c) for c, t in rows])


def _keys(settings: Settings) -> list[str]:
    with _sql(settings) as conn:
        return sorted(r[0].split(":", 1)[1]
                      for r in conn.execute("SELECT cle FROM hlm_idempotence").fetchall())


def _post(client: TestClient, key: str, numero: str) -> Any:
    return client.post("/v1/demandes", json=demande_json(numero),
                       headers={**bearer("admin"), "Idempotency-Key": key})


def test_an_expired_key_is_a_new_request(client: TestClient, application: HlmApplication,
                                         settings: Settings) -> None:
    first = _post(client, "k-exp", "EXP-1")
    assert first.status_code == 201, first.text
    assert_error(_post(client, "k-exp", "EXP-2"), 409, "IDEMPOTENCY_KEY_REUSED")
    _age(settings, 29)
    assert _post(client, "k-exp", "EXP-1").json() == first.json()  # still remembered
    _age(settings, 2)  # 31 days: past the default 30
    before = application.compter_evenements()
    second = _post(client, "k-exp", "EXP-2")
    assert second.status_code == 201, second.text
    assert second.json()["numero_unique"] == "EXP-2"
    assert application.compter_evenements() == before + 1
    # The key is now the new request's: replayed for it, refused for the old one.
    assert _post(client, "k-exp", "EXP-2").json() == second.json()
    assert application.compter_evenements() == before + 1
    assert_error(_post(client, "k-exp", "EXP-1"), 409, "IDEMPOTENCY_KEY_REUSED")
    assert _keys(settings) == ["k-exp"]


def test_the_expiry_follows_the_setting(application: HlmApplication,
                                        settings: Settings) -> None:
    short = settings.model_copy(update={"idempotence_jours": 5})
    app5 = open_application(short)
    try:
        assert app5.side.idempotence_jours == 5
        with TestClient(create_app(short, app5)) as client:
            first = _post(client, "k-5", "EXP5-1")
            _age(settings, 4)
            assert _post(client, "k-5", "EXP5-1").json() == first.json()
            _age(settings, 2)  # 6 days: past 5
            again = _post(client, "k-5", "EXP5-2")
            assert again.status_code == 201 and again.json()["numero_unique"] == "EXP5-2"
    finally:
        app5.close()


def test_maintenance_deletes_expired_keys_only_in_batches(
        client: TestClient, application: HlmApplication, settings: Settings) -> None:
    for i in range(3):
        assert _post(client, f"k-old-{i}", f"MNT-{i}").status_code == 201
    assert _post(client, "k-new", "MNT-NEW").status_code == 201
    _age(settings, 31, "k-old-%")
    with _sql(settings) as conn:  # many more expired keys than a batch
        param = "%s" if settings.uses_postgres else "?"
        stamp = "2020-01-01T00:00:00.000000+00:00"
        conn.cursor().executemany(
            f"INSERT INTO hlm_idempotence (cle, empreinte, statut, reponse, cree_le) "
            f"VALUES ({param}, 'x', 201, '{{}}', {param})",
            [(f"sub:k-bulk-{i}", stamp) for i in range(2500)])
    assert purger_cles(application, lot=1000) == 2500 + 3
    assert _keys(settings) == ["k-new"]
    assert _post(client, "k-new", "MNT-NEW").status_code == 201  # still replayed

    _age(settings, 31, "k-new")
    env = ({"HLM_DATABASE_URL": settings.database_url or "",
            "HLM_DATABASE_SCHEMA": settings.database_schema} if settings.uses_postgres
           else {"HLM_DATA_DIR": str(settings.data_dir), "HLM_DATABASE_URL": ""})
    result = CliRunner().invoke(cli, ["maintenance"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 expired idempotency keys deleted" in result.output
    assert _keys(settings) == []
    if settings.uses_postgres:
        assert "hlm_vues" in result.output and "hlm_idempotence" in result.output
        with _sql(settings) as conn:
            vacuumed = conn.execute(
                "SELECT relname FROM pg_stat_user_tables WHERE schemaname = %s AND "
                "vacuum_count > 0 ORDER BY relname", (settings.database_schema,)).fetchall()
        assert ("hlm_vues",) in vacuumed, vacuumed


def test_a_store_from_before_the_expiry_keeps_its_keys(settings: Settings) -> None:
    application = init_store(settings)
    with TestClient(create_app(settings, application)) as client:
        first = _post(client, "k-mig", "MIG-1")
    application.close()
    with _sql(settings) as conn:  # the table as it was before `cree_le`
        conn.execute("DROP INDEX hlm_idempotence_cree_le")
        conn.execute("ALTER TABLE hlm_idempotence DROP COLUMN cree_le")
    application = init_store(settings)
    try:
        with TestClient(create_app(settings, application)) as client:
            before = application.compter_evenements()
            assert _post(client, "k-mig", "MIG-1").json() == first.json()
            assert_error(_post(client, "k-mig", "MIG-2"), 409, "IDEMPOTENCY_KEY_REUSED")
            assert application.compter_evenements() == before
        assert purger_cles(application) == 0  # counted from the upgrade, not expired
    finally:
        application.close()
