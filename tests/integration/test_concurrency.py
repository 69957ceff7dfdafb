"""Concurrent writers on PostgreSQL: every call ends in success or EcritureConcurrente
(409 CONCURRENT_WRITE), never another error; no event is lost or doubled; retrying the
losers records them all; one Idempotency-Key sent concurrently records one command.

Two interleavings: "natural" (threads released together, the scheduler decides) and
"forced" (every thread loads the same version of the aggregate before any of them saves,
so that exactly one wins each round)."""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.sql import SQL, Identifier

from api.app import create_app
from api.corps import corps_demande, corps_vacance
from api.idempotence import CleIdempotence, Memoire, reponse, statut
from api.schemas import DemandeIn
from domain.application import HlmApplication
from domain.commandes import ChangementSituation, DepotDemande
from domain.demande import Demande
from domain.errors import Conflit, EcritureConcurrente
from domain.issue import Issue, Rejoue
from domain.vacance import Acteur, Vacance
from infra.persistence.store import init_store
from infra.settings import Settings
from projections.historique import historique
from projections.presentation import vue_demande, vue_vacance
from tests.conftest import SECRET
from tests.helpers_sec import (
    ADMIN,
    B1,
    assert_error,
    bearer,
    declarer,
    demande_json,
    deposer,
    logement_non_reserve,
    seed_reference,
)

THREADS = 8
KEY_ROUNDS = 12  # rounds of the same-key race on designations
TIMEOUT = 30  # seconds: a barrier or a future that waits longer fails the test
BAILLEUR = Acteur("bailleur", B1)


class Store:
    def __init__(self, app: HlmApplication, pg_url: str, schema: str, settings: Settings):
        self.app, self.pg_url, self.schema, self.settings = app, pg_url, schema, settings

    def rows(self) -> int:
        """Events actually stored (independent of notification ids)."""
        with psycopg.connect(self.pg_url) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                "AND table_name LIKE %s", (self.schema, "%events")).fetchall()]
            assert len(tables) == 1, tables
            row = conn.execute(SQL("SELECT count(*) FROM {}.{}").format(
                Identifier(self.schema), Identifier(tables[0]))).fetchone()
        assert row is not None
        return int(row[0])

    def count(self) -> int:
        """Events recorded, as the application counts them and as the table holds them."""
        rows = self.rows()
        assert self.app.compter_evenements() == rows, "the event count and the rows differ"
        return rows


@pytest.fixture
def store(pg_url: str, tmp_path: Path) -> Iterator[Store]:
    schema = "c_" + uuid.uuid4().hex[:12]
    settings = Settings(data_dir=tmp_path / "var", jwt_secret=SECRET, database_url=pg_url,
                        database_schema=schema, pool_size=THREADS + 2, projector="thread")
    app = init_store(settings)
    try:
        seed_reference(app)
        yield Store(app, pg_url, schema, settings)
    finally:
        app.close()
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(schema)))


class Rendezvous:
    """Wraps a function so that its first call in each thread waits until `parties` threads
    got there: they all load the same versions before any of them saves."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties)
        self.local = threading.local()

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if not getattr(self.local, "passed", False):
                self.local.passed = True
                self.barrier.wait(timeout=TIMEOUT)
            return fn(*args, **kwargs)

        return inner


def _race(calls: list[Callable[[], Any]], expected: tuple[type[BaseException], ...] = ()
          ) -> list[Any]:
    """Run the calls from as many threads, released together; return each outcome (a result
    or one of the `expected` exceptions). Any other exception fails the test."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        start.wait(timeout=TIMEOUT)
        try:
            return call()
        except expected as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, c) for c in calls]
        return [f.result(timeout=TIMEOUT * 2) for f in futures]


