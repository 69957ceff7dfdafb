"""What the projections need of the process that runs them, given to them (they import no
adapter): where the views' database is, how large its pool, and the locks that let one
projector or rebuild at a time work on a store. `infra.settings.Settings` is one."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class Lock(Protocol):
    """Held by one process at a time per store and name."""

    def acquire(self) -> bool: ...

    def release(self) -> None: ...

    @property
    def held(self) -> bool: ...


class StoreConfig(Protocol):
    @property
    def uses_postgres(self) -> bool: ...

    @property
    def database_url(self) -> str | None: ...

    @property
    def database_schema(self) -> str: ...

    @property
    def sqlite_path(self) -> Path: ...

    @property
    def pool_size(self) -> int: ...

    def lock(self, name: str = "projector") -> Lock:
        """The store's lock called `name` (the projector, a rebuild, a relay)."""
        ...
