"""Secrets and files (issue 8): a short JWT secret refuses to start, the generated one is
created once and private, the store's files are private, aud/iss/TTL are checked, passwords
are never printed and every libpq parameter of the URL reaches the connections."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.persistence.store import init_store
from infra.settings import SecretInvalide, Settings, masquer_url
from infra.tokens import make_token
from projections.service import view_db

HLM = str(Path(sys.executable).parent / "hlm")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_short_secret_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(SecretInvalide):
        create_app(Settings(data_dir=tmp_path, jwt_secret="a"))
    env = {**os.environ, "HLM_JWT_SECRET": "a", "HLM_DATA_DIR": str(tmp_path)}
    for args in (["token", "--role", "admin"], ["serve", "--port", "1"]):
        done = subprocess.run([HLM, *args], env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 2, done
        assert "at least 32" in done.stdout + done.stderr


def test_an_empty_secret_file_refuses_to_start(tmp_path: Path) -> None:
    (tmp_path / "jwt_secret").write_text("")
    with pytest.raises(SecretInvalide):
        create_app(Settings(data_dir=tmp_path, jwt_secret=None))


def test_the_generated_secret_and_the_store_are_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", jwt_secret=None)
    secret = settings.secret
    assert len(secret) >= 32
    assert Settings(data_dir=tmp_path / "var", jwt_secret=None).secret == secret  # kept
    assert _mode(tmp_path / "var") == 0o700
    assert _mode(tmp_path / "var" / "jwt_secret") == 0o600
    assert not list((tmp_path / "var").glob(".jwt_secret.*"))  # no temporary left
    app = init_store(settings)
    views = view_db(settings)
    with views.transaction() as cur:
        cur.execute("CREATE TABLE t (x INTEGER)")
    app.compter_evenements()
    files = list((tmp_path / "var").glob("hlm.sqlite3*"))
    assert {f.name for f in files} >= {"hlm.sqlite3", "hlm.sqlite3-wal"}
    assert {_mode(f) for f in files} == {0o600}
    views.close()
    app.close()


def test_racing_processes_share_one_generated_secret(tmp_path: Path) -> None:
    def secret(_: int) -> str:
        return Settings(data_dir=tmp_path / "var", jwt_secret=None).secret
    with ThreadPoolExecutor(8) as pool:
        assert len(set(pool.map(secret, range(16)))) == 1


def test_audience_issuer_and_longest_lifetime(tmp_path: Path) -> None:
    secret = "s" * 40
    settings = Settings(data_dir=tmp_path, jwt_secret=secret, jwt_audience="hlm-api",
                        jwt_issuer="idp.example", jwt_max_ttl=3600)
    with TestClient(create_app(settings)) as client:
        def status(token: str) -> int:
            return client.get("/v1/evenements", headers={
                "Authorization": f"Bearer {token}"}).status_code
        good = make_token(secret, "abonne", audience="hlm-api", issuer="idp.example")
        assert status(good) == 200
        assert status(make_token(secret, "abonne", issuer="idp.example")) == 401
        assert status(make_token(secret, "abonne", audience="other",
                                 issuer="idp.example")) == 401
        assert status(make_token(secret, "abonne", audience="hlm-api")) == 401
        assert status(make_token(secret, "abonne", audience="hlm-api", issuer="idp.example",
                                 ttl=7200)) == 401


def test_passwords_are_masked() -> None:
    assert masquer_url("postgresql://u:s3cr3t@h:5432/db?sslmode=require") == \
        "postgresql://u:***@h:5432/db?sslmode=require"
    assert "s3cr3t" not in masquer_url("host=h user=u password=s3cr3t dbname=d")
    assert masquer_url("postgresql://u@h/db") == "postgresql://u@h/db"


def test_every_libpq_parameter_reaches_the_event_store_and_the_views(
        pg_url: str, tmp_path: Path) -> None:
    name = "hlm-test-" + uuid.uuid4().hex[:8]
    schema = "t_" + uuid.uuid4().hex[:12]
    sep = "&" if "?" in pg_url else "?"
    settings = Settings(data_dir=tmp_path, jwt_secret="s" * 40, database_schema=schema,
                        database_url=f"{pg_url}{sep}application_name={name}", pool_size=1)
    mine = "SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()"
    app = init_store(settings)
    views = view_db(settings)
    try:
        with app.recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
            assert conn.execute(mine).fetchone()["application_name"] == name
        with views.transaction() as cur:
            cur.execute(mine)
            assert cur.fetchone() == (name,)
    finally:
        views.close()
        app.close()
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
