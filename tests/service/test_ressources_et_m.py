"""R-RESOURCES-REQUERANT-ONLY (EX-12) and R-PRIORITY-CATEGORIES m) (EX-17) through the
HTTP API, on both stores: the ground and its evidence recorded with a demande, the read
model's basis of resources on `as_of`, the first-quartile fact of a lease on the
requérant's own resources, m)'s limits in the read model and in the lease's DALO-quarter
flag, and bad input refused with the rule's id, recording nothing."""

from __future__ import annotations

from typing import Any

from domain.application import HlmApplication
from tests.helpers_lifecycle import Monde, assert_error, nothing_recorded

RULE = "R-RESOURCES-REQUERANT-ONLY"
# EX-12: A, married to B, applies alone; household 30000 € for 1.5 units (20000 per unit,
# above every threshold); A's own 6000 € (one unit: below them). ONC of 2020-10-15.
COUPLE = {"ressources": 30000, "uc": 1.5,
          "personnes": [{"personne_id": "B", "lien": "conjoint"}]}
EX12 = {"ressources_requerant": 6000, "motif_ressources_propres": "DIVORCE_EN_COURS",
        "justificatif": "ORDONNANCE_NON_CONCILIATION", "date_justificatif": "2020-10-15"}


def _situation(monde: Monde, demande_id: str, body: dict[str, Any]):
    return monde.client.post(f"/v1/demandes/{demande_id}/situation", json=body,
                             headers=monde.bailleur)


def _quotas(monde: Monde, annee: int) -> dict[str, Any]:
    r = monde.client.get(f"/v1/quotas/bailleurs/B1?territoire_id=T1&annee={annee}"
                         f"&as_of={annee}-12-31", headers=monde.admin)
    assert r.status_code == 200, r.text
    return r.json()


def test_R_RESOURCES_REQUERANT_ONLY_ex12_through_http(monde: Monde) -> None:
    """EX-12: requérant only on 2020-12-10 (v16), household on 2021-01-20 (v17: the ONC no
    longer counts), requérant only again once a copy of the JAF saisine is recorded; the
    lease of 2023 is first-quartile on A's own resources."""
    did = monde.demande(**COUPLE, **EX12)
    v16 = monde.get_demande(did, as_of="2020-12-10")
    assert v16["base_ressources"] == {"base": "requerant", "regle": RULE,
                                      "annee_reference": None}
    assert v16["ressources_par_uc"] == 6000
    assert (v16["motif_ressources_propres"], v16["justificatif"], v16["date_justificatif"]) \
        == ("DIVORCE_EN_COURS", "ORDONNANCE_NON_CONCILIATION", "2020-10-15")
    assert v16["ressources_requerant"] == 6000 and v16["unites_consommation_requerant"] is None
    v17 = monde.get_demande(did, as_of="2021-01-20")
    assert v17["base_ressources"]["base"] == "menage" and v17["ressources_par_uc"] == 20000
    # The day before the evidence's date, and the last day of v16.
    assert monde.get_demande(did, as_of="2020-10-14")["base_ressources"]["base"] == "menage"
    assert monde.get_demande(did, as_of="2020-12-31")["base_ressources"]["base"] == "requerant"

    r = _situation(monde, did, {"date": "2021-01-15", "motif_ressources_propres":
                                "DIVORCE_EN_COURS", "justificatif": "SAISINE_JAF",
                                "date_justificatif": "2021-01-10"})
    assert r.status_code == 201, r.text
    assert monde.get_demande(did, as_of="2021-01-20")["base_ressources"]["base"] == "requerant"

    monde.logement("L-Q1", reservataire_id=None)
    vid = monde.attribuee("L-Q1", "2023-03-01", did, "2023-03-10", headers=monde.bailleur)
    assert monde.bail(vid, did, "2023-03-20").status_code == 201
    hors = _quotas(monde, 2023)["hors_qpv"]
    assert (hors["attributions"], hors["premier_quartile"]) == (1, 1)

    # The ground withdrawn (null) from before the lease: the household's 20000 per unit.
    r = _situation(monde, did, {"date": "2022-01-01", "motif_ressources_propres": None})
    assert r.status_code == 201, r.text
    assert r.json()["justificatif"] is None
    assert monde.get_demande(did, as_of="2022-06-01")["base_ressources"]["base"] == "menage"
    assert _quotas(monde, 2023)["hors_qpv"]["premier_quartile"] == 0


