"""Real `hlm` processes on a test's store: their environment, stopping them, and the relay
as a process with its log and committed position."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from domain.application import HlmApplication
from infra.settings import Settings
from projections.db import ViewDB
from tests.kafka_broker import Broker

HLM = str(Path(sys.executable).with_name("hlm"))
RELAY_BATCH = 25


def hlm_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of an `hlm` process working on the test's store (no HLM_ variable of
    the caller's leaks in), plus `extra` HLM_ variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HLM_")}
    env["HLM_DATA_DIR"] = str(settings.data_dir)
    if settings.uses_postgres:
        assert settings.database_url is not None
        env["HLM_DATABASE_URL"] = settings.database_url
        env["HLM_DATABASE_SCHEMA"] = settings.database_schema
        env["HLM_POOL_SIZE"] = "2"
    env.update(extra)
    return env


def stop(proc: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """SIGTERM, then SIGKILL if it does not exit in time; its exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return proc.returncode


@dataclass
class RelayProcess:
    """`hlm relay` as a real process; its log accumulates over restarts."""

    settings: Settings
    broker: Broker
    log: Path
    args: tuple[str, ...] = ()
    proc: subprocess.Popen[bytes] | None = None
    _from: int = 0

    def env(self) -> dict[str, str]:
        return hlm_env(self.settings, HLM_KAFKA_BOOTSTRAP=self.broker.bootstrap,
                       HLM_KAFKA_PARTITIONS="3", HLM_RELAY_BATCH_SIZE=str(RELAY_BATCH))

    def start(self) -> RelayProcess:
        self._from = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([HLM, "relay", "--poll", "0.05", *self.args],
                                         env=self.env(), stdout=out, stderr=subprocess.STDOUT)
        return self

    def output(self, since_start: bool = False) -> str:
        with self.log.open("rb") as f:
            f.seek(self._from if since_start else 0)
            return f.read().decode(errors="replace")

    def wait_log(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output(since_start=True):
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"relay exited ({self.proc.returncode}):\n"
                                     + self.output())
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} in the relay log:\n{self.output()}")
            time.sleep(0.01)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self) -> int:
        assert self.proc is not None
        return stop(self.proc)


def relay_position(db: ViewDB) -> int:
    with db.transaction() as cur:
        cur.execute("SELECT position FROM hlm_relais WHERE nom = 'kafka'")
        row = cur.fetchone()
    return int(row[0]) if row else 0


def wait_relay(db: ViewDB, app: HlmApplication, relay: RelayProcess,
                   timeout: float = 90.0) -> int:
    deadline = time.monotonic() + timeout
    while True:
        head = app.recorder.max_notification_id() or 0
        if relay_position(db) >= head:
            return head
        if time.monotonic() > deadline:
            raise AssertionError(f"relay at {relay_position(db)}, head {head}:\n{relay.output()}")
        time.sleep(0.05)
