"""Issue 10, in memory: the regional first-quartile threshold (R-Q1-THRESHOLD), objectives
from a date with their floors (R-CIA-BAILLEUR-DISTRIBUTION, R-QUOTA-RATE-ADAPTATION,
R-CIA-ABSENCE-DEFAULT-OBJECTIVES), the CIA's declared objectives
(R-ESSENTIAL-WORKERS-OBJECTIVE, R-SAPEUR-POMPIER-OBJECTIVE) and the ZUS assimilation
(R-QPV-ASSIMILATION-ZUS), on the worked examples' own numbers (RULES.md §6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.commandes import Cia, EtatLogement, ObjectifBailleur, ObjectifPublic, OrientationsCil
from domain.errors import Invalide
from domain.referentiel import Logement, Region, Territoire, seuil_premier_quartile
from domain.rules.quotas import (
    TAUX_HORS_QPV,
    Adaptation,
    Comptes,
    Periode,
    minimum,
    objectif_fixe_au_bailleur,
    objectifs_bailleur,
    r_cia_bailleur_distribution,
    r_essential_workers_objective,
    r_q1_threshold,
    r_qpv_assimilation_zus,
    r_quota_hors_qpv_q1_25,
    r_quota_rate_adaptation,
    r_sapeur_pompier_objective,
    taux_applicable,
)

V20 = date(2022, 2, 23)
HORS, QPV = "R-QUOTA-HORS-QPV-Q1-25", "R-QUOTA-QPV-50"
D = Decimal


def territoire(ile_de_france: bool = False, soumis: date | None = date(2021, 1, 1)
               ) -> Territoire:
    return Territoire(territoire_id="E", nom="EPCI", soumis_mixite_depuis=soumis,
                      ile_de_france=ile_de_france)


# --- R-Q1-THRESHOLD (EX-05) -------------------------------------------------------------------

def test_EX_05_an_ile_de_france_territoire_takes_the_regional_threshold() -> None:
    """R-Q1-THRESHOLD, EX-05: regional 8,000, the EPT's own demandeurs would give 9,000:
    8,000 applies, so a demandeur at 8,500 €/UC is not first quartile; outside
    Île-de-France, the EPCI's own."""
    assert r_q1_threshold(True, D("9000"), D("8000")) == D("8000")
    assert not D("8500") < r_q1_threshold(True, D("9000"), D("8000"))  # type: ignore[operator]
    assert r_q1_threshold(False, D("9000"), D("8000")) == D("9000")
    # Before any regional value, the value the territoire recorded (DECISIONS 21 quinquies).
    assert r_q1_threshold(True, D("9000"), None) == D("9000")


def test_the_region_publishes_and_a_territoire_in_ile_de_france_is_refused() -> None:
    """R-Q1-THRESHOLD: the region publishes; a territoire in Île-de-France is refused its
    own value (SEUIL_REGIONAL), nothing recorded; the latest year's value serves later."""
    region = Region(region_id="ile-de-france")
    region.publier_seuil(annee=2023, montant_par_uc=D("8000"), acte="arrêté 2023")
    ept = territoire(ile_de_france=True)
    with pytest.raises(Invalide) as refus:
        ept.publier_seuil(annee=2023, montant_par_uc=D("9000"), acte="arrêté EPT")
    assert (refus.value.code, refus.value.rule) == ("SEUIL_REGIONAL", "R-Q1-THRESHOLD")
    assert ept.seuils == {} and len(ept.pending_events) == 1  # only its creation
    epci = territoire()
    epci.publier_seuil(annee=2023, montant_par_uc=D("9000"), acte="arrêté EPCI")
    assert seuil_premier_quartile(ept, region, 2024) == D("8000")  # the latest year's
    assert seuil_premier_quartile(ept, region, 2022) is None
    assert seuil_premier_quartile(epci, region, 2023) == D("9000")
    assert seuil_premier_quartile(ept, None, 2023) is None


