"""What an organisation check needs to know about the object of an act.

The permission table itself is the HTTP layer's (api/permissions.py); the application
hands it the organisations an aggregate belongs to right after loading it, before any rule
reads its state, so that a refusal never depends on (nor tells) that state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Who a token speaks for (API.md, Authentication and roles)."""

    ADMIN = "admin"
    BAILLEUR = "bailleur"
    RESERVATAIRE = "reservataire"
    COMMUNE = "commune"
    AUDITEUR = "auditeur"
    ABONNE = "abonne"


ROLES: tuple[str, ...] = tuple(Role)
# The roles that act for one organisation, named in the token's `org` claim.
ROLES_WITH_ORG: tuple[str, ...] = (Role.BAILLEUR, Role.RESERVATAIRE, Role.COMMUNE)


@dataclass(frozen=True)
class Cible:
    """The organisations an act touches: the logement's bailleur, réservataire and commune
    for a vacancy or a logement; the registering organisation for a demande."""

    bailleur_id: str | None = None
    reservataire_id: str | None = None
    commune: str | None = None
    organisation: str | None = None
    # A QPV logement is the only one the maire may designate on (R-FAILED-QPV-TO-MAIRE),
    # once the vacancy went to the maire.
    qpv: bool = False
    remise_au_maire: bool = False
    # The réservataire acting for the préfet (R-6-MONTH-FLUX-INJUNCTION): on designation,
    # the territory's; on reading, the one that designated on the vacancy.
    prefet_id: str | None = None


Garde = Callable[[Cible], None]


def libre(_: Cible) -> None:
    """The guard of trusted callers (demo data, synthetic history, tests of the domain)."""
