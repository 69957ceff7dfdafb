"""The OpenAPI document says what the server answers (issue 9, item 3), and its pages work
offline.

(a) Every operation lists every status it can answer, each with a schema; every error
    response is the contract's error schema; the framework's own validation error schema
    is nowhere (the server answers validation errors in the contract's shape).
(b) The bodies of a real lifecycle, on both stores, validate against the schema the
    document declares for their operation, status and media type, with every object
    closed (`additionalProperties: false`): no field is returned that the document does not
    declare, and every declared field is required. Every declared success response is
    met at least once; the errors met are declared too.
(c) /docs and /redoc reference no other host, and everything they load answers 200.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker

from api.app import create_app
from api.limits import MAX_BODY_BYTES
from infra.settings import Settings
from tests.conftest import SECRET
from tests.helpers_lifecycle import BAILLEUR, RESERVATAIRE, TERRITOIRE, Monde

REF = "#/components/schemas/"
ERREUR = REF + "Erreur"
DOC: dict[str, Any] = create_app(
    Settings(jwt_secret=SECRET, data_dir=Path("var-unused"))).openapi()
SCHEMAS: dict[str, Any] = DOC["components"]["schemas"]

LECTURE = {401, 403, 422, 503}
ECRITURE = {400, 401, 403, 409, 413, 422, 503}
# Every operation of the contract and the statuses it can answer.
EXPECTED: dict[tuple[str, str], set[int]] = {
    ("put", "/v1/bailleurs/{bailleur_id}"): {200} | ECRITURE,
    ("put", "/v1/reservataires/{reservataire_id}"): {200} | ECRITURE,
    ("put", "/v1/territoires/{territoire_id}"): {200, 404} | ECRITURE,
    ("get", "/v1/territoires/{territoire_id}"): {200, 404} | LECTURE,
    ("post", "/v1/territoires/{territoire_id}/seuils"): {201, 404} | ECRITURE,
    ("post", "/v1/territoires/{territoire_id}/objectifs"): {201, 404} | ECRITURE,
    ("post", "/v1/territoires/{territoire_id}/cia"): {201, 404} | ECRITURE,
    ("post", "/v1/territoires/{territoire_id}/orientations"): {201, 404} | ECRITURE,
    ("post", "/v1/seuils/ile-de-france"): {201} | ECRITURE,
    ("get", "/v1/seuils/ile-de-france"): {200} | LECTURE,
    ("put", "/v1/logements/{logement_id}"): {200, 404} | ECRITURE,
    ("get", "/v1/logements/{logement_id}"): {200, 404} | LECTURE,
    ("post", "/v1/demandes"): {200, 201} | ECRITURE,
    ("post", "/v1/demandes/{demande_id}/situation"): {201, 404} | ECRITURE,
    ("post", "/v1/demandes/{demande_id}/separation"): {201, 404} | ECRITURE,
    ("post", "/v1/demandes/{demande_id}/radiation"): {201, 404} | ECRITURE,
    ("get", "/v1/demandes/{demande_id}"): {200, 404} | LECTURE,
    ("get", "/v1/demandes/{demande_id}/historique"): {200, 404} | LECTURE,
    ("post", "/v1/logements/{logement_id}/vacances"): {201, 404} | ECRITURE,
    ("post", "/v1/vacances/{vacance_id}/designations"): {201, 404} | ECRITURE,
    ("post", "/v1/vacances/{vacance_id}/decisions"): {201, 404} | ECRITURE,
    ("post", "/v1/vacances/{vacance_id}/refus"): {201, 404} | ECRITURE,
    ("post", "/v1/vacances/{vacance_id}/bail"): {201, 404} | ECRITURE,
    ("get", "/v1/vacances/{vacance_id}"): {200, 404} | LECTURE,
    ("get", "/v1/quotas/bailleurs/{bailleur_id}"): {200} | LECTURE,
    ("get", "/v1/quotas/reservataires/{reservataire_id}"): {200} | LECTURE,
    ("get", "/v1/statistiques/territoires/{territoire_id}"): {200} | LECTURE,
    ("post", "/v1/rapports/semestre/transmissions"): {200, 201, 404} | ECRITURE,
    ("get", "/v1/rapports/semestre"): {200} | LECTURE,
    ("get", "/v1/evenements"): {200} | LECTURE,
    ("get", "/v1/ping"): {200},  # no token, no store
    ("get", "/v1/sante"): {200, 503},  # no token; 503: a view stopped, or the store down
}


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in DOC["paths"].items():
        for method, op in item.items():
            yield method, path, op


def resolve(ref: str) -> dict[str, Any]:
    assert ref.startswith(REF), ref
    return SCHEMAS[ref.removeprefix(REF)]


def refs_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs_in(value)


def reachable(node: Any) -> set[str]:
    """The component names a schema uses, transitively."""
    seen: set[str] = set()
    todo = list(refs_in(node))
    while todo:
        name = todo.pop().removeprefix(REF)
        if name not in seen:
            seen.add(name)
            todo.extend(refs_in(SCHEMAS[name]))
    return seen


# --- (a) the document ---------------------------------------------------------------------

def test_every_operation_declares_the_statuses_it_can_answer() -> None:
    found = {(method, path) for method, path, _ in operations()}
    assert set(EXPECTED) <= found, set(EXPECTED) - found
    for method, path, op in operations():
        statuses = {int(s) for s in op["responses"]}
        if (method, path) in EXPECTED:
            assert statuses == EXPECTED[(method, path)], (method, path, sorted(statuses))
        else:  # an operation added since: at least what every authenticated route can answer
            assert op.get("security"), (method, path, "not in EXPECTED and no token")
        if op.get("security"):
            assert statuses >= LECTURE, (method, path, sorted(statuses))
        if method in ("post", "put"):
            assert statuses >= {400, 409, 413}, (method, path, sorted(statuses))


def test_every_response_declares_a_schema() -> None:
    for method, path, op in operations():
        for status, response in op["responses"].items():
            assert response.get("description"), (method, path, status)
            content = response.get("content")
            assert content, (method, path, status, "no content")
            for media, entry in content.items():
                assert entry.get("schema"), (method, path, status, media, "no schema")
            if status.startswith("2"):
                schema = content["application/json"]["schema"]
                assert schema.get("$ref", "").startswith(REF), (method, path, status)


def test_error_responses_are_the_contract_error_schema() -> None:
    for method, path, op in operations():
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            assert set(response["content"]) == {"application/json"}, (method, path, status)
            schema = response["content"]["application/json"]["schema"]
            if (method, path, status) == ("get", "/v1/sante", "503"):
                # degrade answers the health body itself; a store down, the error shape
                assert {s["$ref"] for s in schema["anyOf"]} == {REF + "Sante", ERREUR}
            else:
                assert schema == {"$ref": ERREUR}, (method, path, status, schema)
        if "401" in op["responses"]:
            assert "WWW-Authenticate" in op["responses"]["401"]["headers"]
        if "503" in op["responses"]:
            assert "Retry-After" in op["responses"]["503"]["headers"]
    erreur = SCHEMAS["Erreur"]
    assert erreur["required"] == ["error"] and set(erreur["properties"]) == {"error"}
    corps = resolve(erreur["properties"]["error"]["$ref"])
    assert set(corps["required"]) == set(corps["properties"]) == {"code", "message", "rule",
                                                                  "details"}
    assert corps["properties"]["details"]["type"] == "object"


def test_no_framework_validation_schema() -> None:
    assert "HTTPValidationError" not in SCHEMAS
    assert "ValidationError" not in SCHEMAS
    text = json.dumps(DOC)
    assert "HTTPValidationError" not in text
    assert REF + "ValidationError" not in text
    for ref in refs_in(DOC):
        resolve(ref)  # every reference names a component


def test_alternative_success_responses() -> None:
    rapport = DOC["paths"]["/v1/rapports/semestre"]["get"]["responses"]["200"]["content"]
    assert rapport["text/csv"]["schema"] == {"type": "string"}
    assert rapport["application/json"]["schema"] == {"$ref": REF + "RapportSemestre"}
    demandes = DOC["paths"]["/v1/demandes"]["post"]["responses"]
    for status in ("200", "201"):
        assert demandes[status]["content"]["application/json"]["schema"] == {
            "$ref": REF + "DemandeVue"}


def test_response_schemas_require_every_field() -> None:
    """What the server always returns is required: a client may rely on each field."""
    used: set[str] = set()
    for _, _, op in operations():
        for status, response in op["responses"].items():
            if status.startswith("2"):
                used |= reachable(response["content"])
    for name in used:
        schema = SCHEMAS[name]
        if "properties" in schema:
            assert set(schema.get("required", [])) == set(schema["properties"]), name


# --- (b) real bodies against the document ---------------------------------------------------

def _closed(node: Any) -> Any:
    """Every object schema that lists properties refuses any other."""
    if isinstance(node, dict):
        out = {k: _closed(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_closed(v) for v in node]
    return node


CLOSED = _closed(copy.deepcopy(DOC["components"]))
FORMATS = FormatChecker()


@FORMATS.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    return not isinstance(value, str) or bool(
        re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and bool(datetime.fromisoformat(value))


@FORMATS.checks("date-time", raises=ValueError)
def _timestamp(value: object) -> bool:
    """ISO 8601 with its offset (API.md)."""
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


def _template(method: str, path: str) -> tuple[str, dict[str, Any]]:
    for template, item in DOC["paths"].items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if method in item and re.fullmatch(pattern, path):
            return template, item[method]
    raise AssertionError(f"no operation for {method.upper()} {path}")


class Checker:
    """Validates each response against its operation's declared response; remembers which
    (method, path, status, media type) were met."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str, str, str]] = set()

    def __call__(self, response: httpx.Response, status: int) -> httpx.Response:
        assert response.status_code == status, (response.status_code, response.text)
        method = response.request.method.lower()
        template, op = _template(method, response.request.url.path)
        declared = op["responses"]
        assert str(status) in declared, (method, template, status, "not declared")
        media = response.headers["content-type"].split(";")[0].strip()
        content = declared[str(status)]["content"]
        assert media in content, (method, template, status, media)
        schema = content[media]["schema"]
        if media == "application/json":
            validator = Draft202012Validator({**schema, "components": CLOSED},
                                             format_checker=FORMATS)
            errors = sorted(validator.iter_errors(response.json()), key=lambda e: e.path)
            assert not errors, (method, template, status,
                                [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]])
        else:
            assert schema == {"type": "string"}
        self.seen.add((method, template, str(status), media))
        return response


