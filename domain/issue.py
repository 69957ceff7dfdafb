"""What a command of the application ends in, and the memo that makes it idempotent.

The domain knows no transport: a command returns an `Issue` (the aggregate's view, and
whether the command recorded a new act). An idempotency `Memo` is opaque to it: a key, a
fingerprint, and how an `Issue` is remembered (the caller's own form of the answer, stored
with the command's events); a command already run under the key gives back what was
remembered, as a `Rejoue`, never run again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Issue:
    """A command's outcome: the view it answers with; `nouveau` is False when it recorded
    nothing new (the same demande filed again)."""

    corps: dict[str, Any]
    nouveau: bool = True


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

    def memoriser(self, issue: Issue) -> tuple[int, str]: ...
