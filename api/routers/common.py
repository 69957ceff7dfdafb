from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from fastapi.responses import JSONResponse

from api.idempotence import Methode, reponse
from domain.errors import Introuvable
from domain.issue import Issue, Rejoue


def respond(resultat: Issue | Rejoue, methode: Methode) -> JSONResponse:
    """A command's answer: its status for the route's method (a replay, as first answered)."""
    statut, corps = reponse(methode, resultat)
    return JSONResponse(corps, status_code=statut)


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
