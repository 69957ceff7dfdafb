"""R-RESOURCES-REQUERANT-ONLY and R-RESOURCES-DIVORCE-MUTUEL-TRANSITOIRE (RULES.md §4.A,
matrix §5.3, EX-12, EX-13): the pure rule on both sides of each entry into force, then the
demande that applies it (its resources per unit on a decision's or a lease's date), the
commands that record the ground, and the events recorded before these fields."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from api.errors import statut_http
from domain.application import HlmApplication
from domain.commandes import ChangementSituation, DepotDemande, Situation
from domain.demande import SITUATION_FIELDS, Demande
from domain.errors import Invalide
from domain.rules.ressources import (
    MATRICE,
    RULE_ID,
    RULE_TRANSITOIRE,
    Base,
    BaseRessources,
    Justificatif,
    MotifRessourcesPropres,
    bascules,
    r_resources_requerant_only,
)
from domain.vacance import Acteur
from projections.presentation import vue_demande

D = date.fromisoformat
DAY = timedelta(days=1)
M, J = MotifRessourcesPropres, Justificatif
REQUERANT, MENAGE = Base.REQUERANT, Base.MENAGE
ADMIN = Acteur("admin")


def base(motif: MotifRessourcesPropres, justificatif: Justificatif, le: str, decision: str,
         **kw: Any) -> Base:
    return r_resources_requerant_only(motif, justificatif, D(le), D(decision), **kw).base


# --- EX-12: evidence valid at the decision date -----------------------------------------------

def test_R_RESOURCES_REQUERANT_ONLY_ex12_a_onc_accepted_under_v16() -> None:
    """EX-12 (a): ONC of 2020-10-15, CALEOL decision on 2020-12-10 (v16): requérant only."""
    assert r_resources_requerant_only(
        M.DIVORCE_EN_COURS, J.ORDONNANCE_NON_CONCILIATION, D("2020-10-15"), D("2020-12-10")
    ) == BaseRessources(REQUERANT, None, RULE_ID)


def test_R_RESOURCES_REQUERANT_ONLY_ex12_b_onc_no_longer_accepted_under_v17() -> None:
    """EX-12 (b): decision on 2021-01-20 (v17): the ONC no longer counts, household; a copy
    of the JAF saisine or a lawyer's attestation would."""
    assert base(M.DIVORCE_EN_COURS, J.ORDONNANCE_NON_CONCILIATION, "2020-10-15",
                "2021-01-20") == MENAGE
    assert base(M.DIVORCE_EN_COURS, J.SAISINE_JAF, "2020-10-15", "2021-01-20") == REQUERANT
    assert base(M.DIVORCE_EN_COURS, J.ATTESTATION_AVOCAT, "2020-10-15",
                "2021-01-20") == REQUERANT


def test_R_RESOURCES_REQUERANT_ONLY_ex12_c_reference_year_n_2_under_v14() -> None:
    """EX-12 (c): decision 2016-06-01 (v14), lease signed in 2016: the resources of 2014."""
    rule = r_resources_requerant_only(M.DIVORCE_EN_COURS, J.ORDONNANCE_NON_CONCILIATION,
                                      D("2016-01-10"), D("2016-06-01"))
    assert rule == BaseRessources(REQUERANT, 2014, RULE_ID)
    # N is the year the lease is signed, when the caller knows it is another.
    assert r_resources_requerant_only(M.DIVORCE_EN_COURS, J.ORDONNANCE_NON_CONCILIATION,
                                      D("2016-01-10"), D("2016-12-01"),
                                      annee_signature=2017).annee_reference == 2015


