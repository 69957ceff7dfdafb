"""Whole lifecycles through the HTTP API (API.md), on the SQLite and the PostgreSQL stores:
reference data, demandes, vacancy, designation, commission, refusal, lease; the worked
examples EX-07, EX-08, EX-11, EX-19 of RULES.md §6, and every 409 of the cycle with the
store's event count unchanged."""

from __future__ import annotations

from datetime import date

from domain.application import HlmApplication
from tests.helpers_lifecycle import (
    BAILLEUR,
    COMMUNE,
    RESERVATAIRE,
    Monde,
    assert_error,
    designation,
    nothing_recorded,
)

# --- R-RESERVATAIRE-DELAI-1-MOIS (EX-08) ---------------------------------------------------

def test_R_RESERVATAIRE_DELAI_1_MOIS_ex08_deadline_on_declaration(monde: Monde) -> None:
    """R-RESERVATAIRE-DELAI-1-MOIS, EX-08: a reserved zone-tendue logement informed on
    2023-03-03 -> date_limite_designation 2023-04-03; the réservataire designates until
    then, the bailleur after."""
    monde.logement("L-ZT")
    r = monde.post_vacance("L-ZT", "2023-03-03")
    assert r.status_code == 201, r.text
    body = r.json()
    assert {"vacance_id", "logement_id", "reservataire_id", "designataire",
            "date_limite_designation", "statut"} <= set(body)
    assert body["logement_id"] == "L-ZT"
    assert body["reservataire_id"] == RESERVATAIRE
    assert body["date_limite_designation"] == "2023-04-03"
    assert body["statut"] == "en_attente_designation"
    vid = body["vacance_id"]
    on_time = monde.get_vacance(vid, as_of="2023-04-03")
    assert on_time["designataire"] == "reservataire"
    assert on_time["organisation_designataire"] == RESERVATAIRE
    late = monde.get_vacance(vid, as_of="2023-04-04")
    assert late["designataire"] == "bailleur"
    assert late["organisation_designataire"] == BAILLEUR
    assert late["date_limite_designation"] == "2023-04-03"


def test_R_RESERVATAIRE_DELAI_1_MOIS_month_end(monde: Monde) -> None:
    """R-RESERVATAIRE-DELAI-1-MOIS, EX-08 variant: informed 2023-01-31 -> 2023-02-28."""
    monde.logement("L-ZT")
    r = monde.post_vacance("L-ZT", "2023-01-31")
    assert r.status_code == 201, r.text
    assert r.json()["date_limite_designation"] == "2023-02-28"


def test_R_RESERVATAIRE_DELAI_1_MOIS_no_deadline_before_2015_08_08(monde: Monde) -> None:
    """R-RESERVATAIRE-DELAI-1-MOIS, EX-08 variant: informed 2015-06-15 (v12) -> null; the
    réservataire still designates long after (no statutory cap); 2015-08-08 -> 2015-09-08."""
    monde.logement("L-ZT")
    r = monde.post_vacance("L-ZT", "2015-06-15")
    assert r.status_code == 201, r.text
    assert r.json()["date_limite_designation"] is None
    vid = r.json()["vacance_id"]
    assert monde.get_vacance(vid, as_of="2015-12-01")["designataire"] == "reservataire"
    d = monde.demande(date_depot="2014-01-10")
    r = monde.designer(vid, d, "2015-12-01")
    assert r.status_code == 201, r.text
    monde.logement("L-ZT2")  # one open vacancy per logement: another one, alike
    r = monde.post_vacance("L-ZT2", "2015-08-08")
    assert r.status_code == 201, r.text
    assert r.json()["date_limite_designation"] == "2015-09-08"


def test_R_RESERVATAIRE_DELAI_1_MOIS_no_deadline_outside_zone_tendue(monde: Monde) -> None:
    """R-RESERVATAIRE-DELAI-1-MOIS, EX-08 variant: outside art. 17-I zones, no statutory cap
    (null), and the réservataire remains the designataire."""
    monde.logement("L-HZ", zone_tendue=False)
    r = monde.post_vacance("L-HZ", "2023-03-03")
    assert r.status_code == 201, r.text
    assert r.json()["date_limite_designation"] is None
    vid = r.json()["vacance_id"]
    assert monde.get_vacance(vid, as_of="2023-06-01")["designataire"] == "reservataire"
    d = monde.demande()
    assert monde.designer(vid, d, "2023-06-01").status_code == 201


def test_R_RESERVATAIRE_DELAI_1_MOIS_non_reserve_is_the_bailleurs(monde: Monde) -> None:
    """R-RESERVATAIRE-DELAI-1-MOIS: a non-réservé logement has no deadline; the bailleur
    designates, the réservataire may not (403)."""
    monde.logement("L-NR", reservataire_id=None)
    r = monde.post_vacance("L-NR", "2023-03-03")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["date_limite_designation"] is None
    assert body["reservataire_id"] is None
    assert body["designataire"] == "bailleur"
    d = monde.demande()
    assert_error(monde.designer(body["vacance_id"], d, "2023-03-10"), 403, "FORBIDDEN")
    assert monde.designer(body["vacance_id"], d, "2023-03-10",
                          monde.bailleur).status_code == 201