def _rounds(monkeypatch: pytest.MonkeyPatch, forced: bool, target: tuple[type, str],
            pending: dict[str, Callable[[], Any]], is_success: Callable[[Any], bool],
            expected: tuple[type[BaseException], ...], events_per_success: int,
            store: Store) -> int:
    """Send every pending call concurrently, then retry the losers, until all succeed.
    Checks after each round that exactly the successes were recorded. Returns the rounds."""
    rounds = 0
    while pending:
        rounds += 1
        assert rounds <= THREADS + 2, "the retries do not converge"
        if forced:
            cls, name = target
            monkeypatch.setattr(cls, name,
                                Rendezvous(len(pending)).wrap(getattr(cls, name)))
        before = store.count()
        names = list(pending)
        outcomes = _race([pending[n] for n in names], expected)
        if forced:
            monkeypatch.undo()
        won = [n for n, o in zip(names, outcomes, strict=True) if is_success(o)]
        lost = [n for n, o in zip(names, outcomes, strict=True) if not is_success(o)]
        assert won, f"round {rounds}: nobody won: {outcomes}"
        if forced:
            assert len(won) == 1, f"round {rounds}: all loaded one version, yet {won} won"
        assert store.count() == before + events_per_success * len(won)
        for n in won:
            del pending[n]
        assert set(pending) == set(lost)
    return rounds


# --- through the application service ---------------------------------------------------------


@pytest.mark.parametrize("forced", [False, True], ids=["natural", "forced"])
def test_concurrent_designations_on_one_vacancy(store: Store, monkeypatch: pytest.MonkeyPatch,
                                                forced: bool) -> None:
    app = store.app
    demandes = [deposer(app, f"CC-{i}") for i in range(THREADS)]
    vid = declarer(app, "L-NR")
    start = store.count()

    def designate(did: str) -> Callable[[], Any]:
        return lambda: app.designer(BAILLEUR, vid, did, date(2024, 3, 5))

    pending = {did: designate(did) for did in demandes}
    rounds = _rounds(monkeypatch, forced, (Vacance, "designer"), pending,
                     lambda o: isinstance(o, Issue) and statut("POST", o) == 201,
                     (EcritureConcurrente,), 2, store)
    if forced:
        assert rounds == THREADS
    assert store.count() == start + 2 * THREADS
    vue = vue_vacance(app.vacance_par_id(vid), app.today())
    assert sorted(d["demande_id"] for d in vue["designations"]) == sorted(demandes)
    for did in demandes:
        types = [e["type"] for e in historique(app, did)]
        assert types == ["Deposee", "DesigneeSurVacance"], types


@pytest.mark.parametrize("forced", [False, True], ids=["natural", "forced"])
def test_concurrent_situation_changes_on_one_demande(
        store: Store, monkeypatch: pytest.MonkeyPatch, forced: bool) -> None:
    app = store.app
    did = deposer(app, "CC-SIT")
    start = store.count()
    first = date(2024, 1, 1)

    def change(i: int) -> Callable[[], Any]:
        return lambda: app.modifier_situation(
            BAILLEUR, did, first + timedelta(days=i),
            ChangementSituation(ressources_annuelles=Decimal(1000 * (i + 1))))

    pending = {str(i): change(i) for i in range(THREADS)}
    rounds = _rounds(monkeypatch, forced, (Demande, "modifier_situation"), pending,
                     lambda o: isinstance(o, Issue) and statut("POST", o) == 201,
                     (EcritureConcurrente,), 1, store)
    if forced:
        assert rounds == THREADS
    assert store.count() == start + THREADS
    events = historique(app, did)
    assert [e["type"] for e in events] == ["Deposee"] + ["SituationModifiee"] * THREADS
    assert [e["version"] for e in events] == list(range(1, THREADS + 2))
    # Each change holds from its own date: none was lost or overwritten.
    for i in range(THREADS):
        vue = vue_demande(app.demande_par_id(did), first + timedelta(days=i))
        assert vue["ressources_annuelles"] == 1000 * (i + 1)


