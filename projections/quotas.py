"""Quota facts: one row per signed lease, believed over a range of positions.

A row holds what the quota rules need, evaluated at the lease date in the law version then
in force: first quartile (R-Q1-THRESHOLD: resources per consumption unit strictly below the
territory's threshold of the lease year), relogé (renouvellement urbain), DALO, priority
categories in force (R-PRIORITY-CATEGORIES), QPV, the réservataire and whether the lease
fell to the bailleur's pool (non réservé, or the réservataire's turn failed or lapsed:
R-NONRESERVE-25-DALO). A later-recorded change of the household's situation, of a
threshold or of the réservataire supersedes the rows it changes, so answers depend on
`known_at`.

Two pure functions are shared with the auditor's replay (projections/replay.py), which
recomputes everything from the log without these tables: `fait_bail`, the lease fact from
the states of the vacancy, the demande, the territory and the réservataire; and
`figures_bailleur` / `figures_reservataire`, the published figures (objectives, rates,
compliance, injunction) from lease counts. The view counts with SQL (`_counts`), the replay
counts in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, cast
from uuid import UUID

from domain.application import HlmApplication
from domain.demande import Demande
from domain.ids import reservataire_uuid, territoire_uuid
from domain.referentiel import Reservataire, Territoire
from domain.rules.cycle import Designataire
from domain.rules.priorities import r_priority_categories
from domain.rules.versions import DEFAULT_V20_EFFECTIVE_FROM, add_months, in_force_from
from domain.vacance import Vacance
from projections.aggregates import AggregateCache
from projections.bitemporal import BELIEVED
from projections.db import Cursor
from projections.runner import TablesView


class FaitBail(NamedTuple):
    """One signed lease as the quota rules see it (a row of `pv_baux`)."""

    vacance_id: str
    demande_id: str
    bailleur_id: str
    territoire_id: str
    reservataire_id: str | None
    reservataire_type: str | None
    date_signature: str  # ISO date
    qpv: int
    premier_quartile: int
    reloge: int
    dalo: int
    prioritaire: int
    pool_bailleur: int


COLUMNS = FaitBail._fields
DDL = (
    "CREATE TABLE IF NOT EXISTS pv_baux (vacance_id TEXT NOT NULL, demande_id TEXT NOT NULL, "
    "bailleur_id TEXT NOT NULL, territoire_id TEXT NOT NULL, reservataire_id TEXT, "
    "reservataire_type TEXT, date_signature TEXT NOT NULL, qpv INTEGER NOT NULL, "
    "premier_quartile INTEGER NOT NULL, reloge INTEGER NOT NULL, dalo INTEGER NOT NULL, "
    "prioritaire INTEGER NOT NULL, pool_bailleur INTEGER NOT NULL, "
    "recorded_from BIGINT NOT NULL, superseded_at BIGINT)",
    "CREATE INDEX IF NOT EXISTS pv_baux_bailleur ON pv_baux (bailleur_id, territoire_id, "
    "date_signature)",
    "CREATE INDEX IF NOT EXISTS pv_baux_reservataire ON pv_baux (reservataire_id, "
    "date_signature)",
    "CREATE INDEX IF NOT EXISTS pv_baux_demande ON pv_baux (demande_id)",
    "CREATE INDEX IF NOT EXISTS pv_baux_vacance ON pv_baux (vacance_id)",
)


def premier_quartile(demande: Demande, territoire: Territoire | None,
                     jour: date) -> bool | None:
    """R-Q1-THRESHOLD: resources per consumption unit on `jour` strictly below the
    territory's threshold for that year; None when either is unknown (the quotas count
    that as not first quartile, DECISIONS §20; the event stream publishes it as unknown)."""
    per_uc = demande.ressources_par_uc(jour)
    seuil = territoire.seuil_pour(jour.year) if isinstance(territoire, Territoire) else None
    return None if per_uc is None or seuil is None else per_uc < seuil


def drapeaux_menage(situation: dict[str, Any], jour: date) -> dict[str, bool]:
    """The household flags the quota rules need on `jour` (DALO, a priority category in
    force: R-PRIORITY-CATEGORIES, relogé: R-QUOTA-HORS-QPV-Q1-25), never the values they
    derive from."""
    return {
        "dalo": bool(situation["dalo"]),
        "prioritaire": bool(r_priority_categories(situation["categories_prioritaires"], jour)),
        "relogement_renouvellement_urbain": bool(situation["relogement_renouvellement_urbain"]),
    }


def fait_bail(vacance: Vacance, demande: Demande, territoire: Territoire | None,
              reservataire: Reservataire | None) -> FaitBail:
    """The lease fact of a vacancy whose lease is signed, from the current states of the
    vacancy, the household's demande, the logement's territory and its réservataire."""
    bail = vacance.bail
    assert bail is not None
    jour: date = bail["date_signature"]
    drapeaux = drapeaux_menage(demande.situation_au(jour), jour)
    reservataire_id = vacance.reservataire_id
    par = vacance.designations[bail["demande_id"]]["par"]
    return FaitBail(
        str(vacance.id), bail["demande_id"], vacance.bailleur_id,
        vacance.logement["territoire_id"], reservataire_id,
        reservataire.type if isinstance(reservataire, Reservataire) else None,
        jour.isoformat(), int(bool(vacance.logement["qpv"])),
        int(bool(premier_quartile(demande, territoire, jour))),
        int(drapeaux["relogement_renouvellement_urbain"]), int(drapeaux["dalo"]),
        int(drapeaux["prioritaire"]),
        int(reservataire_id is None or par != Designataire.RESERVATAIRE),
    )


class QuotasView(TablesView):
    """`pv_baux`: whenever an input of a lease fact changes (the lease itself, the
    household's demande, a threshold of the territory, the réservataire), the fact is
    recomputed with `fait_bail` and supersedes the row believed so far if it differs."""

    name = "quotas"
    ddl = DDL

    def __init__(self, app: HlmApplication) -> None:
        self.aggregates = AggregateCache(app)

    def apply(self, cur: Cursor, event: Any, position: int) -> None:
        aggregate = self.aggregates.after(event)
        if isinstance(event, Vacance.BailSigne):
            self._refresh(cur, str(aggregate.id), position)
        elif isinstance(aggregate, Demande) and aggregate.attribution is not None:
            # The lease of this demande, from the table (not memory): right after a restart.
            self._refresh_where(cur, "demande_id = ?", (str(aggregate.id),), position)
        elif isinstance(event, Territoire.SeuilPremierQuartilePublie):
            self._refresh_where(cur, "territoire_id = ? AND date_signature >= ?",
                                (aggregate.territoire_id, f"{event.annee}-01-01"), position)
        elif isinstance(aggregate, Reservataire):
            self._refresh_where(cur, "reservataire_id = ?", (aggregate.reservataire_id,),
                                position)

    def _refresh_where(self, cur: Cursor, where: str, params: tuple[Any, ...],
                       position: int) -> None:
        cur.execute(f"SELECT {', '.join(COLUMNS)} FROM pv_baux WHERE {where} AND "
                    "superseded_at IS NULL", params)
        for current in cur.fetchall():
            self._supersede(cur, tuple(current), position)

    def _refresh(self, cur: Cursor, vacance_id: str, position: int) -> None:
        cur.execute(f"SELECT {', '.join(COLUMNS)} FROM pv_baux WHERE vacance_id = ? AND "
                    "superseded_at IS NULL", (vacance_id,))
        current = cur.fetchone()
        self._supersede(cur, tuple(current) if current else vacance_id, position)

    def _supersede(self, cur: Cursor, current: tuple[Any, ...] | str, position: int) -> None:
        """Recompute the fact of a lease (`current`: its row believed so far, or only its
        vacancy id when it has none) and replace the row if the fact changed."""
        vacance_id = current if isinstance(current, str) else current[0]
        # A vacancy with a lease (an event of it, a row of the table): known at `position`.
        vacance = cast(Vacance, self.aggregates.state(UUID(vacance_id), position))
        row = self.fact(vacance, position)
        if row == current:
            return
        cur.execute("UPDATE pv_baux SET superseded_at = ? WHERE vacance_id = ? AND "
                    "superseded_at IS NULL", (position, vacance_id))
        cur.execute(f"INSERT INTO pv_baux ({', '.join(COLUMNS)}, recorded_from) VALUES "
                    f"({', '.join('?' * (len(COLUMNS) + 1))})", (*row, position))

    def fact(self, vacance: Vacance, position: int) -> FaitBail:
        """`fait_bail` with the inputs as of the view's position."""
        bail = vacance.bail
        assert bail is not None
        reservataire_id = vacance.reservataire_id
        return fait_bail(
            vacance,
            cast(Demande, self.aggregates.state(UUID(bail["demande_id"]), position)),
            self.aggregates.state(territoire_uuid(vacance.logement["territoire_id"]),
                                  position),
            self.aggregates.state(reservataire_uuid(reservataire_id), position)
            if reservataire_id else None,
        )


# --- figures from counts (shared with the replay) --------------------------------------

@dataclass(frozen=True)
class Periode:
    debut: date
    fin: date


@dataclass(frozen=True)
class Comptes:
    """Counts over a set of lease facts: all of them, the first-quartile ones
    (R-Q1-THRESHOLD), the relogés not in the first quartile (a household both counts once:
    R-QUOTA-HORS-QPV-Q1-25), DALO or priority ones (R-NONRESERVE-25-DALO,
    R-COLLECTIVITE-25-DALO)."""

    attributions: int = 0
    premier_quartile: int = 0
    reloges: int = 0
    dalo_ou_prioritaires: int = 0


@dataclass(frozen=True)
class ComptesBailleur:
    """A bailleur's counts on one territory: hors QPV, in QPV and in its pool over the
    year up to `fin`; hors QPV over the six months ending on `fin` (`semestre`)."""

    hors_qpv: Comptes
    qpv: Comptes
    non_reserves: Comptes
    semestre: Comptes


def periode_annee(annee: int, as_of: date) -> Periode:
    """The calendar year `annee` up to `as_of`."""
    return Periode(date(annee, 1, 1), min(as_of, date(annee, 12, 31)))


def periode_semestre(annee: int, as_of: date) -> Periode:
    """The six months ending on the year's `fin`: 1 January-30 June for a 30 June
    snapshot (R-6-MONTH-FLUX-INJUNCTION)."""
    fin = periode_annee(annee, as_of).fin
    return Periode(add_months(fin + timedelta(days=1), -6), fin)


def _ratio(num: int, den: int) -> float | None:
    """The rate as published: rounded to four decimals (DECISIONS §23)."""
    return round(num / den, 4) if den else None


def _atteint(num: int, den: int, objectif: float | None) -> bool | None:
    """Whether the unrounded rate reaches the objective ("au moins"): 9,999 of 40,000 is
    not 25 % though it is published as 0.25 (DECISIONS §23)."""
    if not den or objectif is None:
        return None
    return num / den >= objectif


def hors_qpv(comptes: Comptes, objectif: float | None) -> dict[str, Any]:
    """R-QUOTA-HORS-QPV-Q1-25: hors-QPV leases to first-quartile households or relogés
    (a household both counts once), against the objective."""
    eligibles = comptes.premier_quartile + comptes.reloges
    taux = _ratio(eligibles, comptes.attributions)
    return {"attributions": comptes.attributions, "premier_quartile": comptes.premier_quartile,
            "reloges": comptes.reloges, "eligibles": eligibles, "taux": taux,
            "objectif": objectif,
            "conforme": _atteint(eligibles, comptes.attributions, objectif)}


def stamp(body: dict[str, Any], as_of: date, known_at: datetime | None) -> dict[str, Any]:
    """A quota body with the dates it answers for, as the API gives it."""
    return {**body, "as_of": as_of.isoformat(),
            "known_at": known_at.isoformat() if known_at else None}


def figures_bailleur(territoire: Territoire | None, bailleur_id: str, territoire_id: str,
                     annee: int, as_of: date, comptes: ComptesBailleur,
                     v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM) -> dict[str, Any]:
    """R-QUOTA-HORS-QPV-Q1-25, R-QUOTA-QPV-50, R-NONRESERVE-25-DALO and the six-month flux of
    R-6-MONTH-FLUX-INJUNCTION for one bailleur on one territory and year, up to `as_of`,
    from the counts and the territory as known."""
    fin = periode_annee(annee, as_of).fin
    six = periode_semestre(annee, as_of)
    hors, dans, pool, flux = comptes.hors_qpv, comptes.qpv, comptes.non_reserves, \
        comptes.semestre
    soumis = (territoire is not None and territoire.soumis_mixite_depuis is not None
              and territoire.soumis_mixite_depuis <= fin)
    cia = territoire.objectifs.get(f"{bailleur_id}/{annee}") if territoire else None
    obj_hors = obj_qpv = None
    if soumis and in_force_from(fin, 15, v20_effective_from):
        obj_hors = float(cia["taux_hors_qpv_premier_quartile"]) if cia else 0.25
    if soumis and in_force_from(fin, 16, v20_effective_from):
        obj_qpv = float(cia["taux_qpv_autres_quartiles"]) if cia else 0.50
    obj_pool = 0.25 if in_force_from(fin, 15, v20_effective_from) else None

    bloc_hors = hors_qpv(hors, obj_hors)
    autres = dans.attributions - dans.premier_quartile
    taux_qpv = _ratio(autres, dans.attributions)
    taux_pool = _ratio(pool.dalo_ou_prioritaires, pool.attributions)
    taux_6 = _ratio(flux.premier_quartile + flux.reloges, flux.attributions)
    injonction = bool(in_force_from(fin, 20, v20_effective_from)
                      and _atteint(flux.premier_quartile + flux.reloges, flux.attributions,
                                   obj_hors) is False)
    return {
        "bailleur_id": bailleur_id, "territoire_id": territoire_id, "annee": annee,
        "hors_qpv": bloc_hors,
        "qpv": {"attributions": dans.attributions, "autres_quartiles": autres,
                "taux": taux_qpv, "objectif": obj_qpv,
                "conforme": _atteint(autres, dans.attributions, obj_qpv)},
        "non_reserves": {"attributions": pool.attributions,
                         "dalo_ou_prioritaires": pool.dalo_ou_prioritaires,
                         "taux": taux_pool, "objectif": obj_pool,
                         "conforme": _atteint(pool.dalo_ou_prioritaires, pool.attributions,
                                              obj_pool)},
        "semestre": {"debut": six.debut.isoformat(), "fin": six.fin.isoformat(),
                     "hors_qpv_taux_6_mois": taux_6, "injonction": injonction},
    }


def figures_reservataire(reservataire: Reservataire | None, reservataire_id: str, annee: int,
                         as_of: date, comptes: Comptes,
                         v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM
                         ) -> dict[str, Any]:
    """R-COLLECTIVITE-25-DALO: a collectivité's reserved attributions (its own candidates'
    leases) going to DALO or priority households, from their counts."""
    fin = periode_annee(annee, as_of).fin
    objectif = (0.25 if reservataire is not None and reservataire.type == "collectivite"
                and in_force_from(fin, 15, v20_effective_from) else None)
    taux = _ratio(comptes.dalo_ou_prioritaires, comptes.attributions)
    return {"reservataire_id": reservataire_id, "annee": annee,
            "attributions": comptes.attributions,
            "dalo_ou_prioritaires": comptes.dalo_ou_prioritaires, "taux": taux,
            "objectif": objectif,
            "conforme": _atteint(comptes.dalo_ou_prioritaires, comptes.attributions, objectif)}


# --- reads (SQL counts) -----------------------------------------------------------------

def _counts(cur: Cursor, where: str, params: tuple[Any, ...], periode: Periode,
            position: int) -> Comptes:
    cur.execute(
        "SELECT COUNT(*), "
        "COALESCE(SUM(premier_quartile), 0), "
        "COALESCE(SUM(CASE WHEN reloge = 1 AND premier_quartile = 0 THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN dalo = 1 OR prioritaire = 1 THEN 1 ELSE 0 END), 0) "
        f"FROM pv_baux WHERE {where} AND date_signature >= ? AND date_signature <= ? "
        f"AND {BELIEVED}",
        (*params, periode.debut.isoformat(), periode.fin.isoformat(), position, position),
    )
    row = cur.fetchone() or (0, 0, 0, 0)
    return Comptes(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def quotas_bailleur(cur: Cursor, territoire: Territoire | None, bailleur_id: str,
                    territoire_id: str, annee: int, as_of: date, position: int,
                    v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM) -> dict[str, Any]:
    """`figures_bailleur` from the lease facts believed at `position`."""
    comptes = comptes_bailleur(cur, bailleur_id, territoire_id, annee, as_of, position)
    return figures_bailleur(territoire, bailleur_id, territoire_id, annee, as_of, comptes,
                            v20_effective_from)


def comptes_bailleur(cur: Cursor, bailleur_id: str, territoire_id: str, annee: int,
                     as_of: date, position: int) -> ComptesBailleur:
    """A bailleur's counts on one territory from the lease facts believed at `position`."""
    annee_periode = periode_annee(annee, as_of)
    base = "bailleur_id = ? AND territoire_id = ?"
    params = (bailleur_id, territoire_id)
    return ComptesBailleur(
        hors_qpv=_counts(cur, base + " AND qpv = 0", params, annee_periode, position),
        qpv=_counts(cur, base + " AND qpv = 1", params, annee_periode, position),
        non_reserves=_counts(cur, base + " AND pool_bailleur = 1", params, annee_periode,
                             position),
        semestre=_counts(cur, base + " AND qpv = 0", params,
                         periode_semestre(annee, as_of), position),
    )


def quotas_reservataire(cur: Cursor, reservataire: Reservataire | None, reservataire_id: str,
                        annee: int, as_of: date, position: int,
                        v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM
                        ) -> dict[str, Any]:
    """`figures_reservataire` from its own candidates' lease facts believed at `position`."""
    comptes = _counts(cur, "reservataire_id = ? AND pool_bailleur = 0", (reservataire_id,),
                      periode_annee(annee, as_of), position)
    return figures_reservataire(reservataire, reservataire_id, annee, as_of, comptes,
                                v20_effective_from)