def test_R_RESERVATAIRE_DELAI_1_MOIS_follows_the_logement_history(monde: Monde) -> None:
    """R-RESERVATAIRE-DELAI-1-MOIS: zone_tendue is read on the information date, from the
    logement's dated history (a later PUT with a later date_effet)."""
    for lid in ("L-H", "L-H2"):  # one open vacancy per logement: two alike
        monde.logement(lid, zone_tendue=False, date_effet="2010-01-01")
        monde.logement(lid, zone_tendue=True, date_effet="2020-01-01")
    assert monde.post_vacance("L-H", "2019-06-03").json()["date_limite_designation"] is None
    assert monde.post_vacance("L-H2", "2023-03-03").json()[
        "date_limite_designation"] == "2023-04-03"


def test_R_RESERVATAIRE_DELAI_1_MOIS_proposal_on_the_last_day_is_on_time(monde: Monde) -> None:
    """R-RESERVATAIRE-DELAI-1-MOIS, EX-08: a proposal made on 2023-04-03 is on time."""
    monde.logement("L-ZT")
    vid = monde.vacance("L-ZT", "2023-03-03")
    d = monde.demande()
    r = monde.designer(vid, d, "2023-04-03")
    assert r.status_code == 201, r.text
    vue = monde.get_vacance(vid, as_of="2023-04-10")
    assert vue["designataire"] == "reservataire"
    assert designation(vue, d)["par"] == "reservataire"
    assert designation(vue, d)["organisation"] == RESERVATAIRE
    assert vue["statut"] == "candidats_designes"


def test_R_RESERVATAIRE_DELAI_1_MOIS_late_designation_409_then_bailleur(
        monde: Monde, application: HlmApplication) -> None:
    """R-RESERVATAIRE-DELAI-1-MOIS: the réservataire designating after its deadline is 409
    DELAI_DESIGNATION_EXPIRE and records nothing; the bailleur then designates."""
    monde.logement("L-ZT")
    vid = monde.vacance("L-ZT", "2023-03-03")
    d1, d2 = monde.demande(), monde.demande()
    # Before the deadline the bailleur is not the designataire.
    assert_error(monde.designer(vid, d1, "2023-03-20", monde.bailleur), 403, "FORBIDDEN")
    with nothing_recorded(application):
        err = assert_error(monde.designer(vid, d1, "2023-04-04"), 409,
                           "DELAI_DESIGNATION_EXPIRE", "R-RESERVATAIRE-DELAI-1-MOIS")
    assert err["details"]["date_limite_designation"] == "2023-04-03"
    r = monde.designer(vid, d2, "2023-04-05", monde.bailleur)
    assert r.status_code == 201, r.text
    vue = monde.get_vacance(vid, as_of="2023-04-05")
    assert vue["designataire"] == "bailleur"
    assert [d["demande_id"] for d in vue["designations"]] == [d2]
    assert designation(vue, d2)["par"] == "bailleur"
    assert vue["tours"][-1]["designataire"] == "bailleur"
    assert vue["tours"][-1]["regle"] == "R-RESERVATAIRE-DELAI-1-MOIS"
    # The turn is the bailleur's now: the réservataire is late, whatever it tries.
    r = monde.designer(vid, d1, "2023-04-06")
    assert r.status_code in (403, 409)
    assert monde.historique(d1)[-1]["type"] == "Deposee"


# --- R-FAILED-QPV-TO-MAIRE (EX-07) -----------------------------------------------------------

def test_R_FAILED_QPV_TO_MAIRE_ex07_maire_designates_outside_first_quartile(
        monde: Monde, application: HlmApplication) -> None:
    """R-FAILED-QPV-TO-MAIRE, EX-07: the CALEOL rejects the réservataire's candidate on
    2023-05-10 on a QPV logement -> designataire "maire"; the commune designating X at
    5,900 €/UC is 422 PREMIER_QUARTILE_EXCLU; Y at 9,300 €/UC is accepted (threshold 8,100)."""
    monde.logement("L-QPV", qpv=True)
    vid = monde.vacance("L-QPV", "2023-04-20")
    candidat = monde.demande(ressources=30000, uc=2)
    x = monde.demande(ressources=5900, uc=1)
    y = monde.demande(ressources=18600, uc=2)
    assert monde.designer(vid, candidat, "2023-04-25").status_code == 201
    r = monde.decider(vid, "2023-05-10", monde.non_attribution(candidat))
    assert r.status_code == 201, r.text
    vue = monde.get_vacance(vid, as_of="2023-05-10")
    assert vue["designataire"] == "maire"
    assert vue["organisation_designataire"] == COMMUNE
    assert vue["attribution_reservataire_echouee"] == "2023-05-10"
    assert vue["tours"][-1] == {"designataire": "maire", "depuis": "2023-05-10",
                                "motif": "echec_reservataire",
                                "regle": "R-FAILED-QPV-TO-MAIRE"}
    assert designation(vue, candidat)["statut"] == "non_attribuee"
    # Only the maire of the commune designates now.
    assert_error(monde.designer(vid, y, "2023-05-15"), 403, "FORBIDDEN")
    assert_error(monde.designer(vid, y, "2023-05-15", monde.bailleur), 403, "FORBIDDEN")
    assert_error(monde.designer(vid, y, "2023-05-15", monde.auth("commune", "C2")),
                 403, "FORBIDDEN")
    with nothing_recorded(application):
        err = assert_error(monde.designer(vid, x, "2023-05-15", monde.commune), 422,
                           "PREMIER_QUARTILE_EXCLU", "R-FAILED-QPV-TO-MAIRE")
    assert err["details"]["ressources_par_uc"] == "5900.00"
    r = monde.designer(vid, y, "2023-05-15", monde.commune)
    assert r.status_code == 201, r.text
    d = designation(r.json(), y)
    assert (d["par"], d["organisation"], d["statut"]) == ("maire", COMMUNE, "designee")
    assert [e["type"] for e in monde.historique(x)] == ["Deposee"]


