"""The Kafka relay and `hlm tail`, against a real Kafka-protocol broker, on both stores."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer
from kafka.errors import KafkaError

from domain.application import HlmApplication
from domain.vacance import Acteur
from infra.persistence.store import init_store
from infra.settings import Settings
from infra.stream.public_events import (
    ACTOR_ORG_TYPE_HEADER,
    ACTOR_ROLE_HEADER,
    SOURCE,
    PublicEvent,
    page,
)
from infra.stream.relay import StoreWakeup, relay_for
from infra.synthetic.generate import generate
from projections.db import ViewDB
from projections.service import view_db
from tests.helpers_sec import deposer
from tests.kafka_broker import Broker, ce_id, read_topic
from tests.processes import HLM, hlm_env

ADMIN = Acteur("admin")


def _kafka(settings: Settings, broker: Broker, partitions: int = 3) -> Settings:
    return settings.model_copy(update={"kafka_bootstrap": broker.bootstrap,
                                       "kafka_partitions": partitions})


@pytest.fixture
def db(settings: Settings, application: HlmApplication) -> Iterator[ViewDB]:
    vdb = view_db(settings)
    yield vdb
    vdb.close()


def _feed(app: HlmApplication) -> dict[str, PublicEvent]:
    events, _ = page(app, 0, 1_000_000)
    return {e.id: e for e in events}


def _headers(message: Any) -> dict[str, str]:
    return {k: v.decode() for k, v in message.headers}


def test_every_event_is_published_once_in_order_with_cloudevents_headers(
        application: HlmApplication, settings: Settings, db: ViewDB, broker: Broker) -> None:
    generate(application, 1000, seed=5)
    conf = _kafka(settings, broker, partitions=3)
    relay = relay_for(application, conf, db, batch_size=128)
    try:
        published = relay.catch_up()
    finally:
        relay.close()
    feed = _feed(application)
    assert published == len(feed) == application.compter_evenements()
    status = relay.status()
    assert status.position == status.tete and status.retard == 0

    messages = read_topic(broker.bootstrap, conf.kafka_topic, expect=set(feed))
    assert len(messages) == len(feed)  # no duplicates without a failure
    assert {m.partition for m in messages} <= {0, 1, 2}
    partition_of: dict[bytes, int] = {}
    versions: dict[str, list[int]] = defaultdict(list)
    sequences: dict[int, list[int]] = defaultdict(list)
    for m in messages:
        event = feed[ce_id(m)]
        # the key is the aggregate id: one aggregate, one partition
        assert m.key == event.agregat_id.encode()
        assert partition_of.setdefault(m.key, m.partition) == m.partition
        # the value is the feed's JSON item, byte for byte the same object
        assert json.loads(m.value) == event.as_feed_item()
        assert _headers(m) == {
            "ce_specversion": "1.0", "ce_id": f"{event.agregat_id}:{event.version}",
            "ce_type": event.type, "ce_source": SOURCE, "ce_time": event.enregistre_le,
            "ce_subject": event.subject, "ce_sequence": f"{event.position:020d}",
            "content-type": "application/json",
            # the actor, as far as the stream may tell (tests/service/test_trust.py)
            **({ACTOR_ROLE_HEADER: event.acteur_role} if event.acteur_role else {}),
            **({ACTOR_ORG_TYPE_HEADER: event.acteur_type_organisation}
               if event.acteur_type_organisation else {})}
        versions[event.agregat_id].append(event.version)
        sequences[m.partition].append(event.position)
    # per aggregate: every version, in order; per partition: the store's global order
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values())
    assert all(s == sorted(s) for s in sequences.values())
    assert len(versions) > 100


def test_the_relay_resumes_from_its_committed_position_and_follows_new_events(
        application: HlmApplication, settings: Settings, db: ViewDB, broker: Broker) -> None:
    for i in range(30):
        deposer(application, f"R-{i}")
    conf = _kafka(settings, broker)
    first = relay_for(application, conf, db, batch_size=7)
    assert first.catch_up() == 30
    first.close()

    for i in range(30, 40):
        deposer(application, f"R-{i}")
    # A new relay (a restart) starts at the committed position: only the 10 new events.
    second = relay_for(application, conf, db, batch_size=7)
    assert second.position == 30
    stop = threading.Event()
    worker = threading.Thread(target=second.run, args=(stop,), kwargs={"poll": 0.05})
    worker.start()
    try:
        # ... and, running, publishes what is committed afterwards
        for i in range(40, 45):
            deposer(application, f"R-{i}")
        feed = _feed(application)
        assert len(feed) == 45
        messages = read_topic(broker.bootstrap, conf.kafka_topic, expect=set(feed))
    finally:
        stop.set()
        worker.join(timeout=30)
        second.close()
    assert not worker.is_alive()
    assert sorted(ce_id(m) for m in messages) == sorted(feed)  # each once
    assert second.status().position == 45


@pytest.mark.fault
def test_the_position_stays_put_while_the_broker_is_unreachable(
        application: HlmApplication, settings: Settings, db: ViewDB, broker: Broker) -> None:
    for i in range(12):
        deposer(application, f"U-{i}")
    conf = _kafka(settings, broker)
    broker.stop()
    relay = relay_for(application, conf, db, batch_size=5)
    with pytest.raises(KafkaError):
        relay.step()
    assert relay.position == relay.status().position == 0
    broker.start()
    relay.disconnect()
    try:
        assert relay.catch_up() == 12
    finally:
        relay.close()
    messages = read_topic(broker.bootstrap, conf.kafka_topic, expect=set(_feed(application)))
    assert len(messages) == 12 and relay.status().position == 12


# --- hlm tail, hlm relay status: the real commands, on the embedded store -------------------

@pytest.fixture
def published(tmp_path: Path, broker: Broker) -> Iterator[tuple[Settings, dict[str, Any]]]:
    """An embedded store with a generated history, all published, the first 300 events
    twice (as after a relay crash before its commit)."""
    conf = Settings(data_dir=tmp_path / "var", database_url=None,
                    kafka_bootstrap=broker.bootstrap, kafka_partitions=3)
    app = init_store(conf)
    vdb = view_db(conf)
    try:
        generate(app, 1000, seed=5)
        relay = relay_for(app, conf, vdb, batch_size=300)
        relay.catch_up()
        with vdb.transaction() as cur:  # as if the relay had died before this commit
            cur.execute("UPDATE hlm_relais SET position = 0")
        relay.setup()
        relay.step()
        relay.close()
        yield conf, {k: e.as_feed_item() for k, e in _feed(app).items()}
    finally:
        vdb.close()
        app.close()


def _env(conf: Settings) -> dict[str, str]:
    return hlm_env(conf, HLM_KAFKA_BOOTSTRAP=conf.kafka_bootstrap,
                   HLM_KAFKA_TOPIC=conf.kafka_topic)


def _hlm(conf: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HLM, *args], env=_env(conf), capture_output=True, text=True,
                          timeout=120)


def test_hlm_tail_prints_each_event_once_despite_duplicates(
        published: tuple[Settings, dict[str, Any]]) -> None:
    conf, feed = published
    out = _hlm(conf, "tail", "--from-beginning", "--idle", "3")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == len(feed)
    assert sorted(line["id"] for line in lines) == sorted(feed)
    assert "300 duplicates dropped" in out.stderr
    for line in lines:
        item = feed[line["id"]]
        assert line["data"] == item
        assert (line["type"], line["sequence"], line["source"], line["specversion"]) == (
            item["type"], item["position"], SOURCE, "1.0")
        assert line["time"] == item["enregistre_le"]
        assert line["subject"].endswith("/" + item["agregat_id"])
    # per aggregate, in version order
    seen: dict[str, int] = {}
    for line in lines:
        agregat, version = line["data"]["agregat_id"], line["data"]["version"]
        assert seen.get(agregat, 0) == version - 1
        seen[agregat] = version


def test_hlm_tail_with_a_group_resumes_where_it_stopped(
        published: tuple[Settings, dict[str, Any]]) -> None:
    conf, feed = published
    first = _hlm(conf, "tail", "--group", "g1", "--from-beginning", "--limit", "400")
    assert first.returncode == 0, first.stderr
    rest = _hlm(conf, "tail", "--group", "g1", "--idle", "3")
    assert rest.returncode == 0, rest.stderr
    got_first = [json.loads(line)["id"] for line in first.stdout.splitlines()]
    got_rest = [json.loads(line)["id"] for line in rest.stdout.splitlines()]
    assert len(got_first) == 400
    # no event lost between the two runs; the second starts after the first's last offset
    # (it can only repeat what it cannot recognise: the duplicates of the first 300)
    assert set(got_first) | set(got_rest) == set(feed)
    assert not set(got_first) & set(got_rest) - {i for i in feed
                                                  if feed[i]["position"] <= 300}


def test_hlm_relay_status_reports_the_lag(published: tuple[Settings, dict[str, Any]]) -> None:
    conf, feed = published
    behind = _hlm(conf, "relay", "status", "--max-lag", "0")
    # the fixture left the relay at position 300
    assert behind.returncode == 1
    assert "position 300" in behind.stdout and f"lag {len(feed) - 300} events" in behind.stdout
    assert _hlm(conf, "relay", "status", "--max-lag", str(len(feed))).returncode == 0


def test_a_group_consumer_reads_the_stream_in_a_few_lines(
        published: tuple[Settings, dict[str, Any]]) -> None:
    """The README's downstream consumer, as written there."""
    conf, feed = published
    consumer = KafkaConsumer(conf.kafka_topic, bootstrap_servers=conf.kafka_bootstrap,
                             group_id="downstream", auto_offset_reset="earliest",
                             session_timeout_ms=6000, heartbeat_interval_ms=2000,
                             consumer_timeout_ms=30_000)  # the test's safety net only
    seen: set[str] = set()
    handled = []
    for message in consumer:
        event_id = dict(message.headers)["ce_id"].decode()
        if event_id in seen:
            continue  # at-least-once delivery: a batch may come twice
        seen.add(event_id)
        handled.append(json.loads(message.value))
        if len(handled) == len(feed):
            break
    consumer.close()
    assert sorted(e["id"] for e in handled) == sorted(feed)
    per_aggregate: dict[str, list[int]] = defaultdict(list)
    for e in handled:
        per_aggregate[e["agregat_id"]].append(e["version"])
    assert all(v == list(range(1, len(v) + 1)) for v in per_aggregate.values())


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_on_postgresql_a_commit_wakes_the_idle_relay_at_once(
        application: HlmApplication, settings: Settings) -> None:
    """The relay idles on the store's NOTIFY, not on its poll period (30 s here)."""
    wakeup = StoreWakeup(application, settings)
    stop = threading.Event()
    waiter = threading.Thread(target=wakeup.wait, args=(stop, 30.0))
    try:
        waiter.start()
        time.sleep(0.2)  # let it listen
        deposer(application, "WAKE-1")
        waiter.join(timeout=15)
        assert not waiter.is_alive()
    finally:
        stop.set()
        waiter.join(timeout=40)
        wakeup.close()
