"""The projection runner: folds events in global order into read-model tables.

Each view keeps its own position in `hlm_vues`. A batch of events is applied to a view and
its position moved in **one** transaction, so a crash replays a whole batch or nothing. A
view whose `apply` fails stops at the failing position with the event type recorded; the
other views go on. One runner at a time per database (see `ProjectorLock`).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from projections.db import Cursor, ViewDB

log = logging.getLogger("hlm.projections")

TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS hlm_vues (nom TEXT PRIMARY KEY, position BIGINT NOT NULL, "
    "erreur TEXT, mis_a_jour TEXT)"
)


class View(Protocol):
    name: str

    def create(self, cur: Cursor) -> None:
        """Create the view's tables if missing."""

    def apply(self, cur: Cursor, event: Any, position: int) -> None:
        """Fold one domain event recorded at `position`."""


class TablesView:
    """A view whose `create` runs its `ddl` statements (each idempotent)."""

    ddl: tuple[str, ...] = ()

    def create(self, cur: Cursor) -> None:
        for statement in self.ddl:
            cur.execute(statement)


class ViewError(Exception):
    def __init__(self, view: str, position: int, event_type: str, cause: BaseException):
        super().__init__(f"view {view} stopped at position {position} ({event_type}): {cause}")
        self.view, self.position, self.event_type = view, position, event_type


@dataclass
class ViewStatus:
    nom: str
    position: int
    erreur: str | None
    mis_a_jour: str | None


class Runner:
    def __init__(self, app: Application[Any], db: ViewDB, views: list[View],
                 batch_size: int = 1000) -> None:
        self.app = app
        self.db = db
        self.views = {v.name: v for v in views}
        self.batch_size = batch_size
        self._advanced = threading.Condition()

    def setup(self) -> None:
        with self.db.transaction() as cur:
            cur.execute(TRACKING_DDL)
            for view in self.views.values():
                view.create(cur)
                cur.execute("INSERT INTO hlm_vues (nom, position) SELECT ?, 0 WHERE NOT EXISTS "
                            "(SELECT 1 FROM hlm_vues WHERE nom = ?)", (view.name, view.name))

    def statuses(self) -> dict[str, ViewStatus]:
        with self.db.transaction() as cur:
            cur.execute("SELECT nom, position, erreur, mis_a_jour FROM hlm_vues ORDER BY nom")
            rows = cur.fetchall()
        return {r[0]: ViewStatus(r[0], int(r[1]), r[2], r[3]) for r in rows
                if r[0] in self.views}

    def step(self) -> int:
        """Apply the next batch to every running view; the number of events applied."""
        statuses = self.statuses()
        running = {n: s for n, s in statuses.items() if s.erreur is None}
        if not running:
            return 0
        start = min(s.position for s in running.values()) + 1
        notifications = self.app.recorder.select_notifications(start, self.batch_size)
        if not notifications:
            return 0
        events = [(n, self.app.mapper.to_domain_event(n)) for n in notifications]
        applied = 0
        for name, status in running.items():
            todo = [(n, e) for n, e in events if n.id > status.position]
            if todo:
                applied = max(applied, self._apply_batch(self.views[name], todo))
        with self._advanced:
            self._advanced.notify_all()
        return applied

    def _apply_batch(self, view: View, todo: list[tuple[Notification, Any]]) -> int:
        try:
            self._commit(view, todo, error=None)
            return len(todo)
        except ViewError as exc:
            good = [(n, e) for n, e in todo if n.id < exc.position]
            log.error("%s", exc)
            self._commit(view, good, error=str(exc))
            return len(good)

    def _commit(self, view: View, todo: list[tuple[Notification, Any]],
                error: str | None) -> None:
        now = datetime.now(UTC).isoformat()
        with self.db.transaction() as cur:
            position = None
            for notification, event in todo:
                try:
                    view.apply(cur, event, notification.id)
                except Exception as cause:
                    raise ViewError(view.name, notification.id, type(event).__qualname__,
                                    cause) from cause
                position = notification.id
            if position is not None:
                cur.execute("UPDATE hlm_vues SET position = ?, mis_a_jour = ? WHERE nom = ?",
                            (position, now, view.name))
            if error is not None:
                cur.execute("UPDATE hlm_vues SET erreur = ?, mis_a_jour = ? WHERE nom = ?",
                            (error, now, view.name))

    def catch_up(self) -> int:
        total = 0
        while n := self.step():
            total += n
        return total

    def lag(self) -> dict[str, int]:
        head = self.app.recorder.max_notification_id() or 0
        return {n: head - s.position for n, s in self.statuses().items()}

    def wait_for(self, position: int, timeout: float = 5.0) -> bool:
        """Read-your-writes: wait until every running view has applied `position`."""
        deadline = time.monotonic() + timeout
        while True:
            statuses = [s for s in self.statuses().values() if s.erreur is None]
            if all(s.position >= position for s in statuses):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._advanced:
                self._advanced.wait(min(remaining, 0.05))

    def run(self, stop: threading.Event, poll: float = 0.2) -> None:
        while not stop.is_set():
            try:
                if not self.step():
                    stop.wait(poll)
            except Exception:  # a store outage: say so and try again
                log.exception("projection step failed; retrying")
                stop.wait(min(5.0, poll * 10))
