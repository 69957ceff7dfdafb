"""A read whose views stay behind the store past the wait bound says which position it
reflects (X-HLM-Position, X-HLM-Retard) instead of answering silently (issue 8)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from infra.persistence.store import init_store
from infra.settings import Settings
from tests.conftest import SECRET
from tests.helpers_sec import B1, TERRITOIRE, bearer, seed_world


def test_a_lagging_read_names_its_position(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", jwt_secret=SECRET, projector="external")
    app = init_store(settings)
    try:
        with TestClient(create_app(settings, app)) as client:
            params = {"territoire_id": TERRITOIRE, "annee": 2024}
            r = client.get(f"/v1/quotas/bailleurs/{B1}", params=params,
                           headers=bearer("auditeur"))
            assert r.status_code == 200 and "x-hlm-retard" not in r.headers  # up to date
            seed_world(app)  # recorded, and no projector runs
            head = app.recorder.max_notification_id()
            r = client.get(f"/v1/quotas/bailleurs/{B1}", params=params,
                           headers=bearer("auditeur"))
            assert r.status_code == 200, r.text
            assert r.headers["x-hlm-position"] == "0"
            assert r.headers["x-hlm-retard"] == str(head)
    finally:
        app.close()
