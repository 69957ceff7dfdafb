"""The public event contract: an explicit public form for every domain event type, JSON
Schemas and docs/asyncapi.yaml generated from the models and in sync, every public event of
a generated history valid against its schema, the Kafka record of each event, and no
personal value in any of it."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import jsonschema
import psycopg
import pytest
import yaml
from eventsourcing.domain import Aggregate, AggregateEvent
from pydantic import ValidationError

import domain
import domain.demande
import domain.referentiel
import domain.vacance
from domain.application import HlmApplication
from domain.rules.priorities import r_priority_categories
from domain.vacance import Acteur
from infra.persistence.store import init_store
from infra.stream import public_schemas as ps
from infra.stream.asyncapi import ASYNCAPI_FILE, SCHEMAS_DIR, document, ecarts, rendre, type_schemas
from infra.stream.public_events import (
    PUBLIES,
    SOURCE,
    TYPES,
    Lecteur,
    PublicEvent,
    TypeNonPublie,
    page,
    type_public,
)
from infra.synthetic.generate import generate
from tests.conftest import _settings_for
from tests.helpers_public import (
    EVENEMENTS,
    SEED,
    fuites,
    naive_item,
    personal_values,
    raw_events,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"
ADMIN = Acteur("admin")


def domain_event_classes() -> set[type]:
    """Every event class of every aggregate of every module of the domain package (the
    library's own `Event` and `Created` bases excluded: the aggregates name their creation
    events)."""
    out = set()
    modules = [importlib.import_module(m.name)
               for m in pkgutil.walk_packages(domain.__path__, "domain.")]
    assert {domain.demande, domain.referentiel, domain.vacance} <= set(modules)
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Aggregate) and cls.__module__ == module.__name__:
                out |= {v for k, v in vars(cls).items() if isinstance(v, type)
                        and issubclass(v, AggregateEvent) and k not in ("Event", "Created")}
    return out


def all_public(app: HlmApplication, size: int = 1000) -> list[PublicEvent]:
    out: list[PublicEvent] = []
    apres = 0
    while True:
        events, apres = page(app, apres, size)
        if not events:
            return out
        out += events


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def history(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[HlmApplication]:
    pg = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    settings, schema = _settings_for(request.param, tmp_path_factory.mktemp("pub"), pg)
    app = init_store(settings)
    generate(app, EVENEMENTS, SEED)
    yield app
    app.close()
    if schema is not None and pg is not None:
        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="module")
def public(history: HlmApplication) -> list[PublicEvent]:
    return all_public(history)


# --- the mapping is an allow-list over every event type -------------------------------------

def test_every_domain_event_type_has_an_explicit_public_form():
    classes = domain_event_classes()
    assert len(classes) >= 25
    assert set(TYPES) == classes, {c.__qualname__ for c in classes ^ set(TYPES)}
    names = [t.nom for t in TYPES.values()]
    assert len(set(names)) == len(names)
    # A form is named by its model: one public type per model (the préfet's lease included).
    assert len({t.modele for t in PUBLIES}) == len(PUBLIES) == len({t.nom for t in PUBLIES})
    for kind in TYPES.values():
        agregat, evenement, version = kind.nom.split(".")[1:]
        assert kind.nom.startswith("hlm.") and version == "v1", kind.nom
        assert evenement == evenement.lower(), kind.nom
        assert kind.modele.__doc__, f"{kind.nom}: its model's docstring describes it"


def test_an_event_type_without_a_public_form_is_refused_not_published_raw():
    class Inconnu(domain.demande.Demande.Event):
        pass

    with pytest.raises(TypeNonPublie):
        type_public(Inconnu(originator_id=uuid4(), originator_version=1,
                            timestamp=datetime.now(UTC)))


def test_a_public_model_refuses_a_field_it_does_not_declare():
    with pytest.raises(ValidationError):
        ps.RefusEnregistre(date_effet=date(2020, 1, 1),
                           demande_id="6f1c2a7e-3b1d-5c4e-9a0b-1e2d3c4b5a69", motif="x")
    for nom, schema in type_schemas().items():
        donnees = schema["properties"]["donnees"]
        target = schema["$defs"][donnees["$ref"].split("/")[-1]]
        assert target["additionalProperties"] is False, nom


def test_no_public_model_declares_a_personal_field():
    personal = {"demandeur_id", "personne_id", "personnes_a_loger", "membre_id",
                "ancien_demandeur_id", "nouveau_demandeur_id", "numero_unique",
                "ressources_annuelles", "unites_consommation", "ressources_par_uc",
                "categories_prioritaires", "motif_refus"}
    for kind in TYPES.values():
        declared = set(kind.modele.model_fields)
        assert not declared & personal, (kind.nom, declared & personal)
    # free-text motifs stay out; only closed lists of motifs are published
    assert "motif" not in ps.RefusEnregistre.model_fields
    assert "motif" not in ps.DecisionCommission.model_fields


# --- generated files are the models' ---------------------------------------------------------

def test_docs_asyncapi_and_schemas_are_generated_from_the_models():
    assert ecarts(DOCS) == [], "run `hlm schemas` to regenerate docs/asyncapi.yaml"
    files = rendre()
    assert (DOCS / ASYNCAPI_FILE).read_text(encoding="utf-8") == files[ASYNCAPI_FILE]
    assert {f"{SCHEMAS_DIR}/{t.nom}.json" for t in TYPES.values()} <= set(files)


def test_an_out_of_date_contract_file_is_reported(tmp_path):
    for rel, content in rendre().items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(content, encoding="utf-8")
    assert ecarts(tmp_path) == []
    stale = tmp_path / SCHEMAS_DIR / "hlm.vacance.bail_signe.v1.json"
    stale.write_text(stale.read_text().replace('"premier_quartile"', '"quartile"'))
    (tmp_path / SCHEMAS_DIR / "hlm.demande.radiee.v1.json").unlink()
    assert ecarts(tmp_path) == [f"{SCHEMAS_DIR}/hlm.demande.radiee.v1.json",
                                f"{SCHEMAS_DIR}/hlm.vacance.bail_signe.v1.json"]


def test_asyncapi_document_describes_channel_key_headers_and_every_message():
    doc = yaml.safe_load((DOCS / ASYNCAPI_FILE).read_text(encoding="utf-8"))
    assert doc == json.loads(json.dumps(document()))
    assert doc["asyncapi"].startswith("3.0")
    assert doc["servers"]["kafka"]["protocol"] == "kafka"
    assert "HLM_KAFKA_BOOTSTRAP" in json.dumps(doc["servers"])
    channel = doc["channels"]["evenements"]
    assert channel["address"] == "hlm.evenements"
    operation = doc["operations"]["recevoirEvenements"]
    assert operation["action"] == "receive"
    names = {t.nom for t in PUBLIES}
    assert {t.nom for t in TYPES.values()} < names  # and the préfet's lease type
    assert set(channel["messages"]) == names == set(doc["components"]["messages"])
    assert len(operation["messages"]) == len(names)
    headers = doc["components"]["schemas"]["EnTetesCloudEvents"]
    assert set(headers["required"]) == {"ce_specversion", "ce_id", "ce_type", "ce_source",
                                        "ce_time", "ce_subject", "ce_sequence",
                                        "content-type"}
    for nom, message in doc["components"]["messages"].items():
        assert message["bindings"]["kafka"]["key"]["format"] == "uuid"
        assert message["headers"]["allOf"][1]["properties"]["ce_type"]["const"] == nom
        ref = message["payload"]["$ref"].split("/")[-1]
        payload = doc["components"]["schemas"][ref]
        assert payload["properties"]["type"]["const"] == nom
    # every $ref of the document resolves inside it
    refs = set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(doc)))
    assert len(refs) > 50
    for ref in refs:
        node: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]


# --- a generated history ----------------------------------------------------------------------

def test_every_public_event_of_a_history_validates_against_its_type_schema(history, public):
    schemas = type_schemas()
    validators = {}
    for nom, schema in schemas.items():
        jsonschema.Draft202012Validator.check_schema(schema)
        validators[nom] = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert len(public) == history.compter_evenements() >= EVENEMENTS
    seen = set()
    for e in public:
        item = json.loads(e.kafka_value())
        validators[e.type].validate(item)
        seen.add(e.type)
        # the schema of another type does not accept it
        other = next(n for n in schemas if n != e.type)
        assert not validators[other].is_valid(item)
    assert len(seen) >= 22, sorted(set(schemas) - seen)


def test_a_schema_rejects_an_added_personal_field(public):
    e = next(e for e in public if e.type == "hlm.demande.deposee.v1")
    item = json.loads(e.kafka_value())
    item["donnees"]["ressources_annuelles"] = 12000
    validator = jsonschema.Draft202012Validator(type_schemas()[e.type])
    assert not validator.is_valid(item)


def test_kafka_record_of_each_event(public):
    for e in public[:300] + public[-300:]:
        assert e.kafka_key() == e.agregat_id.encode()
        assert json.loads(e.kafka_value()) == e.as_feed_item()
        headers = dict(e.kafka_headers())
        assert len(headers) == len(e.kafka_headers())
        assert headers["ce_specversion"] == b"1.0"
        assert headers["ce_id"] == f"{e.agregat_id}:{e.version}".encode() == e.id.encode()
        assert headers["ce_type"] == e.type.encode()
        assert headers["ce_source"] == SOURCE.encode()
        assert headers["ce_time"] == e.enregistre_le.encode()
        assert headers["ce_subject"] == f"{e.type.split('.')[1]}/{e.agregat_id}".encode()
        assert int(headers["ce_sequence"]) == e.position
        assert headers["content-type"] == b"application/json"
    # ce_sequence orders as text as positions do (CloudEvents sequence extension)
    seqs = [dict(e.kafka_headers())["ce_sequence"] for e in public]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_the_public_form_is_the_same_whenever_it_is_asked(history, public):
    again = all_public(history, size=97)
    assert [e.kafka_value() for e in again] == [e.kafka_value() for e in public]
    assert [e.kafka_headers() for e in again] == [e.kafka_headers() for e in public]


def test_pages_read_by_several_threads_at_once_are_the_same(history, public):
    """The API serves pages from a thread pool; the states cache is shared."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda size: all_public(history, size), (250, 400, 999, 1000)))
    expected = [e.kafka_value() for e in public]
    for got in results:
        assert [e.kafka_value() for e in got] == expected


