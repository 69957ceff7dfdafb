"""The semester report of R-SEMESTER-REPORT (L441-1 al. 33, v20): a bailleur's hors-QPV
attributions on one territory, arrêtées au 30 juin or au 31 décembre, due fifteen days later.

It reads the lease facts of the quotas view (`pv_baux`) as believed at `known_at`: the report
"as the bailleur could have sent it on its due date" is the same call with `known_at` set to
the due date. Choices (docs/DECISIONS.md §25): the rows are the leases of the semester (the
six-month flux of R-6-MONTH-FLUX-INJUNCTION); the summary gives the semester's flux and the
year's cumulated figures up to the snapshot; before version 20, or on a territory not
subject to the mix rules, the report is not required (`exigible: false`) but its figures are
still given to auditors.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.rules.quotas import (
    Comptes,
    periode_semestre,
    r_quota_hors_qpv_q1_25,
    r_semester_report_due,
)
from domain.rules.versions import in_force_from
from projections.bitemporal import BELIEVED
from projections.db import Cursor

RULE = "R-SEMESTER-REPORT"
COLONNES = ("vacance_id", "demande_id", "date_signature", "reservataire_id",
            "reservataire_type", "premier_quartile", "reloge", "eligible")


def verifier_fin(date_fin: date) -> None:
    """R-SEMESTER-REPORT: a semester report is arrêté au 30 juin or au 31 décembre;
    ValueError otherwise."""
    r_semester_report_due(date_fin)


def lignes(cur: Cursor, bailleur_id: str, territoire_id: str, fin: date,
           position: int) -> list[dict[str, Any]]:
    """The hors-QPV leases of the semester ending on `fin` as believed at `position`."""
    semestre = periode_semestre(fin.year, fin)
    cur.execute(
        "SELECT vacance_id, demande_id, date_signature, reservataire_id, reservataire_type, "
        "premier_quartile, reloge FROM pv_baux WHERE bailleur_id = ? AND territoire_id = ? "
        f"AND qpv = 0 AND date_signature >= ? AND date_signature <= ? AND {BELIEVED} "
        "ORDER BY date_signature, vacance_id",
        (bailleur_id, territoire_id, semestre.debut.isoformat(), semestre.fin.isoformat(),
         position, position))
    out = []
    for row in cur.fetchall():
        ligne = dict(zip(COLONNES[:-1], row, strict=True))
        ligne["premier_quartile"] = bool(ligne["premier_quartile"])
        ligne["reloge"] = bool(ligne["reloge"])
        # R-QUOTA-HORS-QPV-Q1-25: a relogé counts once, first quartile or not.
        ligne["eligible"] = ligne["premier_quartile"] or ligne["reloge"]
        out.append(ligne)
    return out


def rapport_semestre(fin: date, quotas: dict[str, Any], semestre: Comptes,
                     rows: list[dict[str, Any]], v20_effective_from: date,
                     transmission: dict[str, Any]) -> dict[str, Any]:
    """The report body from the semester's counts and rows and the year's quota figures
    (`quotas`, read for the year of the snapshot with `as_of` = its last day)."""
    periode = periode_semestre(fin.year, fin)
    annee = quotas["hors_qpv"]
    # The hors-QPV objective exists only where the territory is subject to the mix rules.
    exigible = annee["objectif"] is not None and in_force_from(fin, 20, v20_effective_from)
    objectif = Decimal(str(annee["objectif"])) if annee["objectif"] is not None else None
    flux = r_quota_hors_qpv_q1_25(semestre, objectif)
    for annual in ("conforme", "minimum", "manque"):
        del flux[annual]  # judged on the year, not on one semester
    return {
        "regle": RULE,
        "bailleur_id": quotas["bailleur_id"],
        "territoire_id": quotas["territoire_id"],
        "periode": {"debut": periode.debut.isoformat(), "fin": periode.fin.isoformat()},
        "echeance": r_semester_report_due(fin).isoformat(),
        "exigible": exigible,
        "semestre": flux,
        "annee": annee,
        "injonction": quotas["semestre"]["injonction"],
        "transmission": transmission,
        "attributions": rows,
        "as_of": quotas["as_of"],
        "known_at": quotas["known_at"],
    }