def test_lifecycle_bodies_match_the_document(monde: Monde) -> None:
    c, check = monde.client, Checker()
    admin, bailleur, reservataire = monde.admin, monde.bailleur, monde.reservataire

    # Reference data (the fixture wrote B1, R1, T1 and two thresholds: the same again).
    check(c.put(f"/v1/bailleurs/{BAILLEUR}", json={"nom": "Bailleur un"}, headers=admin), 200)
    check(c.put(f"/v1/reservataires/{RESERVATAIRE}",
                json={"nom": "Action Logement", "type": "action_logement"}, headers=admin),
          200)
    check(c.put(f"/v1/territoires/{TERRITOIRE}",
                json={"nom": "EPCI un", "soumis_mixite_depuis": "2017-01-29",
                      "ile_de_france": False}, headers=admin), 200)
    check(c.post(f"/v1/territoires/{TERRITOIRE}/seuils",
                 json={"annee": 2024, "montant_par_uc": 8200.5, "acte": "arrêté 2024"},
                 headers=admin), 201)
    check(c.post(f"/v1/territoires/{TERRITOIRE}/objectifs",
                 json={"bailleur_id": BAILLEUR, "annee": 2024,
                       "taux_hors_qpv_premier_quartile": 0.3,
                       "taux_qpv_autres_quartiles": 0.5}, headers=admin), 201)
    check(c.post(f"/v1/territoires/{TERRITOIRE}/orientations",
                 json={"date_effet": "2017-06-01", "acte": "orientations adaptées",
                       "taux_hors_qpv": 0.2}, headers=admin), 201)
    check(c.post(f"/v1/territoires/{TERRITOIRE}/cia",
                 json={"date_effet": "2023-01-01", "acte": "CIA 2023", "objectifs": [
                     {"bailleur_id": BAILLEUR, "taux_hors_qpv_premier_quartile": 0.3,
                      "base_hors_qpv": 20, "taux_qpv_autres_quartiles": 0.6, "base_qpv": 5}],
                       "objectif_travailleurs_essentiels": {"taux": 0.1}}, headers=admin), 201)
    check(c.post("/v1/seuils/ile-de-france",
                 json={"annee": 2024, "montant_par_uc": 9000, "acte": "arrêté régional"},
                 headers=admin), 201)
    check(c.get("/v1/seuils/ile-de-france", headers=bailleur), 200)
    check(c.get(f"/v1/territoires/{TERRITOIRE}", headers=bailleur), 200)

    def logement(lid: str, date_effet: str, **kw: Any) -> httpx.Response:
        body = {"bailleur_id": BAILLEUR, "territoire_id": TERRITOIRE, "commune": "C1",
                "qpv": False, "zone_tendue": True, "reservataire_id": RESERVATAIRE,
                "date_effet": date_effet, **kw}
        return check(c.put(f"/v1/logements/{lid}", json=body, headers=admin), 200)

    logement("L1", "2010-01-01")
    logement("L1", "2022-01-01", commune="C2")  # a second version in `historique`
    logement("L2", "2010-01-01", reservataire_id=None, zone_tendue=False)
    logement("L3", "2010-01-01")
    assert len(check(c.get("/v1/logements/L1", headers=bailleur), 200).json()[
        "historique"]) == 2

    # Demandes: filed, re-posted, replayed, changed, separated, radiated.
    p1 = Monde.payload_demande("075012300001", personnes=[
        {"personne_id": "P-conj", "lien": "conjoint"},
        {"personne_id": "P-enf", "lien": "enfant"}], dalo=True,
        categories_prioritaires=["MAL_LOGES_DEFAVORISES", "HANDICAP"])
    d1 = check(monde.post_demande(p1), 201).json()["demande_id"]
    assert check(monde.post_demande(p1), 200).json()["demande_id"] == d1
    p2 = Monde.payload_demande("075012300002", ressources=6000, uc=1)  # first quartile
    cle = {**bailleur, "Idempotency-Key": "openapi-1"}
    first = check(c.post("/v1/demandes", json=p2, headers=cle), 201)
    again = check(c.post("/v1/demandes", json=p2, headers=cle), 201)
    assert again.content == first.content
    d2 = first.json()["demande_id"]
    d3 = check(monde.post_demande(Monde.payload_demande(
        "075012300003", personnes=[{"personne_id": "P-x", "lien": "concubin"}])),
        201).json()["demande_id"]
    d4 = monde.demande("075012300004")
    check(c.post(f"/v1/demandes/{d1}/situation",
                 json={"date": "2021-01-01", "ressources_annuelles": 21000.5},
                 headers=bailleur), 201)
    nouvelle = check(monde.separer(d1, {
        "date_separation": "2021-06-01", "membre_id": "P-conj", "mode": "nouvelle_demande",
        "numero_unique": "075012300005", "date_depot": "2021-06-15"}), 201).json()
    assert nouvelle["anciennete_source"] is not None
    assert nouvelle["ressources_annuelles"] is None  # not given for the new demande
    check(monde.separer(d3, {"date_separation": "2021-02-01", "membre_id": "P-x",
                             "mode": "substitution"}), 201)

    # The cycle: two candidates of the réservataire, a tie settled by the maire, a refusal,
    # the lease to the second; a withdrawal (radiation) elsewhere; an expired deadline.
    v1 = check(monde.post_vacance("L1", "2024-02-01"), 201).json()["vacance_id"]
    check(monde.designer(v1, d1, "2024-02-05"), 201)
    check(monde.designer(v1, d2, "2024-02-06"), 201)
    check(monde.decider(v1, "2024-03-01",
                        Monde.attribution(d1, 1, votes={"pour": 3, "contre": 3,
                                                        "voix_maire": "pour"}),
                        {**Monde.attribution(d2, 2), "motif": "second rang"}), 201)
    check(monde.refuser(v1, d1, "2024-03-10"), 201)
    check(monde.bail(v1, d2, "2024-04-01"), 201)
    v2 = check(monde.post_vacance("L2", "2024-02-01"), 201).json()["vacance_id"]
    check(monde.designer(v2, d3, "2024-02-10", headers=bailleur), 201)
    check(monde.radier(d3, "2024-02-20"), 201)
    v3 = check(monde.post_vacance("L3", "2024-01-02"), 201).json()["vacance_id"]
    check(monde.designer(v3, d4, "2024-03-01", headers=bailleur), 201)

    # Reads.
    for did in (d1, d2, d3, nouvelle["demande_id"]):
        check(c.get(f"/v1/demandes/{did}", headers=admin), 200)
    check(c.get(f"/v1/demandes/{d1}", params={"as_of": "2021-03-01"}, headers=bailleur), 200)
    check(c.get(f"/v1/demandes/{d1}/historique", headers=bailleur), 200)
    for vid in (v1, v2, v3):
        vue = check(c.get(f"/v1/vacances/{vid}", headers=admin), 200).json()
    assert [t["motif"] for t in vue["tours"]] == [None, "delai_expire"]
    check(c.get(f"/v1/vacances/{v1}", headers=reservataire), 200)  # the restricted view
    now = datetime.now(UTC).isoformat()
    quotas = check(c.get(f"/v1/quotas/bailleurs/{BAILLEUR}", params={
        "territoire_id": TERRITOIRE, "annee": 2024, "known_at": now}, headers=bailleur),
        200).json()
    assert quotas["hors_qpv"]["attributions"] == 1
    check(c.get(f"/v1/quotas/reservataires/{RESERVATAIRE}", params={"annee": 2024},
                headers=reservataire), 200)
    statistiques = check(c.get(f"/v1/statistiques/territoires/{TERRITOIRE}",
                               params={"annee": 2024}, headers=admin), 200).json()
    assert statistiques["hors_qpv"]["attributions"] == 1
    query = {"bailleur_id": BAILLEUR, "territoire_id": TERRITOIRE, "date_fin": "2024-06-30"}
    # The world's reports are all transmitted (else the préfet's injunction): a new
    # territory's report for the first time.
    check(c.put("/v1/territoires/T-AUTRE", json={"nom": "Autre", "soumis_mixite_depuis": None,
                                                  "ile_de_france": False}, headers=admin), 200)
    check(c.post("/v1/rapports/semestre/transmissions", json={
        "territoire_id": "T-AUTRE", "date_fin": "2024-06-30",
        "date_transmission": "2024-07-10"}, headers=bailleur), 201)
    transmission = {"territoire_id": TERRITOIRE, "date_fin": "2024-06-30",
                    "date_transmission": "2024-07-10"}
    check(c.post("/v1/rapports/semestre/transmissions", json=transmission,
                 headers=bailleur), 200)
    rapport = check(c.get("/v1/rapports/semestre", params=query, headers=bailleur), 200)
    assert rapport.json()["transmission"]["a_temps"] is True
    assert len(rapport.json()["attributions"]) == 1
    en_csv = check(c.get("/v1/rapports/semestre", params=query,
                         headers={**bailleur, "Accept": "text/csv"}), 200)
    rows = list(csv.reader(io.StringIO(en_csv.text)))
    assert rows[0] == list(SCHEMAS["LigneRapport"]["properties"]) and len(rows) == 2
    check(c.get("/v1/evenements", params={"limite": 1000}, headers=admin), 200)
    check(c.get("/v1/ping"), 200)
    check(c.get("/v1/sante"), 200)

    # Every declared success response was met and validated.
    declared = {(method, path, status, media)
                for method, path, op in operations()
                for status, response in op["responses"].items() if status.startswith("2")
                for media in response["content"]}
    assert declared <= check.seen, sorted(declared - check.seen)


