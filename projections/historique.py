"""A demande's history as its auditors read it: every event in order, who recorded it, when
it took effect and when the store learned it (`GET /v1/demandes/{id}/historique`).

Read from the event store itself, not from a read model: the record is the answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from eventsourcing.domain import Aggregate

from domain.acces import Garde, libre
from domain.application import HlmApplication
from domain.serialisation import jsonable

# The fields every event has; the rest are the act's own (`donnees`).
_ENVELOPPE = ("originator_id", "originator_version", "timestamp", "originator_topic")
# The business date of an act, by the name each kind of event gives it.
_DATES = ("date_effet", "date_depot", "date_separation", "date_information")


def historique(app: HlmApplication, demande_id: str,
               garde: Garde = libre) -> list[dict[str, Any]]:
    """The demande's events in order, each with its actor, business date, record time and
    position; `garde` judges the demande's organisation before anything is read."""
    demande = app.demande_gardee(demande_id, garde)
    positions = app.side.positions(demande.id)
    acteurs = app.side.acteurs_de([p for p, _ in positions.values()])
    out = []
    # Events of an Aggregate (the library types them as its protocol only).
    for ev in cast("Iterator[Aggregate.Event]", app.events.get(demande.id)):
        data = {k: v for k, v in ev.__dict__.items() if k not in _ENVELOPPE}
        position, recorded = positions.get(ev.originator_version, (None, None))
        jour = next((data[k] for k in _DATES if data.get(k)), None)
        out.append({
            "type": type(ev).__qualname__.split(".")[-1],
            "version": ev.originator_version,
            "date_effet": jour,
            "enregistre_le": recorded or ev.timestamp,
            "position": position,
            "acteur": acteurs.get(position) if position is not None else None,
            "saisie_tardive": bool(data.get("saisie_tardive", False)),
            "donnees": data,
        })
    return cast("list[dict[str, Any]]", jsonable(out))