def test_R_FAILED_QPV_TO_MAIRE_threshold_is_strict(monde: Monde) -> None:
    """R-FAILED-QPV-TO-MAIRE (EX-04 H2): resources per UC equal to the threshold are not
    first quartile: the maire may designate that household."""
    monde.logement("L-QPV", qpv=True)
    vid = monde.vacance("L-QPV", "2023-04-20")
    candidat = monde.demande()
    egal = monde.demande(ressources=16200, uc=2)            # exactly 8,100 €/UC
    dessous = monde.demande(ressources=16199.98, uc=2)      # 8,099.99 €/UC
    assert monde.designer(vid, candidat, "2023-04-25").status_code == 201
    r = monde.decider(vid, "2023-05-10", {**monde.non_attribution(candidat),
                                          "decision": "irrecevabilite"})
    assert r.status_code == 201, r.text
    assert_error(monde.designer(vid, dessous, "2023-05-15", monde.commune), 422,
                 "PREMIER_QUARTILE_EXCLU", "R-FAILED-QPV-TO-MAIRE")
    assert monde.designer(vid, egal, "2023-05-15", monde.commune).status_code == 201


def test_R_FAILED_QPV_TO_MAIRE_ex07_2018_variant_goes_to_bailleur(monde: Monde) -> None:
    """R-FAILED-QPV-TO-MAIRE, EX-07 variant: the same failure on 2018-03-01 (v15) -> no hand
    over to the maire; the bailleur designates (any household)."""
    monde.logement("L-QPV", qpv=True)
    vid = monde.vacance("L-QPV", "2018-02-01")
    candidat = monde.demande(date_depot="2017-01-10")
    x = monde.demande(date_depot="2017-01-10", ressources=5900, uc=1)
    assert monde.designer(vid, candidat, "2018-02-05").status_code == 201
    assert monde.decider(vid, "2018-03-01", monde.non_attribution(candidat)).status_code == 201
    vue = monde.get_vacance(vid, as_of="2018-03-01")
    assert vue["designataire"] == "bailleur"
    assert vue["attribution_reservataire_echouee"] == "2018-03-01"
    assert vue["tours"][-1]["regle"] != "R-FAILED-QPV-TO-MAIRE"
    assert_error(monde.designer(vid, x, "2018-03-05", monde.commune), 403, "FORBIDDEN")
    assert monde.designer(vid, x, "2018-03-05", monde.bailleur).status_code == 201


def test_R_FAILED_QPV_TO_MAIRE_not_qpv_goes_to_bailleur(monde: Monde) -> None:
    """R-FAILED-QPV-TO-MAIRE: a failed attribution outside a QPV -> the bailleur."""
    monde.logement("L-HQ", qpv=False)
    vid = monde.vacance("L-HQ", "2023-04-20")
    candidat = monde.demande()
    assert monde.designer(vid, candidat, "2023-04-25").status_code == 201
    assert monde.decider(vid, "2023-05-10", monde.non_attribution(candidat)).status_code == 201
    assert monde.get_vacance(vid, as_of="2023-05-10")["designataire"] == "bailleur"


def test_R_FAILED_QPV_TO_MAIRE_after_every_candidate_refused(monde: Monde) -> None:
    """R-FAILED-QPV-TO-MAIRE: the réservataire's attribution fails when every candidate has
    failed; the household's refusal of an attribution counts."""
    monde.logement("L-QPV", qpv=True)
    vid = monde.vacance("L-QPV", "2023-04-20")
    a, b = monde.demande(), monde.demande()
    for d in (a, b):
        assert monde.designer(vid, d, "2023-04-25").status_code == 201
    r = monde.decider(vid, "2023-05-10", monde.attribution(a), monde.non_attribution(b))
    assert r.status_code == 201, r.text
    assert monde.get_vacance(vid, as_of="2023-05-10")["designataire"] == "reservataire"
    assert monde.refuser(vid, a, "2023-05-20").status_code == 201
    vue = monde.get_vacance(vid, as_of="2023-05-20")
    assert vue["designataire"] == "maire"
    assert vue["attribution_reservataire_echouee"] == "2023-05-20"
    assert vue["candidat_a_signer"] is None


# --- the commission: R-COMMISSION-TIE-BREAK-MAIRE, R-COMMISSION-NOMINATIVE -------------------

