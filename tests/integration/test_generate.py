"""`hlm generate`: a synthetic history written through the domain, on both stores."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from domain.application import HlmApplication
from domain.demande import Demande
from domain.rules.versions import version_at
from domain.vacance import Vacance
from infra.cli.main import app as cli
from infra.persistence.store import init_store
from infra.settings import Settings
from infra.synthetic.generate import Bilan, GenerationIncoherente, generate
from projections.presentation import vue_demande, vue_vacance
from tests.conftest import SECRET

N = 2000
SEED = 13

LIFECYCLE = {
    "Demande.Deposee", "Demande.SituationModifiee", "Demande.DemandeurSubstitue",
    "Demande.MembreParti", "Demande.Radiee", "Demande.DesigneeSurVacance", "Demande.Attribuee",
    "Vacance.Declaree", "Vacance.CandidatDesigne", "Vacance.TourDeDesignationPasse",
    "Vacance.DecisionsCommissionEnregistrees", "Vacance.RefusEnregistre",
    "Vacance.CandidatRetire", "Vacance.AttributionReservataireEchouee", "Vacance.BailSigne",
    "Vacance.CandidatDesignePrefet",
    "Territoire.Defini", "Territoire.Modifie", "Territoire.SeuilPremierQuartilePublie",
    "Territoire.ObjectifsFixes", "Region.Definie", "Region.SeuilPremierQuartilePublie",
    "Bailleur.Enregistre", "Bailleur.Renomme",
    "Bailleur.RapportTransmis",
    "Reservataire.Enregistre", "Reservataire.Modifie", "Logement.Caracterise",
    "Logement.Modifie",
}
BUSINESS_DATES = ("date_effet", "date_depot", "date_information")


def _events(app: HlmApplication) -> list[Any]:
    """Every domain event, in recording order."""
    out: list[Any] = []
    start = 1
    while True:
        batch = app.recorder.select_notifications(start, 1000)
        if not batch:
            return out
        out += [app.mapper.to_domain_event(n) for n in batch]
        start = batch[-1].id + 1


def _kind(event: Any) -> str:
    return type(event).__qualname__


def _business_date(event: Any) -> date | None:
    for attr in BUSINESS_DATES:
        value = getattr(event, attr, None)
        if isinstance(value, date):
            return value
    etat = getattr(event, "etat", None)
    return etat["date_effet"] if etat else None


def _per_aggregate(events: list[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for e in events:
        out[str(e.originator_id)].append(_kind(e))
    return dict(out)


@pytest.fixture
def generated(settings: Settings) -> Iterator[tuple[HlmApplication, Bilan, list[Any]]]:
    # The writer process on both stores (the default for large N); the direct writer is
    # compared with it below.
    application = init_store(settings)
    bilan = generate(application, N, SEED, ecrivain="processus")
    yield application, bilan, _events(application)
    application.close()


def test_history_has_the_size_asked_every_kind_of_event_and_crosses_every_law_version(
        generated):
    application, bilan, events = generated
    assert bilan.evenements == len(events) == application.compter_evenements()
    assert N <= len(events) <= N * 1.02
    kinds = Counter(_kind(e) for e in events)
    assert kinds == Counter(bilan.par_type)
    assert set(kinds) >= LIFECYCLE, LIFECYCLE - set(kinds)
    assert kinds["Territoire.Defini"] == 10
    assert kinds["Bailleur.Enregistre"] == 50
    assert kinds["Reservataire.Enregistre"] == 20
    types = {e.type for e in events if _kind(e) == "Reservataire.Enregistre"}
    assert types == {"etat", "collectivite", "action_logement", "autre"}
    seuils = {(e.originator_id, e.annee) for e in events
              if _kind(e) == "Territoire.SeuilPremierQuartilePublie"}
    assert {annee for _, annee in seuils} == set(range(2017, 2026))

    dates = [d for d in map(_business_date, events) if d is not None]
    assert date(2012, 1, 1) <= min(dates) < date(2012, 3, 1)
    assert date(2025, 10, 1) <= max(dates) <= date(2025, 12, 31)
    depots = [e.date_depot for e in events if _kind(e) == "Demande.Deposee"]
    assert min(depots).year == 2012 and max(depots).year == 2025
    versions = {version_at(d).number for d in dates if d >= date(2012, 1, 1)}  # type: ignore
    assert versions == set(range(10, 21))

    # Separations in both modes, before and after 2014-03-27 (R-SENIORITY-SEPARATION).
    separations = {(_kind(e), e.date_separation >= date(2014, 3, 27)) for e in events
                   if _kind(e) in ("Demande.DemandeurSubstitue", "Demande.MembreParti")}
    assert separations == {("Demande.DemandeurSubstitue", False),
                           ("Demande.DemandeurSubstitue", True),
                           ("Demande.MembreParti", False), ("Demande.MembreParti", True)}
    # Commissions: ties settled by the maire; the maire designating (QPV, from 2018-11-25).
    decisions = [d for e in events if _kind(e) == "Vacance.DecisionsCommissionEnregistrees"
                 for d in e.decisions]
    assert any(d["departage_maire"] for d in decisions)
    maire = [e for e in events if _kind(e) == "Vacance.CandidatDesigne" and e.par == "maire"]
    assert maire and min(e.date_effet for e in maire) >= date(2018, 11, 25)


def test_about_thirty_percent_of_attributions_are_refused_and_late_entries_exist(generated):
    _application, bilan, events = generated
    attributed = {(e.originator_id, d["demande_id"]) for e in events
                  if _kind(e) == "Vacance.DecisionsCommissionEnregistrees"
                  for d in e.decisions if d["decision"].startswith("attribution")}
    refusals = sum(_kind(e) == "Vacance.RefusEnregistre" for e in events)
    assert 0.25 <= refusals / len(attributed) <= 0.35
    assert bilan.indicateurs["refus"] == refusals

    # A lease recorded after later acts: its date precedes the latest business date
    # already recorded by more than a month.
    latest = date.min
    late_leases = 0
    for e in events:
        jour = _business_date(e)
        if _kind(e) == "Vacance.BailSigne" and (latest - e.date_effet).days > 30:
            late_leases += 1
        if jour is not None and _kind(e) not in ("Logement.Caracterise", "Logement.Modifie"):
            latest = max(latest, jour)
    assert late_leases >= 1
    # A correction of past resources recorded after a later change of the same demande.
    seen: dict[Any, date] = {}
    corrections = 0
    for e in events:
        if _kind(e) == "Demande.SituationModifiee":
            if e.date_effet < seen.get(e.originator_id, date.min):
                corrections += 1
            seen[e.originator_id] = max(e.date_effet, seen.get(e.originator_id, date.min))
    assert corrections >= 1


def test_a_sample_of_demandes_and_vacances_loads_from_the_repository(generated):
    application, _bilan, events = generated
    by_kind: dict[str, list[Any]] = defaultdict(list)
    for e in events:
        by_kind[_kind(e)].append(e.originator_id)
    rnd = random.Random(0)
    demandes = rnd.sample(by_kind["Demande.Deposee"], 40)
    vacances = rnd.sample(by_kind["Vacance.Declaree"], 20)
    for did in demandes:
        demande = application.repository.get(did)
        assert isinstance(demande, Demande)
        vue = vue_demande(demande, date(2026, 1, 1))
        assert vue["statut"] in ("active", "attribuee", "radiee")
    for vid in vacances:
        vacance = application.repository.get(vid)
        assert isinstance(vacance, Vacance)
        assert vue_vacance(vacance, date(2026, 1, 1))["statut"] in (
            "bail_signe", "attribuee", "candidats_designes", "en_attente_designation")
    signed = [application.repository.get(e.originator_id) for e in events
              if _kind(e) == "Vacance.BailSigne"][:10]
    for vacance in signed:
        demande = application.demande_par_id(vacance.bail["demande_id"])
        assert demande.statut == "attribuee"
        assert demande.attribution["vacance_id"] == str(vacance.id)


def test_same_seed_same_history_whatever_the_store_and_the_writer(generated, tmp_path: Path):
    application, bilan, events = generated
    other = init_store(Settings(data_dir=tmp_path / "autre", jwt_secret=SECRET))
    third = init_store(Settings(data_dir=tmp_path / "autre2", jwt_secret=SECRET))
    try:
        again = generate(other, N, SEED, ecrivain="direct")
        assert again.par_type == bilan.par_type
        assert _per_aggregate(_events(other)) == _per_aggregate(events)
        different = generate(third, N, SEED + 1, ecrivain="direct")
        assert _per_aggregate(_events(third)) != _per_aggregate(events)
        assert different.evenements >= N
    finally:
        other.close()
        third.close()


def test_an_error_of_the_writer_process_is_reported(tmp_path: Path):
    application = init_store(Settings(data_dir=tmp_path / "var", jwt_secret=SECRET))
    try:
        generate(application, 1000, 1, ecrivain="direct")
        # The same seed again: the same aggregates already exist in the store.
        with pytest.raises(GenerationIncoherente, match="IntegrityError"):
            generate(application, 1000, 1, ecrivain="processus")
    finally:
        application.close()


def test_cli_generates_into_the_configured_store_and_refuses_a_non_empty_one(
        settings: Settings, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HLM_DATA_DIR", str(settings.data_dir))
    if settings.uses_postgres:
        monkeypatch.setenv("HLM_DATABASE_URL", settings.database_url or "")
        monkeypatch.setenv("HLM_DATABASE_SCHEMA", settings.database_schema)
    else:
        monkeypatch.delenv("HLM_DATABASE_URL", raising=False)
    runner = CliRunner()
    result = runner.invoke(cli, ["generate", "--events", "1000", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "Vacance.BailSigne" in result.output and "events/s" in result.output
    application = init_store(settings)
    try:
        assert 1000 <= application.compter_evenements() <= 1020
    finally:
        application.close()
    again = runner.invoke(cli, ["generate", "--events", "1000", "--seed", "3"])
    assert again.exit_code == 1
    assert "already has 1000 events" in " ".join(again.output.split())