# --- R-QUOTA-RATE-ADAPTATION (EX-26) ------------------------------------------------------------

def test_EX_26_a_a_cil_rate_of_30_percent_makes_11_of_40_non_compliant() -> None:
    """R-QUOTA-RATE-ADAPTATION, EX-26 (a): under a CIL rate of 30 %, 11 of 40 (27.5 %) is
    short of 12; under the statutory 25 % (R-QUOTA-HORS-QPV-Q1-25) it complies."""
    taux = taux_applicable(HORS, D("0.30"), date(2023, 1, 1), date(2023, 12, 31))
    bloc = r_quota_hors_qpv_q1_25(Comptes(attributions=40, premier_quartile=11), taux)
    assert (bloc["taux"], bloc["objectif"], bloc["conforme"]) == (0.275, 0.3, False)
    assert (bloc["minimum"], bloc["manque"]) == (12, 1)
    assert r_quota_hors_qpv_q1_25(Comptes(attributions=40, premier_quartile=11),
                                  TAUX_HORS_QPV)["conforme"] is True


def test_EX_26_b_c_a_lower_rate_only_adapted_under_v15() -> None:
    """R-QUOTA-RATE-ADAPTATION, EX-26 (b, c): a hors-QPV rate below 25 % is refused under
    the current text, adapted under v15 (which had no QPV rate to adapt) and holds while
    v15 does; a rate at or above the floor is taken."""
    assert r_quota_rate_adaptation(HORS, D("0.20"), date(2023, 6, 1)) == Adaptation.REFUSE
    assert r_quota_rate_adaptation(HORS, D("0.20"), date(2017, 6, 1)) == Adaptation.ADAPTE
    assert r_quota_rate_adaptation(HORS, D("0.25"), date(2023, 6, 1)) == Adaptation.SUPERIEUR
    assert r_quota_rate_adaptation(QPV, D("0.45"), date(2017, 6, 1)) == Adaptation.REFUSE
    assert r_quota_rate_adaptation(QPV, D("0.60"), date(2023, 6, 1)) == Adaptation.SUPERIEUR
    # The adapted 20 % holds while v15 does (and before its three-year review), not after.
    assert taux_applicable(HORS, D("0.20"), date(2017, 6, 1), date(2018, 11, 24)) == D("0.20")
    assert taux_applicable(HORS, D("0.20"), date(2017, 6, 1), date(2018, 11, 25)) == D("0.25")
    assert taux_applicable(QPV, None, None, date(2023, 1, 1)) == D("0.50")


def test_EX_26_the_territoire_records_the_cil_rates_from_their_date() -> None:
    """R-QUOTA-RATE-ADAPTATION, EX-26: the territoire records the CIL's rates
    (R-CIL-ORIENTATIONS) from their date: refused below the floor, adapted under v15 with
    its review date, a higher one later."""
    t = territoire()
    with pytest.raises(Invalide) as refus:
        t.adopter_orientations(OrientationsCil(date(2023, 1, 1), "CIL", D("0.20")))
    assert refus.value.rule == "R-QUOTA-RATE-ADAPTATION" and t.orientations == []
    t.adopter_orientations(OrientationsCil(date(2017, 6, 1), "CIL 2017", D("0.20")))
    assert t.orientations[0]["adapte"] is True
    assert t.orientations[0]["revision_avant"] == date(2020, 6, 1)
    t.adopter_orientations(OrientationsCil(date(2023, 1, 1), "CIL 2023", D("0.30"), D("0.6")))
    assert t.taux_au(HORS, date(2017, 12, 31)) == D("0.20")
    assert t.taux_au(HORS, date(2019, 12, 31)) == D("0.25")
    assert t.taux_au(HORS, date(2023, 12, 31)) == D("0.30")
    assert t.taux_au(QPV, date(2023, 12, 31)) == D("0.6")
    assert t.orientations[1]["adapte"] is False and t.orientations[1]["revision_avant"] is None