def test_R_COMMISSION_TIE_BREAK_MAIRE_ex19_a_tie_settled_by_maire(monde: Monde) -> None:
    """R-COMMISSION-TIE-BREAK-MAIRE, EX-19 (a): 4-4 with the maire "pour" -> attributed, and
    the vacancy read model records departage_maire: true."""
    monde.logement("L1")
    vid = monde.vacance("L1", "2023-03-03")
    a = monde.demande()
    assert monde.designer(vid, a, "2023-03-10").status_code == 201
    r = monde.decider(vid, "2023-03-20", monde.attribution(
        a, votes={"pour": 4, "contre": 4, "voix_maire": "pour"}))
    assert r.status_code == 201, r.text
    vue = monde.get_vacance(vid, as_of="2023-03-20")
    d = designation(vue, a)
    assert d["departage_maire"] is True
    assert d["statut"] == "attribuee"
    assert d["rang"] == 1
    assert d["votes"] == {"pour": 4, "contre": 4, "voix_maire": "pour"}
    assert d["date_commission"] == "2023-03-20"
    assert vue["candidat_a_signer"] == a
    assert vue["statut"] == "attribuee"


def test_R_COMMISSION_TIE_BREAK_MAIRE_majority_records_no_casting_vote(monde: Monde) -> None:
    """R-COMMISSION-TIE-BREAK-MAIRE: a majority "pour" confirms the decision without the
    casting vote (departage_maire false)."""
    monde.logement("L1")
    vid = monde.vacance("L1", "2023-03-03")
    a = monde.demande()
    assert monde.designer(vid, a, "2023-03-10").status_code == 201
    r = monde.decider(vid, "2023-03-20", monde.attribution(
        a, votes={"pour": 6, "contre": 2, "voix_maire": "contre"}))
    assert r.status_code == 201, r.text
    assert designation(monde.get_vacance(vid), a)["departage_maire"] is False


def test_R_COMMISSION_TIE_BREAK_MAIRE_votes_against_an_attribution_422(
        monde: Monde, application: HlmApplication) -> None:
    """R-COMMISSION-TIE-BREAK-MAIRE, EX-19 (b): votes 3-5 against an attribution ->
    422 VOTES_CONTREDISENT_DECISION; a tie the maire settles "contre" too (rule cited);
    nothing is recorded."""
    monde.logement("L1")
    vid = monde.vacance("L1", "2023-03-03")
    a = monde.demande()
    assert monde.designer(vid, a, "2023-03-10").status_code == 201
    with nothing_recorded(application):
        err = assert_error(monde.decider(vid, "2023-03-20", monde.attribution(
            a, votes={"pour": 3, "contre": 5, "voix_maire": "contre"})), 422,
            "VOTES_CONTREDISENT_DECISION")
        assert err["details"]["demande_id"] == a
        assert_error(monde.decider(vid, "2023-03-20", monde.attribution(
            a, decision="attribution_sous_condition",
            votes={"pour": 4, "contre": 4, "voix_maire": "contre"})), 422,
            "VOTES_CONTREDISENT_DECISION", "R-COMMISSION-TIE-BREAK-MAIRE")
        # EX-19 (c): a tie without the maire cannot be settled.
        assert_error(monde.decider(vid, "2023-03-20", monde.attribution(
            a, votes={"pour": 4, "contre": 4})), 422,
            "EGALITE_NON_DEPARTAGEE", "R-COMMISSION-TIE-BREAK-MAIRE")
    assert designation(monde.get_vacance(vid), a)["statut"] == "designee"


def test_R_COMMISSION_NOMINATIVE_refusal_by_rank_1_makes_rank_2_sign(
        monde: Monde, application: HlmApplication) -> None:
    """R-COMMISSION-NOMINATIVE: a ranked list; rank 1 must sign first (rank 2 is refused
    the lease), then rank 1 refuses and rank 2 becomes the candidat_a_signer and signs."""
    monde.logement("L1")
    vid = monde.vacance("L1", "2023-03-03")
    a, b = monde.demande(), monde.demande()
    for d in (a, b):
        assert monde.designer(vid, d, "2023-03-10").status_code == 201
    r = monde.decider(vid, "2023-03-20", monde.attribution(b, rang=2), monde.attribution(a))
    assert r.status_code == 201, r.text
    assert r.json()["candidat_a_signer"] == a
    with nothing_recorded(application):
        err = assert_error(monde.bail(vid, b, "2023-04-01"), 409, "RANG_NON_PRIORITAIRE",
                           "R-COMMISSION-NOMINATIVE")
    assert err["details"]["candidat_a_signer"] == a
    r = monde.refuser(vid, a, "2023-03-25")
    assert r.status_code == 201, r.text
    vue = monde.get_vacance(vid, as_of="2023-03-25")
    assert vue["candidat_a_signer"] == b
    assert designation(vue, a)["statut"] == "refusee"
    assert designation(vue, a)["refus"] == {"date": "2023-03-25", "motif": "trop loin"}
    assert designation(vue, b)["rang"] == 2
    # The réservataire's attribution has not failed: b still holds an attribution.
    assert vue["attribution_reservataire_echouee"] is None
    with nothing_recorded(application):
        assert_error(monde.bail(vid, a, "2023-04-01"), 409, "CANDIDAT_A_REFUSE",
                     "R-COMMISSION-NOMINATIVE")
    r = monde.bail(vid, b, "2023-04-01")
    assert r.status_code == 201, r.text
    assert r.json()["bail"] == {"demande_id": b, "date_signature": "2023-04-01"}
    assert r.json()["statut"] == "bail_signe"
    assert monde.get_demande(b)["statut"] == "attribuee"
    assert monde.get_demande(a)["statut"] == "active"


