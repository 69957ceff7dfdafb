"""Quota facts: one row per signed lease, believed over a range of positions.

A row holds what the quota rules need, evaluated at the lease date in the law version then
in force: first quartile (R-Q1-THRESHOLD: resources per consumption unit strictly below the
territory's threshold of the lease year), relogé (renouvellement urbain), DALO, priority
categories in force (R-PRIORITY-CATEGORIES), QPV, the réservataire and whether the lease
fell to the bailleur's pool (non réservé, or the réservataire's turn failed or lapsed:
R-NONRESERVE-25-DALO). A later-recorded change of the household's situation or of a
threshold supersedes the rows it changes, so answers depend on `known_at`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from domain.demande import Demande
from domain.ids import reservataire_uuid, territoire_uuid
from domain.referentiel import Reservataire, Territoire
from domain.rules.priorities import r_priority_categories
from domain.rules.versions import DEFAULT_V20_EFFECTIVE_FROM, add_months, in_force_from
from domain.vacance import Vacance
from projections.aggregates import AggregateCache
from projections.bitemporal import BELIEVED
from projections.db import Cursor
from projections.runner import TablesView

COLUMNS = ("vacance_id", "demande_id", "bailleur_id", "territoire_id", "reservataire_id",
           "reservataire_type", "date_signature", "qpv", "premier_quartile", "reloge", "dalo",
           "prioritaire", "pool_bailleur")
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
)


class QuotasView(TablesView):
    name = "quotas"
    ddl = DDL

    def __init__(self, app: Application[Any]) -> None:
        self.aggregates = AggregateCache(app)

    def apply(self, cur: Cursor, event: Any, position: int) -> None:
        aggregate = self.aggregates.after(event)
        if isinstance(event, Vacance.BailSigne):
            self._refresh(cur, str(aggregate.id), position)
        elif isinstance(aggregate, Demande):
            # The lease of this demande, from the table (not memory): right after a restart.
            cur.execute("SELECT vacance_id FROM pv_baux WHERE demande_id = ? AND "
                        "superseded_at IS NULL", (str(aggregate.id),))
            for (vacance_id,) in cur.fetchall():
                self._refresh(cur, vacance_id, position)
        elif isinstance(event, Territoire.SeuilPremierQuartilePublie):
            cur.execute(f"SELECT vacance_id FROM pv_baux WHERE territoire_id = ? AND "
                        f"date_signature >= ? AND {BELIEVED}",
                        (aggregate.territoire_id, f"{event.annee}-01-01", position, position))
            for (vacance_id,) in cur.fetchall():
                self._refresh(cur, vacance_id, position)

    def _refresh(self, cur: Cursor, vacance_id: str, position: int) -> None:
        vacance = self.aggregates.state(UUID(vacance_id), position)
        row = self.fact(vacance, position)
        cur.execute(f"SELECT {', '.join(COLUMNS)} FROM pv_baux WHERE vacance_id = ? AND "
                    "superseded_at IS NULL", (vacance_id,))
        current = cur.fetchone()
        if current is not None and tuple(current) == row:
            return
        cur.execute("UPDATE pv_baux SET superseded_at = ? WHERE vacance_id = ? AND "
                    "superseded_at IS NULL", (position, vacance_id))
        cur.execute(f"INSERT INTO pv_baux ({', '.join(COLUMNS)}, recorded_from) VALUES "
                    f"({', '.join('?' * (len(COLUMNS) + 1))})", (*row, position))

    def fact(self, vacance: Vacance, position: int) -> tuple[Any, ...]:
        bail = vacance.bail
        assert bail is not None
        jour: date = bail["date_signature"]
        demande = self.aggregates.state(UUID(bail["demande_id"]), position)
        territoire = self.aggregates.state(territoire_uuid(vacance.logement["territoire_id"]),
                                          position)
        situation = demande.situation_au(jour)
        per_uc = demande.ressources_par_uc(jour)
        seuil = territoire.seuil_pour(jour.year) if isinstance(territoire, Territoire) else None
        premier_quartile = per_uc is not None and seuil is not None and per_uc < seuil
        reservataire_id = vacance.reservataire_id
        reservataire = (self.aggregates.state(reservataire_uuid(reservataire_id), position)
                        if reservataire_id else None)
        par = vacance.designations[bail["demande_id"]]["par"]
        return (
            str(vacance.id), bail["demande_id"], vacance.bailleur_id,
            vacance.logement["territoire_id"], reservataire_id,
            reservataire.type if isinstance(reservataire, Reservataire) else None,
            jour.isoformat(), int(bool(vacance.logement["qpv"])), int(premier_quartile),
            int(bool(situation["relogement_renouvellement_urbain"])),
            int(bool(situation["dalo"])),
            int(bool(r_priority_categories(situation["categories_prioritaires"], jour))),
            int(reservataire_id is None or par != "reservataire"),
        )


# --- reads -----------------------------------------------------------------------------

def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _conforme(taux: float | None, objectif: float | None) -> bool | None:
    if taux is None or objectif is None:
        return None
    return taux >= objectif


@dataclass(frozen=True)
class Periode:
    debut: date
    fin: date


def _counts(cur: Cursor, where: str, params: tuple[Any, ...], periode: Periode,
            position: int) -> dict[str, int]:
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
    return {"attributions": int(row[0]), "premier_quartile": int(row[1]),
            "reloges": int(row[2]), "dalo_ou_prioritaires": int(row[3])}


def quotas_bailleur(cur: Cursor, territoire: Territoire | None, bailleur_id: str,
                    territoire_id: str, annee: int, as_of: date, position: int,
                    v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM) -> dict[str, Any]:
    """R-QUOTA-HORS-QPV-Q1-25, R-QUOTA-QPV-50, R-NONRESERVE-25-DALO and the six-month flux of
    R-6-MONTH-FLUX-INJUNCTION for one bailleur on one territory and year, up to `as_of`."""
    fin = min(as_of, date(annee, 12, 31))
    annee_periode = Periode(date(annee, 1, 1), fin)
    base = "bailleur_id = ? AND territoire_id = ?"
    hors = _counts(cur, base + " AND qpv = 0", (bailleur_id, territoire_id), annee_periode,
                   position)
    dans = _counts(cur, base + " AND qpv = 1", (bailleur_id, territoire_id), annee_periode,
                   position)
    pool = _counts(cur, base + " AND pool_bailleur = 1", (bailleur_id, territoire_id),
                   annee_periode, position)
    soumis = (territoire is not None and territoire.soumis_mixite_depuis is not None
              and territoire.soumis_mixite_depuis <= fin)
    cia = territoire.objectifs.get(f"{bailleur_id}/{annee}") if territoire else None
    obj_hors = obj_qpv = None
    if soumis and in_force_from(fin, 15, v20_effective_from):
        obj_hors = float(cia["taux_hors_qpv_premier_quartile"]) if cia else 0.25
    if soumis and in_force_from(fin, 16, v20_effective_from):
        obj_qpv = float(cia["taux_qpv_autres_quartiles"]) if cia else 0.50
    obj_pool = 0.25 if in_force_from(fin, 15, v20_effective_from) else None

    eligibles = hors["premier_quartile"] + hors["reloges"]
    taux_hors = _ratio(eligibles, hors["attributions"])
    autres = dans["attributions"] - dans["premier_quartile"]
    taux_qpv = _ratio(autres, dans["attributions"])
    taux_pool = _ratio(pool["dalo_ou_prioritaires"], pool["attributions"])

    # The six months ending on `fin`: 1 January-30 June for a 30 June snapshot.
    six = Periode(add_months(fin + timedelta(days=1), -6), fin)
    flux = _counts(cur, base + " AND qpv = 0", (bailleur_id, territoire_id), six, position)
    taux_6 = _ratio(flux["premier_quartile"] + flux["reloges"], flux["attributions"])
    injonction = bool(in_force_from(fin, 20, v20_effective_from) and obj_hors is not None
                      and taux_6 is not None and taux_6 < obj_hors)
    return {
        "bailleur_id": bailleur_id, "territoire_id": territoire_id, "annee": annee,
        "hors_qpv": {"attributions": hors["attributions"],
                     "premier_quartile": hors["premier_quartile"],
                     "reloges": hors["reloges"], "eligibles": eligibles, "taux": taux_hors,
                     "objectif": obj_hors, "conforme": _conforme(taux_hors, obj_hors)},
        "qpv": {"attributions": dans["attributions"], "autres_quartiles": autres,
                "taux": taux_qpv, "objectif": obj_qpv,
                "conforme": _conforme(taux_qpv, obj_qpv)},
        "non_reserves": {"attributions": pool["attributions"],
                         "dalo_ou_prioritaires": pool["dalo_ou_prioritaires"],
                         "taux": taux_pool, "objectif": obj_pool,
                         "conforme": _conforme(taux_pool, obj_pool)},
        "semestre": {"debut": six.debut.isoformat(), "fin": six.fin.isoformat(),
                     "hors_qpv_taux_6_mois": taux_6, "injonction": injonction},
    }


def quotas_reservataire(cur: Cursor, reservataire: Reservataire | None, reservataire_id: str,
                        annee: int, as_of: date, position: int,
                        v20_effective_from: date = DEFAULT_V20_EFFECTIVE_FROM
                        ) -> dict[str, Any]:
    """R-COLLECTIVITE-25-DALO: a collectivité's reserved attributions (its own candidates'
    leases) going to DALO or priority households."""
    fin = min(as_of, date(annee, 12, 31))
    counts = _counts(cur, "reservataire_id = ? AND pool_bailleur = 0", (reservataire_id,),
                     Periode(date(annee, 1, 1), fin), position)
    objectif = (0.25 if reservataire is not None and reservataire.type == "collectivite"
                and in_force_from(fin, 15, v20_effective_from) else None)
    taux = _ratio(counts["dalo_ou_prioritaires"], counts["attributions"])
    return {"reservataire_id": reservataire_id, "annee": annee,
            "attributions": counts["attributions"],
            "dalo_ou_prioritaires": counts["dalo_ou_prioritaires"], "taux": taux,
            "objectif": objectif, "conforme": _conforme(taux, objectif)}