def test_R_RESOURCES_REQUERANT_ONLY_bad_input_is_422_with_the_rule(
        monde: Monde, application: HlmApplication) -> None:
    """An unknown ground or evidence code, an evidence the ground never takes, a ground
    without its evidence or the requérant's resources, an evidence dated after today: 422
    in the contract's shape naming the rule, nothing recorded."""
    did = monde.demande(**COUPLE)
    cases = {
        "unknown ground": ({**EX12, "motif_ressources_propres": "CHOMAGE"}, "VALIDATION"),
        "unknown evidence": ({**EX12, "justificatif": "PHOTO"}, "VALIDATION"),
        "wrong evidence": ({**EX12, "justificatif": "RECEPISSE_PLAINTE"}, "VALIDATION"),
        "no evidence date": ({k: v for k, v in EX12.items() if k != "date_justificatif"},
                             "VALIDATION"),
        "no own resources": ({k: v for k, v in EX12.items() if k != "ressources_requerant"},
                             "VALIDATION"),
        "future evidence": ({**EX12, "date_justificatif": "2099-01-01"}, "DATE_FUTURE"),
    }
    with nothing_recorded(application):
        for name, (body, code) in cases.items():
            r = _situation(monde, did, {"date": "2021-06-01", **body})
            err = assert_error(r, 422, code, RULE)
            assert err, name
            r = monde.post_demande(monde.payload_demande(f"NEW-{len(name)}", **COUPLE, **body))
            assert_error(r, 422, code, RULE)


def test_R_PRIORITY_CATEGORIES_m_limits_through_http(monde: Monde,
                                                    application: HlmApplication) -> None:
    """EX-17 through HTTP: m) declared without its facts is 422 (R-PRIORITY-CATEGORIES);
    with them, `categories_en_vigueur` shows m) at 20, not at 21; a lease on a non-reserved
    logement signed while m) holds counts toward the DALO-else-priority quarter, one signed
    after does not."""
    m = {"categories_prioritaires": ["JEUNE_EX_ASE"]}
    with nothing_recorded(application):
        r = monde.post_demande(monde.payload_demande("N-M0", date_depot="2022-02-15", **m))
        err = assert_error(r, 422, "VALIDATION", "R-PRIORITY-CATEGORIES")
        assert err["details"] == {"champs": ["date_naissance", "fin_prise_en_charge_ase"]}
    faits = {"date_naissance": "2001-04-01", "fin_prise_en_charge_ase": "2021-03-31"}
    avant = monde.demande(date_depot="2022-01-10", **m, **faits)
    apres = monde.demande(date_depot="2022-01-10", **m, **faits)
    vue = monde.get_demande(avant, as_of="2022-03-01")
    assert vue["categories_en_vigueur"] == ["JEUNE_EX_ASE"]
    assert (vue["date_naissance"], vue["fin_prise_en_charge_ase"], vue["mineur_emancipe"]) \
        == ("2001-04-01", "2021-03-31", None)
    assert monde.get_demande(avant, as_of="2022-04-01")["categories_en_vigueur"] == []
    assert monde.get_demande(avant, as_of="2022-01-15")["categories_en_vigueur"] == []

    for i, (did, jour) in enumerate(((avant, "2022-03-15"), (apres, "2022-05-15"))):
        monde.logement(f"L-M{i}", reservataire_id=None)
        vid = monde.attribuee(f"L-M{i}", jour, did, jour, headers=monde.bailleur)
        assert monde.bail(vid, did, jour).status_code == 201
    quart = _quotas(monde, 2022)["non_reserves"]
    assert (quart["attributions"], quart["dalo_ou_prioritaires"]) == (2, 1)


def test_R_PRIORITY_CATEGORIES_m_facts_cannot_be_withdrawn_while_m_is_declared(
        monde: Monde, application: HlmApplication) -> None:
    """EX-17: withdrawing the birth date or the end of care of a demande that declares m)
    would let m) count as recorded without its facts (DECISIONS 14 ter): 422 naming the rule,
    nothing recorded, even when the change does not give the categories again."""
    did = monde.demande(date_depot="2022-03-01", categories_prioritaires=["JEUNE_EX_ASE"],
                        date_naissance="1995-04-01", fin_prise_en_charge_ase="2013-03-31")
    assert monde.get_demande(did, as_of="2022-06-01")["categories_en_vigueur"] == []
    for champ in ("date_naissance", "fin_prise_en_charge_ase"):
        with nothing_recorded(application):
            r = _situation(monde, did, {"date": "2022-06-01", champ: None})
            assert_error(r, 422, "VALIDATION", "R-PRIORITY-CATEGORIES")
    assert monde.get_demande(did, as_of="2022-06-01")["categories_en_vigueur"] == []
