"""`hlm replay`: the auditor's recomputation of quotas and seniority from the log alone.

For a business date `as_of` and a record time `known_at`, the replay reads the event log
from its first notification up to the last position recorded at or before `known_at` (the
position whose record time in `hlm_enregistrements` is the latest one <= `known_at`;
everything without `known_at`), folds every aggregate in memory with the events' own
`mutate`, and computes from those states:

* every bailleur's quota figures on every territory, for the year of `as_of` (the body of
  GET /v1/quotas/bailleurs/{id}?territoire_id=…);
* every réservataire's quota figures (GET /v1/quotas/reservataires/{id});
* the seniority of every demande active on `as_of` (the fields of GET /v1/demandes/{id}
  that carry it: statut, date_depot, date_anciennete, anciennete_jours, anciennete_source).

It does not read the read-model tables and does not use what makes them bitemporal
(believed ranges of positions, timelines) nor the aggregate-at-position cache that the
views and the stream reader share (projections/aggregates.py): it folds on its own, on
purpose, since it is what those are checked against (tests/integration/test_agreement.py).
It shares with the views only the domain (the aggregates and their rules), the shape of a
demande (projections/presentation.py) and two pure functions of projections/quotas.py: the
lease fact of a vacancy (`fait_bail`) and the figures from counts (`figures_bailleur`,
`figures_reservataire`). The counts themselves are made here in Python, independently of the
view's SQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.application import HlmApplication
from domain.demande import Demande, StatutDemande
from domain.ids import region_uuid, reservataire_uuid, territoire_uuid
from domain.referentiel import REGION_ILE_DE_FRANCE, Bailleur, Region, Reservataire, Territoire
from domain.rules.quotas import AUCUN, Comptes, Periode, periode_annee
from domain.rules.versions import DEFAULT_V20_EFFECTIVE_FROM
from domain.serialisation import jsonable
from domain.vacance import Vacance
from projections.presentation import vue_demande
from projections.quotas import (
    ComptesBailleur,
    FaitBail,
    bail_hors_qpv_de,
    fait_bail,
    figures_bailleur,
    figures_reservataire,
    injonctions,
    periode_reservataire,
    periodes_bailleur,
    stamp,
)

LOT = 5000  # notifications read per query
ANCIENNETE = ("demande_id", "numero_unique", "statut", "demandeur_id", "date_depot",
              "date_anciennete", "anciennete_jours", "anciennete_source")
Agregat = TypeVar("Agregat", bound=Aggregate)


def position_connue(app: HlmApplication, known_at: datetime | None) -> int:
    """The last position whose record time is at or before `known_at` (all when None).

    A naive `known_at` is local time, as in the API. SQLite keeps record times as ISO text
    in UTC with microseconds, PostgreSQL as timestamptz."""
    datastore: Any = app.recorder.datastore  # type: ignore[attr-defined]
    schema = getattr(datastore, "schema", None)
    table = f'"{schema}".hlm_enregistrements' if schema else "hlm_enregistrements"
    mark = "%s" if schema else "?"
    sql = f"SELECT MAX(position) AS p FROM {table}"
    params: tuple[Any, ...] = ()
    if known_at is not None:
        moment = known_at.astimezone() if known_at.tzinfo is None else known_at
        sql += f" WHERE enregistre_le <= {mark}"
        params = (moment if schema else
                  moment.astimezone(UTC).isoformat(timespec="microseconds"),)
    with datastore.transaction(commit=False) as cur:
        cur.execute(sql, params)
        row = cur.fetchone()
    value = (row["p"] if schema else row[0]) if row else None
    return int(value or 0)


@dataclass
class Etat:
    """Every aggregate as folded from the log up to `position`."""

    position: int
    evenements: int = 0
    aggregats: dict[UUID, Any] = field(default_factory=dict)

    def tous(self, cls: type[Agregat]) -> list[Agregat]:
        return [a for a in self.aggregats.values() if isinstance(a, cls)]

    def get(self, key: UUID, cls: type[Agregat]) -> Agregat | None:
        found = self.aggregats.get(key)
        return found if isinstance(found, cls) else None


def rejouer_journal(app: HlmApplication, position: int, lot: int = LOT) -> Etat:
    """Fold every event with a notification id <= `position`, in log order, in memory."""
    etat = Etat(position)
    if position <= 0:
        return etat
    aggregats = etat.aggregats
    start = 1
    while True:
        notifications = app.recorder.select_notifications(start, lot, stop=position)
        if not notifications:
            break
        for notification in notifications:
            event = cast(Aggregate.Event, app.mapper.to_domain_event(notification))
            key = event.originator_id
            aggregats[key] = event.mutate(aggregats.get(key))
        etat.evenements += len(notifications)
        start = notifications[-1].id + 1
        if start > position:
            break
    return etat


def faits(etat: Etat, v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM
          ) -> list[FaitBail]:
    """The lease fact of every vacancy whose lease is signed, from the folded states."""
    out = []
    region = etat.get(region_uuid(REGION_ILE_DE_FRANCE), Region)
    for vacance in etat.tous(Vacance):
        if vacance.bail is None:
            continue
        # The leased household's demande: its events come before the lease's.
        demande = cast(Demande, etat.get(UUID(vacance.bail["demande_id"]), Demande))
        territoire = etat.get(territoire_uuid(vacance.logement["territoire_id"]), Territoire)
        reservataire_id = vacance.reservataire_id
        reservataire = (etat.get(reservataire_uuid(reservataire_id), Reservataire)
                        if reservataire_id else None)
        out.append(fait_bail(vacance, demande, territoire, reservataire, region,
                             v20_effective_from))
    return out


def compter(baux: Iterable[FaitBail], periode: Periode | None) -> Comptes:
    """Leases signed within the period: all, first quartile, relogés outside the first
    quartile (R-QUOTA-HORS-QPV-Q1-25: counted once), DALO or priority."""
    if periode is None:
        return AUCUN
    attributions = premier_quartile = reloges = dalo_ou_prioritaires = 0
    inconnus = inconnus_reloges = 0
    for bail in baux:
        if not periode.debut <= date.fromisoformat(bail.date_signature) <= periode.fin:
            continue
        attributions += 1
        if bail.premier_quartile:
            premier_quartile += 1
        elif bail.reloge:
            reloges += 1
        if bail.dalo or bail.prioritaire:
            dalo_ou_prioritaires += 1
        if bail.quartile_inconnu:
            inconnus += 1
            inconnus_reloges += bool(bail.reloge)
    return Comptes(attributions, premier_quartile, reloges, dalo_ou_prioritaires, inconnus,
                   inconnus_reloges)


def quotas_bailleurs(etat: Etat, baux: list[FaitBail], as_of: date,
                     known_at: datetime | None,
                     v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM
                     ) -> list[dict[str, Any]]:
    """Every bailleur on every territory (both as recorded), for the year of `as_of`."""
    annee = as_of.year
    par_paire: dict[tuple[str, str], list[FaitBail]] = defaultdict(list)
    for bail in baux:
        par_paire[(bail.bailleur_id, bail.territoire_id)].append(bail)
    out = []
    territoires = sorted(etat.tous(Territoire), key=lambda t: t.territoire_id)
    for bailleur in sorted(etat.tous(Bailleur), key=lambda b: b.bailleur_id):
        for territoire in territoires:
            leurs = par_paire.get((bailleur.bailleur_id, territoire.territoire_id), [])
            hors = [b for b in leurs if not b.qpv]  # al. 34: the real QPV flag
            hors_mixite = [b for b in leurs if not b.qpv_mixite]  # al. 24-27
            periodes = periodes_bailleur(territoire, annee, as_of, v20_effective_from)
            comptes = ComptesBailleur(
                hors_qpv=compter(hors_mixite, periodes.hors_qpv),
                qpv=compter([b for b in leurs if b.qpv_mixite], periodes.qpv),
                non_reserves=compter([b for b in leurs if b.pool_bailleur],
                                     periodes.non_reserves),
                semestre=compter(hors, periodes.semestre),
                substitution=compter(hors_mixite, periodes.substitution),
            )
            # The rule keeps the leases dated from its first day to `fin` itself.
            historique = [bail_hors_qpv_de(b) for b in hors]
            suivi = injonctions(historique, bailleur, territoire, bailleur.bailleur_id,
                                territoire.territoire_id, periode_annee(annee, as_of).fin,
                                v20_effective_from)
            body = figures_bailleur(territoire, bailleur.bailleur_id,
                                    territoire.territoire_id, annee, as_of, comptes,
                                    v20_effective_from, suivi, historique)
            out.append(stamp(body, as_of, known_at))
    return out


def quotas_reservataires(etat: Etat, baux: list[FaitBail], as_of: date,
                         known_at: datetime | None,
                         v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM
                         ) -> list[dict[str, Any]]:
    """Every réservataire (as recorded): its own candidates' leases (R-COLLECTIVITE-25-DALO)."""
    annee = as_of.year
    propres: dict[str, list[FaitBail]] = defaultdict(list)
    for bail in baux:
        if bail.reservataire_id is not None and not bail.pool_bailleur and not bail.prefet:
            propres[bail.reservataire_id].append(bail)
    out = []
    for reservataire in sorted(etat.tous(Reservataire), key=lambda r: r.reservataire_id):
        rid = reservataire.reservataire_id
        body = figures_reservataire(reservataire, rid, annee, as_of,
                                    compter(propres.get(rid, []),
                                            periode_reservataire(annee, as_of,
                                                                 v20_effective_from)),
                                    v20_effective_from)
        out.append(stamp(body, as_of, known_at))
    return out