def test_lease_attributes_the_demande_and_withdraws_it_elsewhere(monde: Monde) -> None:
    """The lease: the demande becomes "attribuee" (from the signature date), and it leaves
    every other vacancy it was designated on; its history records each step in order."""
    monde.logement("L1")
    monde.logement("L2")
    a, other = monde.demande(date_depot="2021-06-01"), monde.demande()
    v1 = monde.vacance("L1", "2023-03-03")
    v2 = monde.vacance("L2", "2023-03-04")
    assert monde.designer(v1, a, "2023-03-10").status_code == 201
    for d in (a, other):
        assert monde.designer(v2, d, "2023-03-11").status_code == 201
    assert monde.decider(v1, "2023-03-20", monde.attribution(a)).status_code == 201
    r = monde.bail(v1, a, "2023-04-01")
    assert r.status_code == 201, r.text

    vue1 = monde.get_vacance(v1, as_of="2023-04-01")
    assert vue1["statut"] == "bail_signe"
    assert vue1["designataire"] is None
    assert designation(vue1, a)["statut"] == "bail_signe"
    vue2 = monde.get_vacance(v2, as_of="2023-04-01")
    assert designation(vue2, a)["statut"] == "retiree"
    assert designation(vue2, a)["retrait"] == {"date": "2023-04-01",
                                               "motif": "attribuee_ailleurs"}
    assert designation(vue2, other)["statut"] == "designee"

    demande = monde.get_demande(a)
    assert demande["statut"] == "attribuee"
    assert demande["attribution"] == {"vacance_id": v1, "logement_id": "L1",
                                      "date_signature": "2023-04-01"}
    assert monde.get_demande(a, as_of="2023-03-31")["statut"] == "active"

    events = monde.historique(a)
    assert [e["type"] for e in events] == ["Deposee", "DesigneeSurVacance",
                                           "DesigneeSurVacance", "Attribuee"]
    assert [e["date_effet"] for e in events] == ["2021-06-01", "2023-03-10", "2023-03-11",
                                                 "2023-04-01"]
    positions = [e["position"] for e in events]
    assert all(isinstance(p, int) for p in positions)
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert all(e["enregistre_le"] for e in events)
    assert events[-1]["donnees"]["vacance_id"] == v1
    assert events[0]["donnees"]["numero_unique"] == demande["numero_unique"]


# --- every 409 of the cycle: the error shape, and nothing recorded ---------------------------

def test_designating_after_the_lease_is_409_vacance_cloturee(
        monde: Monde, application: HlmApplication) -> None:
    """After the lease the cycle is closed: designating, deciding, refusing or signing again
    is 409 VACANCE_CLOTUREE, recording nothing."""
    monde.logement("L1")
    a, b = monde.demande(), monde.demande()
    vid = monde.attribuee("L1", "2023-03-03", a, "2023-03-20")
    assert monde.bail(vid, a, "2023-04-01").status_code == 201
    with nothing_recorded(application):
        err = assert_error(monde.designer(vid, b, "2023-04-02"), 409, "VACANCE_CLOTUREE")
        assert err["details"]["date_signature"] == "2023-04-01"
        assert_error(monde.designer(vid, b, "2023-04-02", monde.bailleur), 409,
                     "VACANCE_CLOTUREE")
        assert_error(monde.decider(vid, "2023-04-02", monde.attribution(a)), 409,
                     "VACANCE_CLOTUREE")
        assert_error(monde.refuser(vid, a, "2023-04-02"), 409, "VACANCE_CLOTUREE")
        assert_error(monde.bail(vid, a, "2023-04-02"), 409, "VACANCE_CLOTUREE")


def test_deciding_on_a_demande_not_designated_is_409(
        monde: Monde, application: HlmApplication) -> None:
    """R-COMMISSION-NOMINATIVE: only designated demandes are decided: 409
    DEMANDE_NON_DESIGNEE, also when one decision of the batch is valid."""
    monde.logement("L1")
    vid = monde.vacance("L1", "2023-03-03")
    a, b = monde.demande(), monde.demande()
    assert monde.designer(vid, a, "2023-03-10").status_code == 201
    with nothing_recorded(application):
        err = assert_error(monde.decider(vid, "2023-03-20", monde.attribution(b)), 409,
                           "DEMANDE_NON_DESIGNEE", "R-COMMISSION-NOMINATIVE")
        assert err["details"]["demande_id"] == b
        assert_error(monde.decider(vid, "2023-03-20", monde.attribution(a),
                                   monde.non_attribution(b)), 409,
                     "DEMANDE_NON_DESIGNEE", "R-COMMISSION-NOMINATIVE")
    # Once decided (non attributed), a demande awaits no decision any more.
    assert monde.decider(vid, "2023-03-20", monde.non_attribution(a)).status_code == 201
    with nothing_recorded(application):
        assert_error(monde.decider(vid, "2023-03-21", monde.attribution(a)), 409,
                     "DEMANDE_NON_DESIGNEE", "R-COMMISSION-NOMINATIVE")


