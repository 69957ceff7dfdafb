"""Every role and organisation boundary of the contract (API.md, Authentication and roles):
401 for no or a bad token, 403 for a role or organisation that may not act, always in the
error shape and recording nothing; and the allowed actor succeeds."""

from __future__ import annotations

import time
import warnings
from datetime import date
from decimal import Decimal
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from domain.application import HlmApplication
from domain.commandes import DecisionCommission
from domain.vacance import Acteur
from tests.conftest import SECRET
from tests.helpers_sec import (
    ADMIN,
    B1,
    B2,
    C1,
    C2,
    R1,
    R2,
    TERRITOIRE,
    World,
    assert_error,
    bearer,
    declarer,
    demande_json,
    deposer,
    seed_reference,
    token,
)

Call = tuple[str, str, dict[str, Any] | None]


def _send(client: TestClient, call: Call, headers: dict[str, str]):
    method, path, body = call
    return client.request(method, path, json=body, headers=headers)


def _refused(client: TestClient, application: HlmApplication, call: Call,
             headers: dict[str, str], status: int = 403) -> dict[str, Any]:
    before = application.compter_evenements()
    resp = _send(client, call, headers)
    err = assert_error(resp, status)
    if status == 401:
        assert err["code"] in ("UNAUTHENTICATED", "TOKEN_EXPIRED"), err
        assert resp.headers.get("www-authenticate", "").lower().startswith("bearer")
    else:
        assert err["code"] == "FORBIDDEN", err
    assert application.compter_evenements() == before, f"{call} recorded events"
    return err


def _ok(client: TestClient, application: HlmApplication, call: Call,
        headers: dict[str, str], status: int, events: int) -> dict[str, Any]:
    before = application.compter_evenements()
    resp = _send(client, call, headers)
    assert resp.status_code == status, resp.text
    assert application.compter_evenements() == before + events
    return resp.json()


# --- the calls ---------------------------------------------------------------------------


def reference_writes() -> list[Call]:
    return [
        ("PUT", f"/v1/bailleurs/{B1}", {"nom": "Renamed"}),
        ("PUT", "/v1/bailleurs/B-NEW", {"nom": "Nouveau"}),
        ("PUT", f"/v1/reservataires/{R1}", {"nom": "Autre", "type": "autre"}),
        # The threshold first: once in Île-de-France, the territoire's own is refused.
        ("POST", f"/v1/territoires/{TERRITOIRE}/seuils",
         {"annee": 2025, "montant_par_uc": 11000, "acte": "arrêté 2025"}),
        ("PUT", f"/v1/territoires/{TERRITOIRE}",
         {"nom": "EPCI bis", "soumis_mixite_depuis": None, "ile_de_france": True}),
        ("POST", "/v1/seuils/ile-de-france",
         {"annee": 2025, "montant_par_uc": 11500, "acte": "arrêté régional 2025"}),
        ("POST", f"/v1/territoires/{TERRITOIRE}/objectifs",
         {"bailleur_id": B1, "annee": 2025, "taux_hors_qpv_premier_quartile": 0.3,
          "taux_qpv_autres_quartiles": 0.6}),
        ("POST", f"/v1/territoires/{TERRITOIRE}/orientations",
         {"date_effet": "2024-01-01", "acte": "CIL", "taux_hors_qpv": 0.3}),
        ("POST", f"/v1/territoires/{TERRITOIRE}/cia",
         {"date_effet": "2024-06-01", "acte": "CIA", "objectifs": [
             {"bailleur_id": B1, "taux_hors_qpv_premier_quartile": 0.3, "base_hors_qpv": 10}]}),
        ("PUT", "/v1/logements/L-RES",
         {"bailleur_id": B1, "territoire_id": TERRITOIRE, "commune": C1, "qpv": False,
          "zone_tendue": True, "reservataire_id": None, "date_effet": "2024-06-01"}),
    ]


def demande_writes(w: World) -> list[Call]:
    d1 = w.demandes["D1"]
    return [
        ("POST", "/v1/demandes", demande_json("SEC-NEW")),
        ("POST", f"/v1/demandes/{d1}/situation", {"date": "2024-01-01", "dalo": True}),
        ("POST", f"/v1/demandes/{d1}/separation",
         {"date_separation": "2024-01-01", "membre_id": "P2-D1", "mode": "substitution"}),
        ("POST", f"/v1/demandes/{d1}/radiation", {"date": "2024-01-01", "motif": "autre"}),
    ]