def test_R_RESOURCES_REQUERANT_ONLY_ex12_d_no_reference_year_from_v15() -> None:
    """EX-12 (d): the same in 2018 (v15): requérant only, the article names no year (§7)."""
    assert r_resources_requerant_only(M.DIVORCE_EN_COURS, J.ORDONNANCE_NON_CONCILIATION,
                                      D("2018-01-10"), D("2018-06-01")
                                      ) == BaseRessources(REQUERANT, None, RULE_ID)
    # The N-2 sentence ends with v14 on 2017-01-28.
    for jour, annee in (("2017-01-28", 2015), ("2017-01-29", None)):
        assert r_resources_requerant_only(M.VIOLENCES_COUPLE, J.RECEPISSE_PLAINTE,
                                          D("2016-12-01"), D(jour)).annee_reference == annee


# --- EX-13: international protection -----------------------------------------------------------

def test_R_RESOURCES_REQUERANT_ONLY_ex13_international_protection_from_v16() -> None:
    """EX-13: refugee R, married, spouse abroad, lives alone in France: household on
    2018-06-01 (v15, no such ground), requérant only on 2019-06-01 (v16); the ground enters
    on 2018-11-25."""
    args = (M.PROTECTION_INTERNATIONALE, J.DECISION_PROTECTION_INTERNATIONALE, "2017-09-01")
    assert base(*args, "2018-06-01") == MENAGE
    assert base(*args, "2019-06-01") == REQUERANT
    assert base(*args, "2018-11-24") == MENAGE
    assert base(*args, "2018-11-25") == REQUERANT


# --- each entry into force, both sides ---------------------------------------------------------

def test_R_RESOURCES_REQUERANT_ONLY_enters_the_law_with_v9() -> None:
    """Al. 2 enters with v9 (2009-03-28): the day before, every ground leaves the
    household's resources."""
    for motif, justificatif in ((M.VIOLENCES_COUPLE, J.RECEPISSE_PLAINTE),
                                (M.DIVORCE_EN_COURS, J.ORDONNANCE_NON_CONCILIATION),
                                (M.URGENCE, J.DECISION_ART_257),
                                (M.RUPTURE_PACS, J.DECLARATION_GREFFE)):
        assert base(motif, justificatif, "2009-01-05", "2009-03-27") == MENAGE
        assert base(motif, justificatif, "2009-01-05", "2009-03-28") == REQUERANT
    assert r_resources_requerant_only(M.VIOLENCES_COUPLE, J.RECEPISSE_PLAINTE, D("2009-01-05"),
                                      D("2009-03-28")).annee_reference == 2007


def test_R_RESOURCES_REQUERANT_ONLY_onc_and_art_257_removed_by_v17() -> None:
    """v17 (2021-01-01): the ONC (divorce) and the art. 257 decision (emergency) stop
    counting; the ordonnance de protection goes on."""
    for motif, justificatif in ((M.DIVORCE_EN_COURS, J.ORDONNANCE_NON_CONCILIATION),
                                (M.URGENCE, J.DECISION_ART_257)):
        assert base(motif, justificatif, "2020-06-01", "2020-12-31") == REQUERANT
        assert base(motif, justificatif, "2020-06-01", "2021-01-01") == MENAGE
    assert base(M.URGENCE, J.ORDONNANCE_PROTECTION, "2020-06-01", "2021-01-01") == REQUERANT


def test_R_RESOURCES_DIVORCE_MUTUEL_TRANSITOIRE_v11_to_v15_optional() -> None:
    """R-RESOURCES-DIVORCE-MUTUEL-TRANSITOIRE: a mediation-attested mutual-consent divorce,
    from v11 (2014-03-27) to its removal by v16 (2018-11-25, before its own 2019-03-24
    sunset); optional ("peuvent"): not taken, the household's."""
    args = (M.DIVORCE_MUTUEL_MEDIATION, J.ATTESTATION_MEDIATION_FAMILIALE, "2014-01-10")
    assert base(*args, "2014-03-26") == MENAGE
    assert r_resources_requerant_only(M.DIVORCE_MUTUEL_MEDIATION,
                                      J.ATTESTATION_MEDIATION_FAMILIALE, D("2014-01-10"),
                                      D("2014-03-27")
                                      ) == BaseRessources(REQUERANT, 2012, RULE_TRANSITOIRE)
    assert base(*args, "2018-11-24") == REQUERANT
    assert base(*args, "2018-11-25") == MENAGE
    assert base(*args, "2019-03-20") == MENAGE
    assert base(*args, "2016-06-01", option_mediation=False) == MENAGE