def test_a_sequential_reader_gives_the_bytes_of_page_however_it_is_driven(history, public):
    """Lecteur (the relay's reader) folds states in memory; a cold start in the middle, a
    tiny cache (evictions), a rewind and the same page asked again all fall back to the
    store where needed and give exactly the bytes of `page`."""
    expected = {e.position: (e.kafka_value(), e.kafka_headers()) for e in public}
    leases = [e.position for e in public if e.type == "hlm.vacance.bail_signe.v1"]
    middle = leases[len(leases) // 2] - 1  # a lease first: its aggregates are not held
    for lecteur, start in ((Lecteur(history), 0), (Lecteur(history, taille=20), 0),
                           (Lecteur(history), middle)):
        got: dict[int, tuple[bytes, list[tuple[str, bytes]]]] = {}
        apres, rewound = start, False
        while True:
            events, suivant = lecteur.page(apres, 150)
            if not events:
                break
            assert lecteur.page(apres, 150) == (events, suivant)  # a retried batch
            got.update({e.position: (e.kafka_value(), e.kafka_headers()) for e in events})
            if not rewound and suivant > leases[-1] // 2:
                apres, rewound = events[3].position, True  # back: states are ahead
                continue
            apres = suivant
        assert got == {p: v for p, v in expected.items() if p > start}


def test_lease_flags_are_the_households_at_the_signature_date(history, public):
    """BailSigne carries the quota flags (R-Q1-THRESHOLD, R-PRIORITY-CATEGORIES), derived
    as projections.quotas derives them, from the state recorded up to the lease's position
    (DECISIONS §20, §29, §30)."""
    leases = [e for e in public if e.type == "hlm.vacance.bail_signe.v1"]
    assert len(leases) > 20
    demandes: dict[str, list[tuple[int, Any]]] = {}
    seuils: dict[str, list[tuple[int, int, Any]]] = {}
    regionaux: list[tuple[int, int, Any]] = []  # Île-de-France's (R-Q1-THRESHOLD, al. 25)
    territoire_of: dict[str, str] = {}
    idf: set[str] = set()
    for position, ev in raw_events(history):
        name = type(ev).__qualname__
        if name in ("Demande.Deposee", "Demande.SituationModifiee"):
            jour = ev.date_depot if name == "Demande.Deposee" else ev.date_effet
            demandes.setdefault(str(ev.originator_id), []).append(
                (position, (jour, ev.situation)))
        elif name == "Territoire.Defini":
            territoire_of[str(ev.originator_id)] = ev.territoire_id
            if ev.ile_de_france:
                idf.add(ev.territoire_id)
        elif name == "Region.SeuilPremierQuartilePublie":
            regionaux.append((position, ev.annee, ev.montant_par_uc))
        elif name == "Territoire.SeuilPremierQuartilePublie":
            seuils.setdefault(territoire_of[str(ev.originator_id)], []).append(
                (position, ev.annee, ev.montant_par_uc))
    separated = {str(ev.originator_id) for _, ev in raw_events(history)
                 if type(ev).__qualname__ in ("Demande.DemandeurSubstitue",
                                              "Demande.MembreParti")}
    counted = {"premier_quartile": 0, "prioritaire": 0, "inconnu": 0, "compares": 0}
    for e in leases:
        d = e.donnees
        if d["demande_id"] in separated:
            continue  # a separation rewrites the household's situations: see test_feed
        jour = date.fromisoformat(d["date_effet"])
        by_date = {}
        for p, (eff, s) in demandes[d["demande_id"]]:
            if p < e.position:  # as known when the lease was recorded
                by_date[eff] = s
        before = [eff for eff in by_date if eff <= jour]
        situation = by_date[max(before) if before else min(by_date)]
        assert d["dalo"] == bool(situation["dalo"])
        assert d["relogement_renouvellement_urbain"] == bool(
            situation["relogement_renouvellement_urbain"])
        assert d["prioritaire"] == bool(r_priority_categories(
            situation["categories_prioritaires"], jour))
        publies = regionaux if d["territoire_id"] in idf else seuils.get(d["territoire_id"],
                                                                          [])
        years = {a: m for p, a, m in publies if p < e.position and a <= jour.year}
        seuil = years[max(years)] if years else None
        ressources, uc = situation["ressources_annuelles"], situation["unites_consommation"]
        if seuil is None or ressources is None or not uc:
            assert d["premier_quartile"] is None
            counted["inconnu"] += 1
        else:
            assert d["premier_quartile"] == (ressources / uc < seuil)
            counted["premier_quartile"] += d["premier_quartile"]
        counted["prioritaire"] += d["prioritaire"]
        counted["compares"] += 1
    assert counted["compares"] > 20
    assert counted["premier_quartile"] > 0 and counted["prioritaire"] > 0, counted


# --- no personal data ---------------------------------------------------------------------------

def test_no_personal_value_in_any_kafka_record(history, public):
    personnel = personal_values(history)
    assert len(personnel.identifiants) > 500 and personnel.codes and personnel.motifs
    assert len(personnel.montants) > 300
    texts = [e.kafka_value().decode() for e in public]
    texts += [json.dumps({k: v.decode() for k, v in e.kafka_headers()}) for e in public]
    assert fuites(texts, personnel) == {}


def test_the_scan_finds_personal_values_where_they_are(history):
    """The same detector over the events' own fields (what a deny-list-free, raw feed would
    carry) finds every kind of personal value: the scan above could fail."""
    personnel = personal_values(history)
    raw = [naive_item(p, e) for p, e in raw_events(history)]
    found = fuites(raw, personnel)
    assert {"identifiant", "code_prioritaire", "motif", "nombre"} <= set(found), found.keys()
    assert any(k.startswith("ressources_annuelles=") for k in found["nombre"])
    assert len(found["identifiant"]) == len(personnel.identifiants)
    amount = max(personnel.montants)
    assert fuites([json.dumps({"acte": f"ressources {amount} euros"})], personnel)["montant"]
