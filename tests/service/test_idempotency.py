"""Idempotency-Key (API.md, Idempotency): the same key with the same body returns the first
response again and records nothing new; the same key with another body is 409
IDEMPOTENCY_KEY_REUSED; POST /v1/demandes is also idempotent on numero_unique."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from domain.application import HlmApplication
from domain.ids import demande_uuid
from tests.helpers_sec import B1, World, assert_error, bearer, demande_json


def _h(key: str | None, role: str = "admin", org: str | None = None,
       sub: str | None = None) -> dict[str, str]:
    headers = bearer(role, org, sub=sub)
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def _post_twice(client: TestClient, application: HlmApplication, path: str,
                body: dict[str, Any], key: str, events: int, status: int = 201,
                headers: dict[str, str] | None = None) -> dict[str, Any]:
    """POST the same body with the same key twice: the same response, `events` recorded once."""
    headers = headers or _h(key)
    before = application.compter_evenements()
    first = client.post(path, json=body, headers=headers)
    assert first.status_code == status, first.text
    assert application.compter_evenements() == before + events
    second = client.post(path, json=body, headers=headers)
    assert second.status_code == first.status_code
    assert second.json() == first.json()
    assert application.compter_evenements() == before + events
    return first.json()


def test_post_demande_twice_with_the_same_key(client: TestClient,
                                              application: HlmApplication) -> None:
    body = _post_twice(client, application, "/v1/demandes", demande_json("IDEM-1"), "k-dem", 1)
    assert body["numero_unique"] == "IDEM-1" and body["statut"] == "active"
    history = client.get(f"/v1/demandes/{body['demande_id']}/historique", headers=_h(None))
    assert [e["type"] for e in history.json()["evenements"]] == ["Deposee"]


def test_designation_twice_with_the_same_key(client: TestClient, application: HlmApplication,
                                             world: World) -> None:
    path = f"/v1/vacances/{world.vacances['V_NR']}/designations"
    body = _post_twice(client, application, path,
                       {"demande_id": world.demandes["D1"], "date": "2024-03-05"}, "k-des", 2,
                       headers=_h("k-des", "bailleur", B1))
    assert [d["demande_id"] for d in body["designations"]] == [world.demandes["D1"]]
    vacance = client.get(f"/v1/vacances/{world.vacances['V_NR']}", headers=_h(None)).json()
    assert len(vacance["designations"]) == 1


def test_lease_twice_with_the_same_key(client: TestClient, application: HlmApplication,
                                       world: World) -> None:
    path = f"/v1/vacances/{world.vacances['V_ATTR']}/bail"
    body = _post_twice(client, application, path,
                       {"demande_id": world.demandes["D_ATTR"], "date_signature": "2024-03-15"},
                       "k-bail", 2)
    assert body["statut"] == "bail_signe"
    # Without the key, the same lease again is a conflict (the cycle is closed).
    before = application.compter_evenements()
    resp = client.post(path, json={"demande_id": world.demandes["D_ATTR"],
                                   "date_signature": "2024-03-15"}, headers=_h(None))
    assert_error(resp, 409, "VACANCE_CLOTUREE")
    assert application.compter_evenements() == before


def test_same_key_with_another_body_is_409(client: TestClient, application: HlmApplication,
                                           world: World) -> None:
    v_nr, v_attr = world.vacances["V_NR"], world.vacances["V_ATTR"]
    cases = [
        ("/v1/demandes", demande_json("IDEM-A"), demande_json("IDEM-B"), 1),
        ("/v1/demandes", demande_json("IDEM-C"), demande_json("IDEM-C", dalo=True), 1),
        (f"/v1/vacances/{v_nr}/designations",
         {"demande_id": world.demandes["D1"], "date": "2024-03-05"},
         {"demande_id": world.demandes["D2"], "date": "2024-03-05"}, 2),
        (f"/v1/vacances/{v_attr}/bail",
         {"demande_id": world.demandes["D_ATTR"], "date_signature": "2024-03-15"},
         {"demande_id": world.demandes["D_ATTR"], "date_signature": "2024-03-16"}, 2),
    ]
    for i, (path, first, other, events) in enumerate(cases):
        key = f"k-reuse-{i}"
        before = application.compter_evenements()
        resp = client.post(path, json=first, headers=_h(key))
        assert resp.status_code == 201, resp.text
        assert application.compter_evenements() == before + events
        err = assert_error(client.post(path, json=other, headers=_h(key)), 409,
                           "IDEMPOTENCY_KEY_REUSED")
        assert err["rule"] is None
        assert application.compter_evenements() == before + events, path
        # The first body with its key still replays.
        again = client.post(path, json=first, headers=_h(key))
        assert (again.status_code, again.json()) == (201, resp.json())
    # D2 was never designated: the reused key did not run the second command.
    vacance = client.get(f"/v1/vacances/{v_nr}", headers=_h(None)).json()
    assert [d["demande_id"] for d in vacance["designations"]] == [world.demandes["D1"]]


def test_same_key_on_another_path_is_409(client: TestClient, application: HlmApplication,
                                         world: World) -> None:
    body = {"demande_id": world.demandes["D1"], "date": "2024-03-05"}
    assert client.post(f"/v1/vacances/{world.vacances['V_NR']}/designations", json=body,
                       headers=_h("k-path")).status_code == 201
    before = application.compter_evenements()
    resp = client.post(f"/v1/vacances/{world.vacances['V_RES']}/designations", json=body,
                       headers=_h("k-path"))
    assert_error(resp, 409, "IDEMPOTENCY_KEY_REUSED")
    assert application.compter_evenements() == before


def test_different_keys_on_the_same_designation(client: TestClient,
                                                application: HlmApplication,
                                                world: World) -> None:
    path = f"/v1/vacances/{world.vacances['V_NR']}/designations"
    body = {"demande_id": world.demandes["D1"], "date": "2024-03-05"}
    before = application.compter_evenements()
    assert client.post(path, json=body, headers=_h("k-one", "bailleur", B1)).status_code == 201
    assert application.compter_evenements() == before + 2
    err = assert_error(client.post(path, json=body, headers=_h("k-two", "bailleur", B1)), 409,
                       "DEJA_DESIGNEE")
    assert err["details"] == {"demande_id": world.demandes["D1"]}
    assert_error(client.post(path, json=body, headers=_h(None, "bailleur", B1)), 409,
                 "DEJA_DESIGNEE")
    assert application.compter_evenements() == before + 2


def test_replay_returns_the_first_response_after_the_state_moved_on(
        client: TestClient, application: HlmApplication, world: World) -> None:
    path = f"/v1/vacances/{world.vacances['V_NR']}/designations"
    body = {"demande_id": world.demandes["D1"], "date": "2024-03-05"}
    first = client.post(path, json=body, headers=_h("k-first"))
    assert client.post(path, json={"demande_id": world.demandes["D2"], "date": "2024-03-06"},
                       headers=_h("k-second")).status_code == 201
    before = application.compter_evenements()
    replay = client.post(path, json=body, headers=_h("k-first"))
    assert (replay.status_code, replay.json()) == (201, first.json())
    assert len(replay.json()["designations"]) == 1
    assert application.compter_evenements() == before


def test_keys_are_scoped_to_the_caller(client: TestClient, application: HlmApplication,
                                       world: World) -> None:
    path = f"/v1/vacances/{world.vacances['V_NR']}/designations"
    before = application.compter_evenements()
    r1 = client.post(path, json={"demande_id": world.demandes["D1"], "date": "2024-03-05"},
                     headers=_h("k-shared", "bailleur", B1))
    r2 = client.post(path, json={"demande_id": world.demandes["D2"], "date": "2024-03-05"},
                     headers=_h("k-shared", "admin"))
    assert (r1.status_code, r2.status_code) == (201, 201), (r1.text, r2.text)
    assert application.compter_evenements() == before + 4


def test_a_rejected_command_does_not_use_up_its_key(client: TestClient,
                                                    application: HlmApplication,
                                                    world: World) -> None:
    """A rejected command records nothing, not even its key: the same request can succeed
    once the state allows it."""
    body = demande_json("IDEM-LATE")
    situation = {"date": "2024-01-01", "dalo": True}
    path = f"/v1/demandes/{demande_uuid('IDEM-LATE')}/situation"
    assert_error(client.post(path, json=situation, headers=_h("k-late")), 404, "NOT_FOUND")
    assert client.post("/v1/demandes", json=body, headers=_h(None)).status_code == 201
    before = application.compter_evenements()
    resp = client.post(path, json=situation, headers=_h("k-late"))
    assert resp.status_code == 201, resp.text
    assert resp.json()["dalo"] is True
    assert application.compter_evenements() == before + 1
    # Same with a 403: another bailleur's attempt does not burn the key for the right one.
    des = f"/v1/vacances/{world.vacances['V_NR']}/designations"
    des_body = {"demande_id": world.demandes["D3"], "date": "2024-03-05"}
    assert_error(client.post(des, json=des_body,
                             headers=_h("k-403", "bailleur", "B2", sub="agent")), 403)
    assert client.post(des, json=des_body,
                       headers=_h("k-403", "bailleur", B1, sub="agent")).status_code == 201


def test_numero_unique_idempotence(client: TestClient, application: HlmApplication) -> None:
    body = demande_json("IDEM-NU")
    first = client.post("/v1/demandes", json=body, headers=_h(None))
    assert first.status_code == 201
    before = application.compter_evenements()
    again = client.post("/v1/demandes", json=body, headers=_h(None))
    assert again.status_code == 200
    assert again.json()["demande_id"] == first.json()["demande_id"]
    err = assert_error(client.post("/v1/demandes", json=demande_json("IDEM-NU", dalo=True),
                                   headers=_h(None)), 409, "NUMERO_UNIQUE_CONFLICT")
    assert err["details"]["demande_id"] == first.json()["demande_id"]
    # With a key: the 200 is what the key replays, and the key cannot carry another body.
    keyed = client.post("/v1/demandes", json=body, headers=_h("k-nu"))
    assert keyed.status_code == 200
    replay = client.post("/v1/demandes", json=body, headers=_h("k-nu"))
    assert (replay.status_code, replay.json()) == (200, keyed.json())
    assert_error(client.post("/v1/demandes", json=demande_json("IDEM-NU2"), headers=_h("k-nu")),
                 409, "IDEMPOTENCY_KEY_REUSED")
    assert application.compter_evenements() == before


def test_same_json_with_other_key_order_and_spacing_is_the_same_request(client, auth):
    """A client library may serialise the same body differently on a retry."""
    headers = {**auth("admin"), "Idempotency-Key": "order-1",
               "Content-Type": "application/json"}
    first = client.put("/v1/bailleurs/B-ORDER", content=b'{"nom": "Habitat"}', headers=headers)
    again = client.put("/v1/bailleurs/B-ORDER", content=b'{ "nom":"Habitat" }', headers=headers)
    other = client.put("/v1/bailleurs/B-ORDER", content=b'{"nom": "Autre"}', headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
