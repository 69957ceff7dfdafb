from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from fastapi.responses import JSONResponse

from api.corps import Corps
from api.idempotence import CleIdempotence, Memoire, Methode, reponse
from domain.errors import Introuvable
from domain.issue import Issue, Memo, Rejoue

A = TypeVar("A", bound=Aggregate)


def commander(methode: Methode, idem: CleIdempotence | None, corps: Corps[A],
              commande: Callable[[Memo | None], Issue[A] | Rejoue]
              ) -> tuple[int, dict[str, Any]]:
    """Runs an application command with the request's key (if any) and gives its status
    and body: the read side's view of what the command returned, or a replay as first
    answered."""
    presente: list[tuple[Issue[A], dict[str, Any]]] = []

    def une_fois(issue: Issue[A]) -> dict[str, Any]:
        # The body stored with the key is the very one answered: presented once.
        if not presente or presente[0][0] is not issue:
            presente[:] = [(issue, corps(issue))]
        return presente[0][1]

    memo = Memoire(idem, une_fois) if idem is not None else None
    return reponse(methode, commande(memo), une_fois)


def respond(methode: Methode, idem: CleIdempotence | None, corps: Corps[A],
            commande: Callable[[Memo | None], Issue[A] | Rejoue]) -> JSONResponse:
    statut, body = commander(methode, idem, corps, commande)
    return JSONResponse(body, status_code=statut)


def read_or_404(what: str, raw_id: str, as_of: date, known_at: datetime | None,
                reader: Callable[[str, date, datetime | None], dict[str, Any] | None],
                retard: Callable[[], dict[str, str]] = dict) -> JSONResponse:
    """One bitemporal read model row, or 404 when the id is not a uuid, unknown, not yet in
    existence on `as_of`, or not yet recorded at `known_at`."""
    field = f"{what}_id"
    try:
        key = str(UUID(raw_id))
    except ValueError:
        raise Introuvable(f"Unknown {what} {raw_id}.", details={field: raw_id}) from None
    vue = reader(key, as_of, known_at)
    if vue is None:
        raise Introuvable(f"No such {what} on that date as known then.",
                          details={field: raw_id, "as_of": as_of.isoformat(),
                                   "known_at": known_at.isoformat() if known_at else None})
    return JSONResponse(vue, headers=retard())
