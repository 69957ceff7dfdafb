"""The projection runner: folds events in global order into read-model tables.

Each view keeps its own position in `hlm_vues`. A batch of events is applied to a view and
its position moved in **one** transaction, so a crash replays a whole batch or nothing. A
view whose `apply` fails stops at the failing position with the event type recorded; the
other views go on. One runner at a time per database (`StoreConfig.lock`).

Guarded positions: the first statement of a batch's transaction moves the view's row of
`hlm_vues` on condition that it still holds the position the batch started from
(`... WHERE nom = ? AND position = ?`). If another writer moved it meanwhile (a second runner
that bypassed the lock, or `hlm projections rebuild` swapping fresh tables in), no row
matches: the batch is rolled back, the view's caches are dropped and the next step starts
again from the position found in the table. Because that update comes first, a batch waiting
for the row holds no lock on the view's tables, so a swap that locks the rows first and then
drops the tables cannot deadlock with it.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from projections.aggregates import AggregateCache
from projections.bitemporal import Timelines
from projections.db import Cursor, ViewDB
from projections.retries import Backoff, is_transient, resume
from projections.tracked import Batch, Positions, Tracked, Wakeup

log = logging.getLogger("hlm.projections")

TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS hlm_vues (nom TEXT PRIMARY KEY, position BIGINT NOT NULL, "
    "erreur TEXT, mis_a_jour TEXT, erreur_transitoire TEXT, forme INTEGER)"
)
# `erreur`: an event the view's code failed on (stays until fixed and rebuilt);
# `erreur_transitoire`: the database failed under the runner, retried until it succeeds.
POSITIONS = Positions("hlm_vues")


class View(Protocol):
    name: str
    forme: int  # the shape of its rows: another recorded one makes it rebuilt (`_reshape`)

    def create(self, cur: Cursor) -> None:
        """Create the view's tables if missing."""

    def apply(self, cur: Cursor, event: Any, position: int) -> None:
        """Fold one domain event recorded at `position`."""

    def flush(self, cur: Cursor) -> None:
        """Write what `apply` left pending, in the batch's transaction."""