def cycle_writes(w: World) -> list[Call]:
    return [
        ("POST", "/v1/logements/L-RES/vacances", {"date_information": "2024-09-01"}),
        ("POST", f"/v1/vacances/{w.vacances['V_NR']}/designations",
         {"demande_id": w.demandes["D1"], "date": "2024-03-05"}),
        ("POST", f"/v1/vacances/{w.vacances['V_DEC']}/decisions",
         {"date_commission": "2024-03-10",
          "decisions": [{"demande_id": w.demandes["D_DEC"], "decision": "attribution",
                         "rang": 1}]}),
        ("POST", f"/v1/vacances/{w.vacances['V_ATTR']}/refus",
         {"demande_id": w.demandes["D_ATTR"], "date": "2024-03-12", "motif": "trop loin"}),
        ("POST", f"/v1/vacances/{w.vacances['V_ATTR']}/bail",
         {"demande_id": w.demandes["D_ATTR"], "date_signature": "2024-03-15"}),
    ]


def reads(w: World) -> list[Call]:
    d1 = w.demandes["D1"]
    return [
        ("GET", f"/v1/demandes/{d1}", None),
        ("GET", f"/v1/demandes/{d1}/historique", None),
        ("GET", f"/v1/vacances/{w.vacances['V_NR']}", None),
        ("GET", "/v1/logements/L-RES", None),
        ("GET", f"/v1/territoires/{TERRITOIRE}", None),
    ]


def designation(w: World, vacance: str, demande: str, jour: str = "2024-03-05") -> Call:
    return ("POST", f"/v1/vacances/{w.vacances[vacance]}/designations",
            {"demande_id": w.demandes[demande], "date": jour})


# --- 401: no token or a bad one --------------------------------------------------------------


def _bad_tokens() -> dict[str, dict[str, str]]:
    now = int(time.time())
    with warnings.catch_warnings():  # the test secret is short for HS512: that is the point
        warnings.simplefilter("ignore")
        hs512 = jwt.encode({"sub": "admin", "role": "admin", "exp": now + 3600}, SECRET,
                           algorithm="HS512")
    return {
        "no token": {},
        "empty bearer": {"Authorization": "Bearer "},
        "not a bearer scheme": {"Authorization": f"Basic {token('admin')}"},
        "no scheme": {"Authorization": token("admin")},
        "malformed": {"Authorization": "Bearer not-a-jwt"},
        "truncated": {"Authorization": f"Bearer {token('admin')[:-10]}"},
        "expired": {"Authorization": "Bearer " + jwt.encode(
            {"sub": "admin", "role": "admin", "iat": now - 7200, "exp": now - 3600},
            SECRET, algorithm="HS256")},
        "other secret": bearer("admin", secret="another-secret-" + "y" * 32),
        "unknown role": bearer("superuser"),
        "no role claim": {"Authorization": "Bearer " + jwt.encode(
            {"sub": "x", "exp": now + 3600}, SECRET, algorithm="HS256")},
        "no exp claim": {"Authorization": "Bearer " + jwt.encode(
            {"sub": "admin", "role": "admin"}, SECRET, algorithm="HS256")},
        "no sub claim": {"Authorization": "Bearer " + jwt.encode(
            {"role": "admin", "exp": now + 3600}, SECRET, algorithm="HS256")},
        "bailleur without org": bearer("bailleur"),
        "org not a string": {"Authorization": "Bearer " + jwt.encode(
            {"sub": "b", "role": "bailleur", "org": 12, "exp": now + 3600}, SECRET,
            algorithm="HS256")},
        "HS512 with the right secret": {"Authorization": "Bearer " + hs512},
        "alg none": {"Authorization": "Bearer " + jwt.encode(
            {"sub": "admin", "role": "admin", "exp": now + 3600}, None, algorithm="none")},
    }


BAD_TOKENS = _bad_tokens()


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_bad_token_is_401_and_records_nothing(client: TestClient, application: HlmApplication,
                                              case: str) -> None:
    headers = BAD_TOKENS[case]
    seed_reference(application)
    did = deposer(application, "D-401")
    vid = declarer(application, "L-NR")
    calls = [
        ("GET", f"/v1/demandes/{did}", None),
        ("GET", f"/v1/vacances/{vid}", None),
        ("POST", "/v1/demandes", demande_json("SEC-401")),
        ("POST", f"/v1/demandes/{did}/situation", {"date": "2024-01-01", "dalo": True}),
        ("PUT", "/v1/bailleurs/B-401", {"nom": "x"}),
        ("POST", f"/v1/vacances/{vid}/designations", {"demande_id": did, "date": "2024-03-05"}),
    ]
    for call in calls:
        _refused(client, application, call, headers, status=401)


