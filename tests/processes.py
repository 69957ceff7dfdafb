"""Real `hlm` processes on a test's store: their environment, and stopping them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from infra.settings import Settings

HLM = str(Path(sys.executable).with_name("hlm"))


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