def test_R_RESOURCES_REQUERANT_ONLY_evidence_changes_of_v10_v11_v16() -> None:
    """v10 (2010-10-01): the ordonnance de protection replaces the art. 220-1 urgent
    measures; v11 (2014-03-27): the copy of the JAF saisine; v16 (2018-11-25): the PACS
    rupture declared to the officier de l'état civil or the notaire instead of the greffe,
    and the lawyer's attestation."""
    assert base(M.URGENCE, J.MESURES_URGENTES_ART_220_1, "2010-01-05", "2010-09-30") == REQUERANT
    assert base(M.URGENCE, J.MESURES_URGENTES_ART_220_1, "2010-01-05", "2010-10-01") == MENAGE
    assert base(M.URGENCE, J.ORDONNANCE_PROTECTION, "2010-01-05", "2010-09-30") == MENAGE
    assert base(M.URGENCE, J.ORDONNANCE_PROTECTION, "2010-01-05", "2010-10-01") == REQUERANT
    assert base(M.DIVORCE_EN_COURS, J.SAISINE_JAF, "2014-01-05", "2014-03-26") == MENAGE
    assert base(M.DIVORCE_EN_COURS, J.SAISINE_JAF, "2014-01-05", "2014-03-27") == REQUERANT
    for justificatif, avant, apres in ((J.DECLARATION_GREFFE, REQUERANT, MENAGE),
                                       (J.DECLARATION_ETAT_CIVIL, MENAGE, REQUERANT),
                                       (J.DECLARATION_NOTAIRE, MENAGE, REQUERANT)):
        assert base(M.RUPTURE_PACS, justificatif, "2018-06-01", "2018-11-24") == avant
        assert base(M.RUPTURE_PACS, justificatif, "2018-06-01", "2018-11-25") == apres
    assert base(M.DIVORCE_EN_COURS, J.ATTESTATION_AVOCAT, "2018-06-01", "2018-11-24") == MENAGE
    assert base(M.DIVORCE_EN_COURS, J.ATTESTATION_AVOCAT, "2018-06-01", "2018-11-25") \
        == REQUERANT


def test_R_RESOURCES_REQUERANT_ONLY_no_ground_or_later_evidence_is_the_household() -> None:
    """No ground, evidence dated after the decision (it did not exist then), or an evidence
    the ground never takes: the household's resources."""
    assert r_resources_requerant_only(None, None, None, D("2023-01-01")).base == MENAGE
    assert base(M.VIOLENCES_COUPLE, J.RECEPISSE_PLAINTE, "2023-01-02", "2023-01-01") == MENAGE
    assert base(M.VIOLENCES_COUPLE, J.RECEPISSE_PLAINTE, "2023-01-01", "2023-01-01") \
        == REQUERANT
    assert base(M.VIOLENCES_COUPLE, J.SAISINE_JAF, "2023-01-01", "2023-06-01") == MENAGE


def test_R_RESOURCES_REQUERANT_ONLY_same_answer_whatever_v20_s_start() -> None:
    """v17 to v20 do not differ on al. 2: the setting of v20's start changes nothing."""
    for v20 in (date(2022, 2, 10), date(2024, 6, 1)):
        for motif, evidences in MATRICE.items():
            for justificatif in evidences:
                for jour in ("2022-02-09", "2022-03-01", "2024-07-01"):
                    assert r_resources_requerant_only(
                        motif, justificatif, D("2021-06-01"), D(jour),
                        v20_effective_from=v20) == r_resources_requerant_only(
                        motif, justificatif, D("2021-06-01"), D(jour))