# --- R-CIA-BAILLEUR-DISTRIBUTION, R-CIA-ABSENCE-DEFAULT-OBJECTIVES (EX-16) ----------------------

def cia(b2: str, jour: date = date(2024, 3, 15), **autres: ObjectifPublic) -> Cia:
    return Cia(jour, "CIA", (ObjectifBailleur("B1", D("0.20"), 60),
                             ObjectifBailleur("B2", D(b2), 40)), **autres)


def test_EX_16_the_weighted_rate_must_reach_the_territory_rate() -> None:
    """R-CIA-BAILLEUR-DISTRIBUTION, EX-16: the CIA's rates weighted by the expected bases
    must reach the territory's 25 %: 24.8 % refused, 25.2 % accepted."""
    refusee = r_cia_bailleur_distribution([(D("0.20"), 60), (D("0.32"), 40)], D("0.25"))
    assert (refusee.taux_pondere, refusee.respecte) == (D("0.248"), False)
    acceptee = r_cia_bailleur_distribution([(D("0.20"), 60), (D("0.33"), 40)], D("0.25"))
    assert (acceptee.taux_pondere, acceptee.respecte) == (D("0.252"), True)
    # One bailleur below 25 % is lawful; no expected lease at all weighs nothing.
    assert r_cia_bailleur_distribution([(D("0.10"), 1), (D("0.30"), 9)], D("0.25")).respecte
    assert not r_cia_bailleur_distribution([(D("0.30"), 0)], D("0.25")).respecte


def test_EX_16_objectives_on_both_sides_of_the_default_and_of_the_cia() -> None:
    """R-CIA-ABSENCE-DEFAULT-OBJECTIVES, R-CIA-BAILLEUR-DISTRIBUTION, EX-16: no objective
    fixed before 2023-05-02, 25 % each from it, the CIA's own from 2024-03-15."""
    t = territoire()
    with pytest.raises(Invalide) as refus:
        t.conclure_cia(cia("0.32"), V20)
    assert refus.value.rule == "R-CIA-BAILLEUR-DISTRIBUTION"
    assert refus.value.details == {"taux_pondere": "0.2480", "taux_territoire": "0.25"}
    assert t.cias == []
    t.conclure_cia(cia("0.33"), V20)

    def fixe(b: str, jour: date) -> Decimal | None:
        return objectif_fixe_au_bailleur(t.objectifs_au(b, jour), t.soumis_mixite_depuis,
                                         jour, t.taux_au(HORS, jour))

    assert fixe("B1", date(2023, 5, 1)) is None                  # objectives deadline
    assert fixe("B1", date(2023, 5, 2)) == fixe("B2", date(2024, 3, 14)) == D("0.25")
    assert (fixe("B1", date(2024, 3, 15)), fixe("B2", date(2024, 3, 15))) == (D("0.20"),
                                                                                D("0.33"))
    # A bailleur the CIA does not name: the territory's rate.
    assert fixe("B3", date(2024, 6, 1)) == D("0.25")


def test_a_cia_replaces_the_objectives_fixed_before_and_yearly_ones_after_it_win() -> None:
    """R-CIA-ABSENCE-DEFAULT-OBJECTIVES (al. 31): a CIA replaces the objectives fixed
    before it; a year's objectives fixed after it apply in their year."""
    t = territoire()
    t.fixer_objectifs(bailleur_id="B1", annee=2024, taux_hors_qpv_premier_quartile=D("0.4"),
                      taux_qpv_autres_quartiles=D("0.5"))
    t.conclure_cia(cia("0.33"), V20)
    assert t.objectifs_au("B1", date(2024, 3, 14))["taux_hors_qpv_premier_quartile"] == D(
        "0.4")
    assert t.objectifs_au("B1", date(2024, 3, 15))["taux_hors_qpv_premier_quartile"] == D(
        "0.20")
    t.fixer_objectifs(bailleur_id="B1", annee=2025, taux_hors_qpv_premier_quartile=D("0.3"),
                      taux_qpv_autres_quartiles=D("0.5"))
    assert t.objectifs_au("B1", date(2025, 2, 1))["taux_hors_qpv_premier_quartile"] == D("0.3")
    # The block's objectives: the bailleur's, a QPV rate it has not set is the territory's.
    annee = Periode(date(2024, 1, 1), date(2024, 12, 31))
    assert objectifs_bailleur(t.objectifs_au("B1", date(2024, 12, 31)), annee, annee,
                              D("0.25"), D("0.6")) == (D("0.20"), D("0.6"))
    assert objectifs_bailleur(None, annee, None, D("0.3")) == (D("0.3"), None)


