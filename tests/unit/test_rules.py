"""Pure tests of the rule functions of domain.rules (no store), named for their rule ids
and built on the worked examples of RULES.md §6."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from api.errors import statut_http
from domain.application import HlmApplication
from domain.commandes import ChangementSituation, DepotDemande
from domain.demande import categories_en_vigueur
from domain.errors import Conflit, Invalide
from domain.rules.cycle import (
    DecisionProposee,
    Votes,
    r_commission_nominative,
    r_commission_tie_break_maire,
    r_failed_qpv_to_maire,
    r_failed_qpv_to_maire_candidat,
    r_reservataire_delai_1_mois,
)
from domain.rules.priorities import (
    CATEGORIES,
    JeuneAse,
    age_au,
    code_for_letter,
    r_priority_categories,
    r_priority_jeune_ex_ase,
)
from domain.rules.seniority import r_seniority_separation
from domain.rules.versions import (
    DEFAULT_V20_EFFECTIVE_FROM,
    LAW_VERSIONS,
    add_months,
    in_force_from,
    law_versions,
    version_at,
)
from domain.vacance import Acteur
from projections.presentation import vue_demande
from projections.quotas import drapeaux_menage

D = date.fromisoformat
DAY = timedelta(days=1)
ACTEUR = Acteur("admin")

# RULES.md §5.1: "En vigueur à partir du" of v1 to v19.
V_STARTS = {
    1: "1996-03-05", 2: "1998-07-31", 3: "2000-12-14", 4: "2001-12-26", 5: "2005-01-01",
    6: "2005-01-19", 7: "2005-06-28", 8: "2006-07-16", 9: "2009-03-28", 10: "2010-10-01",
    11: "2014-03-27", 12: "2015-01-01", 13: "2015-08-08", 14: "2016-04-15", 15: "2017-01-29",
    16: "2018-11-25", 17: "2021-01-01", 18: "2021-11-27", 19: "2022-02-09",
}


# --- versions of L441-1 (RULES.md §5.1) --------------------------------------------------

def test_versions_table_matches_rules_5_1() -> None:
    """§5.1: nineteen dated versions, in order, with the dates of the table."""
    assert [(v.number, v.effective_from) for v in LAW_VERSIONS] == [
        (n, D(s)) for n, s in V_STARTS.items()]


@pytest.mark.parametrize("number", sorted(V_STARTS))
def test_version_at_each_boundary(number: int) -> None:
    """§5.1: a version is in force from its first day; the day before is the previous one
    (None before v1, 1996-03-05)."""
    start = D(V_STARTS[number])
    on = version_at(start)
    assert on is not None and on.number == number and on.name == f"v{number}"
    before = version_at(start - DAY)
    if number == 1:
        assert before is None
    else:
        assert before is not None and before.number == number - 1


def test_version_at_none_long_before_1996() -> None:
    """§5.1: nothing is in force before v1 (1996-03-05)."""
    assert version_at(D("1990-01-01")) is None
    assert not in_force_from(D("1996-03-04"), 1)
    assert in_force_from(D("1996-03-05"), 1)


def test_version_at_v20_default_start() -> None:
    """§5.6: v20 is undated; its default start is 2022-02-23 (the setting's default)."""
    default_start = DEFAULT_V20_EFFECTIVE_FROM
    assert default_start == D("2022-02-23")
    assert version_at(D("2022-02-22")).number == 19
    assert version_at(D("2022-02-23")).number == 20
    assert version_at(D("2030-01-01")).number == 20


@pytest.mark.parametrize("v20_start", ["2022-02-10", "2022-06-01", "2024-01-01"])
def test_version_at_v20_start_is_a_parameter(v20_start: str) -> None:
    """§5.6: v20's start comes from the caller (HLM_V20_EFFECTIVE_FROM)."""
    start = D(v20_start)
    assert version_at(start - DAY, start).number == 19
    assert version_at(start, start).number == 20
    assert in_force_from(start, 20, start)
    assert not in_force_from(start - DAY, 20, start)
    assert law_versions(start)[-1].effective_from == start


@pytest.mark.parametrize("v20_start", ["2022-02-09", "2020-01-01"])
def test_v20_cannot_start_before_v19_ends(v20_start: str) -> None:
    """§5.6: v20 follows v19 (2022-02-09)."""
    with pytest.raises(ValueError):
        version_at(D("2023-01-01"), D(v20_start))


# --- add_months (EX-08's month convention) -----------------------------------------------

@pytest.mark.parametrize(("start", "months", "expected"), [
    ("2023-03-03", 1, "2023-04-03"),   # EX-08
    ("2023-01-31", 1, "2023-02-28"),   # EX-08 variant, month-end convention
    ("2024-01-31", 1, "2024-02-29"),   # leap year
    ("2024-01-29", 1, "2024-02-29"),
    ("2023-01-29", 1, "2023-02-28"),
    ("2024-02-29", 12, "2025-02-28"),
    ("2000-01-30", 1, "2000-02-29"),   # 2000 is a leap year (divisible by 400)
    ("1900-01-31", 1, "1900-02-28"),   # 1900 is not
    ("2023-03-31", 1, "2023-04-30"),
    ("2023-12-15", 1, "2024-01-15"),   # year change
    ("2023-11-30", 3, "2024-02-29"),
    ("2023-05-31", -3, "2023-02-28"),
])
def test_add_months(start: str, months: int, expected: str) -> None:
    """R-RESERVATAIRE-DELAI-1-MOIS formula (EX-08): same day number of the following month,
    or the last day of that month when the number does not exist."""
    assert add_months(D(start), months) == D(expected)


# --- R-RESERVATAIRE-DELAI-1-MOIS -----------------------------------------------------------

def test_R_RESERVATAIRE_DELAI_1_MOIS_ex08_deadline() -> None:
    """R-RESERVATAIRE-DELAI-1-MOIS, EX-08: informed 2023-03-03 -> deadline 2023-04-03."""
    assert r_reservataire_delai_1_mois(D("2023-03-03"), reserve=True,
                                       zone_tendue=True) == D("2023-04-03")


def test_R_RESERVATAIRE_DELAI_1_MOIS_month_end() -> None:
    """R-RESERVATAIRE-DELAI-1-MOIS, EX-08 variant: informed 2023-01-31 -> 2023-02-28."""
    assert r_reservataire_delai_1_mois(D("2023-01-31"), reserve=True,
                                       zone_tendue=True) == D("2023-02-28")


def test_R_RESERVATAIRE_DELAI_1_MOIS_in_force_from_2015_08_08() -> None:
    """R-RESERVATAIRE-DELAI-1-MOIS enters into force with v13 on 2015-08-08: no cap the day
    before (and none in EX-08's 2015-06-15 variant)."""
    assert r_reservataire_delai_1_mois(D("2015-08-07"), reserve=True, zone_tendue=True) is None
    assert r_reservataire_delai_1_mois(D("2015-06-15"), reserve=True, zone_tendue=True) is None
    assert r_reservataire_delai_1_mois(D("2015-08-08"), reserve=True,
                                       zone_tendue=True) == D("2015-09-08")


def test_R_RESERVATAIRE_DELAI_1_MOIS_only_for_reserved_logements_in_zone_tendue() -> None:
    """R-RESERVATAIRE-DELAI-1-MOIS: outside art. 17-I zones there is no statutory cap
    (EX-08 variant), and a non-réservé logement has no réservataire to bind."""
    jour = D("2023-03-03")
    assert r_reservataire_delai_1_mois(jour, reserve=True, zone_tendue=False) is None
    assert r_reservataire_delai_1_mois(jour, reserve=False, zone_tendue=True) is None
    assert r_reservataire_delai_1_mois(jour, reserve=False, zone_tendue=False) is None


# --- R-FAILED-QPV-TO-MAIRE ---------------------------------------------------------------

def test_R_FAILED_QPV_TO_MAIRE_ex07_hands_qpv_logement_to_maire() -> None:
    """R-FAILED-QPV-TO-MAIRE, EX-07: failure on 2023-05-10 in a QPV -> the maire designates."""
    assert r_failed_qpv_to_maire(D("2023-05-10"), qpv=True) == "maire"


def test_R_FAILED_QPV_TO_MAIRE_in_force_from_2018_11_25() -> None:
    """R-FAILED-QPV-TO-MAIRE enters into force with v16 on 2018-11-25; before, and in EX-07's
    2018-03-01 variant, the logement falls back to the bailleur."""
    assert r_failed_qpv_to_maire(D("2018-11-24"), qpv=True) == "bailleur"
    assert r_failed_qpv_to_maire(D("2018-03-01"), qpv=True) == "bailleur"
    assert r_failed_qpv_to_maire(D("2018-11-25"), qpv=True) == "maire"


@pytest.mark.parametrize("jour", ["2018-03-01", "2018-11-25", "2023-05-10"])
def test_R_FAILED_QPV_TO_MAIRE_not_qpv_goes_to_bailleur(jour: str) -> None:
    """R-FAILED-QPV-TO-MAIRE applies to QPV logements only (EX-07: a former ZUS that is not a
    QPV is not handed over): otherwise the bailleur designates."""
    assert r_failed_qpv_to_maire(D(jour), qpv=False) == "bailleur"


@pytest.mark.parametrize(("per_uc", "admissible"), [
    ("5900", False),      # EX-07 X: first quartile, rejected
    ("9300", True),       # EX-07 Y: accepted
    ("8099.99", False),   # EX-04 H1: strictly below -> first quartile
    ("8100", True),       # EX-04 H2: equal is NOT first quartile ("inférieur à" is strict)
    ("8100.00", True),
    ("8100.01", True),
])
def test_R_FAILED_QPV_TO_MAIRE_candidat_strict_threshold(per_uc: str, admissible: bool) -> None:
    """R-FAILED-QPV-TO-MAIRE: the maire designates households outside the first quartile;
    the first quartile is strictly below the threshold, so equal is admissible."""
    assert r_failed_qpv_to_maire_candidat(Decimal(per_uc), Decimal("8100")) is admissible


# --- R-COMMISSION-TIE-BREAK-MAIRE ----------------------------------------------------------

def test_R_COMMISSION_TIE_BREAK_MAIRE_ex19_a_tie_mayor_for() -> None:
    """R-COMMISSION-TIE-BREAK-MAIRE, EX-19 (a): 4-4, the mayor voted for -> attributed, with
    the casting vote used (the réservataire's advisory opinion is not a vote)."""
    issue = r_commission_tie_break_maire(Votes(pour=4, contre=4, voix_maire="pour"))
    assert issue.adopte is True
    assert issue.departage_maire is True


def test_R_COMMISSION_TIE_BREAK_MAIRE_tie_mayor_against() -> None:
    """R-COMMISSION-TIE-BREAK-MAIRE: a tie goes to the side the mayor voted for, also against."""
    issue = r_commission_tie_break_maire(Votes(pour=4, contre=4, voix_maire="contre"))
    assert issue.adopte is False
    assert issue.departage_maire is True


def test_R_COMMISSION_TIE_BREAK_MAIRE_ex19_b_majority_against() -> None:
    """R-COMMISSION-TIE-BREAK-MAIRE, EX-19 (b): the mayor votes against, 3-5 -> rejected,
    no casting vote."""
    issue = r_commission_tie_break_maire(Votes(pour=3, contre=5, voix_maire="contre"))
    assert issue.adopte is False
    assert issue.departage_maire is False


def test_R_COMMISSION_TIE_BREAK_MAIRE_majority_wins_over_mayor() -> None:
    """R-COMMISSION-TIE-BREAK-MAIRE: the mayor's vote only settles a tie."""
    assert r_commission_tie_break_maire(Votes(5, 3, "contre")).adopte is True
    assert r_commission_tie_break_maire(Votes(5, 3, "contre")).departage_maire is False
    assert r_commission_tie_break_maire(Votes(3, 5, "pour")).adopte is False
    assert r_commission_tie_break_maire(Votes(5, 3, None)).adopte is True


def test_R_COMMISSION_TIE_BREAK_MAIRE_ex19_c_tie_without_mayor_is_refused() -> None:
    """R-COMMISSION-TIE-BREAK-MAIRE, EX-19 (c): mayor absent, 4-4: not resolvable, refused."""
    with pytest.raises(Invalide) as exc:
        r_commission_tie_break_maire(Votes(pour=4, contre=4, voix_maire=None))
    assert exc.value.code == "EGALITE_NON_DEPARTAGEE"
    assert exc.value.rule == "R-COMMISSION-TIE-BREAK-MAIRE"
    assert statut_http(exc.value) == 422


def test_R_COMMISSION_TIE_BREAK_MAIRE_negative_counts_refused() -> None:
    """R-COMMISSION-TIE-BREAK-MAIRE: a vote count cannot be negative."""
    with pytest.raises(Invalide):
        r_commission_tie_break_maire(Votes(pour=-1, contre=0, voix_maire="pour"))


# --- R-COMMISSION-NOMINATIVE ---------------------------------------------------------------

def _d(demande_id: str, decision: str = "attribution", rang: int | None = None):
    return DecisionProposee(demande_id, decision, rang)


def test_R_COMMISSION_NOMINATIVE_two_rank_1_in_one_commission() -> None:
    """R-COMMISSION-NOMINATIVE: one household, and only one, is first: two rank 1 -> Conflit
    RANG_1_EN_DOUBLE."""
    with pytest.raises(Conflit) as exc:
        r_commission_nominative([_d("a", rang=1), _d("b", rang=1)], {})
    assert exc.value.code == "RANG_1_EN_DOUBLE"
    assert exc.value.rule == "R-COMMISSION-NOMINATIVE"
    assert statut_http(exc.value) == 409
    assert exc.value.details == {"rang": 1}


def test_R_COMMISSION_NOMINATIVE_rank_1_already_given_on_the_vacancy() -> None:
    """R-COMMISSION-NOMINATIVE: a rank 1 given by an earlier commission counts too."""
    with pytest.raises(Conflit) as exc:
        r_commission_nominative([_d("b", rang=1)], {"a": 1})
    assert exc.value.code == "RANG_1_EN_DOUBLE"


def test_R_COMMISSION_NOMINATIVE_other_rank_twice() -> None:
    """R-COMMISSION-NOMINATIVE: each rank is used once (RANG_EN_DOUBLE beyond rank 1)."""
    with pytest.raises(Conflit) as exc:
        r_commission_nominative([_d("b", rang=2)], {"a": 1, "c": 2})
    assert exc.value.code == "RANG_EN_DOUBLE"


def test_R_COMMISSION_NOMINATIVE_lone_unranked_attribution_is_rank_1() -> None:
    """R-COMMISSION-NOMINATIVE: a lone attribution names the household: rank 1."""
    assert r_commission_nominative([_d("a")], {}) == {"a": 1}
    assert r_commission_nominative(
        [_d("a", "attribution_sous_condition"), _d("b", "non_attribution")], {}
    ) == {"a": 1, "b": None}


def test_R_COMMISSION_NOMINATIVE_ranked_list() -> None:
    """R-COMMISSION-NOMINATIVE: a ranked list keeps its ranks; a re-decided demande frees
    its former rank."""
    assert r_commission_nominative([_d("a", rang=1), _d("b", rang=2)], {}) == {"a": 1, "b": 2}
    assert r_commission_nominative([_d("a", rang=1)], {"a": 1}) == {"a": 1}
    assert r_commission_nominative([_d("c", rang=3)], {"a": 1, "b": 2}) == {"c": 3}


def test_R_COMMISSION_NOMINATIVE_unranked_among_several_is_refused() -> None:
    """R-COMMISSION-NOMINATIVE: several households attributed -> each needs its rank."""
    with pytest.raises(Invalide) as exc:
        r_commission_nominative([_d("a"), _d("b", rang=2)], {})
    assert exc.value.code == "RANG_REQUIS"
    with pytest.raises(Invalide):
        r_commission_nominative([_d("b")], {"a": 1})


@pytest.mark.parametrize("decision", ["non_attribution", "irrecevabilite"])
def test_R_COMMISSION_NOMINATIVE_rank_on_non_attribution_is_invalid(decision: str) -> None:
    """R-COMMISSION-NOMINATIVE: only an attribution carries a rank."""
    with pytest.raises(Invalide) as exc:
        r_commission_nominative([_d("a", decision, rang=1)], {})
    assert exc.value.rule == "R-COMMISSION-NOMINATIVE"
    assert statut_http(exc.value) == 422


def test_R_COMMISSION_NOMINATIVE_same_demande_twice_or_rank_0() -> None:
    """R-COMMISSION-NOMINATIVE: one decision per household; ranks start at 1."""
    with pytest.raises(Invalide):
        r_commission_nominative([_d("a", rang=1), _d("a", "non_attribution")], {})
    with pytest.raises(Invalide):
        r_commission_nominative([_d("a", rang=0)], {})


# --- R-SENIORITY-SEPARATION (EX-11) ---------------------------------------------------------

T0 = D("2011-05-10")


@pytest.mark.parametrize(("case", "listed", "depot", "separation", "evenement", "expected",
                          "conservee"), [
    # (a) 2013: v10 in force, no carry-over: D' runs from its own filing.
    ("a", True, T0, "2013-06-01", "2013-09-15", "2013-09-15", False),
    # (b) 2015: v12 in force, D' inherits 2011-05-10.
    ("b", True, T0, "2015-02-01", "2015-03-01", "2011-05-10", True),
    # (c) substitution on 2015-03-01: D, held by B, keeps 2011-05-10.
    ("c", True, T0, "2015-02-01", "2015-03-01", "2011-05-10", True),
    # (d) as (b) but B was not listed: no carry-over.
    ("d", False, T0, "2015-02-01", "2015-03-01", "2015-03-01", False),
    # (e) D filed on 2015-04-01, after the separation: no carry-over.
    ("e", True, D("2015-04-01"), "2015-02-01", "2015-05-01", "2015-05-01", False),
    # (f) separation 2013, D' filed 2015: judged at the filing date -> carry-over.
    ("f", True, T0, "2013-06-01", "2015-03-01", "2011-05-10", True),
])
def test_R_SENIORITY_SEPARATION_ex11(case: str, listed: bool, depot: date, separation: str,
                                     evenement: str, expected: str, conservee: bool) -> None:
    """R-SENIORITY-SEPARATION, EX-11 (a)-(f): the seniority of D carries over to B (new
    demande or substitution) when D predates the separation, listed B, and the rule is in
    force (from 2014-03-27) at the date of the substitution or new filing."""
    result = r_seniority_separation(
        date_depot_initiale=depot, membre_listee_a_la_separation=listed,
        date_separation=D(separation), date_evenement=D(evenement))
    assert result.date_anciennete == D(expected), case
    assert result.conservee is conservee, case


def test_R_SENIORITY_SEPARATION_in_force_from_2014_03_27() -> None:
    """R-SENIORITY-SEPARATION enters into force with v11 on 2014-03-27 (judged at the date of
    the substitution or new filing)."""
    before = r_seniority_separation(date_depot_initiale=T0, membre_listee_a_la_separation=True,
                                    date_separation=D("2014-01-01"),
                                    date_evenement=D("2014-03-26"))
    on = r_seniority_separation(date_depot_initiale=T0, membre_listee_a_la_separation=True,
                                date_separation=D("2014-01-01"),
                                date_evenement=D("2014-03-27"))
    assert (before.date_anciennete, before.conservee) == (D("2014-03-26"), False)
    assert (on.date_anciennete, on.conservee) == (T0, True)


def test_R_SENIORITY_SEPARATION_filed_on_the_separation_day() -> None:
    """R-SENIORITY-SEPARATION: the demande must be filed *before* the separation (strict)."""
    result = r_seniority_separation(
        date_depot_initiale=D("2015-02-01"), membre_listee_a_la_separation=True,
        date_separation=D("2015-02-01"), date_evenement=D("2015-03-01"))
    assert result.conservee is False
    assert result.date_anciennete == D("2015-03-01")


# --- R-PRIORITY-CATEGORIES (§5.2, EX-17, EX-18) ----------------------------------------------

def test_R_PRIORITY_CATEGORIES_jeune_ex_ase_exists_from_2022_02_09() -> None:
    """R-PRIORITY-CATEGORIES, EX-17 first two bullets: m) JEUNE_EX_ASE is not in the law on
    2022-01-15 (v18) and is on 2022-03-01 (v19); it starts on 2022-02-09."""
    assert r_priority_categories(["JEUNE_EX_ASE"], D("2022-01-15")) == []
    assert r_priority_categories(["JEUNE_EX_ASE"], D("2022-03-01")) == ["JEUNE_EX_ASE"]
    assert r_priority_categories(["JEUNE_EX_ASE"], D("2022-02-08")) == []
    assert r_priority_categories(["JEUNE_EX_ASE"], D("2022-02-09")) == ["JEUNE_EX_ASE"]


# EX-17: P born 2001-04-01, in ASE care since age 15, last day of care 2021-03-31.
P_EX17 = JeuneAse(D("2001-04-01"), D("2021-03-31"))


def m_(faits: JeuneAse | None, on: str) -> bool:
    return r_priority_categories(["JEUNE_EX_ASE", "HANDICAP"], D(on), faits) == sorted(
        ["JEUNE_EX_ASE", "HANDICAP"])


def test_R_PRIORITY_CATEGORIES_ex17_not_in_the_law_under_v18() -> None:
    """EX-17: on 2022-01-15 (v18) m) is not in the law: not prioritaire under m)."""
    assert r_priority_categories(["JEUNE_EX_ASE"], D("2022-01-15"), P_EX17) == []
    assert not r_priority_jeune_ex_ase(P_EX17, D("2022-02-08"))
    assert r_priority_jeune_ex_ase(P_EX17, D("2022-02-09"))


def test_R_PRIORITY_CATEGORIES_ex17_aged_20_within_three_years() -> None:
    """EX-17: on 2022-03-01 (v19) P is 20 and within three years of 2021-03-31: m)."""
    assert m_(P_EX17, "2022-03-01")
    assert m_(P_EX17, "2022-03-31")  # the last day P is 20


def test_R_PRIORITY_CATEGORIES_ex17_no_longer_m_at_21() -> None:
    """EX-17: from 2022-04-01 P is 21: under the literal, conjunctive reading no longer m),
    although the three-year window runs to 2024-03-31 (§7 item 25); the other categories
    still count."""
    assert not m_(P_EX17, "2022-04-01")
    assert r_priority_categories(["JEUNE_EX_ASE", "HANDICAP"], D("2022-04-01"), P_EX17) \
        == ["HANDICAP"]
    assert not m_(P_EX17, "2024-03-31")


def test_R_PRIORITY_CATEGORIES_ex17_three_years_after_the_care_alone_ends_m() -> None:
    """The other limit: a 19-year-old whose care ended on 2019-06-30 is m) until
    2022-06-30 (that day + 3 years, included), not after."""
    jeune = JeuneAse(D("2003-05-01"), D("2019-06-30"))
    assert m_(jeune, "2022-06-30")
    assert not m_(jeune, "2022-07-01")


def test_R_PRIORITY_CATEGORIES_ex17_variant_emancipated_17_year_old() -> None:
    """EX-17 variant: an emancipated 17-year-old formerly in ASE care, in 2022-06: m); not
    emancipated, a minor is not in m)."""
    emancipe = JeuneAse(D("2004-11-20"), D("2022-03-31"), mineur_emancipe=True)
    assert age_au(emancipe.date_naissance, D("2022-06-15")) == 17
    assert m_(emancipe, "2022-06-15")
    assert not m_(JeuneAse(D("2004-11-20"), D("2022-03-31")), "2022-06-15")
    # At 18 the flag no longer matters: an adult under 21.
    assert m_(JeuneAse(D("2004-11-20"), D("2022-03-31")), "2022-11-20")


def test_R_PRIORITY_CATEGORIES_m_recorded_without_its_facts() -> None:
    """m) recorded before its facts were asked: counted three years from 2022-02-09, to
    2025-02-08 (docs/DECISIONS.md 14 quater)."""
    assert m_(None, "2022-02-09") and m_(None, "2025-02-08")
    assert not m_(None, "2025-02-09")


def test_R_PRIORITY_CATEGORIES_m_birthday_on_29_february() -> None:
    """Born on 29 February: 21 on 28 February of a common year."""
    assert age_au(D("2004-02-29"), D("2025-02-27")) == 20
    assert age_au(D("2004-02-29"), D("2025-02-28")) == 21
    assert age_au(D("2004-02-29"), D("2024-02-29")) == 20


def test_R_PRIORITY_CATEGORIES_m_in_the_lease_flag_and_the_read_model() -> None:
    """The lease's `prioritaire` flag (projections/quotas.py, which feeds the DALO
    quarters) and `categories_en_vigueur` (a read model's row: ISO dates) apply m)'s
    limits."""
    situation = {"dalo": False, "categories_prioritaires": ["JEUNE_EX_ASE"],
                 "relogement_renouvellement_urbain": False, "date_naissance": D("2001-04-01"),
                 "fin_prise_en_charge_ase": D("2021-03-31")}
    assert drapeaux_menage(situation, D("2022-03-01"))["prioritaire"]
    assert not drapeaux_menage(situation, D("2022-04-01"))["prioritaire"]
    ligne = {**situation, "date_naissance": "2001-04-01", "fin_prise_en_charge_ase": "2021-03-31"}
    assert categories_en_vigueur(ligne, D("2022-03-01")) == ["JEUNE_EX_ASE"]
    assert categories_en_vigueur(ligne, D("2022-04-01")) == []


def test_R_PRIORITY_CATEGORIES_m_declared_needs_its_facts() -> None:
    """A new declaration of m) without the birth date and the last day of care is 422
    naming R-PRIORITY-CATEGORIES; a change that does not declare the categories leaves a
    demande recorded before as it is; a future birth date is DATE_FUTURE."""
    app = HlmApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
                         today=lambda: date(2023, 1, 1))
    corps = {"numero_unique": "N-M", "date_depot": D("2022-03-01"), "demandeur_id": "P",
             "ressources_annuelles": Decimal("9000"), "unites_consommation": Decimal("1"),
             "categories_prioritaires": ["JEUNE_EX_ASE"]}
    with pytest.raises(Invalide) as exc:
        app.deposer_demande(ACTEUR, DepotDemande.depuis(corps))
    assert exc.value.rule == "R-PRIORITY-CATEGORIES"
    assert exc.value.details == {"champs": ["date_naissance", "fin_prise_en_charge_ase"]}
    with pytest.raises(Invalide) as exc:
        app.deposer_demande(ACTEUR, DepotDemande.depuis(
            {**corps, "date_naissance": D("2023-01-02"),
             "fin_prise_en_charge_ase": D("2023-01-02")}))
    assert (exc.value.code, exc.value.rule) == ("DATE_FUTURE", "R-PRIORITY-CATEGORIES")
    with pytest.raises(Invalide) as exc:
        app.deposer_demande(ACTEUR, DepotDemande.depuis(
            {**corps, "date_naissance": D("2001-04-01"),
             "fin_prise_en_charge_ase": D("2000-01-01")}))
    assert exc.value.rule == "R-PRIORITY-CATEGORIES"
    issue = app.deposer_demande(ACTEUR, DepotDemande.depuis(
        {**corps, "date_naissance": D("2001-04-01"), "fin_prise_en_charge_ase": D("2021-03-31")}))
    did = str(issue.id)  # type: ignore[union-attr]
    demande = app.demande_par_id(did)
    assert vue_demande(demande, D("2022-03-01"))["categories_en_vigueur"] == ["JEUNE_EX_ASE"]
    assert vue_demande(demande, D("2022-04-01"))["categories_en_vigueur"] == []
    # Withdrawing the facts while m) stays declared is refused; changing the resources is not.
    with pytest.raises(Invalide):
        app.modifier_situation(ACTEUR, did, D("2022-06-01"), ChangementSituation.depuis(
            {"categories_prioritaires": ["JEUNE_EX_ASE"], "date_naissance": None}))
    app.modifier_situation(ACTEUR, did, D("2022-06-01"), ChangementSituation.depuis(
        {"ressources_annuelles": Decimal("9500")}))