def test_expired_token_says_so(client: TestClient, application: HlmApplication) -> None:
    err = _refused(client, application, ("PUT", "/v1/bailleurs/B-X", {"nom": "x"}),
                   BAD_TOKENS["expired"], status=401)
    assert err["code"] == "TOKEN_EXPIRED"


def test_valid_token_is_accepted(client: TestClient, application: HlmApplication) -> None:
    _ok(client, application, ("PUT", "/v1/bailleurs/B-X", {"nom": "x"}), bearer("admin"),
        200, 1)


# --- reference data: admin only ------------------------------------------------------------

NON_ADMIN = [("bailleur", B1), ("reservataire", R1), ("commune", C1), ("auditeur", None),
             ("abonne", None)]


@pytest.mark.parametrize(("role", "org"), NON_ADMIN)
def test_non_admin_cannot_write_reference_data(client: TestClient, application: HlmApplication,
                                               world: World, role: str, org: str | None) -> None:
    for call in reference_writes():
        _refused(client, application, call, bearer(role, org))


def test_admin_writes_reference_data(client: TestClient, application: HlmApplication,
                                     world: World) -> None:
    # Île-de-France exists once it published a first threshold: each call adds one event.
    application.publier_seuil_regional(Acteur("admin"), 2024, Decimal(11000), "arrêté 2024")
    for call in reference_writes():
        before = application.compter_evenements()
        resp = _send(client, call, bearer("admin"))
        assert resp.status_code in (200, 201), (call, resp.text)
        assert application.compter_evenements() == before + 1, call


# --- auditeur and abonne never write ---------------------------------------------------------


@pytest.mark.parametrize("role", ["auditeur", "abonne"])
def test_readers_never_write(client: TestClient, application: HlmApplication, world: World,
                             role: str) -> None:
    for call in [*reference_writes(), *demande_writes(world), *cycle_writes(world)]:
        _refused(client, application, call, bearer(role))
    # Even on the vacancy the maire holds, and with an organisation claim.
    _refused(client, application, designation(world, "V_QPV", "D1"), bearer(role, C1))
    _refused(client, application, designation(world, "V_RES", "D1"), bearer(role, R1))


@pytest.mark.parametrize(("role", "org"), [("reservataire", R1), ("commune", C1)])
def test_only_admin_and_bailleur_register_demandes_and_run_the_cycle(
        client: TestClient, application: HlmApplication, world: World, role: str,
        org: str) -> None:
    calls = demande_writes(world) + [c for c in cycle_writes(world)
                                     if not c[1].endswith("/designations")]
    for call in calls:
        _refused(client, application, call, bearer(role, org))


def test_abonne_cannot_read_the_read_models(client: TestClient, application: HlmApplication,
                                            world: World) -> None:
    for call in reads(world):
        _refused(client, application, call, bearer("abonne"))


def test_auditeur_reads_everything(client: TestClient, application: HlmApplication,
                                   world: World) -> None:
    for call in reads(world):
        assert _send(client, call, bearer("auditeur")).status_code == 200, call
    resp = client.get(f"/v1/demandes/{world.demandes['D1']}?as_of=2023-06-01",
                      headers=bearer("auditeur"))
    assert resp.status_code == 200
    assert resp.json()["as_of"] == "2023-06-01"


# --- réservataires: their own contingent only ------------------------------------------------


def test_reservataire_cannot_designate_on_another_contingent(
        client: TestClient, application: HlmApplication, world: World) -> None:
    err = _refused(client, application, designation(world, "V_RES", "D1"),
                   bearer("reservataire", R2))
    # The refusal says nothing of the vacancy's state (whose turn it is).
    assert "designataire" not in err["details"]
    # The réservataire of L-B2 is R2, not R1.
    vid = declarer(application, "L-B2")
    _refused(client, application,
             ("POST", f"/v1/vacances/{vid}/designations",
              {"demande_id": world.demandes["D1"], "date": "2024-03-05"}),
             bearer("reservataire", R1))
    _ok(client, application,
        ("POST", f"/v1/vacances/{vid}/designations",
         {"demande_id": world.demandes["D1"], "date": "2024-03-05"}),
        bearer("reservataire", R2), 201, 2)


