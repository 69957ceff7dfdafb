"""`hlm tail`: read the event topic as a downstream system would, one JSON line per event.

The relay delivers at least once, so a message can come twice (a batch sent again after a
crash or an outage). Within one aggregate (one key, one partition) versions only grow, so a
message whose `ce_id` (`{aggregate_id}:{version}`) is not beyond the last version seen for
its aggregate is a duplicate: remembering one version per aggregate deduplicates exactly,
in bounded memory.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer

# Group membership settings that suit both Apache Kafka (its minimum session timeout is
# 6 s) and the test broker, which answers a group join only after half the session timeout.
GROUP_OPTIONS = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 2000}


class Deduplicator:
    """Drops messages already seen, on `ce_id` = `{aggregate_id}:{version}`."""

    def __init__(self) -> None:
        self.versions: dict[str, int] = {}
        self.duplicates = 0

    def first_time(self, ce_id: str) -> bool:
        agregat, _, version = ce_id.rpartition(":")
        v = int(version)
        if self.versions.get(agregat, 0) >= v:
            self.duplicates += 1
            return False
        self.versions[agregat] = v
        return True


def headers_of(message: Any) -> dict[str, str]:
    return {k: v.decode() if isinstance(v, bytes) else str(v)
            for k, v in (message.headers or [])}


def as_line(message: Any, headers: dict[str, str]) -> dict[str, Any]:
    """The event as printed by `hlm tail`: the CloudEvents attributes and the data."""
    attributes: dict[str, Any] = {k.removeprefix("ce_"): v for k, v in headers.items()
                                  if k.startswith("ce_")}
    if "sequence" in attributes:
        attributes["sequence"] = int(attributes["sequence"])
    return {**attributes, "data": json.loads(message.value)}


def consumer(bootstrap: str, topic: str, *, group: str | None,
             from_beginning: bool) -> KafkaConsumer:
    return KafkaConsumer(topic, bootstrap_servers=bootstrap.split(","), group_id=group,
                         auto_offset_reset="earliest" if from_beginning else "latest",
                         enable_auto_commit=group is not None, client_id="hlm-tail",
                         **(GROUP_OPTIONS if group else {}))


def tail(bootstrap: str, topic: str, *, group: str | None, from_beginning: bool,
         limit: int | None, idle: float | None, emit: Callable[[str], None]) -> Deduplicator:
    """Emit the distinct events; stop after `limit` of them, or after `idle` seconds without
    a message (counted once the partitions are assigned: a group join takes seconds)."""
    dedup = Deduplicator()
    source = consumer(bootstrap, topic, group=group, from_beginning=from_beginning)
    count = 0
    try:
        quiet_since = time.monotonic()
        while limit is None or count < limit:
            batch = source.poll(timeout_ms=200)
            now = time.monotonic()
            if batch or not source.assignment():
                quiet_since = now
            elif idle is not None and now - quiet_since >= idle:
                break
            for tp, records in batch.items():
                for message in records:
                    if limit is not None and count >= limit:
                        # not handed out: the group's committed offset must not pass it
                        source.seek(tp, message.offset)
                        break
                    headers = headers_of(message)
                    if dedup.first_time(headers["ce_id"]):
                        emit(json.dumps(as_line(message, headers), ensure_ascii=False))
                        count += 1
    finally:
        source.close()
    return dedup
