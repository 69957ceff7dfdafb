"""The store stopped under load (issue 8, Faults): while PostgreSQL is down, commands answer
503 STORE_UNAVAILABLE with Retry-After (never a 500, never a hang, never half an act); once
it is back, commands succeed again, the projector and the relay (a real `hlm relay`
process) catch up by themselves, the read models equal a fresh build and the broker holds
every event."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.persistence.store import init_store
from infra.settings import Settings
from infra.stream.public_events import page
from infra.tokens import make_token
from projections.rebuild import differences
from projections.service import view_db
from tests.helpers_sec import demande_json
from tests.kafka_broker import Broker, ce_id, read_topic
from tests.pg import ThrowawayCluster
from tests.processes import RelayProcess, wait_relay

pytestmark = [pytest.mark.slow, pytest.mark.fault, pytest.mark.pg, pytest.mark.kafka]


@pytest.fixture
def cluster() -> Iterator[tuple[ThrowawayCluster, str]]:
    c = ThrowawayCluster()
    try:
        yield c, c.start()
    finally:
        c.stop()


def test_postgres_stopped_and_restarted_under_commands(
        cluster: tuple[ThrowawayCluster, str], broker: Broker, tmp_path: Path) -> None:
    server, url = cluster
    settings = Settings(data_dir=tmp_path, jwt_secret="s" * 40, projector="thread",
                        database_url=f"{url}?connect_timeout=2", pool_size=2)
    app = init_store(settings)
    admin = {"Authorization": f"Bearer {make_token(settings.secret, 'admin')}"}
    n = 0
    accepted: list[str] = []

    def file_one(client: TestClient) -> httpx.Response:
        nonlocal n
        n += 1
        r = client.post("/v1/demandes", json=demande_json(f"F-{n}"), headers=admin)
        assert r.status_code in (201, 503), r.text
        if r.status_code == 201:
            accepted.append(r.json()["demande_id"])
        else:
            assert r.json()["error"]["code"] == "STORE_UNAVAILABLE"
            assert int(r.headers["retry-after"]) > 0
        return r

    relay = RelayProcess(settings, broker, tmp_path / "relay.log", args=("--max-backoff", "1"))
    relay_db = view_db(settings)  # its connections die with the server: replaced on checkout
    try:
        relay.start().wait_log("relay to topic")
        assert wait_relay(relay_db, app, relay) == 0  # a pooled connection, opened before
        with TestClient(create_app(settings, app), raise_server_exceptions=False) as client:
            for _ in range(5):
                assert file_one(client).status_code == 201
            server.pause()
            down = time.monotonic()
            statuses = []
            while time.monotonic() - down < 10:  # ten seconds of outage, bounded
                started = time.monotonic()
                statuses.append(file_one(client).status_code)
                assert time.monotonic() - started < 40  # never a hang
            assert set(statuses) == {503}
            server.resume()
            deadline = time.monotonic() + 60
            while file_one(client).status_code != 201:
                assert time.monotonic() < deadline, "commands did not recover"
                time.sleep(0.5)
            for _ in range(3):
                assert file_one(client).status_code == 201
            # No act lost nor half-written: one event per accepted filing, nothing else.
            assert app.compter_evenements() == len(accepted)
            # The projector recovered by itself: every accepted demande reads back.
            deadline = time.monotonic() + 60
            while True:
                sante = client.get("/v1/sante")
                if sante.status_code == 200 and all(v["retard"] == 0
                                                    for v in sante.json()["vues"]):
                    break
                assert time.monotonic() < deadline, sante.text
                time.sleep(0.5)
            for did in accepted:
                assert client.get(f"/v1/demandes/{did}", headers=admin).status_code == 200
        # The relay recovered by itself: it reaches the head and the broker has every event.
        head = wait_relay(relay_db, app, relay)
        assert relay.proc is not None and relay.proc.poll() is None, relay.output()
        feed = {e.id for e in page(app, 0, 1_000_000)[0]}
        assert len(feed) == head == len(accepted)
        got = {ce_id(m) for m in read_topic(broker.bootstrap, settings.kafka_topic,
                                            expect=feed)}
        assert got == feed
        # The read models equal a fresh build of the same history, row by row.
        assert differences(app, settings) == []
    finally:
        relay.terminate()
        relay_db.close()
        app.close()
