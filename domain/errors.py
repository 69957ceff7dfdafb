"""Errors raised by the domain and the application service.

Each carries the public error code of the contract and, where a rule of the law is the
reason, the rule id of ../shared/domain/RULES.md. The kind of error (not found, invalid,
forbidden, conflict) is its class; which HTTP status each kind is, the HTTP layer says
(api.errors.STATUTS).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "CONFLIT"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        rule: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.rule = rule
        self.details = details or {}


class Conflit(DomainError):
    """A command the state of the cycle forbids."""


class Invalide(DomainError):
    """Input that is well-formed but invalid for the business."""

    code = "VALIDATION"


class Introuvable(DomainError):
    """An unknown id."""

    code = "NOT_FOUND"


class Interdit(DomainError):
    """The actor's role or organisation does not allow the action."""

    code = "FORBIDDEN"


class EcritureConcurrente(Conflit):
    """Another writer changed the same aggregate first (a conflict)."""

    code = "CONCURRENT_WRITE"
