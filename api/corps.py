"""The body of each command's answer: the read side's presentation of the aggregate the
command returned (projections.presentation), as JSON, at the date the command chose.

The same body is stored with an Idempotency-Key (api.idempotence) and replayed as it was."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from eventsourcing.domain import Aggregate

from domain.demande import Demande
from domain.issue import Issue
from domain.referentiel import Bailleur, Logement, Reservataire, Territoire
from domain.serialisation import jsonable
from domain.vacance import Vacance
from projections.presentation import (
    vue_bailleur,
    vue_demande,
    vue_logement,
    vue_objectifs,
    vue_reservataire,
    vue_seuil,
    vue_territoire,
    vue_transmission,
    vue_vacance,
)

A = TypeVar("A", bound=Aggregate)
Corps = Callable[[Issue[A]], dict[str, Any]]


def _jour(issue: Issue[Any]) -> date:
    if issue.jour is None:
        raise ValueError("a dated view needs the date the command chose")
    return issue.jour


def corps_bailleur(issue: Issue[Bailleur]) -> dict[str, Any]:
    return jsonable(vue_bailleur(issue.agregat))


def corps_reservataire(issue: Issue[Reservataire]) -> dict[str, Any]:
    return jsonable(vue_reservataire(issue.agregat))


def corps_territoire(issue: Issue[Territoire]) -> dict[str, Any]:
    return jsonable(vue_territoire(issue.agregat))


def corps_seuil(annee: int) -> Corps[Territoire]:
    return lambda issue: jsonable(vue_seuil(issue.agregat, annee))


def corps_objectifs(bailleur_id: str, annee: int) -> Corps[Territoire]:
    return lambda issue: jsonable(
        vue_objectifs(issue.agregat, bailleur_id, annee))


def corps_logement(issue: Issue[Logement]) -> dict[str, Any]:
    return jsonable(vue_logement(issue.agregat, issue.jour))


def corps_demande(issue: Issue[Demande]) -> dict[str, Any]:
    return jsonable(vue_demande(issue.agregat, _jour(issue)))


def corps_vacance(issue: Issue[Vacance]) -> dict[str, Any]:
    return jsonable(vue_vacance(issue.agregat, _jour(issue)))


def corps_transmission(territoire_id: str) -> Corps[Bailleur]:
    return lambda issue: jsonable(vue_transmission(
        issue.agregat, issue.agregat.bailleur_id, territoire_id, _jour(issue)))
