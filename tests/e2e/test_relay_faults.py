"""The relay under faults, as real processes against a real Kafka-protocol broker:
killed mid-batch again and again, the broker gone while events keep coming, and no personal
value in any Kafka message."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from domain.application import HlmApplication
from domain.vacance import Acteur
from infra.settings import Settings
from infra.stream.public_events import PublicEvent, page
from infra.stream.relay import relay_for
from infra.synthetic.generate import generate
from projections.db import ViewDB
from projections.service import view_db
from tests.helpers_public import EVENEMENTS, SEED, fuites, personal_values
from tests.helpers_sec import deposer
from tests.kafka_broker import Broker, ce_id, read_topic
from tests.processes import RELAY_BATCH, RelayProcess, relay_position, wait_relay

pytestmark = [pytest.mark.slow, pytest.mark.fault]

ADMIN = Acteur("admin")
KILLS = 20
BATCH = RELAY_BATCH


def _feed(app: HlmApplication) -> dict[str, PublicEvent]:
    events, _ = page(app, 0, 1_000_000)
    return {e.id: e for e in events}


@pytest.fixture
def db(settings: Settings, application: HlmApplication) -> Iterator[ViewDB]:
    vdb = view_db(settings)
    yield vdb
    vdb.close()


def _first_occurrences(messages: list[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for m in messages:
        if ce_id(m) not in seen:
            seen.add(ce_id(m))
            out.append(m)
    return out


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_killed_mid_batch_twenty_times_every_event_arrives_and_order_holds(
        application: HlmApplication, settings: Settings, db: ViewDB, broker: Broker,
        tmp_path: Path) -> None:
    generate(application, 8000, seed=13)
    relay = RelayProcess(settings, broker, tmp_path / "relay.log")
    rng = random.Random(20)
    committed_at_kill = []
    mid_stream = 0
    for kill in range(KILLS):
        # However fast this machine relays, each start has events ahead of it to publish.
        head = application.recorder.max_notification_id() or 0
        if head - (relay_position(db) if kill else 0) < 8 * BATCH:
            for i in range(8 * BATCH):
                deposer(application, f"TOPUP-{kill}-{i}")
        # the first batch acknowledged (the relay logs its lag), then a kill at random
        relay.start().wait_log("relay at position")
        time.sleep(rng.uniform(0.0, 0.1))
        relay.kill()
        mid_stream += "relay caught up" not in relay.output(since_start=True)
        committed_at_kill.append(relay_position(db))
    feed = _feed(application)
    head = max(e.position for e in feed.values())
    relay.start().wait_log("relay to topic")  # its signal handlers are set by then
    assert wait_relay(db, application, relay) == head
    assert relay.terminate() == 0
    assert "relay stopped at position" in relay.output(since_start=True)

    # The kills fell while the relay was publishing, and it made progress between them.
    assert committed_at_kill == sorted(committed_at_kill)
    assert mid_stream >= KILLS // 2
    assert len(set(committed_at_kill)) >= 5

    messages = read_topic(broker.bootstrap, settings.kafka_topic, expect=set(feed))
    counts = Counter(ce_id(m) for m in messages)
    assert set(counts) == set(feed)  # every event of the store
    # duplicates: only events of the batch in flight at a kill, (committed, committed+BATCH]
    for event_id, n in counts.items():
        if n > 1:
            position = feed[event_id].position
            windows = sum(1 for p in committed_at_kill if p < position <= p + BATCH)
            assert 1 <= n - 1 <= windows, (event_id, position, n, committed_at_kill)
    assert sum(counts.values()) - len(counts) <= KILLS * BATCH
    # per key, once duplicates are dropped: versions 1, 2, 3, ... in order
    versions: dict[bytes, list[int]] = defaultdict(list)
    for m in _first_occurrences(messages):
        versions[m.key].append(feed[ce_id(m)].version)
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values())


@dataclass
class Writer:
    """Commands arriving all along: one demande every few milliseconds, pausable."""

    app: HlmApplication
    running: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    written: int = 0

    def work(self) -> None:
        while not self.stop.is_set():
            if not self.running.wait(0.05):
                continue
            deposer(self.app, f"OUT-{self.written}")
            self.written += 1
            time.sleep(0.02)


@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_broker_outage_the_relay_retries_says_so_and_catches_up(
        application: HlmApplication, settings: Settings, db: ViewDB, broker: Broker,
        tmp_path: Path) -> None:
    writer = Writer(application)
    thread = threading.Thread(target=writer.work)
    thread.start()
    relay = RelayProcess(settings, broker, tmp_path / "relay.log", args=("--max-backoff", "1"))
    try:
        relay.start().wait_log("relay to topic")
        writer.running.set()
        time.sleep(1.0)
        # The broker keeps its messages in memory only: read them all before stopping it.
        writer.running.clear()
        time.sleep(0.1)
        at_stop = wait_relay(db, application, relay)
        before = read_topic(broker.bootstrap, settings.kafka_topic,
                            expect=set(_feed(application)))
        broker.stop()
        writer.running.set()  # events keep coming while the broker is away
        relay.wait_log("unavailable", timeout=60)
        assert relay_position(db) == at_stop  # nothing committed without an acknowledgement
        broker.start()
        relay.wait_log("reachable again", timeout=60)
        time.sleep(0.5)
        writer.running.clear()
        time.sleep(0.1)
        head = wait_relay(db, application, relay)
    finally:
        writer.stop.set()
        thread.join(timeout=30)
        code = relay.terminate()
    assert code == 0
    assert head > at_stop + 10
    feed = _feed(application)
    after = read_topic(broker.bootstrap, settings.kafka_topic,
                       expect={i for i, e in feed.items() if e.position > at_stop})
    got = {ce_id(m) for m in before} | {ce_id(m) for m in after}
    assert got == set(feed)  # nothing lost
    log = relay.output()
    assert "retrying from position" in log and "created topic" in log


def test_no_personal_value_in_any_kafka_message(
        application: HlmApplication, settings: Settings, db: ViewDB, broker: Broker) -> None:
    """The Kafka side of the personal-data scan: keys, values and headers as the broker
    serves them, after the relay published a generated history."""
    generate(application, EVENEMENTS, seed=SEED)
    conf = settings.model_copy(update={"kafka_bootstrap": broker.bootstrap})
    relay = relay_for(application, conf, db)
    try:
        relay.catch_up()
    finally:
        relay.close()
    feed = _feed(application)
    messages = read_topic(broker.bootstrap, conf.kafka_topic, expect=set(feed))
    assert len(messages) == len(feed)
    texts = [m.value.decode() for m in messages]
    texts += ["\n".join(f"{k}: {v.decode()}" for k, v in m.headers) for m in messages]
    texts += [m.key.decode() for m in messages]
    personnel = personal_values(application)
    assert personnel.identifiants and personnel.montants and personnel.codes
    assert fuites(texts, personnel) == {}


def test_a_second_relay_waits_as_a_standby_and_takes_over(
        application: HlmApplication, settings: Settings, db: ViewDB, broker: Broker,
        tmp_path: Path) -> None:
    for i in range(10):
        deposer(application, f"SB-{i}")
    first = RelayProcess(settings, broker, tmp_path / "first.log")
    second = RelayProcess(settings, broker, tmp_path / "second.log")
    try:
        first.start().wait_log("relay to topic")
        second.start().wait_log("waiting as a standby")
        assert wait_relay(db, application, first) == 10
        first.kill()
        second.wait_log("from position 10 (head 10")
    finally:
        first.terminate()
        assert second.terminate() == 0
    messages = read_topic(broker.bootstrap, settings.kafka_topic,
                          expect=set(_feed(application)))
    assert len(messages) == 10  # the standby published nothing twice