def test_R_PRIORITY_CATEGORIES_ex18_a_letter_e_in_2012_is_violence() -> None:
    """R-PRIORITY-CATEGORIES, EX-18 (a): a 2012 record flagged e) maps to VIOLENCES_COUPLE."""
    assert code_for_letter("e)", D("2012-06-01")) == "VIOLENCES_COUPLE"
    assert code_for_letter("e", D("2012-06-01")) == "VIOLENCES_COUPLE"


def test_R_PRIORITY_CATEGORIES_ex18_b_letter_e_in_2018_is_return_to_work() -> None:
    """R-PRIORITY-CATEGORIES, EX-18 (b): a 2018 record flagged e) maps to REPRISE_ACTIVITE."""
    assert code_for_letter("e)", D("2018-06-01")) == "REPRISE_ACTIVITE"


@pytest.mark.parametrize(("letter", "on", "code"), [
    ("e", "2017-01-28", "VIOLENCES_COUPLE"),
    ("e", "2017-01-29", "REPRISE_ACTIVITE"),
    ("d", "2016-12-01", "REPRISE_ACTIVITE"),
    ("d", "2017-02-01", "HEBERGES_TRANSITION"),
    ("c", "2010-01-01", "HEBERGES_TRANSITION"),
    ("c", "2017-02-01", "MAL_LOGES_DEFAVORISES"),
    ("b", "2016-12-01", "MAL_LOGES_DEFAVORISES"),
    ("b", "2017-02-01", "SORTIE_ACT"),
    ("f", "2016-04-15", "SORTIE_PROSTITUTION"),
    ("f", "2017-02-01", "HABITAT_INDIGNE"),
    ("g", "2016-06-01", "VICTIME_TRAITE_PROXENETISME"),
    ("g", "2017-02-01", "VIOLENCES_COUPLE"),
    ("f", "2016-04-14", None),
    ("e", "2009-03-27", None),
    ("a", "2006-07-15", None),         # no letters before v8
    ("g bis)", "2018-11-24", None),
    ("g bis)", "2018-11-25", "VICTIME_VIOL_AGRESSION_DOMICILE"),
    ("m)", "2022-02-08", None),
    ("m)", "2022-02-09", "JEUNE_EX_ASE"),
    ("l", "2023-01-01", "MENACE_EXPULSION"),
    ("g bis", "2023-01-01", "VICTIME_VIOL_AGRESSION_DOMICILE"),
    ("M)", "2023-01-01", "JEUNE_EX_ASE"),
])
def test_R_PRIORITY_CATEGORIES_letter_drift(letter: str, on: str, code: str | None) -> None:
    """R-PRIORITY-CATEGORIES, §5.2 "letter drift warning": a letter means a code on a date."""
    assert code_for_letter(letter, D(on)) == code