def test_reservataire_cannot_designate_on_a_non_reserve_logement(
        client: TestClient, application: HlmApplication, world: World) -> None:
    for org in (R1, R2):
        _refused(client, application, designation(world, "V_NR", "D1"),
                 bearer("reservataire", org))


def test_reservataire_cannot_designate_once_the_vacancy_went_to_the_maire(
        client: TestClient, application: HlmApplication, world: World) -> None:
    _refused(client, application, designation(world, "V_QPV", "D1", "2024-03-12"),
             bearer("reservataire", R1))


def test_reservataire_designates_on_its_own_contingent(
        client: TestClient, application: HlmApplication, world: World) -> None:
    body = _ok(client, application, designation(world, "V_RES", "D1"),
               bearer("reservataire", R1), 201, 2)
    [d] = body["designations"]
    assert d["demande_id"] == world.demandes["D1"]
    assert d["par"] == "reservataire" and d["organisation"] == R1


# --- bailleurs: their own logements only -----------------------------------------------------


def test_other_bailleur_cannot_declare_a_vacancy(client: TestClient,
                                                 application: HlmApplication,
                                                 world: World) -> None:
    call = ("POST", "/v1/logements/L-RES2/vacances", {"date_information": "2024-09-01"})
    _refused(client, application, call, bearer("bailleur", B2))
    body = _ok(client, application, call, bearer("bailleur", B1), 201, 1)
    assert body["reservataire_id"] == R1 and body["date_limite_designation"] == "2024-10-01"


def test_other_bailleur_cannot_designate(client: TestClient, application: HlmApplication,
                                         world: World) -> None:
    _refused(client, application, designation(world, "V_NR", "D1"), bearer("bailleur", B2))
    # After the réservataire's deadline the vacancy is the logement's bailleur's, not B2's.
    _refused(client, application, designation(world, "V_RES", "D1", "2024-04-15"),
             bearer("bailleur", B2))
    _ok(client, application, designation(world, "V_NR", "D1"), bearer("bailleur", B1), 201, 2)


def test_bailleur_cannot_designate_in_the_reservataire_turn(
        client: TestClient, application: HlmApplication, world: World) -> None:
    _refused(client, application, designation(world, "V_RES", "D1"), bearer("bailleur", B1))
    _refused(client, application, designation(world, "V_QPV", "D1", "2024-03-12"),
             bearer("bailleur", B1))


def test_other_bailleur_cannot_decide(client: TestClient, application: HlmApplication,
                                      world: World) -> None:
    call = ("POST", f"/v1/vacances/{world.vacances['V_DEC']}/decisions",
            {"date_commission": "2024-03-10",
             "decisions": [{"demande_id": world.demandes["D_DEC"], "decision": "attribution",
                            "rang": 1}]})
    err = _refused(client, application, call, bearer("bailleur", B2))
    assert "bailleur_id" not in err["details"]
    body = _ok(client, application, call, bearer("bailleur", B1), 201, 1)
    assert body["candidat_a_signer"] == world.demandes["D_DEC"]


def test_other_bailleur_cannot_record_a_refusal(client: TestClient,
                                                application: HlmApplication,
                                                world: World) -> None:
    call = ("POST", f"/v1/vacances/{world.vacances['V_ATTR']}/refus",
            {"demande_id": world.demandes["D_ATTR"], "date": "2024-03-12", "motif": "loin"})
    _refused(client, application, call, bearer("bailleur", B2))
    body = _ok(client, application, call, bearer("bailleur", B1), 201, 1)
    assert body["candidat_a_signer"] is None


def test_other_bailleur_cannot_sign_the_lease(client: TestClient, application: HlmApplication,
                                              world: World) -> None:
    call = ("POST", f"/v1/vacances/{world.vacances['V_ATTR']}/bail",
            {"demande_id": world.demandes["D_ATTR"], "date_signature": "2024-03-15"})
    _refused(client, application, call, bearer("bailleur", B2))
    _refused(client, application, call, bearer("reservataire", R1))
    _refused(client, application, call, bearer("commune", C1))
    body = _ok(client, application, call, bearer("bailleur", B1), 201, 2)
    assert body["statut"] == "bail_signe"
    demande = client.get(f"/v1/demandes/{world.demandes['D_ATTR']}", headers=bearer("admin"))
    assert demande.json()["statut"] == "attribuee"


