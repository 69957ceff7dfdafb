"""How each aggregate is shown: the body of the API's answers and the state a read-model row
keeps.

The read side owns these shapes, not the aggregates: a field of the contract can be renamed
here without touching an aggregate or its events. The command answers, the read models'
timelines and the replay all call these functions, so the three cannot drift apart. Values
are domain values (dates, amounts); `domain.serialisation.jsonable` makes them JSON.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.demande import (
    SITUATION_OPTIONNELS,
    Demande,
    StatutDemande,
    base_ressources,
    categories_en_vigueur,
)
from domain.referentiel import (
    HORS_QPV,
    REGION_ILE_DE_FRANCE,
    Bailleur,
    Logement,
    Region,
    Reservataire,
    Territoire,
)
from domain.rules.quotas import r_cia_bailleur_distribution, r_semester_report_due
from domain.rules.seniority import RULE_ID as SENIORITY_RULE
from domain.vacance import Vacance


def vue_bailleur(bailleur: Bailleur) -> dict[str, Any]:
    return {"bailleur_id": bailleur.bailleur_id, "nom": bailleur.nom}


def vue_reservataire(reservataire: Reservataire) -> dict[str, Any]:
    return {"reservataire_id": reservataire.reservataire_id, "nom": reservataire.nom,
            "type": reservataire.type}


def vue_territoire(territoire: Territoire) -> dict[str, Any]:
    return {
        "territoire_id": territoire.territoire_id,
        "nom": territoire.nom,
        "soumis_mixite_depuis": territoire.soumis_mixite_depuis,
        "ile_de_france": territoire.ile_de_france,
        "prefet_reservataire_id": territoire.prefet_reservataire_id,
        "seuils": [territoire.seuils[y] for y in sorted(territoire.seuils)],
        "objectifs": list(territoire.objectifs.values()),
        "cias": [_cia(territoire, c) for c in territoire.cias],
        "orientations": territoire.orientations,
    }


def _cia(territoire: Territoire, cia: dict[str, Any]) -> dict[str, Any]:
    """A CIA as recorded, with the check of R-CIA-BAILLEUR-DISTRIBUTION on the territory
    as known: its objectives weighted by the expected leases, and the territory's rate on
    its date (R-QUOTA-RATE-ADAPTATION)."""
    repartition = r_cia_bailleur_distribution(
        [(o["taux_hors_qpv_premier_quartile"], o["base_hors_qpv"]) for o in cia["objectifs"]],
        territoire.taux_au(HORS_QPV, cia["date_effet"]))
    pondere = repartition.taux_pondere
    return {**cia,
            "taux_pondere_hors_qpv": None if pondere is None else round(pondere, 4),
            "taux_territoire_hors_qpv": repartition.taux_territoire}


def vue_cia(territoire: Territoire, date_effet: date) -> dict[str, Any]:
    """The CIA that takes effect on `date_effet` (R-CIA-BAILLEUR-DISTRIBUTION)."""
    cia = next(c for c in territoire.cias if c["date_effet"] == date_effet)
    return {"territoire_id": territoire.territoire_id, **_cia(territoire, cia)}


def vue_orientations(territoire: Territoire, date_effet: date) -> dict[str, Any]:
    """The CIL's orientations that take effect on `date_effet` (R-QUOTA-RATE-ADAPTATION)."""
    return {"territoire_id": territoire.territoire_id,
            **next(o for o in territoire.orientations if o["date_effet"] == date_effet)}


def vue_region(region: Region | None) -> dict[str, Any]:
    """Île-de-France's thresholds by year (R-Q1-THRESHOLD; none before one is published)."""
    return {"region_id": REGION_ILE_DE_FRANCE,
            "seuils": [] if region is None else [region.seuils[y] for y in sorted(region.seuils)]}


def vue_seuil_regional(region: Region, annee: int) -> dict[str, Any]:
    return {"region_id": region.region_id, **region.seuils[annee]}


def vue_seuil(territoire: Territoire, annee: int) -> dict[str, Any]:
    """One year's first-quartile threshold of a territoire (R-Q1-THRESHOLD)."""
    return {"territoire_id": territoire.territoire_id, **territoire.seuils[annee]}


def vue_objectifs(territoire: Territoire, bailleur_id: str, annee: int) -> dict[str, Any]:
    """One bailleur's CIA objectives for one year (R-CIA-BAILLEUR-DISTRIBUTION)."""
    return {"territoire_id": territoire.territoire_id,
            **territoire.objectifs[f"{bailleur_id}/{annee}"]}


def vue_logement(logement: Logement, jour: date | None = None) -> dict[str, Any]:
    """The attributes in force on `jour` (default: the latest version), with every version."""
    etat = logement.etat_au(jour) if jour else logement.historique[-1]
    return {"logement_id": logement.logement_id, **(etat or {}),
            "historique": logement.historique}