@pytest.mark.parametrize("forced", [False, True], ids=["natural", "forced"])
def test_same_idempotency_key_concurrently(store: Store, monkeypatch: pytest.MonkeyPatch,
                                           forced: bool) -> None:
    app = store.app
    payload = DepotDemande.depuis(DemandeIn(**demande_json("CC-IDEM")).model_dump())
    key = Memoire(CleIdempotence.de("admin", "k-race", "POST", "/v1/demandes", b"same body"),
                  corps_demande)
    if forced:
        monkeypatch.setattr(HlmApplication, "_existe",
                            Rendezvous(THREADS).wrap(HlmApplication._existe))
    before = store.count()
    outcomes = _race([lambda: app.deposer_demande(ADMIN, payload, key)] * THREADS)
    assert store.count() == before + 1
    assert all(isinstance(o, Issue | Rejoue) for o in outcomes), outcomes
    answers = [reponse("POST", o, corps_demande) for o in outcomes]
    assert {(s, str(corps)) for s, corps in answers} == {(201, str(answers[0][1]))}

    # And designations: one key, one designation, two events. Several rounds, as the
    # losers' way out depends on when the database reports their conflict.
    monkeypatch.undo()
    did = deposer(app, "CC-IDEM-2")
    for n in range(KEY_ROUNDS):
        vid = declarer(app, logement_non_reserve(app, f"L-RACE-{n}"),
                       date(2024, 3, 1) + timedelta(days=n))
        key = Memoire(CleIdempotence.de("admin", f"k-race-{n}", "POST",
                                        f"/v1/vacances/{vid}/designations", b"same body"),
                      corps_vacance)
        if forced:
            monkeypatch.setattr(Vacance, "designer",
                                Rendezvous(THREADS).wrap(Vacance.designer))
        before = store.count()
        call = functools.partial(app.designer, ADMIN, vid, did, date(2024, 6, 5), key)
        outcomes = _race([call] * THREADS)
        monkeypatch.undo()
        assert store.count() == before + 2
        answers = [reponse("POST", o, corps_vacance) for o in outcomes]
        assert {(s, str(corps)) for s, corps in answers} == {(201, str(answers[0][1]))}
        assert len(vue_vacance(app.vacance_par_id(vid), app.today())["designations"]) == 1


def test_twin_request_committed_between_the_key_check_and_the_load(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The interleaving of a natural race, made deterministic: request B checks the key
    before its twin A commits, then loads the state A left (the demande already designated).
    B must answer with A's response, not DEJA_DESIGNEE."""
    app = store.app
    did = deposer(app, "CC-TWIN")
    vid = declarer(app, "L-NR")
    key = Memoire(CleIdempotence.de("bailleur:B1", "k-twin", "POST",
                                    f"/v1/vacances/{vid}/designations", b"body"), corps_vacance)
    first = app.designer(BAILLEUR, vid, did, date(2024, 3, 5), key)  # A
    before = store.count()
    lire = app.side.lire_idempotence
    calls = []

    def not_yet_committed(cle: str) -> Any:
        calls.append(cle)
        return None if len(calls) == 1 else lire(cle)

    monkeypatch.setattr(app.recorder, "lire_idempotence", not_yet_committed)
    second = app.designer(BAILLEUR, vid, did, date(2024, 3, 5), key)  # B
    assert reponse("POST", second, corps_vacance) == reponse("POST", first, corps_vacance)
    assert store.count() == before
    # With another body under the same key, B is told so.
    other = Memoire(CleIdempotence.de("bailleur:B1", "k-twin", "POST",
                                      f"/v1/vacances/{vid}/designations", b"other body"),
                    corps_vacance)
    calls.clear()
    with pytest.raises(Conflit) as info:
        app.designer(BAILLEUR, vid, did, date(2024, 3, 5), other)
    assert info.value.code == "IDEMPOTENCY_KEY_REUSED"
    # Without a key, the same designation is the conflict it is.
    with pytest.raises(Conflit) as info:
        app.designer(BAILLEUR, vid, did, date(2024, 3, 5))
    assert info.value.code == "DEJA_DESIGNEE"
    assert store.count() == before


# --- through HTTP ----------------------------------------------------------------------------


@pytest.fixture
def http(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store.settings, store.app)) as client:
        yield client


