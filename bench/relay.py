"""Throughput and end-to-end lag of the Kafka relay, from the PostgreSQL store into a broker.

    .venv/bin/python bench/relay.py [--events N] [--batch-size B] [--rate R] [--seconds S]
                                    [--quick]

In one run, on the server of HLM_BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/postgres) and the broker of HLM_BENCH_KAFKA_BOOTSTRAP
(default: a Tansu broker started here, as in the tests):

1. a fresh schema `bench_relay_<random>`, a generated history of about N events in it;
2. baseline: the exact records the relay publishes (key, public JSON value, CloudEvents
   headers) prepared beforehand, then produced with plain kafka-python, the relay's producer
   settings (acks=all), every future checked: raw production rate;
   Also reported: the rate of `public_events.page` alone (reading and mapping, no Kafka),
   the relay's other half of the work;
3. the relay (`infra.stream.relay.Relay.catch_up`, in this process) from position 0 to the head,
   into another topic: store reads, public mapping, production, acknowledgement and
   position commit per batch. Steps 2 and 3 alternate twice; the best of each is kept (the
   machine is shared);
4. lag: a real `hlm relay` process follows the store while demandes are filed at a steady
   rate; a consumer (fetch_max_wait_ms=10) notes when each one's event arrives. Lag = time
   of receipt - time the command returned (its transaction committed);
5. the schema is dropped and the broker stopped, whatever happened.

Human-readable figures first; the LAST line of stdout is one JSON object:
{"bench": "relay", "value": relay events/s, "baseline": raw production events/s,
 "ratio": value/baseline, "target": 0.7, "lag_p50_ms", "lag_p99_ms", "lag_max_ms",
 "lag_target_ms": 1000, ...}.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.commands import drop_schema, hlm_command  # noqa: E402
from bench.history import database_url  # noqa: E402
from domain.commandes import DepotDemande, Situation  # noqa: E402
from domain.ids import demande_uuid  # noqa: E402
from domain.vacance import Acteur  # noqa: E402
from infra.persistence.store import init_store  # noqa: E402
from infra.settings import Settings  # noqa: E402
from infra.stream.public_events import page  # noqa: E402
from infra.stream.relay import DELIVERY_TIMEOUT_MS, POSITION_DDL, PRODUCER_OPTIONS, relay_for  # noqa: E402,E501
from infra.synthetic.generate import generate  # noqa: E402
from projections.service import view_db  # noqa: E402

TARGET_RATIO = 0.7
TARGET_LAG_MS = 1000.0
ADMIN = Acteur("admin")


def records(app: Any, batch_size: int) -> tuple[list[tuple[bytes, bytes, list[Any]]], float]:
    """The relay's records of the whole store, and the rate of reading and mapping them
    (infra.stream.public_events.page, the relay's work without Kafka)."""
    out = []
    position = 0
    started = time.perf_counter()
    while True:
        events, position = page(app, position, batch_size)
        if not events:
            return out, len(out) / (time.perf_counter() - started)
        out += [(e.kafka_key(), e.kafka_value(), e.kafka_headers()) for e in events]


def raw_production(bootstrap: str, topic: str,
                   recs: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]) -> float:
    producer = KafkaProducer(bootstrap_servers=bootstrap, **PRODUCER_OPTIONS)
    try:
        producer.send(topic, b"warm-up").get(timeout=30)
        started = time.perf_counter()
        futures = [producer.send(topic, key=k, value=v, headers=h) for k, v, h in recs]
        producer.flush()
        for f in futures:
            f.get(timeout=DELIVERY_TIMEOUT_MS / 1000)
        return len(recs) / (time.perf_counter() - started)
    finally:
        producer.close()


def relay_run(app: Any, settings: Settings, topic: str, batch_size: int) -> float:
    conf = settings.model_copy(update={"kafka_topic": topic})
    db = view_db(conf)
    try:
        with db.transaction() as cur:
            cur.execute(POSITION_DDL)
            cur.execute("DELETE FROM hlm_relais")
        relay = relay_for(app, conf, db, batch_size=batch_size)
        relay.connect()  # creates the topic
        started = time.perf_counter()
        n = relay.catch_up()
        elapsed = time.perf_counter() - started
        relay.close()
        return n / elapsed
    finally:
        db.close()


