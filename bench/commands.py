"""Throughput of lifecycle commands through the real HTTP API on PostgreSQL.

    .venv/bin/python bench/commands.py [--commands N] [--clients C] [--workers W] [--quick]

What it does, in one run, on the server of HLM_BENCH_DATABASE_URL
(default postgresql://postgres@127.0.0.1:5432/postgres):

1. creates a fresh schema `bench_<random>` and runs `hlm init` on it;
2. baseline: raw single-row INSERT transactions with psycopg into a plain table of that
   schema (one INSERT + COMMIT per transaction, as many threads as command clients);
3. starts a real `hlm serve` subprocess on a free port (same env + HLM_JWT_SECRET), waits
   for it (bounded), loads reference data over HTTP (bailleurs, réservataires, territoires
   with first-quartile thresholds, logements, réservés in zone tendue among them);
4. drives exactly N lifecycle commands over HTTP from C threads, each with its own
   keep-alive httpx client and its own logements and demandes (so that clients never race
   on one aggregate): demandes filed, changes of situation, vacancies declared,
   designations, commission decisions, refusals, leases. Each command is valid for the
   state the previous ones left, so all should be 2xx; a non-2xx is counted as an error
   and not as throughput;
5. stops the server and drops the schema, whatever happened.

Human-readable figures first; the LAST line of stdout is one JSON object:
{"bench": "commands", "value": commands/s, "baseline": inserts/s, "ratio": value/baseline,
 "target": 0.5, "p50_ms", "p99_ms", "errors", "commands", "clients"}.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.sql import SQL, Identifier

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_RATIO = 0.5

BAILLEURS = {
    "b-paris-habitat": "Paris Habitat",
    "b-seine-sud": "Seine Sud Habitat",
    "b-val-de-bievre": "Val de Bièvre Logement",
    "b-orly-logis": "Orly Logis",
}
RESERVATAIRES = {
    "r-prefet-idf": ("Préfet de la région Île-de-France", "etat"),
    "r-ville-paris": ("Ville de Paris", "collectivite"),
    "r-action-logement": ("Action Logement Services", "action_logement"),
}
TERRITOIRES = {
    "t-paris": ("Paris", "2017-01-29", ["75056"]),
    "t-ept-grand-orly": ("EPT Grand-Orly Seine Bièvre", "2017-01-29", ["94081", "94054"]),
}
SEUILS = {2023: 9912, 2024: 10123, 2025: 10388, 2026: 10601}
CATEGORIES = ["MAL_LOGES_DEFAVORISES", "HANDICAP", "VIOLENCES_COUPLE", "SANS_LOGEMENT",
              "MENACE_EXPULSION", "HABITAT_INDIGNE"]
START = date(2024, 1, 8)
CYCLE_DAYS = 7          # a client starts a new vacancy cycle every week of business time
LOGEMENTS_PER_CLIENT = 4  # so a logement's cycles (about 3 weeks long) never overlap


# --- processes and schema ------------------------------------------------------------------


def hlm_command() -> list[str]:
    script = Path(sys.executable).parent / "hlm"
    return [str(script)] if script.exists() else [sys.executable, "-m", "infra.cli.main"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_tree(root: int) -> list[int]:
    """`root` and its descendants (Linux /proc; uvicorn's workers are children)."""
    parents: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents[ppid].append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU seconds of these processes, None where /proc cannot tell."""
    total = 0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None
    return total / os.sysconf("SC_CLK_TCK")


def run_hlm(args: list[str], env: dict[str, str], timeout: float = 60) -> str:
    done = subprocess.run([*hlm_command(), *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-12:])
        raise RuntimeError(f"hlm {' '.join(args)} failed ({done.returncode}):\n{tail}")
    return done.stdout


def drop_schema(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute("SET lock_timeout = '20s'")
        conn.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(schema)))


class Server:
    """A `hlm serve` subprocess in its own process group (uvicorn's workers included)."""

    def __init__(self, env: dict[str, str], port: int, workers: int, log: Path) -> None:
        self.base_url = f"http://127.0.0.1:{port}"
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen(
            [*hlm_command(), "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(workers)],
            env=env, cwd=ROOT, stdout=self._out, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hlm serve exited with {self.proc.returncode}:\n"
                                   + self.tail())
            try:
                # No token: 401 proves the app, its lifespan and its store are up.
                httpx.get(f"{self.base_url}/v1/territoires/ping", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"hlm serve not answering after {timeout:.0f} s:\n" + self.tail())

    def tail(self, lines: int = 30) -> str:
        self._out.flush()
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(grace)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # The group may outlive its leader for a moment (uvicorn workers).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._out.close()


# --- baseline: raw single-row inserts --------------------------------------------------------


def raw_inserts(url: str, schema: str, count: int,
                clients: int) -> tuple[float, list[float], float]:
    """Inserts per second of one INSERT + COMMIT per transaction, `clients` connections;
    also the latencies and this process's CPU seconds per insert."""
    table = SQL("{}.{}").format(Identifier(schema), Identifier("bench_raw_insert"))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SQL("CREATE TABLE {} (id bigserial PRIMARY KEY, originator_id uuid NOT "
                         "NULL, originator_version integer NOT NULL, topic text NOT NULL, "
                         "state bytea NOT NULL)").format(table))
    insert = SQL("INSERT INTO {} (originator_id, originator_version, topic, state) "
                 "VALUES (%s, %s, %s, %s)").format(table)
    state = json.dumps({"date_effet": "2024-03-01", "demande_id": "x" * 36,
                        "situation": {"ressources_annuelles": "18250.00", "dalo": False,
                                      "categories_prioritaires": ["HANDICAP"]},
                        "timestamp": "2024-03-01T10:00:00+00:00"}).encode()
    shares = [count // clients + (1 if i < count % clients else 0) for i in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    conns = [psycopg.connect(url) for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)

    def work(i: int) -> None:
        conn, lat = conns[i], latencies[i]
        for n in range(20):  # warm-up: prepared statement, first pages of the table
            conn.execute(insert, (secrets.token_hex(16), -n, "warm-up", state), prepare=True)
            conn.commit()
        barrier.wait()
        for n in range(shares[i]):
            t0 = time.perf_counter()
            conn.execute(insert, (secrets.token_hex(16), n + 1, "domain.demande:Demande.Deposee",
                                  state), prepare=True)
            conn.commit()
            lat.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(clients)]
    try:
        for t in threads:
            t.start()
        barrier.wait()
        t0, c0 = time.perf_counter(), os.times()
        for t in threads:
            t.join()
        elapsed, c1 = time.perf_counter() - t0, os.times()
    finally:
        for c in conns:
            c.close()
    cpu = (c1.user - c0.user + c1.system - c0.system) / count
    return count / elapsed, [x for lat in latencies for x in lat], cpu


# --- the workload ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cmd:
    kind: str
    path: str
    body: dict[str, Any]
    token: str


@dataclass
class Reply:
    status: int
    body: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class LogementRef:
    logement_id: str
    bailleur_id: str
    territoire_id: str
    commune: str
    qpv: bool
    zone_tendue: bool
    reservataire_id: str | None


def logements_for(client: int) -> list[LogementRef]:
    """Each client's own logements: two réservés in zone tendue (one in QPV), one réservé
    elsewhere, one non réservé; bailleurs and réservataires shared between clients."""
    bailleurs = list(BAILLEURS)
    reservataires = list(RESERVATAIRES)
    out = []
    shapes = [(True, False, True), (True, True, True), (True, False, False),
              (False, False, True)]  # (réservé, qpv, zone tendue)
    for j, (reserve, qpv, tendue) in enumerate(shapes):
        territoire = list(TERRITOIRES)[(client + j) % len(TERRITOIRES)]
        communes = TERRITOIRES[territoire][2]
        out.append(LogementRef(
            logement_id=f"lgt-{client:02d}-{j}",
            bailleur_id=bailleurs[(client + j) % len(bailleurs)],
            territoire_id=territoire,
            commune=communes[j % len(communes)],
            qpv=qpv,
            zone_tendue=tendue,
            reservataire_id=reservataires[(client + j) % len(reservataires)] if reserve
            else None,
        ))
    return out


@dataclass
class ClientState:
    client: int
    rng: random.Random
    tokens: dict[str, str]
    logements: list[LogementRef]
    pool: list[tuple[str, date]] = field(default_factory=list)  # waiting demandes
    # Who filed each demande: only that bailleur changes it (API.md, Writes on a demande).
    filed_by: dict[str, str] = field(default_factory=dict)
    filed: int = 0

    def token_of(self, role: str, org: str) -> str:
        return self.tokens[f"{role}:{org}"]


def demande_body(st: ClientState, jour: date) -> dict[str, Any]:
    rng = st.rng
    st.filed += 1
    n = f"{st.client:02d}{st.filed:06d}"
    people = [{"personne_id": f"p{n}-c", "lien": rng.choice(["conjoint", "concubin",
                                                             "partenaire"])}] \
        if rng.random() < 0.6 else []
    people += [{"personne_id": f"p{n}-e{k}", "lien": "enfant"} for k in range(rng.randint(0, 3))]
    uc = 1 + 0.5 * (len(people) > 0 and people[0]["lien"] != "enfant") + 0.3 * sum(
        p["lien"] == "enfant" for p in people)
    return {
        "numero_unique": f"0750124{n}",
        "date_depot": jour.isoformat(),
        "demandeur_id": f"p{n}-d",
        "personnes_a_loger": people,
        "ressources_annuelles": rng.randrange(6000, 42000, 50),
        "unites_consommation": round(uc, 2),
        "dalo": rng.random() < 0.1,
        "categories_prioritaires": rng.sample(CATEGORIES, 1) if rng.random() < 0.2 else [],
        "relogement_renouvellement_urbain": rng.random() < 0.05,
    }


Script = Generator[Cmd, Reply, None]


def cycle(st: ClientState, k: int) -> Generator[Cmd, Reply, bool]:
    """One vacancy's whole cycle: ~11 commands. Returns False at the first failed command
    (the rest of this cycle would depend on it)."""
    rng = st.rng
    d0 = START + timedelta(days=CYCLE_DAYS * k)
    log = st.logements[k % len(st.logements)]
    bailleur = st.token_of("bailleur", log.bailleur_id)
    designateur = (st.token_of("reservataire", log.reservataire_id) if log.reservataire_id
                   else bailleur)

    fresh: list[tuple[str, date]] = []
    for _ in range(3):
        r = yield Cmd("demande", "/v1/demandes", demande_body(st, d0), bailleur)
        if not r.ok:
            return False
        fresh.append((r.body["demande_id"], d0))
        st.filed_by[r.body["demande_id"]] = bailleur

    # A change of situation on a waiting demande (new resources, sometimes a category).
    target = rng.choice(st.pool)[0] if st.pool else fresh[0][0]
    change: dict[str, Any] = {"date": d0.isoformat(),
                              "ressources_annuelles": rng.randrange(6000, 42000, 50)}
    if rng.random() < 0.3:
        change["categories_prioritaires"] = rng.sample(CATEGORIES, 1)
    r = yield Cmd("situation", f"/v1/demandes/{target}/situation", change,
                  st.filed_by.get(target, bailleur))
    if not r.ok:
        return False

    r = yield Cmd("vacance", f"/v1/logements/{log.logement_id}/vacances",
                  {"date_information": d0.isoformat()}, bailleur)
    if not r.ok:
        return False
    vacance = r.body["vacance_id"]

    # Three candidates: two new demandes and one that has waited (re-proposed).
    candidats = [fresh[0], fresh[1]]
    if st.pool:
        candidats.append(st.pool.pop(rng.randrange(len(st.pool))))
        st.pool.append(fresh[2])
    else:
        candidats.append(fresh[2])
    for j, (demande, _) in enumerate(candidats):
        jour = d0 + timedelta(days=3 + j)  # within the réservataire's month
        r = yield Cmd("designation", f"/v1/vacances/{vacance}/designations",
                      {"demande_id": demande, "date": jour.isoformat()}, designateur)
        if not r.ok:
            st.pool.extend(candidats)
            return False

    rng.shuffle(candidats)
    premier, second, ecarte = (c[0] for c in candidats)
    tie = rng.random() < 0.15
    decisions = [
        {"demande_id": premier, "decision": "attribution", "rang": 1, "motif": None,
         "votes": {"pour": 3, "contre": 3, "voix_maire": "pour"} if tie
         else {"pour": 5, "contre": 1}},
        {"demande_id": second, "decision": "attribution_sous_condition", "rang": 2,
         "motif": "sous réserve de pièces", "votes": None},
        {"demande_id": ecarte, "decision": "non_attribution", "rang": None,
         "motif": "inadéquation typologie", "votes": None},
    ]
    commission = d0 + timedelta(days=10)
    r = yield Cmd("decisions", f"/v1/vacances/{vacance}/decisions",
                  {"date_commission": commission.isoformat(), "decisions": decisions},
                  bailleur)
    waiting = list(candidats)
    if not r.ok:
        st.pool.extend(waiting)
        return False

    signataire = premier
    if rng.random() < 0.3:
        r = yield Cmd("refus", f"/v1/vacances/{vacance}/refus",
                      {"demande_id": premier, "date": (commission + timedelta(days=4))
                       .isoformat(), "motif": "logement trop éloigné du travail"}, bailleur)
        if not r.ok:
            st.pool.extend(waiting)
            return False
        signataire = second

    r = yield Cmd("bail", f"/v1/vacances/{vacance}/bail",
                  {"demande_id": signataire,
                   "date_signature": (commission + timedelta(days=11)).isoformat()}, bailleur)
    st.pool.extend(c for c in waiting if not (r.ok and c[0] == signataire))
    return r.ok


def script(st: ClientState) -> Script:
    k = 0
    while True:
        yield from cycle(st, k)
        k += 1


@dataclass
class Sample:
    kind: str
    status: int
    seconds: float


def drive(base_url: str, st: ClientState, quota: int, deadline: float,
          idempotency: bool, start: threading.Barrier, stop: threading.Event) -> list[Sample]:
    samples: list[Sample] = []
    steps = script(st)
    cmd = next(steps)
    with httpx.Client(base_url=base_url, timeout=30,
                      headers={"Content-Type": "application/json"}) as http:
        start.wait()
        for seq in range(quota):
            if stop.is_set() or time.monotonic() > deadline:
                break
            headers = {"Authorization": f"Bearer {cmd.token}"}
            if idempotency:
                headers["Idempotency-Key"] = f"bench-{st.client}-{seq}"
            payload = json.dumps(cmd.body).encode()
            t0 = time.perf_counter()
            try:
                resp = http.post(cmd.path, content=payload, headers=headers)
                status = resp.status_code
            except httpx.HTTPError:
                resp, status = None, 0
            samples.append(Sample(cmd.kind, status, time.perf_counter() - t0))
            reply = Reply(status)
            if reply.ok and resp is not None:
                reply.body = resp.json()
            elif resp is not None and len([s for s in samples if s.status >= 300]) <= 3:
                print(f"  client {st.client}: {cmd.kind} {cmd.path} -> {status} "
                      f"{resp.text[:300]}", flush=True)
            cmd = steps.send(reply)
    return samples


# --- reference data --------------------------------------------------------------------------


def load_reference(base_url: str, admin: str, clients: int) -> int:
    calls: list[tuple[str, str, dict[str, Any]]] = []
    for b, nom in BAILLEURS.items():
        calls.append(("PUT", f"/v1/bailleurs/{b}", {"nom": nom}))
    for r, (nom, type_) in RESERVATAIRES.items():
        calls.append(("PUT", f"/v1/reservataires/{r}", {"nom": nom, "type": type_}))
    for t, (nom, depuis, _) in TERRITOIRES.items():
        calls.append(("PUT", f"/v1/territoires/{t}",
                      {"nom": nom, "soumis_mixite_depuis": depuis, "ile_de_france": True}))
        for annee, montant in SEUILS.items():
            calls.append(("POST", f"/v1/territoires/{t}/seuils",
                          {"annee": annee, "montant_par_uc": montant,
                           "acte": f"arrêté préfectoral {annee}-{t}"}))
        for b in BAILLEURS:
            calls.append(("POST", f"/v1/territoires/{t}/objectifs",
                          {"bailleur_id": b, "annee": 2024, "taux_hors_qpv_premier_quartile":
                           0.25, "taux_qpv_autres_quartiles": 0.5}))
    for c in range(clients):
        for lg in logements_for(c):
            calls.append(("PUT", f"/v1/logements/{lg.logement_id}", {
                "bailleur_id": lg.bailleur_id, "territoire_id": lg.territoire_id,
                "commune": lg.commune, "qpv": lg.qpv, "zone_tendue": lg.zone_tendue,
                "reservataire_id": lg.reservataire_id, "date_effet": "2020-01-01"}))
    with httpx.Client(base_url=base_url, timeout=30,
                      headers={"Authorization": f"Bearer {admin}"}) as http:
        for method, path, body in calls:
            resp = http.request(method, path, json=body)
            if not resp.is_success:
                raise RuntimeError(f"reference data: {method} {path} -> {resp.status_code} "
                                   f"{resp.text[:500]}")
    return len(calls)


# --- figures ---------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile of `values` (seconds), in milliseconds."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index] * 1000


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--commands", type=int, default=None, help="lifecycle commands (3000)")
    p.add_argument("--clients", type=int, default=8, help="concurrent client threads (8)")
    p.add_argument("--inserts", type=int, default=None, help="baseline transactions (3000)")
    p.add_argument("--workers", type=int, default=2,
                   help="hlm serve --workers (2: one per core of the reference machine)")
    p.add_argument("--quick", action="store_true", help="small run: 300 commands, 600 inserts")
    p.add_argument("--no-idempotency-key", action="store_true",
                   help="send POSTs without an Idempotency-Key header")
    p.add_argument("--seed", type=int, default=20240108)
    p.add_argument("--max-seconds", type=float, default=150,
                   help="stop driving commands after this long (the run then reports fewer)")
    p.add_argument("--keep-log", action="store_true", help="print where the server log is kept")
    args = p.parse_args()
    args.commands = args.commands or (300 if args.quick else 3000)
    args.inserts = args.inserts or (600 if args.quick else 3000)
    if args.commands < 1 or args.clients < 1 or args.inserts < 1:
        p.error("--commands, --clients and --inserts must be positive")
    return args


def main() -> int:
    try:
        return run(parse_args())
    except (RuntimeError, OSError, psycopg.Error, httpx.HTTPError,
            subprocess.SubprocessError) as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench interrupted", file=sys.stderr)
        return 130


def run(args: argparse.Namespace) -> int:
    url = os.environ.get("HLM_BENCH_DATABASE_URL", DEFAULT_URL)
    schema = f"bench_{secrets.token_hex(5)}"
    secret = secrets.token_urlsafe(32)
    workdir = Path(tempfile.mkdtemp(prefix="hlm-bench-"))
    env = {**os.environ, "HLM_DATABASE_URL": url, "HLM_DATABASE_SCHEMA": schema,
           "HLM_JWT_SECRET": secret, "HLM_DATA_DIR": str(workdir / "var"),
           "PYTHONUNBUFFERED": "1"}
    stop = threading.Event()

    def on_sigterm(*_: object) -> None:
        # A SIGTERM (e.g. a CI timeout) still stops the server and drops the schema.
        stop.set()
        sys.exit(143)

    signal.signal(signal.SIGTERM, on_sigterm)

    server: Server | None = None
    created = False
    try:
        print(f"hlm bench: schema {schema} on {url.split('@')[-1]}, {args.commands} commands, "
              f"{args.clients} clients, {args.workers} server worker(s)", flush=True)
        created = True  # `hlm init` creates it; drop it even if init fails halfway
        t0 = time.perf_counter()
        run_hlm(["init"], env)
        print(f"  hlm init: {time.perf_counter() - t0:.1f} s", flush=True)

        baseline, insert_lat, insert_cpu = raw_inserts(url, schema, args.inserts,
                                                       args.clients)
        print(f"baseline: {args.inserts} single-row INSERT+COMMIT transactions, "
              f"{args.clients} connections: {baseline:,.0f} tx/s "
              f"(p50 {pct(insert_lat, 50):.2f} ms, p99 {pct(insert_lat, 99):.2f} ms; "
              f"client CPU {insert_cpu * 1000:.2f} ms/tx)", flush=True)

        port = free_port()
        server = Server(env, port, args.workers, workdir / "server.log")
        t0 = time.perf_counter()
        server.wait_ready(timeout=45)
        print(f"  hlm serve on port {port}: ready in {time.perf_counter() - t0:.1f} s",
              flush=True)

        roles = [("admin", None)] + [("bailleur", b) for b in BAILLEURS] + [
            ("reservataire", r) for r in RESERVATAIRES]
        with ThreadPoolExecutor(len(roles)) as pool:
            issued = pool.map(lambda ro: run_hlm(
                ["token", "--role", ro[0], *(["--org", ro[1]] if ro[1] else []),
                 "--ttl", "3600"], env).strip(), roles)
            tokens = {f"{role}:{org}" if org else role: tok
                      for (role, org), tok in zip(roles, issued, strict=True)}

        t0 = time.perf_counter()
        n_ref = load_reference(server.base_url, tokens["admin"], args.clients)
        print(f"  reference data: {n_ref} requests in {time.perf_counter() - t0:.1f} s",
              flush=True)

        quotas = [args.commands // args.clients + (1 if i < args.commands % args.clients else 0)
                  for i in range(args.clients)]
        states = [ClientState(c, random.Random(args.seed * 1000 + c), tokens,
                              logements_for(c)) for c in range(args.clients)]
        barrier = threading.Barrier(args.clients + 1)
        deadline = time.monotonic() + args.max_seconds
        with ThreadPoolExecutor(args.clients) as pool:
            futures = [pool.submit(drive, server.base_url, st, q, deadline,
                                   not args.no_idempotency_key, barrier, stop)
                       for st, q in zip(states, quotas, strict=True)]
            try:
                server_pids = process_tree(server.proc.pid)
                barrier.wait()
                t0, c0, s0 = time.perf_counter(), os.times(), cpu_seconds(server_pids)
                results = [f.result() for f in futures]
                elapsed, c1 = time.perf_counter() - t0, os.times()
                s1 = cpu_seconds(server_pids)
            except BaseException:
                stop.set()
                barrier.abort()
                raise
        samples = [s for r in results for s in r]
        client_cpu = c1.user - c0.user + c1.system - c0.system
        server_cpu = s1 - s0 if s0 is not None and s1 is not None else None
    finally:
        if server is not None:
            server.stop()
            if args.keep_log:
                print(f"  server log: {server.log}")
        if not args.keep_log:
            shutil.rmtree(workdir, ignore_errors=True)
        if created:
            try:
                drop_schema(url, schema)
            except psycopg.Error as exc:
                print(f"warning: could not drop schema {schema}: {exc}", file=sys.stderr)

    ok = [s for s in samples if 200 <= s.status < 300]
    errors = len(samples) - len(ok)
    value = len(ok) / elapsed if elapsed > 0 else 0.0
    ok_lat = [s.seconds for s in ok]
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_kind[s.kind].append(s)
    print(f"commands: {len(samples)} sent in {elapsed:.2f} s, {len(ok)} 2xx, {errors} non-2xx"
          + ("" if len(samples) == args.commands else
             f" (stopped by --max-seconds before {args.commands})"))
    print(f"  {'kind':<12} {'count':>6} {'share':>6} {'errors':>6} {'p50 ms':>8} "
          f"{'p90 ms':>8} {'p99 ms':>8}")
    for kind in ("demande", "situation", "vacance", "designation", "decisions", "refus",
                 "bail"):
        group = by_kind.get(kind, [])
        lat = [s.seconds for s in group if 200 <= s.status < 300]
        print(f"  {kind:<12} {len(group):>6} {len(group) / max(1, len(samples)):>6.1%} "
              f"{sum(1 for s in group if not 200 <= s.status < 300):>6} "
              f"{pct(lat, 50):>8.1f} {pct(lat, 90):>8.1f} {pct(lat, 99):>8.1f}")
    per_cmd = 1000 / max(1, len(samples))
    print(f"CPU per command: server {server_cpu * per_cmd:.2f} ms "
          f"({args.workers} worker(s)), bench client {client_cpu * per_cmd:.2f} ms"
          if server_cpu is not None else
          f"CPU per command: bench client {client_cpu * per_cmd:.2f} ms")
    ratio = value / baseline if baseline else 0.0
    print(f"throughput: {value:,.0f} commands/s vs {baseline:,.0f} raw inserts/s: "
          f"ratio {ratio:.3f} (target {TARGET_RATIO}); latency p50 {pct(ok_lat, 50):.1f} ms, "
          f"p99 {pct(ok_lat, 99):.1f} ms")
    print(json.dumps({
        "bench": "commands", "value": round(value, 1), "baseline": round(baseline, 1),
        "ratio": round(ratio, 4), "target": TARGET_RATIO, "p50_ms": round(pct(ok_lat, 50), 2),
        "p99_ms": round(pct(ok_lat, 99), 2), "errors": errors, "commands": args.commands,
        "clients": args.clients,
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