def _http_ok(resp: httpx.Response) -> bool:
    if resp.status_code == 201:
        return True
    assert_error(resp, 409, "CONCURRENT_WRITE")
    return False


@pytest.mark.parametrize("forced", [False, True], ids=["natural", "forced"])
def test_concurrent_designations_over_http(store: Store, http: TestClient,
                                           monkeypatch: pytest.MonkeyPatch,
                                           forced: bool) -> None:
    app = store.app
    demandes = [deposer(app, f"CH-{i}") for i in range(THREADS)]
    vid = declarer(app, "L-NR")
    start = store.count()
    headers = bearer("bailleur", B1)

    def designate(did: str) -> Callable[[], Any]:
        return lambda: http.post(f"/v1/vacances/{vid}/designations",
                                 json={"demande_id": did, "date": "2024-03-05"},
                                 headers=headers)

    pending = {did: designate(did) for did in demandes}
    _rounds(monkeypatch, forced, (Vacance, "designer"), pending, _http_ok, (), 2, store)
    assert store.count() == start + 2 * THREADS
    vue = http.get(f"/v1/vacances/{vid}", headers=bearer("auditeur")).json()
    assert sorted(d["demande_id"] for d in vue["designations"]) == sorted(demandes)


@pytest.mark.parametrize("forced", [False, True], ids=["natural", "forced"])
def test_concurrent_situation_changes_over_http(store: Store, http: TestClient,
                                                monkeypatch: pytest.MonkeyPatch,
                                                forced: bool) -> None:
    did = deposer(store.app, "CH-SIT")
    start = store.count()
    headers = bearer("admin")

    def change(i: int) -> Callable[[], Any]:
        return lambda: http.post(f"/v1/demandes/{did}/situation",
                                 json={"date": f"2024-02-{i + 1:02d}", "dalo": i % 2 == 0,
                                       "unites_consommation": 1 + i},
                                 headers=headers)

    pending = {str(i): change(i) for i in range(THREADS)}
    _rounds(monkeypatch, forced, (Demande, "modifier_situation"), pending, _http_ok, (), 1,
            store)
    assert store.count() == start + THREADS
    for i in range(THREADS):
        vue = http.get(f"/v1/demandes/{did}?as_of=2024-02-{i + 1:02d}", headers=headers).json()
        assert (vue["dalo"], vue["unites_consommation"]) == (i % 2 == 0, 1 + i)


@pytest.mark.parametrize("forced", [False, True], ids=["natural", "forced"])
def test_same_idempotency_key_concurrently_over_http(store: Store, http: TestClient,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     forced: bool) -> None:
    headers = {**bearer("bailleur", B1), "Idempotency-Key": "k-http-race"}
    body = demande_json("CH-IDEM")
    if forced:
        monkeypatch.setattr(HlmApplication, "_existe",
                            Rendezvous(THREADS).wrap(HlmApplication._existe))
    before = store.count()
    responses = _race([lambda: http.post("/v1/demandes", json=body, headers=headers)]
                      * THREADS)
    assert [r.status_code for r in responses] == [201] * THREADS, [r.text for r in responses]
    assert all(r.json() == responses[0].json() for r in responses)
    assert store.count() == before + 1
    demande_id = responses[0].json()["demande_id"]
    events = http.get(f"/v1/demandes/{demande_id}/historique", headers=bearer("admin")).json()
    assert [e["type"] for e in events["evenements"]] == ["Deposee"]

    # The same for a designation.
    monkeypatch.undo()
    vid = declarer(store.app, "L-NR")
    if forced:
        monkeypatch.setattr(Vacance, "designer", Rendezvous(THREADS).wrap(Vacance.designer))
    before = store.count()
    responses = _race([lambda: http.post(f"/v1/vacances/{vid}/designations",
                                         json={"demande_id": demande_id, "date": "2024-03-05"},
                                         headers={**headers, "Idempotency-Key": "k-des"})]
                      * THREADS)
    assert [r.status_code for r in responses] == [201] * THREADS, [r.text for r in responses]
    assert all(r.json() == responses[0].json() for r in responses)
    assert store.count() == before + 2
