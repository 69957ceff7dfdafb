"""domain/rules/quotas.py: each quota rule on its worked examples (RULES.md §6, EX-nn) with
the examples' own numbers, and on both sides of its entry into force (and exit)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.rules.quotas import (
    FLUX_6_MOIS,
    RAPPORT_NON_TRANSMIS,
    TAUX_DALO,
    TAUX_HORS_QPV,
    TAUX_QPV,
    BailHorsQpv,
    Comptes,
    Injonction,
    Periode,
    atteint,
    conforme,
    en_vigueur,
    minimum,
    objectif_collectivite,
    objectif_fixe_au_bailleur,
    objectifs_bailleur,
    periode_annee,
    periode_en_vigueur,
    periode_semestre,
    r_6_month_flux_injunction_etat,
    r_cia_absence_default_objectives,
    r_collectivite_25_dalo,
    r_injunction_attributions,
    r_nonreserve_25_dalo,
    r_prefet_substitution,
    r_quota_hors_qpv_q1_25,
    r_quota_qpv_50,
    r_semester_report_due,
)

V20 = date(2022, 2, 23)
ANNEE_2023 = Periode(date(2023, 1, 1), date(2023, 12, 31))


def test_EX_01_hors_qpv_compliant_with_a_margin_of_one() -> None:
    bloc = r_quota_hors_qpv_q1_25(Comptes(attributions=40, premier_quartile=9, reloges=2),
                                  TAUX_HORS_QPV)
    assert (bloc["eligibles"], bloc["taux"], bloc["conforme"]) == (11, 0.275, True)
    assert (bloc["minimum"], bloc["manque"]) == (10, 0)


def test_EX_02_prefet_substitution_shortfall_under_v16() -> None:
    annee = periode_en_vigueur("R-PREFET-SUBSTITUTION", periode_annee(2019, date(2019, 12, 31)),
                               date(2015, 1, 1), V20)
    comptes = Comptes(attributions=40, premier_quartile=7, reloges=2)
    bloc = r_quota_hors_qpv_q1_25(comptes, TAUX_HORS_QPV)
    assert (bloc["taux"], bloc["conforme"], bloc["manque"]) == (0.225, False, 1)
    assert r_prefet_substitution(comptes, TAUX_HORS_QPV, annee) == 1
    # Under v20 the same figures feed the six-month test instead: no yearly substitution.
    v20 = periode_en_vigueur("R-PREFET-SUBSTITUTION", periode_annee(2023, date(2023, 12, 31)),
                             date(2015, 1, 1), V20)
    assert v20 is None and r_prefet_substitution(comptes, TAUX_HORS_QPV, v20) is None


def test_EX_03_only_leases_count_and_at_least_means_at_or_above() -> None:
    bloc = r_quota_hors_qpv_q1_25(Comptes(attributions=40, premier_quartile=10),
                                  TAUX_HORS_QPV)
    assert (bloc["taux"], bloc["conforme"]) == (0.25, True)


def test_EX_04_a_household_both_first_quartile_and_relogé_counts_once() -> None:
    # H1 below the threshold, H2 at it (not first quartile), H3 relogé above, H4 relogé
    # below: the facts count H4 as first quartile only (projections/replay.compter).
    bloc = r_quota_hors_qpv_q1_25(Comptes(attributions=4, premier_quartile=2, reloges=1),
                                  TAUX_HORS_QPV)
    assert bloc["eligibles"] == 3


@pytest.mark.parametrize(("premier_quartile", "objectif", "conforme", "requis"), [
    (14, TAUX_QPV, True, 15),          # (a) 16/30 = 53.3 %
    (16, TAUX_QPV, False, 15),         # (b) 14/30 = 46.7 %: 15 needed
    (14, Decimal("0.60"), False, 18),  # (c) the CIL's 60 %: 18 needed, 16 achieved
])
def test_EX_06_qpv_50(premier_quartile: int, objectif: Decimal, conforme: bool,
                      requis: int) -> None:
    bloc = r_quota_qpv_50(Comptes(attributions=30, premier_quartile=premier_quartile),
                          objectif)
    assert (bloc["conforme"], bloc["minimum"]) == (conforme, requis)
    assert bloc["autres_quartiles"] == 30 - premier_quartile


def test_EX_09_collectivite_shortfall_and_entry_into_force() -> None:
    periode = periode_en_vigueur("R-COLLECTIVITE-25-DALO", ANNEE_2023, v20_effective_from=V20)
    objectif = objectif_collectivite("collectivite", periode)
    a = r_collectivite_25_dalo(Comptes(attributions=20, dalo_ou_prioritaires=4), objectif)
    assert (a["minimum"], a["manque"], a["conforme"]) == (5, 1, False)
    b = r_collectivite_25_dalo(Comptes(attributions=18, dalo_ou_prioritaires=4), objectif)
    assert (b["minimum"], b["manque"]) == (5, 1)  # ceil(4.5)
    # (c) in 2016 the rule is not in force: no leases counted, no objective.
    en_2016 = periode_en_vigueur("R-COLLECTIVITE-25-DALO", periode_annee(2016, date(2016, 12, 31)),
                                 v20_effective_from=V20)
    assert en_2016 is None and objectif_collectivite("collectivite", en_2016) is None
    # Only collectivités are bound.
    assert objectif_collectivite("etat", periode) is None


def test_EX_10_non_reserves_shortfall() -> None:
    bloc = r_nonreserve_25_dalo(Comptes(attributions=16, dalo_ou_prioritaires=3), TAUX_DALO)
    assert (bloc["minimum"], bloc["manque"], bloc["conforme"]) == (4, 1, False)


def test_EX_14_six_month_flux_below_the_objective_and_the_frozen_window() -> None:
    semestre = periode_en_vigueur("R-6-MONTH-FLUX-INJUNCTION",
                                  periode_semestre(2023, date(2023, 6, 30)), date(2015, 1, 1),
                                  V20)
    assert semestre == Periode(date(2023, 1, 1), date(2023, 6, 30))
    assert conforme(3, 0, 20, TAUX_HORS_QPV) is False     # 15 %: enjoined
    assert conforme(5, 0, 20, TAUX_HORS_QPV) is True
    assert conforme(3, 2, 20, TAUX_HORS_QPV) is None      # undecided on unknown quartiles
    # The frozen-window exit test: (9 + k) / (44 + k) >= 25 % first for k = 3.
    assert [atteint(9 + k, 44 + k, TAUX_HORS_QPV) for k in range(4)] == [
        False, False, False, True]
    # Before v20 the rule applies on no day.
    assert periode_en_vigueur("R-6-MONTH-FLUX-INJUNCTION",
                              periode_semestre(2021, date(2021, 6, 30)), date(2015, 1, 1),
                              V20) is None


def test_EX_26_a_local_rate_of_30_percent_needs_12_of_40() -> None:
    bloc = r_quota_hors_qpv_q1_25(Comptes(attributions=40, premier_quartile=11),
                                  Decimal("0.30"))
    assert (bloc["conforme"], bloc["minimum"], bloc["manque"]) == (False, 12, 1)
    assert r_quota_hors_qpv_q1_25(Comptes(attributions=40, premier_quartile=11),
                                  TAUX_HORS_QPV)["conforme"] is True


def test_EX_27_semester_report_due_dates() -> None:
    assert r_semester_report_due(date(2023, 6, 30)) == date(2023, 7, 15)
    assert r_semester_report_due(date(2023, 12, 31)) == date(2024, 1, 15)
    with pytest.raises(ValueError):
        r_semester_report_due(date(2023, 9, 30))


def test_compliance_compares_the_exact_rate_with_the_objective() -> None:
    """"au moins 25 %": a rate published as 0.25 after rounding but below it is not
    compliant (DECISIONS §23)."""
    bloc = r_quota_hors_qpv_q1_25(Comptes(attributions=40_000, premier_quartile=9_999),
                                  TAUX_HORS_QPV)
    assert bloc["taux"] == 0.25 and bloc["conforme"] is False
    assert r_quota_hors_qpv_q1_25(Comptes(attributions=40_000, premier_quartile=10_000),
                                  TAUX_HORS_QPV)["conforme"] is True
    assert minimum(40, Decimal("0.30")) == 12  # exact, not 12.000…1 rounded up to 13


def test_an_empty_base_is_neither_compliant_nor_short() -> None:
    bloc = r_quota_hors_qpv_q1_25(Comptes(), TAUX_HORS_QPV)
    assert (bloc["taux"], bloc["conforme"], bloc["minimum"], bloc["manque"]) == (
        None, None, None, None)


@pytest.mark.parametrize(("regle", "veille", "jour"), [
    ("R-QUOTA-HORS-QPV-Q1-25", date(2017, 1, 28), date(2017, 1, 29)),
    ("R-NONRESERVE-25-DALO", date(2017, 1, 28), date(2017, 1, 29)),
    ("R-COLLECTIVITE-25-DALO", date(2017, 1, 28), date(2017, 1, 29)),
    ("R-QUOTA-QPV-50", date(2018, 11, 24), date(2018, 11, 25)),
    ("R-6-MONTH-FLUX-INJUNCTION", V20.replace(day=22), V20),
    ("R-PREFET-SUBSTITUTION", date(2017, 1, 28), date(2017, 1, 29)),
])
def test_each_rule_on_both_sides_of_its_entry_into_force(regle: str, veille: date,
                                                         jour: date) -> None:
    assert not en_vigueur(regle, veille, V20) and en_vigueur(regle, jour, V20)
    # The year of the entry counts the leases from that day only.
    periode = periode_en_vigueur(regle, periode_annee(jour.year, date(jour.year, 12, 31)),
                                 v20_effective_from=V20)
    assert periode is not None and periode.debut == jour
    assert periode_en_vigueur(regle, Periode(veille.replace(month=1, day=1), veille),
                              v20_effective_from=V20) is None


def test_prefet_substitution_ends_with_v19() -> None:
    assert en_vigueur("R-PREFET-SUBSTITUTION", date(2022, 2, 22), V20)
    assert not en_vigueur("R-PREFET-SUBSTITUTION", V20, V20)
    annee = periode_en_vigueur("R-PREFET-SUBSTITUTION", periode_annee(2022, date(2022, 12, 31)),
                               v20_effective_from=V20)
    assert annee == Periode(date(2022, 1, 1), date(2022, 2, 22))


def test_the_mix_rules_count_from_the_day_the_territory_became_subject() -> None:
    periode = periode_en_vigueur("R-QUOTA-HORS-QPV-Q1-25", ANNEE_2023, date(2023, 4, 1), V20)
    assert periode == Periode(date(2023, 4, 1), date(2023, 12, 31))
    assert periode_en_vigueur("R-QUOTA-HORS-QPV-Q1-25", ANNEE_2023, date(2024, 1, 1),
                              V20) is None


def test_objectives_of_the_cia_else_the_statutory_rates() -> None:
    """R-CIA-BAILLEUR-DISTRIBUTION: the CIA's objectives for the bailleur, else 25 % / 50 %;
    none for a rule that applies on no day."""
    cia = {"taux_hors_qpv_premier_quartile": Decimal("0.30"),
           "taux_qpv_autres_quartiles": Decimal("0.55")}
    assert objectifs_bailleur(cia, ANNEE_2023, ANNEE_2023) == (Decimal("0.30"),
                                                               Decimal("0.55"))
    assert objectifs_bailleur(None, ANNEE_2023, None) == (TAUX_HORS_QPV, None)


def _baux(debut: date, n: int, eligibles: int, pas: int = 5) -> list[BailHorsQpv]:
    return [BailHorsQpv(debut + timedelta(days=pas * i), i < eligibles) for i in range(n)]


def test_EX_14_the_injunction_runs_until_the_twelve_month_flux_reaches_the_objective() -> None:
    """2022 H2: 24 leases, 6 qualifying; 2023 H1: 20 leases, 3 qualifying (15 %): enjoined
    on 2023-06-30; 9 of 44 over twelve months, so three préfet attributions are needed:
    lifted with the third (12 of 47), not the second (11 of 46)."""
    baux = _baux(date(2022, 8, 1), 24, 6) + _baux(date(2023, 1, 10), 20, 3, pas=8)
    prefet = [BailHorsQpv(date(2023, 7, d), True) for d in (5, 10, 15)]
    transmis = {date(2022, 6, 30): date(2022, 7, 10), date(2022, 12, 31): date(2023, 1, 10),
                date(2023, 6, 30): date(2023, 7, 10)}
    def objectif(_: date) -> Decimal:
        return TAUX_HORS_QPV
    suivi = r_6_month_flux_injunction_etat(baux + prefet, transmis, objectif, V20,
                                           date(2023, 12, 31))
    assert suivi == [Injonction(date(2023, 6, 30), FLUX_6_MOIS, date(2023, 6, 30),
                                date(2023, 7, 15))]
    deux = r_6_month_flux_injunction_etat(baux + prefet[:2], transmis, objectif, V20,
                                          date(2023, 7, 31))
    assert deux[-1].levee_le is None and deux[-1].en_cours(date(2023, 7, 31))
    # Before v20 (or on a territory never subject) there is no injunction at all.
    assert r_6_month_flux_injunction_etat(baux, {}, objectif, None, date(2023, 12, 31)) == []


def test_EX_14_the_prefets_attributions_are_marked_and_other_acts_flagged() -> None:
    """R-6-MONTH-FLUX-INJUNCTION: the three préfet attributions of EX-14 are counted apart;
    a lease of the bailleur's own candidate designated while the injunction ran (recorded
    late) is flagged; one designated before it started, or in another year, is not."""
    baux = _baux(date(2022, 8, 1), 24, 6) + _baux(date(2023, 1, 10), 20, 3, pas=8)
    prefet = [BailHorsQpv(date(2023, 7, d), True, date(2023, 7, d - 2), True, f"P{d}")
              for d in (5, 10, 15)]
    propres = [BailHorsQpv(date(2023, 7, 20), False, date(2023, 7, 1), False, "V-CONTRAIRE"),
               BailHorsQpv(date(2023, 7, 21), False, date(2023, 6, 29), False, "V-AVANT")]
    transmis = {date(2022, 6, 30): date(2022, 7, 10), date(2022, 12, 31): date(2023, 1, 10),
                date(2023, 6, 30): date(2023, 7, 10)}
    tous = baux + prefet + propres
    suivi = r_6_month_flux_injunction_etat(tous, transmis, lambda _: TAUX_HORS_QPV, V20,
                                           date(2023, 12, 31))
    assert suivi[0].depuis == date(2023, 6, 30)
    assert r_injunction_attributions(tous, suivi, periode_annee(2023, date(2023, 12, 31))) == {
        "regle": "R-6-MONTH-FLUX-INJUNCTION", "attributions_prefet": 3,
        "hors_injonction": ["V-CONTRAIRE"]}
    assert r_injunction_attributions(tous, suivi, periode_annee(2022, date(2022, 12, 31))) \
        == {"regle": "R-6-MONTH-FLUX-INJUNCTION", "attributions_prefet": 0,
            "hors_injonction": []}
    # Before v20 or off a subject territory the rule applies on no day: no block.
    assert r_injunction_attributions(tous, suivi, None) is None


def test_EX_15_a_report_not_transmitted_enjoins_even_when_the_flux_is_met() -> None:
    baux = _baux(date(2023, 2, 10), 10, 3, pas=12) + _baux(date(2023, 7, 10), 10, 3, pas=15)
    def objectif(_: date) -> Decimal:
        return TAUX_HORS_QPV
    transmis = {date(2023, 6, 30): date(2023, 7, 10)}
    suivi = r_6_month_flux_injunction_etat(baux, transmis, objectif, date(2023, 1, 1),
                                           date(2024, 2, 29))
    assert suivi == [Injonction(date(2024, 1, 16), RAPPORT_NON_TRANSMIS, date(2023, 12, 31))]
    # Transmitted on the due date: no injunction; transmitted late: lifted that day, the
    # twelve-month flux (30 %) being met already.
    a_temps = {**transmis, date(2023, 12, 31): date(2024, 1, 15)}
    assert r_6_month_flux_injunction_etat(baux, a_temps, objectif, date(2023, 1, 1),
                                          date(2024, 2, 29)) == []
    en_retard = {**transmis, date(2023, 12, 31): date(2024, 2, 1)}
    assert r_6_month_flux_injunction_etat(baux, en_retard, objectif, date(2023, 1, 1),
                                          date(2024, 2, 29)) == [
        Injonction(date(2024, 1, 16), RAPPORT_NON_TRANSMIS, date(2023, 12, 31),
                   date(2024, 2, 1))]


def test_leases_of_unknown_quartile_neither_trigger_nor_lift() -> None:
    """R-6-MONTH-FLUX-INJUNCTION: leases whose quartile cannot be known (no threshold, not
    relogé) neither enjoin the bailleur at a semester end nor lift an injunction running."""
    inconnus = [BailHorsQpv(date(2023, 2, d), None) for d in range(1, 11)]
    transmis = {date(2023, 6, 30): date(2023, 7, 1)}
    assert r_6_month_flux_injunction_etat(inconnus, transmis, lambda _: TAUX_HORS_QPV,
                                          date(2023, 1, 1), date(2023, 12, 1)) == []
    # Lift: enjoined on the 2023-06-30 flux (none of two qualifying), then only leases of
    # unknown quartile, up to and after the day the two known ones leave the twelve months.
    connus = [BailHorsQpv(date(2023, 3, 1), False), BailHorsQpv(date(2023, 4, 1), False)]
    juillet = [BailHorsQpv(b.date.replace(month=7), b.eligible) for b in inconnus]
    transmis = {date(2023, 6, 30): date(2023, 7, 1), date(2023, 12, 31): date(2024, 1, 2)}
    for jour in (date(2023, 12, 1), date(2024, 6, 1)):
        suivi = r_6_month_flux_injunction_etat(connus + juillet, transmis,
                                               lambda _: TAUX_HORS_QPV, date(2023, 1, 1), jour)
        assert suivi == [Injonction(date(2023, 6, 30), FLUX_6_MOIS, date(2023, 6, 30))]
        assert suivi[-1].levee_le is None and suivi[-1].en_cours(jour)
    # The same ten leases, qualifying, lift it on the first of them.
    eligibles = [BailHorsQpv(b.date, True) for b in juillet]
    assert r_6_month_flux_injunction_etat(connus + eligibles, transmis,
                                          lambda _: TAUX_HORS_QPV, date(2023, 1, 1),
                                          date(2024, 6, 1))[-1].levee_le == date(2023, 7, 1)


def test_a_report_missing_while_another_injunction_runs_is_not_lost() -> None:
    """R-6-MONTH-FLUX-INJUNCTION with R-SEMESTER-REPORT: enjoined on the 2023-06-30 flux,
    the same semester's report never sent: lifting the flux ground leaves the bailleur
    enjoined, on the report ground, until it is sent."""
    baux = [BailHorsQpv(date(2023, 3, 1), False), BailHorsQpv(date(2023, 4, 1), False),
            *[BailHorsQpv(date(2023, 7, d), True) for d in (2, 3)]]
    transmis = {date(2022, 6, 30): date(2022, 7, 1), date(2022, 12, 31): date(2023, 1, 2)}
    suivi = r_6_month_flux_injunction_etat(baux, transmis, lambda _: TAUX_HORS_QPV,
                                           date(2022, 2, 23), date(2023, 12, 1))
    assert suivi[0].motif == FLUX_6_MOIS and suivi[0].depuis == date(2023, 6, 30)
    assert suivi[-1].en_cours(date(2023, 12, 1))
    envoye = {**transmis, date(2023, 6, 30): date(2023, 8, 1)}
    suivi = r_6_month_flux_injunction_etat(baux, envoye, lambda _: TAUX_HORS_QPV,
                                           date(2022, 2, 23), date(2023, 12, 1))
    assert suivi[-1].levee_le == date(2023, 8, 1)


def test_lifted_on_the_day_an_old_lease_leaves_the_twelve_months() -> None:
    """R-6-MONTH-FLUX-INJUNCTION: enjoined on 2022-12-31 (four non-qualifying leases from
    2022-07-04); one qualifying lease on 2023-05-01 makes 1 of 5 (20 %). On 2023-07-04 the
    lease of 2022-07-04 leaves the twelve months: 1 of 4, 25 %, lifted that day, not at
    some later lease."""
    baux = [BailHorsQpv(date(2022, 7, 4), False),
            *[BailHorsQpv(date(2022, 8, d), False) for d in (1, 2, 3)],
            BailHorsQpv(date(2023, 5, 1), True)]
    transmis = {date(2022, 6, 30): date(2022, 7, 1), date(2022, 12, 31): date(2023, 1, 2),
                date(2023, 6, 30): date(2023, 7, 1)}
    suivi = r_6_month_flux_injunction_etat(baux, transmis, lambda _: TAUX_HORS_QPV,
                                           date(2022, 2, 23), date(2023, 9, 1))
    assert suivi == [Injonction(date(2022, 12, 31), FLUX_6_MOIS, date(2022, 12, 31),
                                date(2023, 7, 4))]


def test_EX_16_no_objective_fixed_to_the_bailleur_no_flux_injunction() -> None:
    """R-CIA-ABSENCE-DEFAULT-OBJECTIVES: subject 2021-01-01, no CIA: the 25 % default applies
    from 2023-05-02; before, the flux neither enjoins nor holds an injunction."""
    assert r_cia_absence_default_objectives(date(2021, 1, 1)) == date(2023, 5, 2)
    defaut = r_cia_absence_default_objectives(date(2021, 1, 1))
    def objectif(t: date) -> Decimal | None:
        return TAUX_HORS_QPV if t >= defaut else None
    baux = [BailHorsQpv(date(2022, 10, d), False) for d in range(1, 6)]
    transmis = {date(2022, 6, 30): date(2022, 7, 1), date(2022, 12, 31): date(2023, 1, 2)}
    assert r_6_month_flux_injunction_etat(baux, transmis, objectif, date(2022, 2, 23),
                                          date(2023, 4, 30)) == []


def test_EX_16_the_objective_fixed_to_the_bailleur_on_both_sides_of_the_default() -> None:
    """R-CIA-ABSENCE-DEFAULT-OBJECTIVES: none the day before 2023-05-02, 25 % from it; a CIA
    objective (R-CIA-BAILLEUR-DISTRIBUTION) whenever there is one."""
    soumis = date(2021, 1, 1)
    assert objectif_fixe_au_bailleur(None, soumis, date(2023, 5, 1)) is None
    assert objectif_fixe_au_bailleur(None, soumis, date(2023, 5, 2)) == TAUX_HORS_QPV
    cia = {"taux_hors_qpv_premier_quartile": Decimal("0.20")}
    assert objectif_fixe_au_bailleur(cia, soumis, date(2022, 1, 1)) == Decimal("0.20")
    assert objectif_fixe_au_bailleur(None, None, date(2025, 1, 1)) is None
