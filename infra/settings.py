"""Settings from the environment (prefix HLM_), documented in the README."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.rules.versions import DEFAULT_V20_EFFECTIVE_FROM

if TYPE_CHECKING:
    from infra.persistence.locks import StoreLock


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HLM_", extra="ignore")

    data_dir: Path = Field(Path("./var"), description="Embedded store and secret directory")
    database_url: str | None = Field(
        None, description="postgresql://… to use PostgreSQL instead of the embedded SQLite")
    database_schema: str = Field("public", description="PostgreSQL schema of every table")
    create_tables: bool = Field(
        False, description="Let services create missing tables (PostgreSQL: use `hlm init`)")
    jwt_secret: str | None = Field(
        None, description="HS256 secret of the API tokens (embedded default: kept in data_dir)")
    v20_effective_from: date = Field(
        DEFAULT_V20_EFFECTIVE_FROM, description="Start of L441-1 version 20 (undated in law)")
    host: str = "127.0.0.1"
    port: int = 8000
    pool_size: int = Field(8, description="PostgreSQL connections per process")
    projector: Literal["auto", "thread", "external"] = Field(
        "auto", description="Where the projection runner works: auto = a thread of "
        "`hlm serve` on SQLite, its own process (`hlm project`) on PostgreSQL")
    kafka_bootstrap: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers (host:port, comma separated)")
    kafka_topic: str = Field("hlm.evenements", description="Topic the relay publishes to")
    kafka_partitions: int = Field(
        6, ge=1, description="Partitions of the topic when the relay creates it")
    access_log: bool = Field(
        True, description="One JSON line per request on the logger hlm.access (who read or "
        "changed which file); off only where another register is kept")
    jwt_audience: str | None = Field(None, description="`aud` required in tokens when set")
    jwt_issuer: str | None = Field(None, description="`iss` required in tokens when set")
    jwt_max_ttl: int = Field(86400, ge=60, description="Longest token lifetime accepted, s")
    idempotence_jours: int = Field(
        30, ge=1, le=3650, description="Days an Idempotency-Key is remembered; older, the "
        "key is unknown again (`hlm maintenance` deletes such keys)")
    relay_batch_size: int = Field(
        500, ge=1, le=10000, description="Events the relay publishes per acknowledged batch")

    @property
    def projector_in_process(self) -> bool:
        if self.projector == "auto":
            return not self.uses_postgres
        return self.projector == "thread"

    @property
    def uses_postgres(self) -> bool:
        return self.database_url is not None and self.database_url.startswith(
            ("postgresql://", "postgres://"))

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "hlm.sqlite3"

    def lock(self, name: str = "projector") -> StoreLock:
        """The store's lock called `name`: the projector, a rebuild, a relay."""
        from infra.persistence.locks import StoreLock

        return StoreLock(self, name)

    def prepare_data_dir(self) -> Path:
        """The data directory, readable by its owner only (it holds the store and secret)."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        return self.data_dir

    @cached_property
    def secret(self) -> str:
        """The JWT secret: the setting, else one created once and kept in the data dir.
        Raises SecretInvalide when it is shorter than MIN_SECRET_BYTES."""
        if self.jwt_secret is not None:
            return _assez_long(self.jwt_secret, "HLM_JWT_SECRET")
        path = self.prepare_data_dir() / "jwt_secret"
        try:
            # Created whole or not at all, never readable by others; a racing process
            # that lost reads the winner's.
            fd, tmp = tempfile.mkstemp(dir=self.data_dir, prefix=".jwt_secret.")
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                os.unlink(tmp)
        except OSError as exc:
            raise SecretInvalide(f"cannot create the JWT secret in {self.data_dir}: {exc}"
                                 ) from None
        return _assez_long(path.read_text().strip(), str(path))


MIN_SECRET_BYTES = 32


class SecretInvalide(ValueError):
    """A JWT secret too short to sign tokens safely: the service refuses to start."""


def _assez_long(secret: str, where: str) -> str:
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise SecretInvalide(f"the JWT secret of {where} has {len(secret.encode())} bytes; "
                             f"at least {MIN_SECRET_BYTES} are required (HS256)")
    return secret


def masquer_url(url: str | None) -> str | None:
    """The URL without its password, for messages and logs."""
    if not url:
        return url
    url = re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)
    return re.sub(r"(password=)[^&\s]+", r"\1***", url)