class Receipts:
    """A consumer thread noting when each event id arrives."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.at: dict[str, float] = {}
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                      enable_auto_commit=False, fetch_max_wait_ms=10,
                                      auto_offset_reset="earliest")
        self.topic = topic
        self.thread = threading.Thread(target=self.work, daemon=True)

    def work(self) -> None:
        partitions = None
        while partitions is None and not self.stop.is_set():
            found = self.consumer.partitions_for_topic(self.topic)
            partitions = [TopicPartition(self.topic, p) for p in found] if found else None
            if partitions is None:
                time.sleep(0.1)
        if partitions is None:
            return
        self.consumer.assign(partitions)
        self.ready.set()
        while not self.stop.is_set():
            for recs in self.consumer.poll(timeout_ms=100).values():
                now = time.time()
                for r in recs:
                    self.at.setdefault(dict(r.headers)["ce_id"].decode(), now)
        self.consumer.close()


def lag_run(app: Any, settings: Settings, rate: float, seconds: float,
            log: Path) -> list[float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HLM_")}
    env.update({"HLM_DATABASE_URL": str(settings.database_url),
                "HLM_DATABASE_SCHEMA": settings.database_schema,
                "HLM_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
                "HLM_KAFKA_TOPIC": settings.kafka_topic,
                "HLM_RELAY_BATCH_SIZE": str(settings.relay_batch_size)})
    with log.open("ab") as out:
        proc = subprocess.Popen([*hlm_command(), "relay"], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    receipts = Receipts(settings.kafka_bootstrap, settings.kafka_topic)
    committed: dict[str, float] = {}
    try:
        deadline = time.monotonic() + 120
        while "relay to topic" not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("hlm relay did not start:\n" + log.read_text())
            time.sleep(0.1)
        receipts.thread.start()
        if not receipts.ready.wait(60):
            raise RuntimeError("consumer not ready")
        time.sleep(1.0)  # the relay is caught up with the history
        interval = 1.0 / rate
        start = time.monotonic()
        i = 0
        while time.monotonic() - start < seconds:
            numero = f"LAG-{i}"
            app.deposer_demande(ADMIN, DepotDemande(
                numero_unique=numero, date_depot=date(2024, 3, 1),
                demandeur_id=f"{numero}-A",
                situation=Situation(ressources_annuelles=Decimal("16000"),
                                    unites_consommation=Decimal("1.5"))))
            committed[f"{demande_uuid(numero)}:1"] = time.time()
            i += 1
            pause = start + i * interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        deadline = time.monotonic() + 60
        while not set(committed) <= set(receipts.at) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        receipts.stop.set()
        receipts.thread.join(timeout=10)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    missing = set(committed) - set(receipts.at)
    if missing:
        raise RuntimeError(f"{len(missing)} events never reached the consumer")
    return [(receipts.at[k] - t) * 1000 for k, t in committed.items()]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--rate", type=float, default=50.0, help="commands/s for the lag")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of the lag load")
    parser.add_argument("--quick", action="store_true", help="5,000 events, 5 s of load")
    args = parser.parse_args()
    if args.quick:
        args.events, args.seconds = 5_000, 5.0
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("kafka").setLevel(logging.CRITICAL)

    url = database_url()
    schema = "bench_relay_" + secrets.token_hex(4)
    work = Path(tempfile.mkdtemp(prefix="bench-relay-"))
    broker = None
    bootstrap = os.environ.get("HLM_BENCH_KAFKA_BOOTSTRAP")
    if not bootstrap:
        from tests.kafka_broker import Broker

        broker = Broker(log=work / "broker.log").start()
        bootstrap = broker.bootstrap
    settings = Settings(database_url=url, database_schema=schema, data_dir=work / "var",
                        kafka_bootstrap=bootstrap, kafka_topic=f"bench.lag.{schema}",
                        relay_batch_size=args.batch_size)
    app = init_store(settings)
    try:
        print(f"generating about {args.events} events into {schema} ...", flush=True)
        total = generate(app, args.events, seed=1).evenements
        recs, mapping = records(app, args.batch_size)
        size = sum(len(v) for _, v, _ in recs) / len(recs)
        print(f"{len(recs)} events in the store, {size:.0f} bytes of JSON each on average; "
              f"reading and mapping them alone (public_events.page): {mapping:,.0f} events/s")
        raw, relayed = [], []
        for attempt in range(2):
            raw.append(raw_production(bootstrap, f"bench.raw.{schema}.{attempt}", recs))
            relayed.append(relay_run(app, settings, f"bench.relay.{schema}.{attempt}",
                                     args.batch_size))
            print(f"  round {attempt + 1}: raw kafka-python {raw[-1]:,.0f} events/s, "
                  f"relay {relayed[-1]:,.0f} events/s", flush=True)
        value, baseline = max(relayed), max(raw)
        print(f"relay {value:,.0f} events/s against raw production {baseline:,.0f} events/s: "
              f"ratio {value / baseline:.2f} (target >= {TARGET_RATIO})")
        print(f"lag: {args.rate:.0f} demandes/s for {args.seconds:.0f} s through a real "
              "`hlm relay` ...", flush=True)
        lags = lag_run(app, settings, args.rate, args.seconds, work / "relay.log")
        p50, p99 = percentile(lags, 0.50), percentile(lags, 0.99)
        print(f"commit -> consumer: p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {max(lags):.0f} "
              f"ms over {len(lags)} events (target p99 < {TARGET_LAG_MS:.0f} ms)")
        result = {"bench": "relay", "value": round(value, 1), "baseline": round(baseline, 1),
                  "ratio": round(value / baseline, 3), "target": TARGET_RATIO,
                  "lag_p50_ms": round(p50, 1), "lag_p99_ms": round(p99, 1),
                  "lag_max_ms": round(max(lags), 1),
                  "lag_mean_ms": round(statistics.fmean(lags), 1),
                  "lag_target_ms": TARGET_LAG_MS, "lag_samples": len(lags),
                  "mapping_per_s": round(mapping, 1),
                  "events": total, "batch_size": args.batch_size, "load_per_s": args.rate,
                  "broker": "external" if broker is None else "tansu (memory)"}
    finally:
        app.close()
        if broker is not None:
            broker.stop()
        drop_schema(url, schema)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