def test_R_PRIORITY_CATEGORIES_ex18_c_return_to_work_needs_mal_loges_before_v15() -> None:
    """R-PRIORITY-CATEGORIES, EX-18 (c): Q resumes work and is adequately housed: not
    prioritaire on 2016-12-01 (letter d) required "mal logées"), prioritaire on 2017-02-01."""
    assert r_priority_categories(["REPRISE_ACTIVITE"], D("2016-12-01")) == []
    assert r_priority_categories(["REPRISE_ACTIVITE"], D("2017-02-01")) == ["REPRISE_ACTIVITE"]
    both = ["REPRISE_ACTIVITE", "MAL_LOGES_DEFAVORISES"]
    assert r_priority_categories(both, D("2016-12-01")) == sorted(both)
    assert r_priority_categories(["REPRISE_ACTIVITE"], D("2017-01-28")) == []
    assert r_priority_categories(["REPRISE_ACTIVITE"], D("2017-01-29")) == ["REPRISE_ACTIVITE"]


@pytest.mark.parametrize(("code", "start"), [
    ("MAL_LOGES_DEFAVORISES", "1996-03-05"),
    ("HANDICAP", "2001-12-26"),
    ("HEBERGES_TRANSITION", "2005-01-19"),
    ("VIOLENCES_COUPLE", "2009-03-28"),
    ("SORTIE_PROSTITUTION", "2016-04-15"),
    ("VICTIME_TRAITE_PROXENETISME", "2016-04-15"),
    ("SORTIE_ACT", "2017-01-29"),
    ("HABITAT_INDIGNE", "2017-01-29"),
    ("ENFANT_SUROCCUPATION_INDECENCE", "2017-01-29"),
    ("SANS_LOGEMENT", "2017-01-29"),
    ("MENACE_EXPULSION", "2017-01-29"),
    ("VICTIME_VIOL_AGRESSION_DOMICILE", "2018-11-25"),
    ("JEUNE_EX_ASE", "2022-02-09"),
])
def test_R_PRIORITY_CATEGORIES_each_code_from_its_version(code: str, start: str) -> None:
    """R-PRIORITY-CATEGORIES, §5.2: a category counts from the day the law lists it."""
    assert CATEGORIES[code] == D(start)
    assert r_priority_categories([code], D(start) - DAY) == []
    assert r_priority_categories([code], D(start)) == [code]


def test_R_PRIORITY_CATEGORIES_unknown_codes_and_duplicates() -> None:
    """R-PRIORITY-CATEGORIES: unknown codes never count; the result is sorted, unique."""
    assert r_priority_categories(["PAS_UN_CODE", "HANDICAP", "HANDICAP", "SANS_LOGEMENT"],
                                 D("2023-01-01")) == ["HANDICAP", "SANS_LOGEMENT"]
    assert r_priority_categories([], D("2023-01-01")) == []
