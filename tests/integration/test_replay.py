"""`hlm replay`: the auditor's recomputation from the log, on a generated history, on both
stores: the quota figures (R-QUOTA-HORS-QPV-Q1-25, R-QUOTA-QPV-50, R-NONRESERVE-25-DALO,
R-COLLECTIVITE-25-DALO, R-6-MONTH-FLUX-INJUNCTION) and seniority (R-SENIORITY-SEPARATION)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infra.cli.main import app as cli
from infra.persistence.store import init_store
from infra.settings import Settings
from infra.synthetic.generate import generate
from projections.replay import ANCIENNETE
from projections.service import Projections

AS_OF = date(2019, 12, 31)
QUOTA_BAILLEUR = {"bailleur_id", "territoire_id", "annee", "as_of", "known_at", "hors_qpv",
                  "qpv", "non_reserves", "semestre", "substitution_prefet",
                  "attributions_prefet", "travailleurs_essentiels", "sapeurs_pompiers"}
QUOTA_RESERVATAIRE = {"reservataire_id", "annee", "as_of", "known_at", "attributions",
                      "dalo_ou_prioritaires", "taux", "objectif", "conforme", "minimum",
                      "manque"}


def _env(settings: Settings) -> dict[str, str]:
    if settings.uses_postgres:
        assert settings.database_url is not None
        return {"HLM_DATABASE_URL": settings.database_url,
                "HLM_DATABASE_SCHEMA": settings.database_schema}
    return {"HLM_DATA_DIR": str(settings.data_dir), "HLM_DATABASE_URL": ""}


@pytest.fixture
def histoire(settings: Settings) -> Settings:
    """A generated history 2012-2025 (1,000 events: the generator's minimum)."""
    app = init_store(settings)
    try:
        generate(app, 1000, seed=3)
    finally:
        app.close()
    return settings


def _replay(settings: Settings, out: Path, *args: str) -> dict:
    result = CliRunner().invoke(cli, ["replay", *args, "--out", str(out)], env=_env(settings))
    assert result.exit_code == 0, result.output
    assert "replayed" in result.output
    return json.loads(out.read_text())


def test_replay_writes_every_quota_and_active_demande(histoire, tmp_path):
    body = _replay(histoire, tmp_path / "r.json", "--as-of", AS_OF.isoformat())
    assert (body["as_of"], body["known_at"], body["annee"]) == ("2019-12-31", None, 2019)
    app = init_store(histoire)
    vues = Projections(app, histoire)
    try:
        assert body["position"] == app.recorder.max_notification_id()
        assert body["evenements"] == app.compter_evenements()
        assert body["bailleurs"] and body["reservataires"] and body["demandes"]
        assert all(set(q) == QUOTA_BAILLEUR for q in body["bailleurs"])
        assert all(set(q) == QUOTA_RESERVATAIRE for q in body["reservataires"])
        assert sum(q["hors_qpv"]["attributions"] + q["qpv"]["attributions"]
                   for q in body["bailleurs"]) > 0
        for d in body["demandes"]:
            assert set(d) == set(ANCIENNETE) and d["statut"] == "active"
            assert date.fromisoformat(d["date_depot"]) <= AS_OF
            assert d["anciennete_jours"] == (AS_OF - date.fromisoformat(
                d["date_anciennete"])).days
        # The same answers as the read models, on the generator's history.
        vues.runner.catch_up()
        for q in body["bailleurs"][::7]:
            assert vues.quotas_bailleur(q["bailleur_id"], q["territoire_id"], 2019, AS_OF,
                                        None) == q
        for q in body["reservataires"]:
            assert vues.quotas_reservataire(q["reservataire_id"], 2019, AS_OF, None) == q
        for d in body["demandes"][::5]:
            lu = vues.demande(d["demande_id"], AS_OF, None)
            assert lu is not None and {k: lu[k] for k in ANCIENNETE} == d
    finally:
        vues.stop()
        app.close()


def test_known_at_before_any_record_gives_nothing(histoire, tmp_path):
    avant = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    body = _replay(histoire, tmp_path / "r.json", "--as-of", "2024-06-30",
                   "--known-at", avant)
    assert body["known_at"] == avant
    assert (body["position"], body["evenements"]) == (0, 0)
    assert (body["bailleurs"], body["reservataires"], body["demandes"]) == ([], [], [])


def test_a_naive_known_at_is_local_time_and_bounds_the_log(histoire, tmp_path):
    """Without an offset, known_at is local time; after everything: the whole log."""
    apres = (datetime.now() + timedelta(minutes=5)).replace(microsecond=0).isoformat()
    body = _replay(histoire, tmp_path / "r.json", "--as-of", "2024-06-30",
                   "--known-at", apres)
    tout = _replay(histoire, tmp_path / "t.json", "--as-of", "2024-06-30")
    assert body["position"] == tout["position"] > 0
    assert body["bailleurs"] == [{**q, "known_at": apres} for q in tout["bailleurs"]]


@pytest.mark.parametrize("args, hint", [
    (["--as-of", "2024-02-30"], "--as-of"),
    (["--as-of", "31/12/2024"], "--as-of"),
    (["--as-of", "2024-12-31", "--known-at", "yesterday"], "--known-at"),
])
def test_invalid_dates_are_usage_errors(settings, tmp_path, args, hint):
    out = tmp_path / "r.json"
    result = CliRunner().invoke(cli, ["replay", *args, "--out", str(out)], env=_env(settings))
    assert result.exit_code == 2, result.output
    assert hint in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not out.exists()
