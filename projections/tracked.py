"""One tracked loop over the store's notifications: the projection runner and the Kafka relay.

A follower keeps a committed position in a table of its database (`hlm_vues` for the views,
`hlm_relais` for the relay). Each step reads the next batch after that position, hands it to
the follower, and commits the batch's end with a **guard**: the row moves only if it still
holds the batch's start (`Positions.move`). A row another writer moved meanwhile (a rebuild's
swap, a second process that bypassed the lock, an operator) makes the follower drop the batch
and start again from the position found in the table, a few times at most.

`Tracked.run` steps until stopped: a step that raises (the database, the broker) is tried
again after the shared jittered `Backoff`; an idle follower sleeps on its `Wakeup` — the
store's NOTIFY on PostgreSQL (`StoreWakeup`), its poll interval otherwise (`Poll`) — until
something is committed, the interval ends, or it is stopped. `standby` is the wait of a
second process for the store's lock of its kind (one projector, one relay per store).
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

import psycopg
from eventsourcing.application import Application
from psycopg.sql import SQL, Identifier

from projections.config import Lock, StoreConfig
from projections.db import Cursor
from projections.retries import Backoff

T = TypeVar("T")

_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")


@dataclass(frozen=True)
class Batch(Generic[T]):
    """What one step hands to the follower: the items after `start` (the committed position
    the batch was read from), and `end`, the position to commit once they are handled (past
    the last item: a page may skip notifications it does not publish)."""

    start: int
    end: int
    items: Sequence[T]


class Positions:
    """A table of committed positions (`nom TEXT PRIMARY KEY, position BIGINT NOT NULL,
    mis_a_jour TEXT`, and whatever columns its owner adds), one row per follower."""

    def __init__(self, table: str) -> None:
        if not _NAME.match(table):
            raise ValueError(f"not a table name: {table!r}")
        self.table = table

    def add(self, cur: Cursor, nom: str, *,
            columns: Mapping[str, object] | None = None) -> None:
        """The row of `nom` at position 0 (with `columns`), unless it exists."""
        extra = dict(columns or {})
        names = "".join(f", {c}" for c in extra)
        marks = ", ?" * len(extra)
        cur.execute(f"INSERT INTO {self.table} (nom, position{names}) SELECT ?, 0{marks} "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {self.table} WHERE nom = ?)",
                    (nom, *extra.values(), nom))

    def move(self, cur: Cursor, nom: str, start: int, end: int, *,
             columns: Mapping[str, object] | None = None, where: str = "") -> bool:
        """Move `nom` from `start` to `end` (and set `columns`, `mis_a_jour` to now) on
        condition that the row still holds `start` (and `where`); False when it did not,
        nothing changed. Meant as the first statement of the batch's transaction: a batch
        waiting for the row then holds no other lock."""
        sets = {"position": end, "mis_a_jour": datetime.now(UTC).isoformat(),
                **(columns or {})}
        for column in sets:
            if not _NAME.match(column):
                raise ValueError(f"not a column name: {column!r}")
        assignments = ", ".join(f"{column} = ?" for column in sets)
        guard = f" AND {where}" if where else ""
        cur.execute(f"UPDATE {self.table} SET {assignments} "
                    f"WHERE nom = ? AND position = ?{guard} RETURNING nom",
                    (*sets.values(), nom, start))
        return cur.fetchone() is not None


class Wakeup(Protocol):
    """How an idle loop sleeps: until `timeout` seconds passed, `stop` was set, or (when it
    can tell) the store committed something."""

    def wait(self, stop: threading.Event, timeout: float) -> None: ...

    def close(self) -> None: ...


class Poll:
    """The wake-up of a store that does not notify (SQLite): the poll interval."""

    def wait(self, stop: threading.Event, timeout: float) -> None:
        stop.wait(timeout)

    def close(self) -> None:
        pass


class StoreWakeup:
    """Sleeps between polls; on PostgreSQL wakes up at once on the store's NOTIFY (sent by
    every insert of the library's recorder, on a channel named after the events table), so
    a loop's latency is not its poll period. The channel is database-wide: a write in
    another schema of the same database only causes a spare look at the store. Elsewhere
    it polls; when it cannot listen (the server down) it polls and tries to listen again
    at most every RELISTEN seconds."""

    RELISTEN = 5.0

    def __init__(self, app: Application[Any], config: StoreConfig,
                 log: logging.Logger | None = None) -> None:
        self._log = log or logging.getLogger("hlm.projections")
        self._conn: psycopg.Connection[Any] | None = None
        channel = getattr(app.recorder, "channel_name", None)
        self._target: tuple[str, str] | None = None
        if config.uses_postgres and channel and config.database_url is not None:
            self._target = (config.database_url, channel)
        self._next_try = 0.0
        self._listen()

    def _listen(self) -> None:
        if self._target is None or self._conn is not None \
                or time.monotonic() < self._next_try:
            return
        url, channel = self._target
        try:
            self._conn = psycopg.connect(url, autocommit=True)
            self._conn.execute(SQL("LISTEN {}").format(Identifier(channel)))
        except psycopg.Error:
            self._log.warning("cannot LISTEN on the store; polling meanwhile", exc_info=True)
            self._drop()

    @property
    def listening(self) -> bool:
        return self._conn is not None

    def wait(self, stop: threading.Event, timeout: float) -> None:
        self._listen()
        if self._conn is None:
            stop.wait(timeout)
            return
        deadline = time.monotonic() + timeout
        try:
            # in slices, so that a stop request is seen within half a second
            while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
                if list(self._conn.notifies(timeout=min(left, 0.5), stop_after=1)):
                    # what else is queued is seen by the step this wake-up starts
                    list(self._conn.notifies(timeout=0.0))
                    return
        except psycopg.Error:
            self._log.warning("store notifications lost; polling meanwhile", exc_info=True)
            self._drop()
            stop.wait(max(0.0, deadline - time.monotonic()))

    def _drop(self) -> None:
        self._next_try = time.monotonic() + self.RELISTEN
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(psycopg.Error):
                conn.close()

    def close(self) -> None:
        self._target = None
        self._drop()


class Tracked(ABC, Generic[T]):
    """A follower of the store's notifications from its committed position (see the module
    doc). Subclasses say where they stand (`committed`), what comes next (`read`) and what
    to do with it (`handle`, which commits with `Positions.move`); the loop (`step`,
    `catch_up`, `run`) is this class's. The hooks `failed`, `recovered` and `idle` let each
    say what happens in its own words."""

    #: Steps superseded in a row before giving up for now: another writer does the work.
    superseded_attempts = 3

    @abstractmethod
    def committed(self) -> int | None:
        """The position to read after, at the start of each attempt (the follower refreshes
        there what it knows of its table); None: nothing to follow now."""

    @abstractmethod
    def read(self, after: int) -> Batch[T] | None:
        """The next batch after `after`; None when nothing follows it."""

    @abstractmethod
    def handle(self, batch: Batch[T]) -> int | None:
        """Consume `batch` and commit its end under the guard; the number of items handled,
        or None when the guard failed (the batch dropped, to be read again from the
        table's position)."""

    def step(self) -> int:
        """Handle the next batch; the number of items handled (0: nothing new)."""
        for _ in range(self.superseded_attempts):
            after = self.committed()
            if after is None:
                return 0
            batch = self.read(after)
            if batch is None:
                return 0
            done = self.handle(batch)
            if done is not None:
                return done
        return 0

    def catch_up(self) -> int:
        total = 0
        while n := self.step():
            total += n
        return total

    # -- the loop ---------------------------------------------------------------------------

    def attempt(self) -> int:
        """One turn of `run` (a step, by default)."""
        return self.step()

    def failed(self, exc: Exception, wait: float) -> None:
        """A turn raised `exc`; the next one comes in `wait` seconds."""

    def recovered(self) -> None:
        """A turn succeeded (after a failure or not)."""

    def idle(self) -> None:
        """A turn found nothing new; the loop sleeps on its wake-up next."""

    def run(self, stop: threading.Event, poll: float, *, wakeup: Wakeup | None = None,
            backoff: Backoff | None = None) -> None:
        """Turn until `stop`: after a failure, wait the backoff; when idle, sleep on
        `wakeup` (default: `poll` seconds) up to `poll` seconds."""
        backoff = backoff or Backoff()
        sleep = wakeup or Poll()
        while not stop.is_set():
            try:
                n = self.attempt()
            except Exception as exc:
                wait = backoff.next()
                self.failed(exc, wait)
                stop.wait(wait)
                continue
            self.recovered()
            backoff.reset()
            if not n:
                self.idle()
                sleep.wait(stop, poll)


def standby(lock: Lock, stop: threading.Event, *, every: float = 2.0,
            waiting: Callable[[], None] | None = None) -> bool:
    """Wait until `lock` is acquired (True) or `stop` is set (False), trying every `every`
    seconds; `waiting` is called once, the first time the lock is held by another."""
    said = False
    while not lock.acquire():
        if not said and waiting is not None:
            waiting()
        said = True
        if stop.wait(every):
            return False
    return True
