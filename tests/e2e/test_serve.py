"""The real thing: `hlm serve` as a process answering over HTTP, and `hlm token`."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import pytest

from api.auth import decode_token
from tests.helpers_sec import assert_error, demande_json, token
from tests.processes import HLM, stop

SERVE_SECRET = "serve-secret-" + "s" * 40
STARTUP_TIMEOUT = 30.0


def _env(data_dir: Path, secret: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HLM_")}
    env["HLM_DATA_DIR"] = str(data_dir)
    if secret is not None:
        env["HLM_JWT_SECRET"] = secret
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _start(data_dir: Path, log: Path) -> Server:
    port = _free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen([HLM, "serve", "--port", str(port)], cwd=data_dir.parent,
                                env=_env(data_dir, SERVE_SECRET), stdout=out,
                                stderr=subprocess.STDOUT)
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"hlm serve exited with {proc.returncode}:\n{server.output()}")
        try:
            httpx.get(f"{server.base}/v1/ping", timeout=1.0)
            return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            _stop(server)
            raise AssertionError(f"hlm serve did not answer in {STARTUP_TIMEOUT} s:\n"
                                 f"{server.output()}")
        time.sleep(0.1)


def _stop(server: Server) -> None:
    stop(server.proc, timeout=10)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def server(data_dir: Path, tmp_path: Path) -> Iterator[Server]:
    server = _start(data_dir, tmp_path / "serve.log")
    try:
        yield server
    finally:
        _stop(server)


def _admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {token('admin', secret=SERVE_SECRET)}"}


def test_hlm_serve_over_real_http(server: Server, data_dir: Path, tmp_path: Path) -> None:
    with httpx.Client(base_url=server.base, timeout=10.0) as http:
        # No token, a token of another secret: 401 in the error shape.
        assert_error(http.get("/v1/logements/L1"), 401, "UNAUTHENTICATED")
        assert_error(http.put("/v1/bailleurs/B1", json={"nom": "Habitat"}), 401)
        assert_error(http.put("/v1/bailleurs/B1", json={"nom": "Habitat"},
                              headers={"Authorization": f"Bearer {token('admin')}"}), 401)
        assert_error(http.get("/v1/nope", headers=_admin()), 404, "NOT_FOUND")

        resp = http.put("/v1/bailleurs/B1", json={"nom": "Habitat"}, headers=_admin())
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"bailleur_id": "B1", "nom": "Habitat"}

        # A bailleur token from the CLI, for the same secret, registers a demande.
        cli = subprocess.run([HLM, "token", "--role", "bailleur", "--org", "B1"],
                             env=_env(data_dir, SERVE_SECRET), capture_output=True, text=True,
                             timeout=60, check=True)
        bailleur = {"Authorization": f"Bearer {cli.stdout.strip()}",
                    "Idempotency-Key": "serve-1"}
        resp = http.post("/v1/demandes", json=demande_json("SERVE-1"), headers=bailleur)
        assert resp.status_code == 201, resp.text
        created = resp.json()
        again = http.post("/v1/demandes", json=demande_json("SERVE-1"), headers=bailleur)
        assert (again.status_code, again.json()) == (201, created)

        resp = http.get(f"/v1/demandes/{created['demande_id']}?as_of=2024-01-10",
                        headers=_admin())
        assert resp.status_code == 200, resp.text
        got = resp.json()
        assert got["numero_unique"] == "SERVE-1" and got["statut"] == "active"
        assert got["date_depot"] == "2023-01-10" and got["anciennete_jours"] == 365
        assert_error(http.get(f"/v1/demandes/{created['demande_id']}"), 401)
        assert_error(http.get(f"/v1/demandes/{created['demande_id']}",
                              headers={"Authorization": "Bearer "
                                       + token("abonne", secret=SERVE_SECRET)}), 403)
    assert (data_dir / "hlm.sqlite3").exists()

    # The events outlive the process.
    _stop(server)
    assert server.proc.returncode is not None
    restarted = _start(data_dir, tmp_path / "serve2.log")
    try:
        resp = httpx.get(f"{restarted.base}/v1/demandes/{created['demande_id']}",
                         headers=_admin(), timeout=10.0)
        assert resp.status_code == 200, resp.text
        assert resp.json()["numero_unique"] == "SERVE-1"
    finally:
        _stop(restarted)


def _token_cli(data_dir: Path, secret: str | None, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([HLM, "token", *args], env=_env(data_dir, secret),
                          capture_output=True, text=True, timeout=60)


def test_hlm_token_prints_a_valid_token(data_dir: Path) -> None:
    out = _token_cli(data_dir, SERVE_SECRET, "--role", "admin")
    assert out.returncode == 0, out.stderr
    raw = out.stdout.strip()
    claims = jwt.decode(raw, SERVE_SECRET, algorithms=["HS256"])
    assert claims["role"] == "admin" and "org" not in claims
    assert claims["exp"] > time.time()
    acteur = decode_token(SERVE_SECRET, raw)
    assert (acteur.role, acteur.org) == ("admin", None)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(raw, "another-secret-" + "z" * 32, algorithms=["HS256"])

    out = _token_cli(data_dir, SERVE_SECRET, "--role", "reservataire", "--org", "R1",
                     "--ttl", "120")
    assert out.returncode == 0, out.stderr
    claims = jwt.decode(out.stdout.strip(), SERVE_SECRET, algorithms=["HS256"])
    assert (claims["role"], claims["org"]) == ("reservataire", "R1")
    assert claims["exp"] - claims["iat"] == 120


def test_hlm_token_without_a_configured_secret_keeps_one(data_dir: Path) -> None:
    first = _token_cli(data_dir, None, "--role", "auditeur")
    second = _token_cli(data_dir, None, "--role", "auditeur")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    kept = (data_dir / "jwt_secret").read_text().strip()
    assert len(kept) >= 32
    for out in (first, second):
        assert decode_token(kept, out.stdout.strip()).role == "auditeur"


@pytest.mark.parametrize("args", [["--role", "bailleur"],
                                  ["--role", "reservataire", "--org", ""],
                                  ["--role", "superuser"]])
def test_hlm_token_refuses_incomplete_requests(data_dir: Path, args: list[str]) -> None:
    out = _token_cli(data_dir, SERVE_SECRET, *args)
    assert out.returncode != 0
    assert out.stdout.strip() == "", out.stdout
