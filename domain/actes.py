"""The acts that change several aggregates together, as the law links them: a lease
attributes the demande and withdraws it from its other vacancies, a radiation withdraws it
from all of them (DECISIONS item 10), a separation may open the leaving partner's own
demande, which keeps the seniority L441-1 lets it keep (R-SENIORITY-SEPARATION).

Pure functions over loaded aggregates: they record events on them and return those that
changed, for the caller to save together. The application and the synthetic-history
generator both call them, so what follows a lease or a radiation is written once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate

from domain.demande import Demande
from domain.errors import Invalide
from domain.vacance import Vacance

# A vacancy by id, or None where there is none left to change (the generator forgets the
# vacancies its leases closed).
VacanceDe = Callable[[str], Vacance | None]


def retirer_des_vacances(demande: Demande, vacance_de: VacanceDe, jour: date, motif: str,
                         sauf: str | None = None) -> list[Vacance]:
    """The demande withdrawn, on `jour`, from the vacancies it is a candidate on (but
    `sauf`); the vacancies that changed."""
    touchees: list[Vacance] = []
    for vid in demande.vacances:
        if vid == sauf:
            continue
        vacance = vacance_de(vid)
        if vacance is None:
            continue
        avant = vacance.version
        vacance.retirer_candidat(str(demande.id), jour, motif)
        if vacance.version != avant:
            touchees.append(vacance)
    return touchees


def signer_bail(vacance: Vacance, demande: Demande, vacance_de: VacanceDe,
                jour: date) -> list[Aggregate]:
    """The lease signed on `jour`: the vacancy closed, the demande attributed and withdrawn
    from its other vacancies; every aggregate that changed."""
    vacance.signer_bail(str(demande.id), jour)
    demande.attribuer(jour, str(vacance.id), vacance.logement_id)
    autres = retirer_des_vacances(demande, vacance_de, jour, "attribuee_ailleurs",
                                  sauf=str(vacance.id))
    return [vacance, demande, *autres]


def radier(demande: Demande, vacance_de: VacanceDe, jour: date,
           motif: str) -> list[Aggregate]:
    """The demande radiated on `jour` and withdrawn from its vacancies."""
    demande.radier(jour, motif)
    return [demande, *retirer_des_vacances(demande, vacance_de, jour, "radiation")]


def verifier_depart(demande: Demande, membre: str, date_separation: date,
                    date_depot: date) -> None:
    """Whether `membre` can leave the household on `date_separation` with a demande of its
    own filed on `date_depot` (raises otherwise)."""
    demande.verifier_separation(membre, date_separation)
    if date_depot < date_separation:
        raise Invalide("The new demande cannot be filed before the separation.",
                       code="DATE_INCOHERENTE")


def separer_vers_nouvelle_demande(demande: Demande, membre: str, date_separation: date,
                                  numero_unique: str, date_depot: date,
                                  situation: dict[str, Any]) -> Demande:
    """The partner `membre` leaves the household and files a demande of its own on
    `date_depot`, which keeps the original seniority when the law lets it; the new demande
    (registered by the same organisation)."""
    verifier_depart(demande, membre, date_separation, date_depot)
    date_anciennete, conservee = demande.anciennete_pour_separation(
        membre, date_separation, date_depot)
    nouvelle = Demande(
        numero_unique=numero_unique, date_depot=date_depot, demandeur_id=membre,
        situation=situation, date_anciennete=date_anciennete,
        anciennete_source=str(demande.id) if conservee else None,
        organisation=demande.organisation)
    demande.membre_parti(date_separation=date_separation, membre_id=membre,
                         nouvelle_demande_id=str(nouvelle.id))
    return nouvelle
