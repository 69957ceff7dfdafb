"""Fixtures: every store-level test runs on the embedded SQLite store and on PostgreSQL
(HLM_TEST_STORES=sqlite: on SQLite only, as `make test-fast` does).

Markers, set here from what a test uses: `pg` (a PostgreSQL server), `kafka` (the test
broker); `slow` is set by the fault and fuzz modules themselves."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain.application import HlmApplication
from infra.persistence.store import init_store
from infra.settings import Settings
from tests.helpers_http import SECRET, bearer
from tests.helpers_lifecycle import Monde
from tests.helpers_sec import World, seed_world
from tests.kafka_broker import Broker
from tests.pg import DEFAULT_URL, ThrowawayCluster, answers


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    url = os.environ.get("HLM_TEST_DATABASE_URL", DEFAULT_URL)
    if answers(url):
        yield url
        return
    cluster = ThrowawayCluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def _settings_for(store: str, tmp_path: Path, pg_url: str | None) -> tuple[Settings, str | None]:
    if store == "sqlite":
        return Settings(data_dir=tmp_path / "var", jwt_secret=SECRET, database_url=None), None
    schema = "t_" + uuid.uuid4().hex[:12]
    return Settings(data_dir=tmp_path / "var", jwt_secret=SECRET, database_url=pg_url,
                    database_schema=schema, pool_size=4, projector="thread"), schema


STORES = [s for s in os.environ.get("HLM_TEST_STORES", "sqlite,postgres").split(",") if s]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        store = callspec.params.get("settings") if callspec is not None else None
        fixtures = getattr(item, "fixturenames", ())
        if store == "postgres" or "pg_url" in fixtures:
            item.add_marker(pytest.mark.pg)
        if "broker" in fixtures:
            item.add_marker(pytest.mark.kafka)


@pytest.fixture(params=STORES)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    pg = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    settings, schema = _settings_for(request.param, tmp_path, pg)
    yield settings
    if schema is not None and pg is not None:
        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def application(settings: Settings) -> Iterator[HlmApplication]:
    app = init_store(settings)
    yield app
    app.close()


@pytest.fixture
def client(settings: Settings, application: HlmApplication) -> Iterator[TestClient]:
    with TestClient(create_app(settings, application)) as c:
        yield c


@pytest.fixture
def auth() -> Callable[..., dict[str, str]]:
    def headers(role: str, org: str | None = None, **extra: str) -> dict[str, str]:
        return {**bearer(role, org), **extra}

    return headers


@pytest.fixture
def monde(client: TestClient, auth: Callable[..., dict[str, str]]) -> Monde:
    """The lifecycle builder of tests/helpers_lifecycle.py with its reference data set up."""
    return Monde(client, auth).referentiel()


@pytest.fixture
def world(application: HlmApplication) -> World:
    """The small territory of tests/helpers_sec.py, seeded through the application."""
    return seed_world(application)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A real Kafka-protocol broker (Tansu, memory storage) on a free port, for one test;
    `broker.stop()` / `broker.start()` restart it on the same port."""
    started = Broker(log=tmp_path / "broker.log").start()
    try:
        yield started
    finally:
        started.stop()
