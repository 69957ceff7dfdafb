"""Plain JSON values from domain values: ISO dates, euros and rates as numbers, ids as text."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return _leaf(value)


def _leaf(value: Any) -> Any:
    """A date, an amount, an id or an enum's value as JSON has it; anything else as it is."""
    if isinstance(value, StrEnum):
        return value.value  # plain text: a body is the same built fresh or read back
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, UUID):
        return str(value)
    return value


def _scalar(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return list(value)
    if (converted := _leaf(value)) is value:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    return converted


def to_json(value: Any) -> str:
    """`json.dumps(jsonable(value))`, without building the copy first: the C encoder walks
    the value and converts only dates, amounts, ids and sets on the way."""
    try:
        return json.dumps(value, default=_scalar)
    except TypeError:  # keys that are not text or numbers
        return json.dumps(jsonable(value))


def valeurs(enum: type[StrEnum]) -> Any:
    """`Literal[...]` of an enum's values, in its order: what a pydantic model (the API's,
    the public stream's) is given for a field whose values a domain enum lists, so that it
    holds the plain text and its schema lists the values inline (`enum: [...]`), as the same
    Literal written out would. Callers rebind the name under `if not TYPE_CHECKING`: the
    type checker is shown the enum itself."""
    return Literal[tuple(member.value for member in enum)]
