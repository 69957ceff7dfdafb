"""Secrets and files (issue 8): a short JWT secret refuses to start, the generated one is
created once and private, the store's files are private, aud/iss/TTL are checked, passwords
are never printed and every libpq parameter of the URL reaches the connections."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import make_token
from infra.settings import SecretInvalide, Settings, masquer_url
from infra.store import init_store

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
    app.compter_evenements()
    app.close()
    assert _mode(settings.sqlite_path) == 0o600


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
    name = "hlm-" + uuid.uuid4().hex[:8]
    schema = "t_" + uuid.uuid4().hex[:12]
    sep = "&" if "?" in pg_url else "?"
    settings = Settings(data_dir=tmp_path, jwt_secret="s" * 40, database_schema=schema,
                        database_url=f"{pg_url}{sep}application_name={name}",
                        projector="thread", pool_size=2)
    app = init_store(settings)
    try:
        with TestClient(create_app(settings, app)) as client:
            token = make_token(settings.secret, "admin")
            assert client.get("/v1/sante", headers={
                "Authorization": f"Bearer {token}"}).status_code in (200, 503)
            app.compter_evenements()
            with psycopg.connect(pg_url) as conn:
                count = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE "
                                     "application_name = %s", (name,)).fetchone()[0]
            assert count >= 2  # the event store's pool and the views' at least
    finally:
        app.close()
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