def test_R_RESOURCES_REQUERANT_ONLY_breakpoints() -> None:
    """The days the answer can change with no act: each version that changes §5.3, and
    each 1 January while N-2 is named."""
    jours = bascules()
    for v in ("2009-03-28", "2010-10-01", "2014-03-27", "2017-01-29", "2018-11-25",
              "2021-01-01", "2010-01-01", "2017-01-01"):
        assert D(v) in jours
    assert D("2018-01-01") not in jours and D("2022-02-09") not in jours


# --- the demande that applies it ------------------------------------------------------------

def _app(today: date = date(2024, 1, 1)) -> HlmApplication:
    return HlmApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
                          today=lambda: today)


COUPLE = {"numero_unique": "N-EX12", "date_depot": D("2020-01-15"), "demandeur_id": "A",
          "personnes_a_loger": [{"personne_id": "B", "lien": "conjoint"}],
          "ressources_annuelles": Decimal("30000"), "unites_consommation": Decimal("1.5")}
EX12 = {"ressources_requerant": Decimal("9000"), "motif_ressources_propres": "DIVORCE_EN_COURS",
        "justificatif": "ORDONNANCE_NON_CONCILIATION", "date_justificatif": D("2020-10-15")}


def _deposer(app: HlmApplication, **extra: Any) -> Demande:
    issue = app.deposer_demande(ADMIN, DepotDemande.depuis({**COUPLE, **extra}))
    return app.demande_par_id(str(issue.id))  # type: ignore[union-attr]


def test_R_RESOURCES_REQUERANT_ONLY_ex12_on_the_demande() -> None:
    """EX-12 on the demande: resources per unit on the decision's date are the requérant's
    own (9000 for one unit: a person alone) under v16, the household's (30000 / 1.5) once
    the ONC no longer counts; with the requérant's units given, those."""
    app = _app()
    demande = _deposer(app, **EX12)
    assert demande.ressources_par_uc(D("2020-10-14")) == Decimal("20000")  # no evidence yet
    assert demande.ressources_par_uc(D("2020-12-10")) == Decimal("9000")
    assert demande.ressources_par_uc(D("2021-01-20")) == Decimal("20000")
    vue = vue_demande(demande, D("2020-12-10"))
    assert vue["base_ressources"] == {"base": "requerant", "regle": RULE_ID,
                                      "annee_reference": None}
    assert vue["motif_ressources_propres"] == "DIVORCE_EN_COURS"
    assert vue["date_justificatif"] == D("2020-10-15")
    assert vue_demande(demande, D("2021-01-20"))["base_ressources"]["base"] == "menage"
    # A copy of the JAF saisine recorded from 2021-01-15, and the requérant's own units.
    app.modifier_situation(ADMIN, str(demande.id), D("2021-01-15"), ChangementSituation.depuis(
        {"motif_ressources_propres": "DIVORCE_EN_COURS", "justificatif": "SAISINE_JAF",
         "date_justificatif": D("2021-01-10"), "unites_consommation_requerant": Decimal("1.5")}))
    demande = app.demande_par_id(str(demande.id))
    assert demande.ressources_par_uc(D("2021-01-20")) == Decimal("6000")
    assert demande.ressources_par_uc(D("2020-12-10")) == Decimal("9000")  # earlier: unchanged


def test_a_ground_is_withdrawn_by_null_with_its_evidence() -> None:
    """A change giving the ground as None withdraws it with its evidence (the requérant's
    resources stay recorded, unused): the household's resources again."""
    app = _app()
    demande = _deposer(app, **EX12)
    changement = ChangementSituation.depuis({"motif_ressources_propres": None})
    assert changement.champs() == {"motif_ressources_propres": None, "justificatif": None,
                                   "date_justificatif": None}
    app.modifier_situation(ADMIN, str(demande.id), D("2020-12-01"), changement)
    demande = app.demande_par_id(str(demande.id))
    assert demande.ressources_par_uc(D("2020-12-10")) == Decimal("20000")
    recorded = demande.situation_au(D("2020-12-10"))
    assert "motif_ressources_propres" not in recorded and "justificatif" not in recorded
    assert recorded["ressources_requerant"] == Decimal("9000")
    # The period before the withdrawal keeps its ground.
    assert demande.ressources_par_uc(D("2020-11-01")) == Decimal("9000")