def test_two_rank_1_in_one_request_is_409(monde: Monde, application: HlmApplication) -> None:
    """R-COMMISSION-NOMINATIVE: two rank 1 in one commission -> 409 RANG_1_EN_DOUBLE."""
    monde.logement("L1")
    vid = monde.vacance("L1", "2023-03-03")
    a, b = monde.demande(), monde.demande()
    for d in (a, b):
        assert monde.designer(vid, d, "2023-03-10").status_code == 201
    with nothing_recorded(application):
        err = assert_error(monde.decider(vid, "2023-03-20", monde.attribution(a, rang=1),
                                         monde.attribution(b, rang=1)),
                           409, "RANG_1_EN_DOUBLE", "R-COMMISSION-NOMINATIVE")
    assert err["details"] == {"rang": 1}
    vue = monde.get_vacance(vid)
    assert vue["candidat_a_signer"] is None
    assert {d["statut"] for d in vue["designations"]} == {"designee"}


def test_two_rank_1_across_two_commissions_is_409(
        monde: Monde, application: HlmApplication) -> None:
    """R-COMMISSION-NOMINATIVE: a rank 1 given by an earlier commission stands: another
    rank 1 is 409 RANG_1_EN_DOUBLE; rank 2 is accepted."""
    monde.logement("L1")
    vid = monde.vacance("L1", "2023-03-03")
    a, b = monde.demande(), monde.demande()
    for d in (a, b):
        assert monde.designer(vid, d, "2023-03-10").status_code == 201
    assert monde.decider(vid, "2023-03-20", monde.attribution(a, rang=1)).status_code == 201
    with nothing_recorded(application):
        assert_error(monde.decider(vid, "2023-03-27", monde.attribution(b, rang=1)),
                     409, "RANG_1_EN_DOUBLE", "R-COMMISSION-NOMINATIVE")
        # A lone unranked attribution would be rank 1 too.
        r = monde.decider(vid, "2023-03-27", monde.attribution(b, rang=None))
        assert r.status_code in (409, 422)
        assert r.json()["error"]["rule"] == "R-COMMISSION-NOMINATIVE"
    r = monde.decider(vid, "2023-03-27", monde.attribution(b, rang=2))
    assert r.status_code == 201, r.text
    assert r.json()["candidat_a_signer"] == a
    assert len(monde.get_vacance(vid)["designations"]) == 2


def test_rank_on_a_non_attribution_is_422(monde: Monde, application: HlmApplication) -> None:
    """R-COMMISSION-NOMINATIVE: only an attribution carries a rank (422)."""
    monde.logement("L1")
    vid = monde.vacance("L1", "2023-03-03")
    a = monde.demande()
    assert monde.designer(vid, a, "2023-03-10").status_code == 201
    with nothing_recorded(application):
        assert_error(monde.decider(vid, "2023-03-20", {**monde.non_attribution(a), "rang": 1}),
                     422, "VALIDATION", "R-COMMISSION-NOMINATIVE")


def test_lease_without_attribution_is_409(monde: Monde, application: HlmApplication) -> None:
    """A lease needs an attribution that stands: a demande designated but not decided, not
    designated at all, or non attributed -> 409 ATTRIBUTION_REQUISE, nothing recorded."""
    monde.logement("L1")
    vid = monde.vacance("L1", "2023-03-03")
    a, b, c = monde.demande(), monde.demande(), monde.demande()
    for d in (a, c):
        assert monde.designer(vid, d, "2023-03-10").status_code == 201
    with nothing_recorded(application):
        err = assert_error(monde.bail(vid, a, "2023-04-01"), 409, "ATTRIBUTION_REQUISE",
                           "R-COMMISSION-NOMINATIVE")
        assert err["details"] == {"demande_id": a, "statut": "designee"}
        err = assert_error(monde.bail(vid, b, "2023-04-01"), 409, "ATTRIBUTION_REQUISE",
                           "R-COMMISSION-NOMINATIVE")
        assert err["details"] == {"demande_id": b, "statut": None}
    assert monde.decider(vid, "2023-03-20", monde.non_attribution(c),
                         monde.attribution(a)).status_code == 201
    with nothing_recorded(application):
        assert_error(monde.bail(vid, c, "2023-04-01"), 409, "ATTRIBUTION_REQUISE",
                     "R-COMMISSION-NOMINATIVE")
    assert monde.get_demande(a)["statut"] == "active"
    assert monde.get_vacance(vid)["bail"] is None


def test_lease_after_the_household_refused_is_409(
        monde: Monde, application: HlmApplication) -> None:
    """A household that refused its attribution cannot sign: 409 CANDIDAT_A_REFUSE; it
    cannot refuse twice either."""
    monde.logement("L1")
    a = monde.demande()
    vid = monde.attribuee("L1", "2023-03-03", a, "2023-03-20")
    assert monde.refuser(vid, a, "2023-03-25").status_code == 201
    with nothing_recorded(application):
        err = assert_error(monde.bail(vid, a, "2023-04-01"), 409, "CANDIDAT_A_REFUSE",
                           "R-COMMISSION-NOMINATIVE")
        assert err["details"]["statut"] == "refusee"
        assert_error(monde.refuser(vid, a, "2023-03-26"), 409, "AUCUNE_ATTRIBUTION")
    assert monde.get_demande(a)["statut"] == "active"
    # Its only candidate refused on a non-QPV logement: the bailleur designates next.
    assert monde.get_vacance(vid, as_of="2023-03-25")["designataire"] == "bailleur"