def test_error_bodies_match_the_document(monde: Monde) -> None:
    c, check = monde.client, Checker()
    did = monde.demande("075012300009")
    monde.logement("L1")
    check(c.post("/v1/demandes", json=Monde.payload_demande("075012300010"),
                 headers={**monde.bailleur, "Idempotency-Key": " "}), 400)
    check(c.get(f"/v1/demandes/{did}"), 401)
    check(c.get(f"/v1/demandes/{did}", headers={"Authorization": "Bearer nope"}), 401)
    check(c.get(f"/v1/demandes/{did}", headers=monde.auth("abonne")), 403)
    check(c.post("/v1/logements/L1/vacances", json={"date_information": "2024-02-01"},
                 headers=monde.auth("bailleur", "B-OTHER")), 403)
    check(c.get("/v1/demandes/00000000-0000-0000-0000-000000000000",
                headers=monde.admin), 404)
    check(c.get("/v1/logements/L-NONE", headers=monde.admin), 404)
    check(monde.post_demande(Monde.payload_demande("075012300009", ressources=1)), 409)
    check(c.post("/v1/demandes", content=b"{" + b" " * MAX_BODY_BYTES + b"}",
                 headers={**monde.bailleur, "Content-Type": "application/json"}), 413)
    check(c.post("/v1/demandes", json={"numero_unique": ""}, headers=monde.bailleur), 422)
    check(c.post("/v1/demandes", content=b"{", headers={
        **monde.bailleur, "Content-Type": "application/json"}), 422)
    check(c.get("/v1/rapports/semestre", params={
        "bailleur_id": BAILLEUR, "territoire_id": TERRITOIRE, "date_fin": "2024-05-31"},
        headers=monde.bailleur), 422)
    check(c.get("/v1/evenements", params={"apres": -1}, headers=monde.admin), 422)
    met = {status for _, _, status, _ in check.seen}
    assert met == {"400", "401", "403", "404", "409", "413", "422"}


