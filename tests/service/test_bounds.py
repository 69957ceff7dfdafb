"""Bounded input and no 5xx (issue 8): each request of the issue's list, once a hang or a
500, now answers in the contract's shape and changes nothing. Both stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient

from domain.application import HlmApplication
from domain.rules.priorities import CATEGORIES
from domain.rules.versions import add_months
from tests.helpers_sec import B1, TERRITOIRE, assert_error, bearer, demande_json, seed_world


@pytest.fixture
def seeded(application: HlmApplication) -> HlmApplication:
    seed_world(application)
    return application


def test_add_months_raises_instead_of_looping() -> None:
    """R-RESERVATAIRE-DELAI-1-MOIS's month arithmetic (EX-08) at the ends of the calendar."""
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    for start, months in ((date(9999, 12, 15), 1), (date(1, 1, 1), -1)):
        with pytest.raises(ValueError):
            add_months(start, months)


@pytest.mark.parametrize("params", [
    {"as_of": "0001-01-01"}, {"as_of": "9999-12-31"}, {"as_of": "1989-12-31"},
    {"known_at": "9999-12-31T23:00:00-05:00"}, {"known_at": "0001-01-01T00:00:00+01:00"},
])
def test_out_of_bounds_read_dates_are_422(client: TestClient, seeded: HlmApplication,
                                          params: dict[str, str]) -> None:
    for who in (bearer("auditeur"), bearer("bailleur", B1)):
        r = client.get(f"/v1/quotas/bailleurs/{B1}",
                       params={"territoire_id": TERRITOIRE, "annee": 1996, **params},
                       headers=who)
        assert_error(r, 422, "VALIDATION")


def test_out_of_bounds_body_dates_are_422_and_record_nothing(
        client: TestClient, seeded: HlmApplication) -> None:
    before = seeded.compter_evenements()
    for path, body in (("/v1/logements/L-QPV2/vacances", {"date_information": "9999-12-15"}),
                       ("/v1/demandes", demande_json("BD-1", date_depot="1900-01-01"))):
        assert_error(client.post(path, json=body, headers=bearer("admin")), 422, "VALIDATION")
    assert seeded.compter_evenements() == before


def test_semester_report_bounds_and_any_id_in_the_csv_filename(
        client: TestClient, seeded: HlmApplication) -> None:
    r = client.get("/v1/rapports/semestre", headers=bearer("auditeur"),
                   params={"bailleur_id": B1, "territoire_id": TERRITOIRE,
                           "date_fin": "9999-12-31"})
    assert_error(r, 422, "VALIDATION")
    r = client.get("/v1/rapports/semestre",
                   headers={**bearer("auditeur"), "Accept": "text/csv"},
                   params={"bailleur_id": "Bailleur-Œuvre-日本", "territoire_id": TERRITOIRE,
                           "date_fin": "2024-06-30"})
    assert r.status_code == 200, r.text
    disposition = r.headers["content-disposition"]
    assert "filename*=UTF-8''" in disposition and "%C5%92" in disposition


def test_a_deeply_nested_body_with_an_idempotency_key_is_422(
        client: TestClient, seeded: HlmApplication) -> None:
    body = "[" * 100_000 + "]" * 10
    r = client.post("/v1/demandes", content=body,
                    headers={**bearer("admin"), "Idempotency-Key": "k-nested",
                             "Content-Type": "application/json"})
    assert r.status_code in (413, 422), r.text
    assert_error(r, r.status_code)
    r = client.post("/v1/demandes", content="[" * 20_000,
                    headers={**bearer("admin"), "Idempotency-Key": "k-nested-2",
                             "Content-Type": "application/json"})
    assert_error(r, 422, "VALIDATION")


def test_a_body_over_the_limit_is_413_unread(client: TestClient, seeded: HlmApplication) -> None:
    big = {**demande_json("BD-BIG"), "padding": "x" * 100_000}
    r = client.post("/v1/demandes", json=big, headers=bearer("admin"))
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")