def test_designating_a_radiee_demande_is_409(monde: Monde, application: HlmApplication) -> None:
    """A radiée demande cannot be designated: 409 DEMANDE_NON_ACTIVE, nothing recorded."""
    monde.logement("L1")
    vid = monde.vacance("L1", "2023-03-03")
    a = monde.demande()
    r = monde.radier(a, "2023-02-01")
    assert r.status_code == 201, r.text
    assert r.json()["statut"] == "radiee"
    with nothing_recorded(application):
        err = assert_error(monde.designer(vid, a, "2023-03-10"), 409, "DEMANDE_NON_ACTIVE")
    assert err["details"] == {"demande_id": a, "statut": "radiee"}
    assert monde.get_vacance(vid)["designations"] == []


def test_designating_an_attributed_demande_is_409(
        monde: Monde, application: HlmApplication) -> None:
    """An attributed demande (lease signed) cannot be designated again: 409
    DEMANDE_NON_ACTIVE, nothing recorded."""
    monde.logement("L1")
    monde.logement("L2")
    a = monde.demande()
    v1 = monde.attribuee("L1", "2023-03-03", a, "2023-03-20")
    assert monde.bail(v1, a, "2023-04-01").status_code == 201
    v2 = monde.vacance("L2", "2023-05-02")
    with nothing_recorded(application):
        err = assert_error(monde.designer(v2, a, "2023-05-03"), 409, "DEMANDE_NON_ACTIVE")
        assert err["details"]["statut"] == "attribuee"
        assert_error(monde.radier(a, "2023-05-03"), 409, "DEMANDE_NON_ACTIVE")


# --- R-SENIORITY-SEPARATION through POST /v1/demandes/{id}/separation (EX-11) ------------------

A, B = "PERS-A", "PERS-B"
COUPLE = [{"personne_id": B, "lien": "conjoint"}, {"personne_id": "PERS-E", "lien": "enfant"}]


def _couple(monde: Monde, numero: str = "0750111000001", date_depot: str = "2011-05-10",
            personnes: list[dict[str, str]] | None = None) -> str:
    return monde.demande(numero, date_depot=date_depot, demandeur_id=A,
                         personnes=COUPLE if personnes is None else personnes)


def _nouvelle(date_separation: str, date_depot: str,
              numero: str = "0750222000002") -> dict[str, object]:
    return {"date_separation": date_separation, "membre_id": B, "mode": "nouvelle_demande",
            "numero_unique": numero, "date_depot": date_depot,
            "ressources_annuelles": 15000, "unites_consommation": 1}


def test_R_SENIORITY_SEPARATION_ex11_b_new_demande_in_2015_keeps_seniority(
        monde: Monde) -> None:
    """R-SENIORITY-SEPARATION, EX-11 (b): D filed 2011-05-10 by A listing B; separation
    2015-02-01; B files D' on 2015-03-01 while A keeps D: D' runs from 2011-05-10, with
    anciennete_source naming D; D keeps 2011-05-10 without B."""
    d = _couple(monde)
    r = monde.separer(d, _nouvelle("2015-02-01", "2015-03-01"))
    assert r.status_code == 201, r.text
    nouvelle = r.json()
    assert nouvelle["demande_id"] != d
    assert nouvelle["numero_unique"] == "0750222000002"
    assert nouvelle["demandeur_id"] == B
    assert nouvelle["date_depot"] == "2015-03-01"
    assert nouvelle["date_anciennete"] == "2011-05-10"
    assert nouvelle["anciennete_source"] == {"demande_id": d,
                                             "regle": "R-SENIORITY-SEPARATION"}
    lu = monde.get_demande(nouvelle["demande_id"], as_of="2015-03-01")
    assert lu["date_anciennete"] == "2011-05-10"
    assert lu["anciennete_jours"] == (date(2015, 3, 1) - date(2011, 5, 10)).days
    assert lu["anciennete_source"]["regle"] == "R-SENIORITY-SEPARATION"

    initiale = monde.get_demande(d, as_of="2015-03-01")
    assert initiale["demandeur_id"] == A
    assert initiale["date_anciennete"] == "2011-05-10"
    assert initiale["anciennete_source"] is None
    assert [p["personne_id"] for p in initiale["personnes_a_loger"]] == ["PERS-E"]
    assert [p["personne_id"] for p in monde.get_demande(d, as_of="2015-01-31")[
        "personnes_a_loger"]] == [B, "PERS-E"]
    assert [e["type"] for e in monde.historique(d)] == ["Deposee", "MembreParti"]
    assert [e["type"] for e in monde.historique(nouvelle["demande_id"])] == ["Deposee"]


def test_R_SENIORITY_SEPARATION_ex11_a_new_demande_in_2013_does_not(monde: Monde) -> None:
    """R-SENIORITY-SEPARATION, EX-11 (a): separation 2013-06-01, D' filed 2013-09-15 (v10,
    no carry-over): D' runs from 2013-09-15, no anciennete_source; D keeps 2011-05-10."""
    d = _couple(monde)
    r = monde.separer(d, _nouvelle("2013-06-01", "2013-09-15"))
    assert r.status_code == 201, r.text
    assert r.json()["date_anciennete"] == "2013-09-15"
    assert r.json()["anciennete_source"] is None
    assert monde.get_demande(d)["date_anciennete"] == "2011-05-10"


