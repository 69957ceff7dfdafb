"""What a command of the application ends in, and the memo that makes it idempotent.

The domain knows no transport and no presentation: a command returns an `Issue` (the
aggregate it answers with, the business date to show it at, and whether the command
recorded a new act); the read side shapes it (projections.presentation), the HTTP layer
gives it a status. An idempotency `Memo` is opaque to it: a key, a
fingerprint, and how an `Issue` is remembered (the caller's own form of the answer, stored
with the command's events); a command already run under the key gives back what was
remembered, as a `Rejoue`, never run again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, Protocol, TypeVar

from eventsourcing.domain import Aggregate

A = TypeVar("A", bound=Aggregate, covariant=True)


@dataclass(frozen=True)
class Issue(Generic[A]):
    """A command's outcome: the aggregate it answers with, as the command left it, and the
    date to show it at (`jour`: None for reference data without dates); `nouveau` is False
    when it recorded nothing new (the same demande filed again)."""

    agregat: A
    jour: date | None = None
    nouveau: bool = True

    @property
    def id(self) -> str:
        return str(self.agregat.id)


@dataclass(frozen=True)
class Rejoue:
    """The answer remembered for a memo's key when its command first ran, as the memo
    made it (`statut` means something to the caller only)."""

    statut: int
    corps: dict[str, Any]


class Memo(Protocol):
    """An idempotency key as the application sees it: `cle` names the command once,
    `empreinte` is the fingerprint of what was asked (another one under the same key is
    409 IDEMPOTENCY_KEY_REUSED), `memoriser` turns the fresh `Issue` into the pair stored
    (statut, JSON of the body) and later replayed."""

    @property
    def cle(self) -> str: ...

    @property
    def empreinte(self) -> str: ...

    def memoriser(self, issue: Issue[Any]) -> tuple[int, str]: ...
