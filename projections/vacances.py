"""The vacancy read model as a bitemporal timeline.

The state of a vacancy on business date D shows only the acts whose business date is on or
before D: it is the vacancy replayed from those of its events alone (in recorded order),
read with `vue_vacance(vacance, D)` (so the designataire follows `designataire_au(D)`, the
one-month deadline included). On each event of a vacancy its timeline is recomputed, one row per
interval between the dates at which anything changes, and replaces the rows believed so far.

An act can only take effect once what it acts on exists: a decision, refusal, withdrawal or
lease never shows before the designation it concerns, a refusal or a lease never before the
decision, and a failure of the réservataire's attribution never before the act that
completed it. A late entry (a radiation dated before a designation, say) therefore takes
effect on the later of its own date and those dates.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from domain.serialisation import to_json
from domain.vacance import Vacance
from projections.bitemporal import Period, Timelines, read_timeline
from projections.db import Cursor
from projections.presentation import vue_vacance
from projections.runner import TablesView

DDL = (
    "CREATE TABLE IF NOT EXISTS pv_vacances (vacance_id TEXT NOT NULL, valid_from TEXT NOT "
    "NULL, valid_to TEXT, recorded_from BIGINT NOT NULL, superseded_at BIGINT, etat TEXT NOT "
    "NULL)",
    "CREATE INDEX IF NOT EXISTS pv_vacances_lookup ON pv_vacances (vacance_id, valid_from)",
)



def dates_effet(events: list[Any]) -> list[date]:
    """The business date from which each event of one vacancy (in version order) shows."""
    out: list[date] = []
    designation: dict[str, date] = {}  # demande_id -> when its current designation shows
    dernier: dict[str, date] = {}  # demande_id -> when its latest act shows
    for i, event in enumerate(events):
        if i == 0:
            out.append(event.date_information)
            continue
        jour = max(event.date_effet, out[0])
        if isinstance(event, (Vacance.CandidatDesigne, Vacance.CandidatDesignePrefet)):
            designation[event.demande_id] = dernier[event.demande_id] = jour
        elif isinstance(event, Vacance.DecisionsCommissionEnregistrees):
            ids = [d["demande_id"] for d in event.decisions]
            jour = max([jour, *(designation.get(x, jour) for x in ids)])
            for x in ids:
                dernier[x] = max(dernier.get(x, jour), jour)
        # Events that act on one designated demande: a withdrawal needs its designation
        # only, a refusal or a lease its latest act (the decision) too.
        elif isinstance(event, Vacance.CandidatRetire):
            jour = max(jour, designation.get(event.demande_id, jour))
            dernier[event.demande_id] = max(dernier.get(event.demande_id, jour), jour)
        elif isinstance(event, Vacance.RefusEnregistre | Vacance.BailSigne):
            jour = max(jour, dernier.get(event.demande_id, jour))
            dernier[event.demande_id] = jour
        elif isinstance(event, Vacance.AttributionReservataireEchouee):
            jour = max(jour, out[i - 1])  # completed by the act recorded just before it
        out.append(jour)
    return out


def vacance_au(events: list[Any], effets: list[date], jour: date) -> Vacance:
    """A fresh vacancy from the events that show on `jour`, in recorded order."""
    vacance: Vacance = events[0].mutate(None)
    for event, effet in zip(events[1:], effets[1:], strict=True):
        if effet <= jour:
            vacance.version = event.originator_version - 1  # the skipped ones are later
            event.mutate(vacance)
    return vacance


@dataclass
class Suivi:
    """One vacancy as the view last saw it: its events (in version order), the date from
    which each shows, the state (JSON) shown on each date of its timeline and, while its
    acts show in the order they were recorded, the vacancy with all of them applied."""

    events: list[Any]
    effets: list[date]
    etats: dict[date, str]
    vacance: Vacance | None

    @classmethod
    def de(cls, events: list[Any]) -> Suivi:
        """From the events alone. When the acts show in recorded order (no late entry),
        those showing on a date are a prefix of the log, so one vacancy goes through them
        once; otherwise each date replays its own acts (`vacance_au`)."""
        effets = dates_effet(events)
        dates = _dates(events, effets)
        if effets != sorted(effets):
            return cls(events, effets,
                       {jour: to_json(vue_vacance(vacance_au(events, effets, jour), jour))
                        for jour in dates}, None)
        vacance: Vacance = events[0].mutate(None)
        suivant, etats = 1, {}
        for jour in dates:
            while suivant < len(events) and effets[suivant] <= jour:
                events[suivant].mutate(vacance)
                suivant += 1
            etats[jour] = to_json(vue_vacance(vacance, jour))
        return cls(events, effets, etats, vacance)

    def puis(self, event: Any) -> Suivi:
        """With the next event. If it shows no earlier than every act before it, the
        states before its date stay, and from its date on the vacancy shows every act."""
        events = [*self.events, event]
        effets = dates_effet(events)
        jour = effets[-1]
        if self.vacance is None or jour < max(self.effets):
            return Suivi.de(events)
        event.mutate(self.vacance)
        etats = {d: etat for d, etat in self.etats.items() if d < jour}
        for d in _dates(events, effets):
            if d >= jour:
                etats[d] = to_json(vue_vacance(self.vacance, d))
        return Suivi(events, effets, etats, self.vacance)

    def periodes(self) -> list[Period]:
        """(valid_from, valid_to, state as JSON) for every interval with a distinct
        state."""
        rows: list[tuple[date, str]] = []
        for start in sorted(self.etats):
            if not rows or rows[-1][1] != self.etats[start]:
                rows.append((start, self.etats[start]))
        return [(start, rows[i + 1][0] if i + 1 < len(rows) else None, etat)
                for i, (start, etat) in enumerate(rows)]


def _dates(events: list[Any], effets: list[date]) -> list[date]:
    """The dates at which the state may change: when each act shows, and the day after the
    réservataire's deadline (the bailleur's turn if nobody was proposed)."""
    points = set(effets)
    limite = events[0].date_limite_designation
    if limite is not None:
        points.add(limite + timedelta(days=1))
    return sorted(p for p in points if p >= effets[0])


def timeline(events: list[Any]) -> list[Period]:
    """The timeline of a vacancy from its events (in version order)."""
    return Suivi.de(events).periodes()


class VacancesView(TablesView):
    name = "vacances"
    ddl = DDL

    def __init__(self, app: Application[Any], size: int = 5_000) -> None:
        # A vacancy is followed for weeks: a few thousand cover those in progress at once,
        # and each one kept holds its events, states and aggregate (tens of kB).
        self.app = app
        self.size = size
        self._suivis: OrderedDict[UUID, Suivi] = OrderedDict()
        self.timelines = Timelines("pv_vacances", "vacance_id")

    def reset(self) -> None:
        super().reset()
        self._suivis.clear()

    def _suivi(self, event: Any) -> Suivi:
        """The vacancy up to this event: from what was kept in memory, else from the store."""
        key, version = event.originator_id, event.originator_version
        suivi = self._suivis.pop(key, None)
        if suivi is not None and len(suivi.events) == version - 1:
            suivi = suivi.puis(event)
        elif suivi is not None and len(suivi.events) >= version:  # the same event again
            suivi = Suivi.de([*suivi.events[:version - 1], event])
        else:
            suivi = Suivi.de(list(self.app.events.get(key, lte=version)))
        self._suivis[key] = suivi
        if len(self._suivis) > self.size:
            self._suivis.popitem(last=False)
        return suivi

    def apply(self, cur: Cursor, event: Any, position: int) -> None:
        if not isinstance(event, Vacance.Event):
            return
        self.timelines.replace(cur, str(event.originator_id), position,
                               self._suivi(event).periodes(),
                               first=event.originator_version == 1)


def lire_vacance(cur: Cursor, vacance_id: str, as_of: date,
                 known_at_position: int) -> dict[str, Any] | None:
    return read_timeline(cur, "pv_vacances", "vacance_id", vacance_id, as_of,
                         known_at_position)