# --- (c) the documentation pages work offline -----------------------------------------------

class _Refs(HTMLParser):
    """Every URL an HTML page references (attributes, and the spec URL of Swagger UI's
    inline script)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.assets: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name in ("src", "href", "spec-url", "action", "data", "poster"):
                self.urls.append(value)
                self.assets.append(value)
        self._script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._script = False

    def handle_data(self, data: str) -> None:
        if self._script:
            for url in re.findall(r"""url:\s*['"]([^'"]+)['"]""", data):
                self.urls.append(url)
                self.assets.append(url)
        self.urls.extend(re.findall(r"""(?:https?:)?//[^\s'"<>)]+""", data))


@pytest.fixture(scope="module")
def docs_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The pages need no store: the app without its lifespan."""
    tmp = tmp_path_factory.mktemp("docs")
    yield TestClient(create_app(Settings(jwt_secret=SECRET, data_dir=tmp / "var")))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_documentation_pages_load_nothing_from_elsewhere(docs_client: TestClient,
                                                        page: str) -> None:
    response = docs_client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    parser = _Refs()
    parser.feed(response.text)
    own = str(docs_client.base_url)
    foreign = [u for u in parser.urls
               if re.match(r"(?i)(https?:)?//", u) and not u.startswith(own + "/")]
    assert not foreign, foreign
    assert not re.findall(r"(?i)https?://(?!testserver[/:])", response.text)
    scripts = [u for u in parser.assets if u.endswith(".js")]
    assert scripts, parser.assets
    for url in parser.assets:
        asset = docs_client.get(url)
        assert asset.status_code == 200, (page, url, asset.status_code)
        assert asset.content, url
        if url.endswith(".js"):
            assert "javascript" in asset.headers["content-type"], url
        if url.endswith(".css"):
            assert asset.headers["content-type"].startswith("text/css"), url
    assert "/openapi.json" in parser.assets
