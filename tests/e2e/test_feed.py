"""GET /v1/evenements (API.md, Event feed): every event once, in order, with its id
`{agregat_id}:{version}` and record time; sane answers at the edges; the roles that read
it; and no personal value in any page, on both stores."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain.application import HlmApplication
from infra.persistence.store import init_store
from infra.stream.public_events import page
from infra.synthetic.generate import generate
from tests.conftest import _settings_for
from tests.helpers_lifecycle import BAILLEUR, Monde, assert_error
from tests.helpers_public import EVENEMENTS, SEED, Personnel, fuites, personal_values

Headers = Callable[..., dict[str, str]]
URL = "/v1/evenements"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def feed(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, HlmApplication]]:
    """A generated history served by the API (no projector: the feed reads the store)."""
    pg = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    settings, schema = _settings_for(request.param, tmp_path_factory.mktemp("feed"), pg)
    settings = settings.model_copy(update={"projector": "external"})
    app = init_store(settings)
    generate(app, EVENEMENTS, SEED)
    with TestClient(create_app(settings, app)) as client:
        yield client, app
    app.close()
    if schema is not None and pg is not None:
        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="module")
def abonne() -> dict[str, str]:
    from infra.tokens import make_token
    from tests.conftest import SECRET

    return {"Authorization": f"Bearer {make_token(SECRET, 'abonne')}"}


def read_all(client: TestClient, headers: dict[str, str], sizes: Callable[[], int]
             ) -> tuple[list[dict[str, Any]], list[str]]:
    """Follow `suivant` until an empty page; the items and the raw page texts."""
    items: list[dict[str, Any]] = []
    texts: list[str] = []
    apres = 0
    while True:
        r = client.get(URL, params={"apres": apres, "limite": sizes()}, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"evenements", "suivant", "limite"}
        texts.append(r.text)
        if not body["evenements"]:
            assert body["suivant"] == apres
            return items, texts
        assert body["suivant"] == body["evenements"][-1]["position"]
        items += body["evenements"]
        apres = body["suivant"]


# --- paging ----------------------------------------------------------------------------------

def test_paging_serves_every_event_exactly_once_in_order(feed, abonne):
    client, app = feed
    rnd = random.Random(3)
    items, _ = read_all(client, abonne, lambda: rnd.choice((1, 7, 100, 333, 1000)))
    assert len(items) == app.compter_evenements() >= EVENEMENTS
    positions = [i["position"] for i in items]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    ids = [i["id"] for i in items]
    assert len(set(ids)) == len(ids)
    versions: dict[str, int] = {}
    for i in items:
        assert set(i) == {"position", "id", "type", "version", "agregat_id", "date_effet",
                          "enregistre_le", "donnees"}
        assert i["id"] == f"{i['agregat_id']}:{i['version']}"
        # per aggregate, versions come 1, 2, 3, ... in feed order
        assert i["version"] == versions.get(i["agregat_id"], 0) + 1, i
        versions[i["agregat_id"]] = i["version"]
        assert i["type"].startswith("hlm.") and i["type"].endswith(".v1")
    # the same items as the relay publishes (same module, same bytes as JSON)
    published = page(app, 0, 1000)[0]
    assert [json.loads(e.kafka_value()) for e in published] == items[:len(published)]


def test_record_times_are_filled_and_follow_positions(feed, abonne):
    client, app = feed
    items, _ = read_all(client, abonne, lambda: 1000)
    times = [datetime.fromisoformat(i["enregistre_le"]) for i in items]
    assert all(t.utcoffset() is not None and t.utcoffset().total_seconds() == 0 for t in times)
    assert times == sorted(times)
    # the side store's times, one query per page
    sample = items[100:110]
    known = app.side.enregistrements(sample[0]["position"], sample[-1]["position"])
    assert {i["position"] for i in sample} <= set(known)
    for i in sample:
        assert datetime.fromisoformat(i["enregistre_le"]) == known[i["position"]]


def test_default_page_and_business_dates(feed, abonne):
    client, _ = feed
    r = client.get(URL, headers=abonne)
    assert r.status_code == 200
    body = r.json()
    assert len(body["evenements"]) == 100 == body["limite"]
    assert body["evenements"][0]["position"] == 1
    dated = {i["type"]: i["date_effet"] for i in read_all(client, abonne, lambda: 1000)[0]}
    assert dated["hlm.demande.deposee.v1"] is not None
    assert dated["hlm.vacance.declaree.v1"] is not None
    assert dated["hlm.bailleur.enregistre.v1"] is None


# --- edges ----------------------------------------------------------------------------------

def test_apres_beyond_the_end_is_an_empty_page(feed, abonne):
    client, app = feed
    head = app.recorder.max_notification_id()
    for apres in (head, head + 1, 10**12, 2**63 - 2):
        r = client.get(URL, params={"apres": apres}, headers=abonne)
        assert r.status_code == 200, r.text
        assert r.json()["evenements"] == [] and r.json()["suivant"] == apres
    r = client.get(URL, params={"apres": head - 1}, headers=abonne)
    assert [i["position"] for i in r.json()["evenements"]] == [head]


def test_limite_zero_is_an_empty_page_and_a_huge_one_is_capped(feed, abonne):
    client, _ = feed
    r = client.get(URL, params={"apres": 5, "limite": 0}, headers=abonne)
    assert r.status_code == 200
    assert r.json() == {"evenements": [], "suivant": 5, "limite": 0}
    for huge in (1001, 10**6, 10**40):
        r = client.get(URL, params={"limite": huge}, headers=abonne)
        assert r.status_code == 200, r.text
        assert len(r.json()["evenements"]) == 1000 == r.json()["limite"]
    r = client.get(URL, params={"limite": 1}, headers=abonne)
    assert len(r.json()["evenements"]) == 1
    r = client.get(URL, params={"limite": "2.0"}, headers=abonne)  # a whole number
    assert len(r.json()["evenements"]) == 2


@pytest.mark.parametrize("params", [
    {"apres": "abc"}, {"apres": "-1"}, {"apres": "1.5"}, {"apres": ""}, {"apres": "1e3"},
    {"apres": str(2**63 - 1)}, {"apres": str(10**30)},
    {"limite": "beaucoup"}, {"limite": "-1"}, {"limite": "2.5"}, {"limite": "0x10"},
])
def test_bad_paging_parameters_are_validation_errors(feed, abonne, params):
    client, _ = feed
    r = client.get(URL, params=params, headers=abonne)
    err = assert_error(r, 422, "VALIDATION")
    assert err["details"]["errors"][0]["loc"][-1] in params


# --- roles ----------------------------------------------------------------------------------

def test_roles_that_read_the_feed(client: TestClient, auth: Headers):
    Monde(client, auth).referentiel()
    for role in ("auditeur", "abonne", "admin"):
        r = client.get(URL, headers=auth(role))
        assert r.status_code == 200, (role, r.text)
        assert [i["type"] for i in r.json()["evenements"]][:3] == [
            "hlm.bailleur.enregistre.v1", "hlm.reservataire.enregistre.v1",
            "hlm.territoire.defini.v1"]
    for role, org in (("bailleur", BAILLEUR), ("reservataire", "R1"), ("commune", "C1")):
        assert_error(client.get(URL, headers=auth(role, org)), 403, "FORBIDDEN")
    assert_error(client.get(URL), 401, "UNAUTHENTICATED")
    assert_error(client.get(URL, headers={"Authorization": "Bearer nope"}), 401,
                 "UNAUTHENTICATED")


def test_a_lifecycle_through_the_api_in_the_feed(client: TestClient, auth: Headers,
                                                 application: HlmApplication):
    """A household filed with resources, a priority code, DALO, then leased: the feed says
    prioritaire (R-PRIORITY-CATEGORIES), dalo and premier_quartile (R-Q1-THRESHOLD), never
    the values they come from."""
    m = Monde(client, auth).referentiel(seuils={2019: 9000})
    m.logement("L1")
    did = m.demande("0750123000042", demandeur_id="P-SECRET-1", ressources=14000, uc=2,
                    personnes=[{"personne_id": "P-SECRET-2", "lien": "conjoint"}],
                    dalo=True, categories_prioritaires=["HANDICAP"])
    vid = m.attribuee("L1", "2020-03-01", did, "2020-03-10")
    assert m.bail(vid, did, "2020-04-01").status_code == 201
    r = client.get(URL, params={"limite": 1000}, headers=auth("abonne"))
    items = r.json()["evenements"]
    by_type = {i["type"]: i for i in items}
    deposee = by_type["hlm.demande.deposee.v1"]
    assert deposee["agregat_id"] == did and deposee["date_effet"] == "2020-01-15"
    assert deposee["donnees"] == {"date_depot": "2020-01-15", "date_anciennete": "2020-01-15",
                                  "anciennete_source": None, "dalo": True,
                                  "prioritaire": True,
                                  "relogement_renouvellement_urbain": False}
    bail = by_type["hlm.vacance.bail_signe.v1"]["donnees"]
    assert bail == {"date_effet": "2020-04-01", "demande_id": did, "logement_id": "L1",
                    "bailleur_id": BAILLEUR, "territoire_id": "T1", "reservataire_id": "R1",
                    "qpv": False, "designe_par": "reservataire", "dalo": True,
                    "prioritaire": True, "relogement_renouvellement_urbain": False,
                    "premier_quartile": True}  # 14000 / 2 = 7000 < 9000 (seuil 2019)
    assert by_type["hlm.vacance.decisions_commission_enregistrees.v1"]["donnees"][
        "decisions"] == [{"demande_id": did, "decision": "attribution", "rang": 1,
                          "votes": None, "departage_maire": False}]
    secrets = Personnel(identifiants={"P-SECRET-1", "P-SECRET-2", "0750123000042",
                                      "conjoint"},
                        codes={"HANDICAP"}, montants={Decimal(14000), Decimal(2)})
    assert fuites([r.text], secrets) == {}
    assert fuites([json.dumps(m.get_demande(did))], secrets).keys() >= {
        "identifiant", "code_prioritaire", "nombre"}  # the read model does hold them
    assert len(items) == application.compter_evenements()


def test_lease_flags_stay_as_known_when_the_lease_was_recorded(client: TestClient,
                                                              auth: Headers):
    """R-Q1-THRESHOLD: premier_quartile is null while no threshold is known; a threshold
    published later does not rewrite the published lease (same id, same bytes), the quota
    read models do."""
    m = Monde(client, auth).referentiel(seuils={2030: 9000})  # none for 2020
    m.logement("L1")
    did = m.demande(ressources=14000, uc=2)
    vid = m.attribuee("L1", "2020-03-01", did, "2020-03-10")
    assert m.bail(vid, did, "2020-04-01").status_code == 201
    before = client.get(URL, params={"limite": 1000}, headers=auth("abonne")).json()
    r = client.post("/v1/territoires/T1/seuils", json={
        "annee": 2020, "montant_par_uc": 9000, "acte": "arrêté 2020"}, headers=m.admin)
    assert r.status_code == 201
    after = client.get(URL, params={"limite": 1000}, headers=auth("abonne")).json()
    lease = [i for i in before["evenements"] if i["type"] == "hlm.vacance.bail_signe.v1"]
    assert lease[0]["donnees"]["premier_quartile"] is None
    assert after["evenements"][:len(before["evenements"])] == before["evenements"]
    assert after["evenements"][-1]["type"] == "hlm.territoire.seuil_premier_quartile_publie.v1"


# --- personal data ------------------------------------------------------------------------------

def test_no_personal_value_in_any_feed_page(feed, abonne):
    client, app = feed
    personnel = personal_values(app)
    assert len(personnel.identifiants) > 500 and personnel.codes and personnel.motifs
    _, texts = read_all(client, abonne, lambda: 500)
    assert len(texts) > 5
    assert fuites(texts, personnel) == {}
    # the same detector on the stored events finds them (see test_public_events for more)
    stored = [n.state.decode() for n in app.recorder.select_notifications(1, 5000)]
    assert fuites(stored, personnel).keys() >= {"identifiant", "code_prioritaire", "motif"}
