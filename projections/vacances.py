"""The vacancy read model as a bitemporal timeline.

The state of a vacancy on business date D shows only the acts whose business date is on or
before D: it is the vacancy replayed from those of its events alone (in recorded order),
read with `Vacance.vue(D)` (so the designataire follows `designataire_au(D)`, the one-month
deadline included). On each event of a vacancy its timeline is recomputed, one row per
interval between the dates at which anything changes, and replaces the rows believed so far.

An act can only take effect once what it acts on exists: a decision, refusal, withdrawal or
lease never shows before the designation it concerns, a refusal or a lease never before the
decision, and a failure of the réservataire's attribution never before the act that
completed it. A late entry (a radiation dated before a designation, say) therefore takes
effect on the later of its own date and those dates.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from domain.serialisation import to_json
from domain.vacance import Vacance
from projections.bitemporal import Period, Timelines, read_timeline
from projections.db import Cursor
from projections.runner import TablesView

DDL = (
    "CREATE TABLE IF NOT EXISTS pv_vacances (vacance_id TEXT NOT NULL, valid_from TEXT NOT "
    "NULL, valid_to TEXT, recorded_from BIGINT NOT NULL, superseded_at BIGINT, etat TEXT NOT "
    "NULL)",
    "CREATE INDEX IF NOT EXISTS pv_vacances_lookup ON pv_vacances (vacance_id, valid_from)",
)

# Events that act on one designated demande, and whether they also need its latest act
# (a refusal or a lease needs the decision) or only its designation.
_SUR_LA_DESIGNATION = ("CandidatRetire",)
_SUR_LE_DERNIER_ACTE = ("RefusEnregistre", "BailSigne")


def _nom(event: Any) -> str:
    return type(event).__name__


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
        nom = _nom(event)
        if nom == "CandidatDesigne":
            designation[event.demande_id] = dernier[event.demande_id] = jour
        elif nom == "DecisionsCommissionEnregistrees":
            ids = [d["demande_id"] for d in event.decisions]
            jour = max([jour, *(designation.get(x, jour) for x in ids)])
            for x in ids:
                dernier[x] = max(dernier.get(x, jour), jour)
        elif nom in _SUR_LA_DESIGNATION:
            jour = max(jour, designation.get(event.demande_id, jour))
            dernier[event.demande_id] = max(dernier.get(event.demande_id, jour), jour)
        elif nom in _SUR_LE_DERNIER_ACTE:
            jour = max(jour, dernier.get(event.demande_id, jour))
            dernier[event.demande_id] = jour
        elif nom == "AttributionReservataireEchouee":
            jour = max(jour, out[i - 1])  # completed by the act recorded just before it
        out.append(jour)
    return out


def rejouer(events: list[Any], effets: list[date], jour: date) -> Vacance:
    """A fresh vacancy from the events that show on `jour`, in recorded order."""
    vacance: Vacance = events[0].mutate(None)
    for event, effet in zip(events[1:], effets[1:], strict=True):
        if effet <= jour:
            vacance.version = event.originator_version - 1  # the skipped ones are later
            event.mutate(vacance)
    return vacance


def timeline(events: list[Any]) -> list[Period]:
    """(valid_from, valid_to, state as JSON) for every interval with a distinct state."""
    effets = dates_effet(events)
    points = set(effets)
    limite = events[0].date_limite_designation
    if limite is not None:
        points.add(limite + timedelta(days=1))  # the bailleur's turn if nobody was proposed
    debut = effets[0]
    dates = sorted(p for p in points if p >= debut)
    rows: list[tuple[date, str]] = []
    for start, etat in zip(dates, _etats(events, effets, dates), strict=True):
        if not rows or rows[-1][1] != etat:
            rows.append((start, etat))
    return [(start, rows[i + 1][0] if i + 1 < len(rows) else None, etat)
            for i, (start, etat) in enumerate(rows)]


def _etats(events: list[Any], effets: list[date], dates: list[date]) -> Iterator[str]:
    """The state (JSON) shown on each of `dates` (in order). When the events show in the
    order they were recorded (no late entry), those showing on a date are a prefix of the
    log, so one vacancy goes through them once; otherwise each date replays its own events
    (`rejouer`)."""
    if effets != sorted(effets):
        for jour in dates:
            yield to_json(rejouer(events, effets, jour).vue(jour))
        return
    vacance: Vacance = events[0].mutate(None)
    suivant = 1
    for jour in dates:
        while suivant < len(events) and effets[suivant] <= jour:
            events[suivant].mutate(vacance)
            suivant += 1
        yield to_json(vacance.vue(jour))


class VacancesView(TablesView):
    name = "vacances"
    ddl = DDL

    def __init__(self, app: Application[Any], size: int = 20_000) -> None:
        self.app = app
        self.size = size
        self._events: OrderedDict[UUID, list[Any]] = OrderedDict()
        self.timelines = Timelines("pv_vacances", "vacance_id")

    def _events_jusqu_a(self, event: Any) -> list[Any]:
        """The vacancy's events up to this one: kept in memory, else read from the store."""
        key, version = event.originator_id, event.originator_version
        known = self._events.pop(key, None)
        if known is not None and len(known) >= version - 1:
            known = [*known[:version - 1], event]
        else:
            known = list(self.app.events.get(key, lte=version))
        self._events[key] = known
        if len(self._events) > self.size:
            self._events.popitem(last=False)
        return known

    def apply(self, cur: Cursor, event: Any, position: int) -> None:
        if not isinstance(event, Vacance.Event):
            return
        events = self._events_jusqu_a(event)
        self.timelines.replace(cur, str(event.originator_id), position, timeline(events),
                               first=event.originator_version == 1)


def lire_vacance(cur: Cursor, vacance_id: str, as_of: date,
                 known_at_position: int) -> dict[str, Any] | None:
    return read_timeline(cur, "pv_vacances", "vacance_id", vacance_id, as_of,
                         known_at_position)
