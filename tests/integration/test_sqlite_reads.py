"""On the embedded store a read takes no write lock (issue 8): while another connection
holds SQLite's write lock, reads still answer at once."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from infra.persistence.store import init_store
from infra.settings import Settings
from tests.conftest import SECRET
from tests.helpers_sec import bearer, seed_world


def test_reads_answer_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", jwt_secret=SECRET)
    app = init_store(settings)
    world = seed_world(app)
    try:
        with TestClient(create_app(settings, app)) as client:
            demande, vacance = world.demandes["D1"], world.vacances["V_RES"]
            assert client.get(f"/v1/demandes/{demande}",
                              headers=bearer("auditeur")).status_code == 200  # caught up
            writer = sqlite3.connect(settings.sqlite_path, isolation_level=None, timeout=1)
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("UPDATE hlm_vues SET mis_a_jour = mis_a_jour")
            try:
                for path in ("/v1/sante", f"/v1/demandes/{demande}",
                             f"/v1/vacances/{vacance}"):
                    started = time.monotonic()
                    r = client.get(path, headers=bearer("auditeur"))
                    assert r.status_code == 200, (path, r.text)
                    assert time.monotonic() - started < 2, path  # no wait on the lock
            finally:
                writer.execute("ROLLBACK")
                writer.close()
    finally:
        app.close()