def vue_demande(demande: Demande, as_of: date) -> dict[str, Any]:
    """The demande on `as_of`: its situation then, its seniority counted to that day
    (R-SENIORITY-SEPARATION names where a kept seniority comes from), whose resources count
    then and the resources per unit they give (R-RESOURCES-REQUERANT-ONLY), the priority
    categories in force then (R-PRIORITY-CATEGORIES, m) within its limits); an end dated
    later shows as active."""
    s = demande.situation_au(as_of)
    statut = (demande.statut if demande.date_fin is None or demande.date_fin <= as_of
              else StatutDemande.ACTIVE)
    per_uc = demande.ressources_par_uc(as_of)
    base = base_ressources(s, as_of)
    return {
        "demande_id": str(demande.id),
        "numero_unique": demande.numero_unique,
        "organisation": demande.organisation,
        "statut": statut,
        "demandeur_id": demande.demandeur_id,
        "date_depot": demande.date_depot,
        "date_anciennete": demande.date_anciennete,
        "anciennete_jours": max(0, (as_of - demande.date_anciennete).days),
        "anciennete_source": (
            {"demande_id": demande.anciennete_source, "regle": SENIORITY_RULE}
            if demande.anciennete_source else None
        ),
        "ressources_annuelles": s["ressources_annuelles"],
        "unites_consommation": s["unites_consommation"],
        "ressources_par_uc": per_uc.quantize(Decimal("0.01")) if per_uc is not None else None,
        "base_ressources": {"base": base.base, "regle": base.regle,
                            "annee_reference": base.annee_reference},
        # The optional parts (null: not recorded), events recorded before them included.
        **{k: s.get(k) for k in SITUATION_OPTIONNELS},
        "dalo": s["dalo"],
        "categories_prioritaires": s["categories_prioritaires"],
        "categories_en_vigueur": categories_en_vigueur(s, as_of),
        "personnes_a_loger": s["personnes_a_loger"],
        "relogement_renouvellement_urbain": s["relogement_renouvellement_urbain"],
        "motif_radiation": demande.motif_radiation if statut == StatutDemande.RADIEE
        else None,
        "attribution": demande.attribution if statut == StatutDemande.ATTRIBUEE else None,
        "separations": demande.separations,
        "as_of": as_of,
    }


VACANCE_LOGEMENT = ("bailleur_id", "territoire_id", "commune", "qpv", "zone_tendue",
                    "reservataire_id")


def vue_vacance(vacance: Vacance, jour: date) -> dict[str, Any]:
    """The cycle as it stands on `jour`: who designates then (the one-month deadline of
    R-RESERVATAIRE-DELAI-1-MOIS included), every turn, designation and the lease."""
    designataire = vacance.designataire_au(jour) if not vacance.bail else None
    echec = next((t for t in vacance.tours if t.motif == "echec_reservataire"), None)
    return {
        "vacance_id": str(vacance.id),
        "logement_id": vacance.logement_id,
        # The logement's attributes at the information date as the vacancy shows them; the
        # ZUS flags it also keeps (R-QPV-ASSIMILATION-ZUS) serve the quotas only.
        **{k: vacance.logement[k] for k in VACANCE_LOGEMENT},
        "date_information": vacance.date_information,
        "designataire": designataire,
        "organisation_designataire": vacance.organisation_du(designataire)
        if designataire else None,
        "date_limite_designation": vacance.date_limite_designation,
        "statut": vacance.statut(),
        "tours": [{"designataire": t.designataire, "depuis": t.depuis, "motif": t.motif,
                   "regle": t.regle} for t in vacance.tours],
        "attribution_reservataire_echouee": echec.depuis if echec else None,
        "designations": sorted(vacance.designations.values(),
                               key=lambda d: (d["date"], d["demande_id"])),
        "candidat_a_signer": vacance.candidat_a_signer(),
        "bail": vacance.bail,
    }


def vue_transmission(bailleur: Bailleur | None, bailleur_id: str, territoire_id: str,
                     date_fin: date) -> dict[str, Any]:
    """R-SEMESTER-REPORT: whether and when the semester's report was transmitted, against
    its due date (fifteen days after `date_fin`); `a_temps` None while not transmitted (or
    the bailleur not known yet)."""
    transmis = bailleur.transmis_le(territoire_id, date_fin) if bailleur else None
    echeance = r_semester_report_due(date_fin)
    return {"bailleur_id": bailleur_id, "territoire_id": territoire_id,
            "date_fin": date_fin, "date_transmission": transmis, "echeance": echeance,
            "a_temps": None if transmis is None else transmis <= echeance}