_CREATE_TABLE = re.compile(r"\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.I)


class TablesView:
    """A view whose `create` runs its `ddl` statements (each idempotent)."""

    name: str  # set by each view: its row in hlm_vues
    ddl: tuple[str, ...] = ()
    # The shape of the view's rows: raised when a row comes to hold what older code could
    # not compute; a store whose view has another shape builds it again from the log.
    forme: int = 1

    if TYPE_CHECKING:  # defined by each view (the View protocol)
        def apply(self, cur: Cursor, event: Any, position: int) -> None: ...

    def create(self, cur: Cursor) -> None:
        for statement in self.ddl:
            cur.execute(statement)

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables the view writes: those its `ddl` creates."""
        return tuple(m.group(1) for s in self.ddl if (m := _CREATE_TABLE.match(s)))

    @property
    def table_ddl(self) -> tuple[str, ...]:
        """The statements of `ddl` that create tables (the others create indexes)."""
        return tuple(s for s in self.ddl if _CREATE_TABLE.match(s))

    def flush(self, cur: Cursor) -> None:
        for value in vars(self).values():
            if isinstance(value, Timelines):
                value.flush(cur)

    def reset(self) -> None:
        """Forget what was cached from the events applied so far: the view's tables moved
        to a position this instance did not bring them to (or a batch was rolled back).
        Aggregate caches answer `state(id, position)` from the versions they saw, which
        would be wrong after a jump; a new cache reads the store instead. Timelines read
        back the rows believed instead of remembering what they wrote."""
        for name, value in list(vars(self).items()):
            if isinstance(value, AggregateCache):
                setattr(self, name, AggregateCache(value.app, value.size, value.load,
                                                     value.types))
            elif isinstance(value, Timelines):
                value.clear()


class ViewError(Exception):
    def __init__(self, view: str, position: int, event_type: str, cause: BaseException):
        super().__init__(f"view {view} stopped at position {position} ({event_type}): {cause}")
        self.view, self.position, self.event_type = view, position, event_type


class _Superseded(Exception):
    """The view's row no longer holds the position the batch started from."""


class _Together(Exception):
    """A batch applied in one go failed somewhere: to be tried again event by event."""


@dataclass
class ViewStatus:
    nom: str
    position: int
    erreur: str | None
    mis_a_jour: str | None
    erreur_transitoire: str | None = None


class Runner(Tracked[tuple[Notification, Any]]):
    """The views' follower of the tracked loop (`projections.tracked`): one batch read and
    decoded once for every running view, each view applying it and moving its own row of
    `hlm_vues` in its own transaction."""

    def __init__(self, app: Application[Any], db: ViewDB, views: Sequence[View],
                 batch_size: int = 1000) -> None:
        self.app = app
        self.db = db
        self.views = {v.name: v for v in views}
        self.batch_size = batch_size
        self._advanced = threading.Condition()
        # Per view, the position this runner last brought it to: its caches hold what it
        # saw up to there. A different position in `hlm_vues` means someone else moved it.
        self._known: dict[str, int] = {}
        # Per running view, the position found in `hlm_vues` at the start of the step.
        self._starts: dict[str, int] = {}
        # The database failure the runner is retrying after, if any (also written to
        # `hlm_vues` when the database takes it, for the other processes to show).
        self.transitoire: str | None = None

    def setup(self) -> None:
        with self.db.transaction() as cur:
            cur.execute(TRACKING_DDL)
            _add_column(cur, self.db.dialect, "erreur_transitoire", "TEXT")
            _add_column(cur, self.db.dialect, "forme", "INTEGER")
            for view in self.views.values():
                view.create(cur)
                # A view new to the store is built by this code from the first event: its
                # rows have this code's shape.
                POSITIONS.add(cur, view.name, columns={"forme": view.forme})

    def reshape_due(self) -> bool:
        """Whether a view's rows were written in another shape than its code writes."""
        with self.db.lecture() as cur:
            cur.execute("SELECT nom, forme FROM hlm_vues")
            formes = {nom: forme or 1 for nom, forme in cur.fetchall()}
        return any(formes.get(v.name, 1) != v.forme for v in self.views.values())

    def reshape(self) -> None:
        """Views whose rows were written in another shape start again from the first event
        (`_reshape`). Only the projector does it, its lock held: a projector of the older
        code still running would otherwise fold into tables it does not know."""
        with self.db.transaction() as cur:
            for view in self.views.values():
                _reshape(cur, view)

    def statuses(self) -> dict[str, ViewStatus]:
        with self.db.lecture() as cur:
            cur.execute("SELECT nom, position, erreur, mis_a_jour, erreur_transitoire "
                        "FROM hlm_vues ORDER BY nom")
            rows = cur.fetchall()
        return {r[0]: ViewStatus(r[0], int(r[1]), r[2], r[3], r[4] or self.transitoire)
                for r in rows if r[0] in self.views}

    def committed(self) -> int | None:
        """The lowest position of the running views; the caches of a view another writer
        moved are dropped first."""
        statuses = self.statuses()
        self._starts = {n: s.position for n, s in statuses.items() if s.erreur is None}
        if not self._starts:
            return None
        for name, position in self._starts.items():
            if self._known.get(name) != position:
                self._reset(name)
        return min(self._starts.values())

    def read(self, after: int) -> Batch[tuple[Notification, Any]] | None:
        notifications = self.app.recorder.select_notifications(after + 1, self.batch_size)
        if not notifications:
            return None
        events = [(n, self.app.mapper.to_domain_event(n)) for n in notifications]
        return Batch(after, notifications[-1].id, events)

    def handle(self, batch: Batch[tuple[Notification, Any]]) -> int | None:
        applied, superseded = 0, False
        for name, start in self._starts.items():
            todo = [(n, e) for n, e in batch.items if n.id > start]
            if todo:
                done = self._apply_batch(self.views[name], start, todo)
                if done is None:
                    superseded = True
                else:
                    applied = max(applied, done)
        with self._advanced:
            self._advanced.notify_all()
        return applied if applied or not superseded else None

    def _reset(self, name: str) -> None:
        self._known.pop(name, None)
        reset = getattr(self.views[name], "reset", None)
        if reset is not None:
            reset()

    def _apply_batch(self, view: View, start: int,
                     todo: list[tuple[Notification, Any]]) -> int | None:
        """Events applied, or None when another writer moved the view first."""
        try:
            try:
                done = self._commit(view, start, todo, error=None, together=True)
            except _Together:
                # Statements sent ahead or written at the end fail after the event that
                # made them: again event by event, to find it.
                done = self._commit(view, start, todo, error=None, together=False)
            return len(todo) if done else None
        except ViewError as exc:
            good = [(n, e) for n, e in todo if n.id < exc.position]
            log.error("%s", exc)
            done = self._commit(view, start, good, error=str(exc), together=False)
            return len(good) if done else None

    def _commit(self, view: View, start: int, todo: list[tuple[Notification, Any]],
                error: str | None, together: bool) -> bool:
        """Apply `todo` and move the view from `start`, in one transaction; False (and
        nothing done) if the view's row no longer holds `start`. `together`: the batch in
        one go, its statements pipelined on PostgreSQL (one round trip per fetch, not per
        statement) and what the view left pending flushed once at the end; a failure then
        raises `_Together`. Otherwise each event's writes are flushed after it, so that a
        failure names its event."""
        end = todo[-1][0].id if todo else start
        flush = getattr(view, "flush", None)
        try:
            with self.db.transaction() as cur:
                if not POSITIONS.move(cur, view.name, start, end,
                                      columns={"erreur": error, "erreur_transitoire": None},
                                      where="erreur IS NULL"):
                    raise _Superseded
                pipeline = getattr(cur, "pipeline", None) if together else None
                with pipeline() if pipeline is not None else contextlib.nullcontext():
                    for notification, event in todo:
                        try:
                            view.apply(cur, event, notification.id)
                            if flush is not None and not together:
                                flush(cur)
                        except Exception as cause:
                            if is_transient(cause):
                                raise  # the database's failure, not the event's: retried
                            raise ViewError(view.name, notification.id,
                                            type(event).__qualname__, cause) from cause
                if flush is not None and together:
                    flush(cur)  # after the pipeline: COPY does not go in one
        except _Superseded:
            log.info("view %s moved by another writer; batch from %s dropped", view.name,
                     start)
            self._reset(view.name)
            return False
        except BaseException as exc:
            self._reset(view.name)  # its caches saw the rolled-back events
            if together and isinstance(exc, Exception) and not is_transient(exc):
                raise _Together from exc  # the database failing: no event-by-event rerun
            raise
        self._known[view.name] = end
        return True

    def lag(self) -> dict[str, int]:
        head = self.app.recorder.max_notification_id() or 0
        return {n: head - s.position for n, s in self.statuses().items()}

    def wait_for(self, position: int, timeout: float = 5.0,
                 vues: Collection[str] | None = None) -> bool:
        """Read-your-writes: wait until every running view (of `vues`: all by default) has
        applied `position`."""
        deadline = time.monotonic() + timeout
        while True:
            statuses = [s for s in self.statuses().values() if s.erreur is None
                        and (vues is None or s.nom in vues)]
            if all(s.position >= position for s in statuses):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._advanced:
                self._advanced.wait(min(remaining, 0.05))

    def run(self, stop: threading.Event, poll: float = 0.2, *,
            wakeup: Wakeup | None = None, backoff: Backoff | None = None) -> None:
        """Step until `stop`, sleeping on `wakeup` when idle (the store's NOTIFY on
        PostgreSQL; default: `poll` seconds). A step that fails (the database down or in
        conflict; what an event causes is recorded per view and does not get here) is tried
        again after a backoff of 0.1 s to 5 s, and shown as `erreur_transitoire` until one
        succeeds."""
        super().run(stop, poll, wakeup=wakeup, backoff=backoff)

    def failed(self, exc: Exception, wait: float) -> None:
        if is_transient(exc):
            log.warning("projection step failed (%s: %s); retrying in %.1f s",
                        type(exc).__name__, exc, wait)
        else:
            log.exception("projection step failed; retrying in %.1f s", wait)
        self._signal(resume(exc))

    def recovered(self) -> None:
        if self.transitoire is not None:
            self._signal(None)

    def _signal(self, message: str | None) -> None:
        """Show (or clear) the failure being retried, here and, when the database takes
        the write, in `hlm_vues` for `hlm projections status` and `/v1/sante` elsewhere."""
        if message is not None:
            self.transitoire = message
        try:
            with self.db.transaction() as cur:
                cur.executemany("UPDATE hlm_vues SET erreur_transitoire = ? WHERE nom = ?",
                                [(message, n) for n in self.views])
        except Exception:  # the database still fails: shown from memory meanwhile
            return
        if message is None:
            self.transitoire = None
            log.info("projection steps succeed again")


def _add_column(cur: Cursor, dialect: str, column: str, sql_type: str) -> None:
    """Databases created before a column of `hlm_vues` get it (checked first: an ALTER
    waits behind any batch holding a view's row; IF NOT EXISTS for two processes starting
    at once on PostgreSQL)."""
    if dialect == "postgres":
        cur.execute("SELECT 1 FROM information_schema.columns WHERE table_schema = "
                    "current_schema() AND table_name = 'hlm_vues' AND column_name = ?",
                    (column,))
    else:
        cur.execute("SELECT 1 FROM pragma_table_info('hlm_vues') WHERE name = ?", (column,))
    if cur.fetchone() is None:
        existe = " IF NOT EXISTS" if dialect == "postgres" else ""
        cur.execute(f"ALTER TABLE hlm_vues ADD COLUMN{existe} {column} {sql_type}")


def _reshape(cur: Cursor, view: Any) -> bool:
    """A view whose rows were written in another shape (`TablesView.forme`; none recorded:
    the first) starts again from the first event: its tables created anew, its position 0,
    its errors cleared. The runner then builds it again from the log, as a rebuild would."""
    forme = view.forme
    cur.execute("SELECT forme FROM hlm_vues WHERE nom = ?", (view.name,))
    row = cur.fetchone()
    if row is None or (row[0] or 1) == forme:
        return False
    # The view's row first (the order the runner and a rebuild's swap take), then its tables.
    cur.execute("UPDATE hlm_vues SET position = 0, erreur = NULL, erreur_transitoire = NULL, "
                "forme = ? WHERE nom = ?", (forme, view.name))
    for table in getattr(view, "tables", ()):
        cur.execute(f"DROP TABLE IF EXISTS {table}")
    view.create(cur)
    return True
