"""Dependencies shared by the routers: the application, idempotency keys, read dates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from pydantic import AfterValidator

from api.auth import ActeurDep
from api.errors import ApiError
from api.idempotence import CleIdempotence
from api.schemas import DATE_MAX, DATE_MIN
from domain.application import HlmApplication
from projections.service import Projections


async def get_application(request: Request) -> HlmApplication:
    return request.app.state.application


AppDep = Annotated[HlmApplication, Depends(get_application)]


async def get_projections(request: Request) -> Projections:
    return request.app.state.projections


ProjectionsDep = Annotated[Projections, Depends(get_projections)]


async def idempotency_key(
    request: Request,
    acteur: ActeurDep,
    key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> CleIdempotence | None:
    if key is None:
        return None
    if not key.strip():
        raise ApiError(400, "BAD_REQUEST", "An empty Idempotency-Key is not a key.")
    body = await request.body()
    # Scoped to who acts and for which organisation: a replay must never hand one
    # organisation's response to another token that merely shares the same `sub`.
    scope = f"{acteur.role}/{acteur.org or ''}/{acteur.sub}"
    return CleIdempotence.de(scope, key, request.method, request.url.path, body)


IdemDep = Annotated[CleIdempotence | None, Depends(idempotency_key)]

# Ids in paths and queries: the same bound as an id in a body (api.schemas.Text).
ID_MAX = 200
IdChemin = Annotated[str, Path(min_length=1, max_length=ID_MAX)]
IdRequete = Annotated[str, Query(min_length=1, max_length=ID_MAX)]


def _instant_borne(value: datetime | None) -> datetime | None:
    """A record-time bound within the dates' bounds, checked on its own calendar before any
    conversion (9999-12-31T23:00-05:00 has no UTC form)."""
    if value is not None and not DATE_MIN <= value.date() <= DATE_MAX:
        raise ValueError(f"known_at must lie within {DATE_MIN}..{DATE_MAX}")
    return value


AsOf = Annotated[date | None, Query(ge=DATE_MIN, le=DATE_MAX,
                                    description="Business date (default: today), "
                                                "1990-01-01..2100-12-31")]
KnownAt = Annotated[datetime | None, AfterValidator(_instant_borne),
                    Query(description="Record time bound (default: now)")]