# --- communes: the maire's QPV vacancies of their own commune --------------------------------


def test_commune_cannot_designate_when_the_maire_is_not_the_designataire(
        client: TestClient, application: HlmApplication, world: World) -> None:
    for vacance in ("V_RES", "V_NR"):
        _refused(client, application, designation(world, vacance, "D1"), bearer("commune", C1))


def test_other_commune_cannot_designate_on_the_maire_vacancy(
        client: TestClient, application: HlmApplication, world: World) -> None:
    _refused(client, application, designation(world, "V_QPV", "D1", "2024-03-12"),
             bearer("commune", C2))


def test_commune_designates_on_its_qpv_vacancy(client: TestClient,
                                               application: HlmApplication,
                                               world: World) -> None:
    body = _ok(client, application, designation(world, "V_QPV", "D1", "2024-03-12"),
               bearer("commune", C1), 201, 2)
    d = next(d for d in body["designations"] if d["demande_id"] == world.demandes["D1"])
    assert d["par"] == "maire" and d["organisation"] == C1


# --- admin acts as any designataire ----------------------------------------------------------


@pytest.mark.parametrize(("vacance", "jour"), [("V_RES", "2024-03-05"), ("V_NR", "2024-03-05"),
                                               ("V_QPV", "2024-03-12")])
def test_admin_acts_as_the_designataire(client: TestClient, application: HlmApplication,
                                        world: World, vacance: str, jour: str) -> None:
    body = _ok(client, application, designation(world, vacance, "D2", jour), bearer("admin"),
               201, 2)
    d = next(d for d in body["designations"] if d["demande_id"] == world.demandes["D2"])
    assert d["par"] == {"V_RES": "reservataire", "V_NR": "bailleur", "V_QPV": "maire"}[vacance]


def test_forbidden_is_never_hidden_as_not_found(client: TestClient,
                                                application: HlmApplication,
                                                world: World) -> None:
    """A 403 for a role that may not act, whatever the ids (never 404 to hide)."""
    _refused(client, application, ("PUT", "/v1/logements/L-UNKNOWN",
                                   {"bailleur_id": B1, "territoire_id": TERRITOIRE,
                                    "commune": C1, "qpv": False, "zone_tendue": False,
                                    "reservataire_id": None, "date_effet": "2024-01-01"}),
             bearer("bailleur", B1))
    _refused(client, application, ("GET", "/v1/demandes/unknown", None), bearer("abonne"))


def test_a_forbidden_call_leaves_no_idempotency_record(
        client: TestClient, application: HlmApplication, world: World) -> None:
    """A 403 with an Idempotency-Key must not burn the key: the same request by the same
    caller succeeds once the vacancy is handed to the maire."""
    vid = declarer(application, "L-QPV2", date(2024, 5, 1))
    call = ("POST", f"/v1/vacances/{vid}/designations",
            {"demande_id": world.demandes["D2"], "date": "2024-05-20"})
    headers = {**bearer("commune", C1), "Idempotency-Key": "k-maire"}
    _refused(client, application, call, headers)
    application.designer(Acteur("reservataire", R1), vid, world.demandes["D3"], date(2024, 5, 2))
    application.decider(ADMIN, vid, date(2024, 5, 10), [DecisionCommission.depuis(d) for d in [
        {"demande_id": world.demandes["D3"], "decision": "irrecevabilite", "rang": None,
         "motif": None, "votes": None}]])
    body = _ok(client, application, call, headers, 201, 2)
    assert body["designataire"] == "maire"


def test_an_idempotent_replay_never_crosses_organisations(
        client: TestClient, application: HlmApplication, world: World) -> None:
    """Two tokens that share a `sub` but act for different organisations: the key of the one
    never replays its response to the other (never 200 for a forbidden action)."""
    call = designation(world, "V_NR", "D3")
    _ok(client, application, call,
        {**bearer("bailleur", B1, sub="agent"), "Idempotency-Key": "k-shared"}, 201, 2)
    _refused(client, application, call,
             {**bearer("bailleur", B2, sub="agent"), "Idempotency-Key": "k-shared"})
    _refused(client, application, call,
             {**bearer("reservataire", R1, sub="agent"), "Idempotency-Key": "k-shared"})
    _refused(client, application, call,
             {**bearer("abonne", sub="agent"), "Idempotency-Key": "k-shared"})
