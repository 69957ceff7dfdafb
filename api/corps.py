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
from domain.referentiel import Bailleur, Logement, Region, Reservataire, Territoire
from domain.serialisation import jsonable
from domain.vacance import Vacance
from projections.presentation import (
    vue_bailleur,
    vue_cia,
    vue_demande,
    vue_logement,
    vue_objectifs,
    vue_orientations,
    vue_reservataire,
    vue_seuil,
    vue_seuil_regional,
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


def _tel_quel(vue: Callable[[A], dict[str, Any]]) -> Corps[A]:
    """The view of an aggregate that has no date to be shown at (reference data)."""
    return lambda issue: jsonable(vue(issue.agregat))


def _au_jour(vue: Callable[[A, date], dict[str, Any]]) -> Corps[A]:
    """The view of an aggregate on the date the command chose."""
    return lambda issue: jsonable(vue(issue.agregat, _jour(issue)))


corps_bailleur: Corps[Bailleur] = _tel_quel(vue_bailleur)
corps_reservataire: Corps[Reservataire] = _tel_quel(vue_reservataire)
corps_territoire: Corps[Territoire] = _tel_quel(vue_territoire)
corps_logement: Corps[Logement] = _au_jour(vue_logement)
corps_demande: Corps[Demande] = _au_jour(vue_demande)
corps_vacance: Corps[Vacance] = _au_jour(vue_vacance)


def corps_seuil(annee: int) -> Corps[Territoire]:
    return _tel_quel(lambda territoire: vue_seuil(territoire, annee))


def corps_objectifs(bailleur_id: str, annee: int) -> Corps[Territoire]:
    return _tel_quel(lambda territoire: vue_objectifs(territoire, bailleur_id, annee))


def corps_seuil_regional(annee: int) -> Corps[Region]:
    return _tel_quel(lambda region: vue_seuil_regional(region, annee))


def corps_cia(date_effet: date) -> Corps[Territoire]:
    return _tel_quel(lambda territoire: vue_cia(territoire, date_effet))


def corps_orientations(date_effet: date) -> Corps[Territoire]:
    return _tel_quel(lambda territoire: vue_orientations(territoire, date_effet))


def corps_transmission(territoire_id: str) -> Corps[Bailleur]:
    return _au_jour(lambda bailleur, date_fin: vue_transmission(
        bailleur, bailleur.bailleur_id, territoire_id, date_fin))