def test_situation_changes_are_bounded_like_the_filing(
        client: TestClient, seeded: HlmApplication) -> None:
    did = client.post("/v1/demandes", json=demande_json("BD-SIT"),
                      headers=bearer("bailleur", B1)).json()["demande_id"]
    before = seeded.compter_evenements()
    people = [{"personne_id": f"P{i}", "lien": "enfant"} for i in range(5000)]
    for personnes in (people, people[:31], [people[0], people[0]]):
        r = client.post(f"/v1/demandes/{did}/situation",
                        json={"date": "2024-02-01", "personnes_a_loger": personnes},
                        headers=bearer("bailleur", B1))
        assert r.status_code in (413, 422), r.text
        assert_error(r, r.status_code)
    assert seeded.compter_evenements() == before
    r = client.post(f"/v1/demandes/{did}/situation",
                    json={"date": "2024-02-01", "personnes_a_loger": people[:30]},
                    headers=bearer("bailleur", B1))
    assert r.status_code == 201, r.text


def test_a_streamed_body_over_the_limit_is_413(client: TestClient,
                                               seeded: HlmApplication) -> None:
    """No Content-Length (chunked): refused once the chunks pass the limit, not parsed."""
    before = seeded.compter_evenements()

    def chunks() -> Iterator[bytes]:
        yield b'{"numero_unique": "BD-STREAM", "demandeur_id": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    r = client.post("/v1/demandes", content=chunks(),
                    headers={**bearer("admin"), "Content-Type": "application/json"})
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")
    assert seeded.compter_evenements() == before


@pytest.mark.parametrize("content_type,body", [
    ("text/plain", '{"nom": "Habitat"}'), ("application/x-www-form-urlencoded", "nom=Habitat"),
    ("application/json", '{"nom": '), ("application/json", ""),
])
def test_a_body_that_is_not_json_is_422(client: TestClient, seeded: HlmApplication,
                                        content_type: str, body: str) -> None:
    before = seeded.compter_evenements()
    r = client.put(f"/v1/bailleurs/{B1}", content=body,
                   headers={**bearer("admin"), "Content-Type": content_type})
    assert_error(r, 422, "VALIDATION")
    assert seeded.compter_evenements() == before


def test_ids_and_headers_are_bounded(client: TestClient, seeded: HlmApplication) -> None:
    long_id = "x" * 201
    for r in (client.get(f"/v1/demandes/{long_id}", headers=bearer("admin")),
              client.put(f"/v1/bailleurs/{long_id}", json={"nom": "Habitat"},
                         headers=bearer("admin")),
              client.get(f"/v1/quotas/bailleurs/{B1}", headers=bearer("admin"),
                         params={"territoire_id": long_id, "annee": 2024}),
              client.get("/v1/rapports/semestre", headers={**bearer("admin"),
                                                           "Accept": "x" * 1001},
                         params={"bailleur_id": B1, "territoire_id": TERRITOIRE,
                                 "date_fin": "2024-06-30"}),
              client.post("/v1/demandes", json=demande_json("BD-IDEM"),
                          headers={**bearer("admin"), "Idempotency-Key": "k" * 201})):
        assert_error(r, 422, "VALIDATION")
    r = client.get(f"/v1/demandes/{'x' * 200}", headers=bearer("admin"))
    assert_error(r, 404, "NOT_FOUND")


def test_categories_are_unique_and_bounded(client: TestClient, seeded: HlmApplication) -> None:
    did = client.post("/v1/demandes", json=demande_json("BD-CAT"),
                      headers=bearer("bailleur", B1)).json()["demande_id"]
    code = sorted(CATEGORIES)[0]
    for categories in ([code, code], sorted(CATEGORIES) + [code]):
        r = client.post(f"/v1/demandes/{did}/situation",
                        json={"date": "2024-02-01", "categories_prioritaires": categories},
                        headers=bearer("bailleur", B1))
        assert_error(r, 422, "VALIDATION")
        r = client.post("/v1/demandes", headers=bearer("bailleur", B1),
                        json=demande_json("BD-CAT2", categories_prioritaires=categories))
        assert_error(r, 422, "VALIDATION")
    r = client.post(f"/v1/demandes/{did}/situation",
                    json={"date": "2024-02-01", "categories_prioritaires": [code]},
                    headers=bearer("bailleur", B1))
    assert r.status_code == 201, r.text