def demandes_actives(etat: Etat, as_of: date) -> list[dict[str, Any]]:
    """The seniority of every demande filed by `as_of` and still active on that date."""
    out = []
    for demande in etat.tous(Demande):
        if demande.date_depot > as_of:
            continue
        vue = vue_demande(demande, as_of)
        if vue["statut"] != StatutDemande.ACTIVE:
            continue
        out.append(jsonable({k: vue[k] for k in ANCIENNETE}))
    return sorted(out, key=lambda d: (d["numero_unique"], d["demande_id"]))


def rapport_de(etat: Etat, as_of: date, known_at: datetime | None,
               v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM) -> dict[str, Any]:
    """The replay's answer for (`as_of`, `known_at`) from a state folded to its position."""
    baux = faits(etat, v20_effective_from)
    return {
        "as_of": as_of.isoformat(),
        "known_at": known_at.isoformat() if known_at else None,
        "position": etat.position,
        "evenements": etat.evenements,
        "annee": as_of.year,
        "bailleurs": quotas_bailleurs(etat, baux, as_of, known_at, v20_effective_from),
        "reservataires": quotas_reservataires(etat, baux, as_of, known_at,
                                              v20_effective_from),
        "demandes": demandes_actives(etat, as_of),
    }


def rapport_audit(app: HlmApplication, as_of: date, known_at: datetime | None
                  ) -> dict[str, Any]:
    """Replay the log as known at `known_at` and answer for `as_of`."""
    etat = rejouer_journal(app, position_connue(app, known_at))
    return rapport_de(etat, as_of, known_at, app.v20_effective_from)