def test_R_SENIORITY_SEPARATION_ex11_f_judged_at_the_filing_date(monde: Monde) -> None:
    """R-SENIORITY-SEPARATION, EX-11 (f): separation 2013-06-01 but D' filed 2015-03-01:
    judged at the filing date -> 2011-05-10."""
    d = _couple(monde)
    r = monde.separer(d, _nouvelle("2013-06-01", "2015-03-01"))
    assert r.status_code == 201, r.text
    assert r.json()["date_anciennete"] == "2011-05-10"
    assert r.json()["anciennete_source"]["demande_id"] == d


def test_R_SENIORITY_SEPARATION_ex11_d_member_not_listed(monde: Monde) -> None:
    """R-SENIORITY-SEPARATION, EX-11 (d): B was not listed in D -> D' runs from 2015-03-01."""
    d = _couple(monde, personnes=[{"personne_id": "PERS-E", "lien": "enfant"}])
    r = monde.separer(d, _nouvelle("2015-02-01", "2015-03-01"))
    assert r.status_code == 201, r.text
    assert r.json()["date_anciennete"] == "2015-03-01"
    assert r.json()["anciennete_source"] is None


def test_R_SENIORITY_SEPARATION_ex11_e_demande_filed_after_the_separation(
        monde: Monde, application: HlmApplication) -> None:
    """R-SENIORITY-SEPARATION, EX-11 (e): D filed 2015-04-01, after the 2015-02-01
    separation: no carry-over (the separation is refused on D, nothing recorded)."""
    d = _couple(monde, date_depot="2015-04-01")
    with nothing_recorded(application):
        assert_error(monde.separer(d, _nouvelle("2015-02-01", "2015-05-01")), 422,
                     "VALIDATION", "R-SENIORITY-SEPARATION")
    assert [e["type"] for e in monde.historique(d)] == ["Deposee"]
    # The new numéro was not taken: it can still be filed.
    assert monde.post_demande(monde.payload_demande("0750222000002")).status_code == 201


def test_R_SENIORITY_SEPARATION_ex11_c_substitution_keeps_seniority(monde: Monde) -> None:
    """R-SENIORITY-SEPARATION, EX-11 (c): A drops out and B substitutes on D on 2015-03-01:
    D, now held by B, keeps 2011-05-10."""
    d = _couple(monde)
    r = monde.separer(d, {"date_separation": "2015-02-01", "membre_id": B,
                          "mode": "substitution", "date_substitution": "2015-03-01"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["demande_id"] == d
    assert body["demandeur_id"] == B
    assert body["date_anciennete"] == "2011-05-10"
    assert body["date_depot"] == "2011-05-10"
    lu = monde.get_demande(d, as_of="2015-03-01")
    assert lu["demandeur_id"] == B
    assert lu["date_anciennete"] == "2011-05-10"
    assert lu["anciennete_jours"] == (date(2015, 3, 1) - date(2011, 5, 10)).days
    assert B not in [p["personne_id"] for p in lu["personnes_a_loger"]]
    assert [e["type"] for e in monde.historique(d)] == ["Deposee", "DemandeurSubstitue"]


def test_separation_new_numero_already_used_is_409(
        monde: Monde, application: HlmApplication) -> None:
    """A new demande from a separation cannot take an existing numéro unique: 409
    NUMERO_UNIQUE_CONFLICT, nothing recorded."""
    d = _couple(monde)
    monde.demande("0750222000002")
    with nothing_recorded(application):
        assert_error(monde.separer(d, _nouvelle("2015-02-01", "2015-03-01")), 409,
                     "NUMERO_UNIQUE_CONFLICT")


# --- POST /v1/demandes is idempotent on numero_unique ----------------------------------------

def test_post_demande_idempotent_on_numero_unique(
        monde: Monde, application: HlmApplication) -> None:
    """The same payload for the same numéro unique -> 200 with the same demande; another
    payload -> 409 NUMERO_UNIQUE_CONFLICT; neither records anything."""
    payload = monde.payload_demande("0759999000001", date_depot="2022-01-10",
                                    personnes=[{"personne_id": "X", "lien": "enfant"}],
                                    categories_prioritaires=["HANDICAP"], dalo=True)
    first = monde.post_demande(payload)
    assert first.status_code == 201, first.text
    assert first.json()["statut"] == "active"
    assert first.json()["date_anciennete"] == "2022-01-10"
    assert first.json()["anciennete_source"] is None
    with nothing_recorded(application):
        again = monde.post_demande(payload)
        assert again.status_code == 200, again.text
        assert again.json()["demande_id"] == first.json()["demande_id"]
        assert again.json()["numero_unique"] == "0759999000001"
        err = assert_error(monde.post_demande({**payload, "ressources_annuelles": 21000}),
                           409, "NUMERO_UNIQUE_CONFLICT")
        assert err["details"]["demande_id"] == first.json()["demande_id"]
        assert_error(monde.post_demande({**payload, "date_depot": "2022-01-11"}), 409,
                     "NUMERO_UNIQUE_CONFLICT")
    assert [e["type"] for e in monde.historique(first.json()["demande_id"])] == ["Deposee"]
