"""The access log (issue 8): one JSON line per request on `hlm.access`, the register of who
consulted or changed which household's file; never a body or a personal value."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from domain.application import HlmApplication
from tests.helpers_sec import B1, R1, bearer, declarer, demande_json, seed_reference


def _lines(caplog: pytest.LogCaptureFixture) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "hlm.access"]


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    logger = logging.getLogger("hlm.access")
    logger.addHandler(caplog.handler)  # the logger does not propagate
    caplog.set_level(logging.INFO, logger="hlm.access")
    yield caplog
    logger.removeHandler(caplog.handler)


def test_each_request_is_one_line_with_the_actor_and_the_ids(
        client: TestClient, application: HlmApplication,
        log: pytest.LogCaptureFixture) -> None:
    seed_reference(application)
    body = demande_json("AL-1", ressources_annuelles=12345.67, demandeur_id="P-SECRET")
    r = client.post("/v1/demandes", json=body,
                    headers={**bearer("bailleur", B1), "X-Request-ID": "req-al-1"})
    assert r.status_code == 201 and r.headers["x-request-id"] == "req-al-1"
    did = r.json()["demande_id"]
    r = client.get(f"/v1/demandes/{did}", headers=bearer("reservataire", R1))
    assert r.status_code == 200
    generated = r.headers["x-request-id"]
    vid = declarer(application, "L-RES2")
    r = client.post(f"/v1/vacances/{vid}/designations",
                    json={"demande_id": did, "date": "2024-03-05"},
                    headers={**bearer("reservataire", R1), "X-Request-ID": "bad id\n"})
    assert r.status_code == 201, r.text
    r = client.get(f"/v1/demandes/{did}")  # no token
    assert r.status_code == 401
    lines = _lines(log)
    assert len(lines) == 4
    filing, read, designation, anonymous = lines
    assert filing["request_id"] == "req-al-1" and filing["sub"] == f"bailleur:{B1}"
    assert filing["role"] == "bailleur" and filing["org"] == B1
    assert filing["method"] == "POST" and filing["path"] == "/v1/demandes"
    assert filing["ids"] == {"demande_id": [did]} and filing["status"] == 201
    assert read["path"] == "/v1/demandes/{demande_id}" and read["org"] == R1
    assert read["ids"] == {"demande_id": [did]} and read["request_id"] == generated
    assert designation["path"] == "/v1/vacances/{vacance_id}/designations"
    assert designation["ids"] == {"vacance_id": [vid], "demande_id": [did]}
    assert designation["request_id"] != "bad id\n"  # an unsafe id is replaced
    assert anonymous["status"] == 401 and anonymous["sub"] is None
    assert all(isinstance(x["duration_ms"], float) for x in lines)
    text = "\n".join(r.getMessage() for r in log.records)
    for personal in ("P-SECRET", "12345", "P2-AL-1"):
        assert personal not in text
    # The request id is recorded with the act (actor metadata).
    events = client.get(f"/v1/demandes/{did}/historique",
                        headers=bearer("auditeur")).json()["evenements"]
    assert events[0]["acteur"]["request_id"] == "req-al-1"
