"""The projections of one store: the view database, the runner, its lock, and the reads.

On the embedded default the runner runs in a thread of `hlm serve`; in production it runs as
its own process (`hlm project`). Only one runner works on a database at a time: a second one
waits (in a thread) or exits with a clear message (`hlm project`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from datetime import date, datetime
from typing import Any, TypeVar

from eventsourcing.domain import Aggregate

from domain.application import HlmApplication
from domain.ids import bailleur_uuid, reservataire_uuid, territoire_uuid
from domain.referentiel import Bailleur, Reservataire, Territoire
from domain.rules.quotas import injonction_au
from domain.serialisation import jsonable
from projections.bitemporal import position_at
from projections.config import StoreConfig
from projections.db import PostgresViewDB, SQLiteViewDB, ViewDB
from projections.demandes import DemandesView, lire_demande
from projections.presentation import vue_transmission
from projections.quotas import (
    QuotasView,
    comptes_semestre,
    quotas_bailleur,
    quotas_reservataire,
    stamp,
    statistiques_territoire,
    suivi_injonctions,
)
from projections.runner import Runner, TablesView
from projections.semestre import lignes, rapport_semestre
from projections.tracked import StoreWakeup, standby
from projections.vacances import VacancesView, lire_vacance

log = logging.getLogger("hlm.projections")

Agregat = TypeVar("Agregat", bound=Aggregate)


def all_views(app: HlmApplication) -> list[TablesView]:
    """Fresh instances of every view, in the order the runner applies them."""
    return [DemandesView(app), VacancesView(app), QuotasView(app)]


def view_db(settings: StoreConfig) -> ViewDB:
    if settings.uses_postgres:
        assert settings.database_url is not None
        return PostgresViewDB(settings.database_url, settings.database_schema,
                              pool_size=settings.pool_size)
    return SQLiteViewDB(settings.sqlite_path)


class Projections:
    def __init__(self, app: HlmApplication, settings: StoreConfig) -> None:
        self.app = app
        self.settings = settings
        self.db = view_db(settings)
        self.runner = Runner(app, self.db, all_views(app))
        self.runner.setup()
        self.lock = settings.lock("projector")  # one projector per store
        # A start-up takes the projector lock only when a view must be built again; if
        # another projector holds it, that one reshapes (`run`).
        if self.runner.reshape_due() and self.lock.acquire():
            try:
                self.runner.reshape()
            finally:
                self.lock.release()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Per request thread: the position the last read reflects when it waited in vain.
        self._retard = threading.local()

    def start_in_thread(self) -> None:
        def work() -> None:
            # another projector works on these views: wait for it to stop
            if not standby(self.lock, self._stop):
                return
            try:
                self.run(self._stop)
            finally:
                self.lock.release()

        self._thread = threading.Thread(target=work, name="hlm-projector", daemon=True)
        self._thread.start()

    def run(self, stop: threading.Event, poll: float = 0.2) -> None:
        """Run the runner (the lock held) until `stop`, woken by the store's commits on
        PostgreSQL (`StoreWakeup`), else every `poll` seconds."""
        if self.runner.reshape_due():
            self.runner.reshape()
        wakeup = StoreWakeup(self.app, self.settings, log)
        try:
            self.runner.run(stop, poll, wakeup=wakeup)
        finally:
            wakeup.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.db.close()

    def fresh(self, timeout: float = 5.0, vues: Collection[str] | None = None) -> bool:
        """Read-your-writes: wait until the views (`vues`: all by default) have applied
        everything recorded now."""
        head = self.app.recorder.max_notification_id() or 0
        ok = self.runner.wait_for(head, timeout, vues)
        self._retard.value = None
        if not ok:
            positions = [s.position for s in self.runner.statuses().values()]
            self._retard.value = (min(positions, default=0), head)
        return ok

    def en_retard(self) -> dict[str, str]:
        """Headers of a read whose views stayed behind the store past the wait bound: the
        position the answer reflects and how far behind it is (none when up to date)."""
        retard = getattr(self._retard, "value", None)
        if retard is None:
            return {}
        position, head = retard
        return {"X-HLM-Position": str(position), "X-HLM-Retard": str(head - position)}

    def demande(self, demande_id: str, as_of: date,
                known_at: datetime | None) -> dict[str, Any] | None:
        self.fresh()
        with self.db.lecture() as cur:
            return lire_demande(cur, demande_id, as_of, position_at(cur, known_at))

    def vacance(self, vacance_id: str, as_of: date,
                known_at: datetime | None) -> dict[str, Any] | None:
        self.fresh()
        with self.db.lecture() as cur:
            return lire_vacance(cur, vacance_id, as_of, position_at(cur, known_at))

    def _as_known(self, cls: type[Agregat], key: Any, position: int) -> Agregat | None:
        """A reference aggregate (territoire, réservataire) as recorded up to `position`."""
        version = self.app.side.version_a(key, position)
        if version is None:
            return None
        agg: Aggregate = self.app.repository.get(key, version=version)
        return agg if isinstance(agg, cls) else None

    def injonction_en_cours(self, bailleur_id: str, territoire: Territoire,
                            jour: date) -> bool:
        """R-6-MONTH-FLUX-INJUNCTION: whether an injunction runs against the bailleur on the
        territory (as the command loaded it) on `jour`, from every lease and transmission the
        quota view knows once it applied what is recorded (the application's port: a
        designation under injunction is the préfet's). Past the wait, what it knows: an act
        the injunction should have stopped is then flagged (DECISIONS 23 bis)."""
        self.fresh(vues=(QuotasView.name,))
        with self.db.lecture() as cur:
            position = position_at(cur, None)
            bailleur = self._as_known(Bailleur, bailleur_uuid(bailleur_id), position)
            _, suivi = suivi_injonctions(cur, territoire, bailleur, bailleur_id,
                                         territoire.territoire_id, jour, position,
                                         self.app.v20_effective_from)
        return injonction_au(suivi, jour) is not None

    def quotas_bailleur(self, bailleur_id: str, territoire_id: str, annee: int, as_of: date,
                        known_at: datetime | None) -> dict[str, Any]:
        self.fresh()
        with self.db.lecture() as cur:
            position = position_at(cur, known_at)
            territoire = self._as_known(Territoire, territoire_uuid(territoire_id), position)
            bailleur = self._as_known(Bailleur, bailleur_uuid(bailleur_id), position)
            body = quotas_bailleur(cur, territoire, bailleur, bailleur_id, territoire_id,
                                   annee, as_of, position, self.app.v20_effective_from)
        return stamp(body, as_of, known_at)

    def rapport_semestre(self, bailleur_id: str, territoire_id: str, fin: date,
                         known_at: datetime | None, avec_chiffres: bool = True
                         ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """R-SEMESTER-REPORT for the semester ending on `fin`: the body (None when
        `avec_chiffres` is false: the rows alone, for CSV) and the rows, at one position."""
        self.fresh()
        with self.db.lecture() as cur:
            position = position_at(cur, known_at)
            rows = lignes(cur, bailleur_id, territoire_id, fin, position)
            if not avec_chiffres:
                return None, rows
            territoire = self._as_known(Territoire, territoire_uuid(territoire_id), position)
            bailleur = self._as_known(Bailleur, bailleur_uuid(bailleur_id), position)
            v20 = self.app.v20_effective_from
            quotas = stamp(quotas_bailleur(cur, territoire, bailleur, bailleur_id,
                                           territoire_id, fin.year, fin, position, v20),
                           fin, known_at)
            flux = comptes_semestre(cur, bailleur_id, territoire_id, fin, position)
        transmission = jsonable(vue_transmission(bailleur, bailleur_id, territoire_id, fin))
        return rapport_semestre(fin, quotas, flux, rows, v20, transmission), rows

    def statistiques_territoire(self, territoire_id: str, annee: int, as_of: date,
                                known_at: datetime | None) -> dict[str, Any]:
        self.fresh()
        with self.db.lecture() as cur:
            position = position_at(cur, known_at)
            territoire = self._as_known(Territoire, territoire_uuid(territoire_id), position)
            body = statistiques_territoire(cur, territoire, territoire_id, annee, as_of,
                                           position, self.app.v20_effective_from)
        return stamp(body, as_of, known_at)

    def quotas_reservataire(self, reservataire_id: str, annee: int, as_of: date,
                            known_at: datetime | None) -> dict[str, Any]:
        self.fresh()
        with self.db.lecture() as cur:
            position = position_at(cur, known_at)
            reservataire = self._as_known(Reservataire, reservataire_uuid(reservataire_id),
                                          position)
            body = quotas_reservataire(cur, reservataire, reservataire_id, annee, as_of,
                                       position, self.app.v20_effective_from)
        return stamp(body, as_of, known_at)