def test_the_new_fields_are_recorded_only_when_given() -> None:
    """`champs()` records exactly the fields recorded before, plus the new ones given."""
    sans = Situation.depuis(COUPLE).champs()
    assert list(sans) == list(SITUATION_FIELDS)
    avec = Situation.depuis({**COUPLE, **EX12}).champs()
    assert list(avec) == [*SITUATION_FIELDS, "ressources_requerant",
                          "motif_ressources_propres", "justificatif", "date_justificatif"]
    assert avec["motif_ressources_propres"] == "DIVORCE_EN_COURS"
    assert type(avec["justificatif"]) is str  # the plain code, as JSON keeps it
    assert ChangementSituation.depuis({"ressources_requerant": Decimal("1")}).champs() == {
        "ressources_requerant": Decimal("1")}


def test_a_demande_recorded_before_the_new_fields_still_loads_and_changes() -> None:
    """An event recorded before the fields existed (its situation without them) folds; the
    household's resources count; a later change records the situation as before."""
    old = {"ressources_annuelles": Decimal("12000"), "unites_consommation": Decimal("2"),
           "dalo": False, "categories_prioritaires": ["JEUNE_EX_ASE"], "personnes_a_loger": [],
           "relogement_renouvellement_urbain": False}
    demande = Demande(numero_unique="OLD", date_depot=D("2021-06-01"), demandeur_id="P",
                      situation=old, date_anciennete=D("2021-06-01"), anciennete_source=None)
    assert demande.ressources_par_uc(D("2023-01-01")) == Decimal("6000")
    vue = vue_demande(demande, D("2023-01-01"))
    assert vue["base_ressources"]["base"] == "menage"
    assert vue["date_naissance"] is None and vue["ressources_requerant"] is None
    # m) recorded without its facts: counted until 2025-02-08 (DECISIONS 14 quater).
    assert vue["categories_en_vigueur"] == ["JEUNE_EX_ASE"]
    assert vue_demande(demande, D("2025-02-09"))["categories_en_vigueur"] == []
    demande.modifier_situation(D("2023-01-01"), {"ressources_annuelles": Decimal("14000")})
    assert list(demande.pending_events[-1].situation) == list(  # type: ignore[attr-defined]
        SITUATION_FIELDS)


# --- bad input: 422 naming the rule ---------------------------------------------------------

def _refus(fn: Any) -> Invalide:
    with pytest.raises(Invalide) as exc:
        fn()
    assert statut_http(exc.value) == 422
    return exc.value


def test_bad_grounds_are_refused_with_the_rule_id() -> None:
    app = _app()
    cases = {
        "unknown ground": lambda: DepotDemande.depuis(
            {**COUPLE, **EX12, "motif_ressources_propres": "CHOMAGE"}),
        "unknown evidence": lambda: ChangementSituation.depuis({"justificatif": "PHOTO"}),
        "evidence without ground": lambda: _deposer(
            app, **{**EX12, "motif_ressources_propres": None}),
        "ground without the evidence's date": lambda: _deposer(
            app, **{**EX12, "date_justificatif": None}),
        "evidence no version takes": lambda: _deposer(
            app, **{**EX12, "justificatif": "RECEPISSE_PLAINTE"}),
        "ground without the requérant's resources": lambda: _deposer(
            app, **{**EX12, "ressources_requerant": None}),
    }
    for name, fn in cases.items():
        err = _refus(fn)
        assert (err.code, err.rule) == ("VALIDATION", RULE_ID), name
    err = _refus(lambda: _deposer(app, **{**EX12, "date_justificatif": D("2024-01-02")}))
    assert (err.code, err.rule) == ("DATE_FUTURE", RULE_ID)
    assert err.details["champ"] == "date_justificatif"
    assert app.recorder.max_notification_id() in (None, 0)  # nothing recorded