def test_a_cia_s_qpv_objectives_are_weighted_too_and_need_their_bases() -> None:
    """R-CIA-BAILLEUR-DISTRIBUTION: the CIA's QPV objectives are weighted against the 50 %
    of R-QUOTA-QPV-50 too and need their bases; a bailleur is named once."""
    t = territoire()
    sans_base = Cia(date(2024, 1, 1), "CIA", (ObjectifBailleur("B1", D("0.3"), 10, D("0.5")),))
    with pytest.raises(Invalide, match="base_qpv"):
        t.conclure_cia(sans_base, V20)
    basse = Cia(date(2024, 1, 1), "CIA", (ObjectifBailleur("B1", D("0.3"), 10, D("0.4"), 5),
                                          ObjectifBailleur("B2", D("0.3"), 10, D("0.55"), 5)))
    with pytest.raises(Invalide):
        t.conclure_cia(basse, V20)  # (0.40 × 5 + 0.55 × 5) / 10 = 47.5 % < 50 %
    with pytest.raises(Invalide, match="once"):
        t.conclure_cia(Cia(date(2024, 1, 1), "CIA", (ObjectifBailleur("B1", D("0.3"), 1),
                                                     ObjectifBailleur("B1", D("0.3"), 1))),
                       V20)


# --- R-ESSENTIAL-WORKERS-OBJECTIVE, R-SAPEUR-POMPIER-OBJECTIVE ----------------------------------

def test_declared_objectives_only_where_the_law_has_them_and_nothing_achieved_known() -> None:
    """R-SAPEUR-POMPIER-OBJECTIVE (from v18), R-ESSENTIAL-WORKERS-OBJECTIVE (v20): a CIA
    declaring one before the law has it is refused; shown with nothing achieved known."""
    t = territoire()
    with pytest.raises(Invalide) as refus:
        t.conclure_cia(cia("0.33", date(2021, 6, 1), sapeurs_pompiers=ObjectifPublic(5)), V20)
    assert refus.value.rule == "R-SAPEUR-POMPIER-OBJECTIVE"
    with pytest.raises(Invalide) as refus:
        t.conclure_cia(cia("0.33", date(2022, 1, 1),
                           travailleurs_essentiels=ObjectifPublic(taux=D("0.1"))), V20)
    assert refus.value.rule == "R-ESSENTIAL-WORKERS-OBJECTIVE"
    t.conclure_cia(cia("0.33", date(2022, 1, 1), sapeurs_pompiers=ObjectifPublic(5)), V20)
    assert r_sapeur_pompier_objective(t.cia_au(date(2022, 6, 1))["objectif_sapeurs_pompiers"],
                                      date(2022, 6, 1), V20) == {
        "regle": "R-SAPEUR-POMPIER-OBJECTIVE", "en_vigueur": True,
        "objectif": {"nombre": 5, "taux": None}, "realise": None}
    assert r_essential_workers_objective(None, date(2021, 12, 31), V20)["en_vigueur"] is False
    assert r_essential_workers_objective({"nombre": None, "taux": D("0.1")}, date(2023, 1, 1),
                                         V20)["objectif"] == {"nombre": None, "taux": 0.1}


# --- R-QPV-ASSIMILATION-ZUS (EX-22) -------------------------------------------------------------

