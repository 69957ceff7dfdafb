"""The demande read model as a bitemporal timeline.

On each event of a demande, its business-time timeline is recomputed from the aggregate's
state (one row per interval between the dates at which something changes) and replaces the
rows believed so far. A read at (as_of, known_at) is one indexed row; what depends on the
read date itself is computed at read time: `anciennete_jours`, and `categories_en_vigueur`
(R-PRIORITY-CATEGORIES: a category counts from the day the law lists it, and m) within
limits that run on the person's age, dates that are not the demande's own). The basis of
resources (R-RESOURCES-REQUERANT-ONLY) changes with the law and the evidence's date: for a
demande with a ground, those days are breakpoints of its timeline.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.application import HlmApplication
from domain.demande import Demande, categories_en_vigueur
from domain.rules.ressources import bascules
from domain.serialisation import to_json
from projections.aggregates import AggregateCache
from projections.bitemporal import Timelines, position_at, read_timeline
from projections.db import Cursor
from projections.presentation import vue_demande
from projections.runner import TablesView

DDL = (
    "CREATE TABLE IF NOT EXISTS pv_demandes (demande_id TEXT NOT NULL, valid_from TEXT NOT "
    "NULL, valid_to TEXT, recorded_from BIGINT NOT NULL, superseded_at BIGINT, etat TEXT NOT "
    "NULL)",
    "CREATE INDEX IF NOT EXISTS pv_demandes_lookup ON pv_demandes (demande_id, valid_from)",
)


def breakpoints(demande: Demande) -> list[date]:
    points = {demande.date_depot, *(s["date_effet"] for s in demande.situations)}
    if demande.date_fin is not None:
        points.add(demande.date_fin)
    if any(s.get("motif_ressources_propres") for s in demande.situations):
        # R-RESOURCES-REQUERANT-ONLY: the basis may change on these days with no act.
        points.update(s["date_justificatif"] for s in demande.situations
                      if s.get("date_justificatif"))
        points.update(bascules())
    return sorted(p for p in points if p >= demande.date_depot)


class DemandesView(TablesView):
    name = "demandes"
    ddl = DDL
    forme = 2  # 2: base_ressources, the requérant's own resources, m)'s facts

    def __init__(self, app: HlmApplication) -> None:
        self.aggregates = AggregateCache(app)
        self.timelines = Timelines("pv_demandes", "demande_id")

    def apply(self, cur: Cursor, event: Any, position: int) -> None:
        if not isinstance(event, Demande.Event):
            return
        demande = self.aggregates.after(event)
        points = breakpoints(demande)
        periods = []
        for i, start in enumerate(points):
            end = points[i + 1] if i + 1 < len(points) else None
            etat = vue_demande(demande, start)
            for computed_at_read in ("anciennete_jours", "as_of", "categories_en_vigueur"):
                del etat[computed_at_read]
            periods.append((start, end, to_json(etat)))
        self.timelines.replace(cur, str(demande.id), position, periods,
                               first=event.originator_version == 1)


def lire_demande(cur: Cursor, demande_id: str, as_of: date,
                 known_at_position: int) -> dict[str, Any] | None:
    etat = read_timeline(cur, "pv_demandes", "demande_id", demande_id, as_of,
                         known_at_position)
    if etat is None:
        return None
    etat["anciennete_jours"] = max(0, (as_of - date.fromisoformat(etat["date_anciennete"])).days)
    etat["categories_en_vigueur"] = categories_en_vigueur(etat, as_of)
    etat["as_of"] = as_of.isoformat()
    return etat


__all__ = ["DemandesView", "lire_demande", "position_at"]
