"""Aggregate ids: uuid5 of natural keys, so that replays and retries are idempotent."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid5

NAMESPACE = UUID("6f1c2a7e-3b1d-5c4e-9a0b-1e2d3c4b5a69")


def bailleur_uuid(bailleur_id: str) -> UUID:
    return uuid5(NAMESPACE, f"bailleur/{bailleur_id}")


def reservataire_uuid(reservataire_id: str) -> UUID:
    return uuid5(NAMESPACE, f"reservataire/{reservataire_id}")


def territoire_uuid(territoire_id: str) -> UUID:
    return uuid5(NAMESPACE, f"territoire/{territoire_id}")


def logement_uuid(logement_id: str) -> UUID:
    return uuid5(NAMESPACE, f"logement/{logement_id}")


def demande_uuid(numero_unique: str) -> UUID:
    return uuid5(NAMESPACE, f"demande/{numero_unique}")


def vacance_uuid(logement_id: str, date_information: date) -> UUID:
    return uuid5(NAMESPACE, f"vacance/{logement_id}/{date_information.isoformat()}")


def region_uuid(region_id: str) -> UUID:
    return uuid5(NAMESPACE, f"region/{region_id}")
