"""The Kafka relay (`hlm relay`): publishes the store's events, in global order, to a topic.

It follows the same order as the pull feed (`infra.stream.public_events.page`) from its own
position, kept in the store's database (`hlm_relais`). Each batch is sent with `acks=all`, and the
position moves only once the broker has acknowledged every message of the batch: a relay
killed at any moment sends again at most the batch it had in flight (at-least-once;
consumers drop duplicates on `ce_id`). The key is the aggregate id, so one aggregate's events
land in one partition in version order.

When the broker is unreachable the relay logs it, waits (exponential backoff) and starts
again from its committed position with a fresh producer, creating the topic if it is missing.
One relay works per store at a time (PostgreSQL advisory lock / file lock); a second one
waits, as a standby.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from domain.application import HlmApplication
from infra.settings import Settings
from infra.stream.public_events import Lecteur, PublicEvent
from projections.db import ViewDB
from projections.retries import Backoff
from projections.tracked import Batch, Positions, Tracked, Wakeup
from projections.tracked import StoreWakeup as StoreWakeup  # hlm relay's wake-up, from here

log = logging.getLogger("hlm.relay")

POSITION_DDL = ("CREATE TABLE IF NOT EXISTS hlm_relais (nom TEXT PRIMARY KEY, "
                "position BIGINT NOT NULL, mis_a_jour TEXT)")
POSITIONS = Positions("hlm_relais")

# How long one attempt may wait for the broker before the relay calls it an outage and
# starts again with a fresh producer (kafka-python retries by itself within this time).
REQUEST_TIMEOUT_MS = 5_000
DELIVERY_TIMEOUT_MS = 10_000
# What the relay asks of the broker for each batch (shared with bench/relay.py's baseline).
PRODUCER_OPTIONS: dict[str, Any] = {"acks": "all", "linger_ms": 5, "batch_size": 256 * 1024}


@dataclass(frozen=True)
class RelayStatus:
    nom: str
    position: int
    tete: int
    mis_a_jour: str | None

    @property
    def retard(self) -> int:
        return max(0, self.tete - self.position)


class Relay(Tracked[PublicEvent]):
    """The relay's follower of the tracked loop (`projections.tracked`): a batch is a page
    of public events, published and acknowledged before its end is committed."""

    def __init__(self, app: HlmApplication, db: ViewDB, *, bootstrap: str, topic: str,
                 batch_size: int = 500, partitions: int = 6, nom: str = "kafka") -> None:
        self.app = app
        self.db = db
        self.bootstrap = bootstrap
        self.topic = topic
        self.batch_size = batch_size
        self.partitions = partitions
        self.nom = nom
        self.position = 0
        self._producer: KafkaProducer | None = None
        self._published = 0
        self._last_lag_log = 0.0
        self._idle = False
        self._failing = False
        # Goes through the stream in order: the same pages as public_events.page, faster.
        self._lecteur = Lecteur(app)

    # -- position ---------------------------------------------------------------------------

    def setup(self) -> None:
        with self.db.transaction() as cur:
            cur.execute(POSITION_DDL)
            POSITIONS.add(cur, self.nom)
        self.position = self.status().position

    def status(self) -> RelayStatus:
        with self.db.transaction() as cur:
            cur.execute("SELECT position, mis_a_jour FROM hlm_relais WHERE nom = ?",
                        (self.nom,))
            row = cur.fetchone()
        tete = self.app.recorder.max_notification_id() or 0
        if row is None:
            return RelayStatus(self.nom, 0, tete, None)
        return RelayStatus(self.nom, int(row[0]), tete, row[1])

    def _commit(self, start: int, end: int) -> bool:
        """Move the position from `start` to `end`; False when the row no longer held
        `start` (another writer moved it): the relay goes on from the table's position."""
        with self.db.transaction() as cur:
            moved = POSITIONS.move(cur, self.nom, start, end)
        if moved:
            self.position = end
            return True
        self.setup()  # the table's position (its row again, at 0, if it was deleted)
        log.warning("relay position moved by another writer (%d, not %d); going on from "
                    "there", self.position, start)
        return False

    # -- broker -----------------------------------------------------------------------------

    def connect(self) -> KafkaProducer:
        """The producer, created (with the topic, if missing) on first use after a failure."""
        if self._producer is None:
            self.ensure_topic()
            options = {**PRODUCER_OPTIONS,
                       "request_timeout_ms": REQUEST_TIMEOUT_MS,
                       "bootstrap_timeout_ms": REQUEST_TIMEOUT_MS,
                       "delivery_timeout_ms": DELIVERY_TIMEOUT_MS,
                       "max_block_ms": DELIVERY_TIMEOUT_MS,
                       # The relay creates the topic with its partition count; a topic
                       # that vanished (a broker reset) is recreated by ensure_topic.
                       "allow_auto_create_topics": False}
            self._producer = KafkaProducer(bootstrap_servers=self.bootstrap.split(","),
                                           client_id=f"hlm-relay-{self.nom}", **options)
        return self._producer

    def ensure_topic(self) -> None:
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap.split(","),
                                 client_id=f"hlm-relay-{self.nom}-admin",
                                 request_timeout_ms=REQUEST_TIMEOUT_MS,
                                 bootstrap_timeout_ms=REQUEST_TIMEOUT_MS)
        try:
            if self.topic in admin.list_topics():
                return
            # replication_factor -1: the broker's default.replication.factor.
            admin.create_topics([NewTopic(self.topic, num_partitions=self.partitions,
                                          replication_factor=-1)])
            log.info("created topic %s (%d partitions)", self.topic, self.partitions)
        except TopicAlreadyExistsError:
            pass
        finally:
            admin.close()

    def disconnect(self, timeout: float = 0) -> None:
        """Close the producer: at once after a failure (nothing to keep), or waiting up to
        `timeout` seconds for what it still sends."""
        if self._producer is not None:
            producer, self._producer = self._producer, None
            try:
                producer.close(timeout=timeout)
            except Exception:  # closing a producer of a dead broker: nothing to keep
                log.debug("producer close failed", exc_info=True)

    # -- the loop ---------------------------------------------------------------------------

    def committed(self) -> int:
        return self.position

    def read(self, after: int) -> Batch[PublicEvent] | None:
        events, suivante = self._lecteur.page(after, self.batch_size)
        if not events and suivante <= after:
            return None
        return Batch(after, suivante, events)

    def handle(self, batch: Batch[PublicEvent]) -> int | None:
        """Send the batch, wait for every acknowledgement (a delivery error raises), then
        commit its end: the position never passes an unacknowledged message. A page of
        events none of which is public only moves the position."""
        events = batch.items
        if events:
            producer = self.connect()
            futures = [producer.send(self.topic, key=e.kafka_key(), value=e.kafka_value(),
                                     headers=e.kafka_headers()) for e in events]
            producer.flush()
            for future in futures:
                future.get(timeout=DELIVERY_TIMEOUT_MS / 1000)  # raises the delivery error
        if not self._commit(batch.start, batch.end):
            return None
        if not events:
            return 0
        self._published += len(events)
        self._idle = False
        self._log_lag(events[-1].enregistre_le)
        return len(events)

    def _log_lag(self, enregistre_le: str | None, every: float = 10.0) -> None:
        now = time.monotonic()
        if now - self._last_lag_log < every:
            return
        self._last_lag_log = now
        tete = self.app.recorder.max_notification_id() or 0
        age = ""
        if enregistre_le:
            seconds = (datetime.now(UTC) - datetime.fromisoformat(enregistre_le)
                       ).total_seconds()
            age = f", last event published {seconds:.2f} s after its commit"
        log.info("relay at position %d, head %d: lag %d events%s (%d published since start)",
                 self.position, tete, max(0, tete - self.position), age, self._published)

    def run(self, stop: threading.Event, poll: float = 0.5, max_backoff: float = 10.0, *,
            wakeup: Wakeup | None = None, backoff: Backoff | None = None) -> None:
        """Publish until `stop`, sleeping on `wakeup` when idle (`StoreWakeup`: the store's
        NOTIFY on PostgreSQL; default: `poll` seconds); a broker or store failure is retried
        from the committed position after a backoff of 0.5 s up to `max_backoff`."""
        if backoff is None:
            backoff = Backoff(first=min(0.5, max_backoff), cap=max_backoff)
        super().run(stop, poll, wakeup=wakeup, backoff=backoff)

    def attempt(self) -> int:
        self.connect()  # at once, not at the first event: the topic exists early
        return self.step()

    def failed(self, exc: Exception, wait: float) -> None:
        """Broker or store unavailable: say so (the loop waits and retries)."""
        self.disconnect()  # a fresh producer next time (new broker state, new ids)
        if isinstance(exc, KafkaError):
            log.warning("broker %s unavailable (%s: %s); retrying from position %d "
                        "in %.1f s", self.bootstrap, type(exc).__name__, exc,
                        self.position, wait)
        else:
            log.exception("relay step failed at position %d; retrying in %.1f s",
                          self.position, wait)
        self._failing = True

    def recovered(self) -> None:
        if self._failing:
            log.info("broker %s reachable again, store readable; going on from "
                     "position %d", self.bootstrap, self.position)
            self._failing = False
            self._last_lag_log = 0.0

    def idle(self) -> None:
        if self._published and not self._idle:
            log.info("relay caught up at position %d (%d published since start)",
                     self.position, self._published)
            self._idle = True
            self._last_lag_log = 0.0  # the next burst logs its lag at once

    def close(self) -> None:
        self.disconnect(timeout=5)


def relay_for(app: HlmApplication, settings: Settings, db: ViewDB, *,
              batch_size: int | None = None) -> Relay:
    relay = Relay(app, db, bootstrap=settings.kafka_bootstrap, topic=settings.kafka_topic,
                  batch_size=batch_size or settings.relay_batch_size,
                  partitions=settings.kafka_partitions)
    relay.setup()
    return relay
