"""A real PostgreSQL for the tests: HLM_TEST_DATABASE_URL, else a throwaway cluster started
with the initdb/pg_ctl found on the machine (never a skip)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _find(tool: str) -> str:
    found = shutil.which(tool)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"), reverse=True):
        return str(candidate)
    raise RuntimeError(f"{tool} not found: install PostgreSQL server binaries")


class ThrowawayCluster:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="hlm-pg-"))
        self.port = _free_port()
        self.user = None
        if os.geteuid() == 0:  # initdb refuses to run as root
            self.user = "postgres" if _has_user("postgres") else "nobody"
            shutil.chown(self.dir, user=self.user)

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True)

    def start(self) -> str:
        data = self.dir / "data"
        self._run(_find("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust")
        self._run(_find("pg_ctl"), "-D", str(data), "-l", str(self.dir / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "start")
        url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        deadline = time.time() + 30
        while not answers(url):
            if time.time() > deadline:
                raise RuntimeError("throwaway PostgreSQL did not start")
            time.sleep(0.2)
        return url

    def pause(self) -> None:
        """Stop the server, keeping its data: `resume` starts it again on the same port."""
        self._run(_find("pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        self._run(_find("pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "log"),
                  "-w", "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
                  "start")

    def stop(self) -> None:
        try:
            self._run(_find("pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
