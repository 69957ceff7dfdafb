"""The acts over several aggregates (domain/actes.py), on aggregates in memory: what a lease,
a radiation and a separation into a new demande change (DECISIONS item 10,
R-SENIORITY-SEPARATION), without a store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain import actes
from domain.demande import Demande
from domain.errors import Invalide
from domain.vacance import Acteur, Vacance

BAILLEUR = Acteur("bailleur", "B1", sub="b1")
LOGEMENT = {"bailleur_id": "B1", "territoire_id": "T1", "commune": "C1", "qpv": False,
            "zone_tendue": False, "reservataire_id": None}


def _demande(numero: str, partenaire: str | None = None) -> Demande:
    personnes = [{"personne_id": partenaire, "lien": "conjoint"}] if partenaire else []
    return Demande(numero_unique=numero, date_depot=date(2020, 1, 10),
                   demandeur_id=f"P-{numero}", date_anciennete=date(2020, 1, 10),
                   anciennete_source=None, organisation="B1",
                   situation={"ressources_annuelles": Decimal(12000),
                              "unites_consommation": Decimal("1.5"), "dalo": False,
                              "categories_prioritaires": [], "personnes_a_loger": personnes,
                              "relogement_renouvellement_urbain": False})


def _vacance(logement_id: str, *candidats: Demande) -> Vacance:
    vacance = Vacance.declarer(logement_id, date(2024, 3, 1), dict(LOGEMENT))
    for demande in candidats:
        vacance.designer(BAILLEUR, str(demande.id), date(2024, 3, 2), None, None)
        demande.designee_sur(date(2024, 3, 2), str(vacance.id))
    return vacance


def _statut(vacance: Vacance, demande: Demande) -> Any:
    return vacance.designations[str(demande.id)]["statut"]


def test_a_lease_attributes_the_demande_and_withdraws_it_from_its_other_vacancies() -> None:
    demande, autre = _demande("U-1"), _demande("U-2")
    ici, ailleurs, sans_lui = _vacance("L1", demande), _vacance("L2", demande, autre), \
        _vacance("L3", autre)
    ici.decider(date(2024, 3, 10), [{"demande_id": str(demande.id), "decision": "attribution",
                                     "votes": None, "motif": None}])
    par_id = {str(v.id): v for v in (ici, ailleurs, sans_lui)}

    touches = actes.signer_bail(ici, demande, par_id.get, date(2024, 3, 20))

    assert touches == [ici, demande, ailleurs]  # sans_lui: not a candidate there
    assert ici.statut() == "bail_signe" and demande.statut == "attribuee"
    assert demande.attribution == {"vacance_id": str(ici.id), "logement_id": "L1",
                                   "date_signature": date(2024, 3, 20)}
    assert _statut(ailleurs, demande) == "retiree"
    assert _statut(ailleurs, autre) == "designee"


def test_a_radiation_withdraws_the_demande_from_every_vacancy_and_skips_closed_ones() -> None:
    demande = _demande("U-3")
    ouverte, fermee = _vacance("L4", demande), _vacance("L5", demande)
    # The generator forgets the vacancies its leases closed: None is skipped.
    connues = {str(ouverte.id): ouverte}

    touches = actes.radier(demande, connues.get, date(2024, 4, 1), "abandon")

    assert touches == [demande, ouverte]
    assert demande.statut == "radiee" and _statut(ouverte, demande) == "retiree"
    assert _statut(fermee, demande) == "designee"


def test_a_partner_leaving_with_a_new_demande_keeps_the_seniority() -> None:
    demande = _demande("U-4", partenaire="P-PART")
    situation = dict(demande.situation_au(date(2024, 1, 1)), personnes_a_loger=[])

    nouvelle = actes.separer_vers_nouvelle_demande(
        demande, "P-PART", date(2024, 5, 1), "U-4-BIS", date(2024, 5, 10), situation)

    assert nouvelle.demandeur_id == "P-PART" and nouvelle.organisation == "B1"
    # R-SENIORITY-SEPARATION: the original date, and where it comes from.
    assert nouvelle.date_anciennete == demande.date_anciennete
    assert nouvelle.anciennete_source == str(demande.id)
    assert [p["personne_id"] for p in demande.situation_au(date(2024, 6, 1))
            ["personnes_a_loger"]] == []


def test_a_new_demande_filed_before_the_separation_is_refused_and_changes_nothing() -> None:
    demande = _demande("U-5", partenaire="P-PART5")
    avant = demande.version
    with pytest.raises(Invalide) as refus:
        actes.separer_vers_nouvelle_demande(demande, "P-PART5", date(2024, 5, 1), "U-5-BIS",
                                            date(2024, 4, 30), {})
    assert refus.value.code == "DATE_INCOHERENTE"
    assert demande.version == avant and not demande.pending_events[avant:]
