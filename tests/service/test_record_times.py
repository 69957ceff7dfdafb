"""Record times: every event gets the time the store recorded it, taken in the inserting
transaction, so that record times follow positions (the basis of `known_at`)."""

from __future__ import annotations

from datetime import datetime

from tests.helpers_lifecycle import Monde


def test_every_event_has_a_position_and_a_record_time_in_position_order(client, auth):
    monde = Monde(client, auth).referentiel()
    monde.logement("L-RT")
    demande_id = monde.demande()
    vid = monde.attribuee("L-RT", "2023-03-03", demande_id, "2023-03-20")
    assert monde.bail(vid, demande_id, "2023-04-01").status_code == 201

    events = monde.historique(demande_id)
    assert len(events) >= 3
    positions = [e["position"] for e in events]
    assert all(isinstance(p, int) for p in positions)
    assert positions == sorted(positions)
    times = [datetime.fromisoformat(e["enregistre_le"]) for e in events]
    assert all(t.tzinfo is not None for t in times)
    assert times == sorted(times)