def test_EX_22_a_former_zus_is_qpv_for_the_mix_rules_until_the_end_of_2020() -> None:
    """R-QPV-ASSIMILATION-ZUS, EX-22: a former ZUS is QPV for the mix rules from the text
    (v16, 2018-11-25) to the end of the 1° window (2020-12-31)."""
    assert r_qpv_assimilation_zus(False, True, None, date(2019, 5, 1), V20)        # (a)
    assert not r_qpv_assimilation_zus(False, True, None, date(2021, 5, 1), V20)    # (b)
    assert not r_qpv_assimilation_zus(False, True, None, date(2023, 5, 1), V20)    # (c) v20
    # Not before the text (v16, 2018-11-25), though the six years ran from 2015.
    assert not r_qpv_assimilation_zus(False, True, None, date(2018, 11, 24), V20)
    assert r_qpv_assimilation_zus(False, True, None, date(2018, 11, 25), V20)
    assert r_qpv_assimilation_zus(False, True, None, date(2020, 12, 31), V20)
    assert r_qpv_assimilation_zus(True, False, None, date(2012, 1, 1), V20)  # a QPV is one


def test_a_quartier_out_of_the_qpv_list_is_assimilated_six_years_from_its_exit() -> None:
    """R-QPV-ASSIMILATION-ZUS (2°): six years from the quartier's exit from the QPV list,
    while the text is in force."""
    sortie = date(2019, 1, 1)
    assert not r_qpv_assimilation_zus(False, False, sortie, date(2018, 12, 31), V20)
    assert r_qpv_assimilation_zus(False, False, sortie, date(2019, 1, 1), V20)
    assert r_qpv_assimilation_zus(False, False, sortie, date(2022, 2, 22), V20)
    # v20 deleted the text, with no transitional rule: the window ends with it (§7 item 27).
    assert not r_qpv_assimilation_zus(False, False, sortie, date(2022, 2, 23), V20)
    assert r_qpv_assimilation_zus(False, False, sortie, date(2024, 12, 31), date(2025, 1, 1))
    assert not r_qpv_assimilation_zus(False, False, sortie, date(2025, 1, 1), date(2026, 1, 1))
    ancienne = date(2012, 6, 1)  # out in 2012: its six years ended on 2018-06-01
    assert not r_qpv_assimilation_zus(False, False, ancienne, date(2019, 5, 1), V20)


def test_a_logement_recorded_before_the_zus_flags_reads_as_neither() -> None:
    """R-QPV-ASSIMILATION-ZUS: a logement described before the ZUS flags existed is neither
    a former ZUS nor out of the QPV list."""
    ancien = {"date_effet": date(2010, 1, 1), "bailleur_id": "B1", "territoire_id": "E",
              "commune": "C1", "qpv": False, "zone_tendue": False, "reservataire_id": None}
    logement = Logement(logement_id="L1", etat=ancien)  # an event of the first shape
    etat = logement.etat_au(date(2020, 1, 1))
    assert etat is not None
    assert (etat["ancienne_zus"], etat["sortie_qpv_le"]) == (False, None)
    # The same description again is the same version: nothing to record.
    assert logement.version_du(date(2010, 1, 1)) == EtatLogement.depuis(ancien).champs()
    assert minimum(40, D("0.30")) == 12


def test_R_CIA_BAILLEUR_DISTRIBUTION_no_cia_before_v15() -> None:
    """R-CIA-BAILLEUR-DISTRIBUTION (L441-1 al. 28, from v15, 2017-01-29): a CIA dated the day
    before is refused, nothing recorded; dated that day, recorded."""
    t = territoire(soumis=date(2017, 1, 29))
    with pytest.raises(Invalide) as refus:
        t.conclure_cia(cia("0.33", date(2017, 1, 28)), V20)
    assert refus.value.rule == "R-CIA-BAILLEUR-DISTRIBUTION" and not t.pending_events[1:]
    t.conclure_cia(cia("0.33", date(2017, 1, 29)), V20)
    assert len(t.pending_events) == 2
