"""GET /v1/vacances/{id} from the bitemporal vacancy read model (projections/vacances.py), on
both stores: `as_of` shows only the acts dated on or before it, `known_at` only what had
been recorded by then, and without either the read equals the last command's response."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

from domain.application import HlmApplication
from domain.commandes import DecisionCommission
from domain.serialisation import jsonable
from infra.settings import Settings
from projections.presentation import vue_vacance
from projections.service import Projections
from tests.helpers_lifecycle import (
    BAILLEUR,
    COMMUNE,
    RESERVATAIRE,
    Monde,
    assert_error,
    designation,
)
from tests.helpers_sec import ADMIN, declarer, deposer, seed_reference


def vacance_vue(app: HlmApplication, vacance_id: str,
                as_of: date | None = None) -> dict[str, Any]:
    """The vacancy as its aggregate shows it, presented by the read side (what the read
    model's rows must equal)."""
    return jsonable(vue_vacance(app.vacance_par_id(vacance_id), as_of or app.today()))


def _get(monde: Monde, vid: str, **params: str) -> Any:
    return monde.client.get(f"/v1/vacances/{vid}", params=params, headers=monde.admin)


def _instant() -> str:
    """Now, strictly between what was recorded before and what is recorded after."""
    time.sleep(0.02)
    moment = datetime.now(UTC).isoformat()
    time.sleep(0.02)
    return moment


# --- as_of: only the acts dated on or before it ----------------------------------------------

def test_as_of_before_the_lease_does_not_show_it(monde: Monde) -> None:
    monde.logement("L1")
    a = monde.demande()
    vid = monde.vacance("L1", "2023-03-03")
    assert monde.designer(vid, a, "2023-03-05").status_code == 201
    assert monde.decider(vid, "2023-03-20", monde.attribution(a)).status_code == 201
    assert monde.bail(vid, a, "2023-04-01").status_code == 201

    declared = monde.get_vacance(vid, as_of="2023-03-03")
    assert declared["statut"] == "en_attente_designation"
    assert declared["designations"] == []
    assert declared["bail"] is None
    assert declared["designataire"] == "reservataire"

    designated = monde.get_vacance(vid, as_of="2023-03-05")
    assert designated["statut"] == "candidats_designes"
    assert designation(designated, a)["statut"] == "designee"
    assert designation(designated, a)["decision"] is None
    assert designated["bail"] is None

    attributed = monde.get_vacance(vid, as_of="2023-03-31")
    assert attributed["statut"] == "attribuee"
    assert attributed["candidat_a_signer"] == a
    assert designation(attributed, a)["statut"] == "attribuee"
    assert attributed["bail"] is None
    assert attributed["designataire"] == "reservataire"

    signed = monde.get_vacance(vid, as_of="2023-04-01")
    assert signed["statut"] == "bail_signe"
    assert signed["bail"] == {"demande_id": a, "date_signature": "2023-04-01"}
    assert signed["designataire"] is None
    assert designation(signed, a)["statut"] == "bail_signe"
    assert monde.get_vacance(vid, as_of="2030-01-01") == signed


def test_designations_dated_after_as_of_are_absent(monde: Monde) -> None:
    monde.logement("L1")
    vid = monde.vacance("L1", "2023-03-03")
    a, b = monde.demande(), monde.demande()
    assert monde.designer(vid, a, "2023-03-10").status_code == 201
    assert monde.designer(vid, b, "2023-03-20").status_code == 201
    # A late entry: recorded last, dated first.
    c = monde.demande()
    assert monde.designer(vid, c, "2023-03-05").status_code == 201

    def ids(as_of: str) -> list[str]:
        return [d["demande_id"] for d in monde.get_vacance(vid, as_of=as_of)["designations"]]

    assert ids("2023-03-04") == []
    assert ids("2023-03-05") == [c]
    assert ids("2023-03-15") == [c, a]
    assert ids("2023-03-19") == [c, a]
    assert ids("2023-03-20") == [c, a, b]
    assert ids("2023-06-01") == [c, a, b]


def test_designataire_before_and_after_the_deadline(monde: Monde) -> None:
    """R-RESERVATAIRE-DELAI-1-MOIS through the read model: informed 2023-03-03, deadline
    2023-04-03; nobody proposed in time, so the bailleur designates from 2023-04-04, and its
    designation of 2023-04-10 (a new turn) shows from that date only."""
    monde.logement("L-ZT")
    vid = monde.vacance("L-ZT", "2023-03-03")
    d = monde.demande()
    assert monde.designer(vid, d, "2023-04-10", monde.bailleur).status_code == 201

    on_time = monde.get_vacance(vid, as_of="2023-04-03")
    assert on_time["designataire"] == "reservataire"
    assert on_time["organisation_designataire"] == RESERVATAIRE
    assert len(on_time["tours"]) == 1
    late = monde.get_vacance(vid, as_of="2023-04-04")
    assert late["designataire"] == "bailleur"
    assert late["organisation_designataire"] == BAILLEUR
    assert late["designations"] == [] and len(late["tours"]) == 1
    assert late["date_limite_designation"] == "2023-04-03"
    turn = monde.get_vacance(vid, as_of="2023-04-10")
    assert turn["designataire"] == "bailleur"
    assert turn["tours"][-1]["regle"] == "R-RESERVATAIRE-DELAI-1-MOIS"
    assert designation(turn, d)["par"] == "bailleur"


def test_a_proposal_in_time_keeps_the_reservataire_after_the_deadline(monde: Monde) -> None:
    monde.logement("L-ZT")
    vid = monde.vacance("L-ZT", "2023-03-03")
    d = monde.demande()
    assert monde.designer(vid, d, "2023-03-20").status_code == 201
    assert monde.get_vacance(vid, as_of="2023-03-19")["designataire"] == "reservataire"
    after = monde.get_vacance(vid, as_of="2023-04-10")
    assert after["designataire"] == "reservataire"
    assert [x["demande_id"] for x in after["designations"]] == [d]


def test_the_failure_to_the_maire_shows_from_its_date(monde: Monde) -> None:
    """R-FAILED-QPV-TO-MAIRE through the read model: the maire designates from the failing
    commission's date, not before."""
    monde.logement("L-QPV", qpv=True)
    vid = monde.vacance("L-QPV", "2023-04-20")
    candidat = monde.demande()
    assert monde.designer(vid, candidat, "2023-04-25").status_code == 201
    assert monde.decider(vid, "2023-05-10", monde.non_attribution(candidat)).status_code == 201
    before = monde.get_vacance(vid, as_of="2023-05-09")
    assert before["designataire"] == "reservataire"
    assert before["attribution_reservataire_echouee"] is None
    assert designation(before, candidat)["statut"] == "designee"
    after = monde.get_vacance(vid, as_of="2023-05-10")
    assert (after["designataire"], after["organisation_designataire"]) == ("maire", COMMUNE)
    assert after["attribution_reservataire_echouee"] == "2023-05-10"
    assert designation(after, candidat)["statut"] == "non_attribuee"


def test_a_withdrawal_dated_before_the_designation_shows_from_the_designation(
        monde: Monde) -> None:
    """A radiation entered late, dated before the demande was designated: the withdrawal
    cannot show before the designation it withdraws; the view keeps running."""
    monde.logement("L1", zone_tendue=False)  # no deadline
    vid = monde.vacance("L1", "2023-03-03")
    a = monde.demande()
    assert monde.designer(vid, a, "2023-05-10").status_code == 201
    assert monde.radier(a, "2023-04-01").status_code == 201
    assert monde.get_vacance(vid, as_of="2023-04-15")["designations"] == []
    vue = monde.get_vacance(vid, as_of="2023-05-10")
    assert designation(vue, a)["statut"] == "retiree"
    assert designation(vue, a)["retrait"] == {"date": "2023-04-01", "motif": "radiation"}
    # Its only candidate withdrawn, the réservataire's attribution has failed.
    assert vue["designataire"] == "bailleur"
    sante = monde.client.get("/v1/sante").json()
    assert sante["statut"] == "ok", sante


# --- known_at: only what had been recorded by then -------------------------------------------

def test_known_at_before_a_late_recorded_lease_does_not_show_it(monde: Monde) -> None:
    monde.logement("L1")
    a = monde.demande()
    vid = monde.attribuee("L1", "2023-03-03", a, "2023-03-20")
    before_lease = _instant()
    assert monde.bail(vid, a, "2023-04-01").status_code == 201

    as_known_then = monde.get_vacance(vid, as_of="2023-05-01", known_at=before_lease)
    assert as_known_then["statut"] == "attribuee"
    assert as_known_then["bail"] is None
    assert as_known_then["candidat_a_signer"] == a
    as_known_now = monde.get_vacance(vid, as_of="2023-05-01")
    assert as_known_now["statut"] == "bail_signe"
    assert as_known_now["bail"] == {"demande_id": a, "date_signature": "2023-04-01"}
    # as_of before the lease, known now: not signed yet either.
    assert monde.get_vacance(vid, as_of="2023-03-31")["bail"] is None


def test_known_at_before_the_declaration_is_404(monde: Monde) -> None:
    monde.logement("L1")
    before = _instant()
    vid = monde.vacance("L1", "2023-03-03")
    assert_error(_get(monde, vid, as_of="2023-06-01", known_at=before), 404, "NOT_FOUND")
    assert monde.get_vacance(vid, as_of="2023-06-01")["vacance_id"] == vid


# --- 404 and roles ---------------------------------------------------------------------------

def test_as_of_before_the_declaration_is_404(monde: Monde) -> None:
    monde.logement("L1")
    vid = monde.vacance("L1", "2023-03-03")
    err = assert_error(_get(monde, vid, as_of="2023-03-02"), 404, "NOT_FOUND")
    assert err["details"]["as_of"] == "2023-03-02"
    assert monde.get_vacance(vid, as_of="2023-03-03")["vacance_id"] == vid


def test_unknown_ids_are_404_and_writers_only_roles_403(monde: Monde) -> None:
    monde.logement("L1")
    vid = monde.vacance("L1", "2023-03-03")
    d = monde.demande()
    for unknown in (str(uuid.uuid4()), "not-a-uuid", d):
        assert_error(_get(monde, unknown), 404, "NOT_FOUND")
    assert_error(monde.client.get(f"/v1/vacances/{vid}", headers=monde.auth("abonne")),
                 403, "FORBIDDEN")
    for role, org in (("auditeur", None), ("reservataire", RESERVATAIRE),
                      ("bailleur", BAILLEUR)):
        r = monde.client.get(f"/v1/vacances/{vid.upper()}", headers=monde.auth(role, org))
        assert r.status_code == 200, (role, r.text)
        assert r.json()["vacance_id"] == vid
    # The commune reads only the vacancies handed to the maire (tests/service/test_trust.py).
    assert_error(monde.client.get(f"/v1/vacances/{vid}", headers=monde.auth("commune", COMMUNE)),
                 403, "FORBIDDEN")


# --- consistency with the commands' responses ------------------------------------------------

def test_without_as_of_the_read_equals_the_last_commands_response(
        monde: Monde, application: HlmApplication) -> None:
    monde.logement("L-QPV", qpv=True)
    monde.logement("L2")
    a, b = monde.demande(), monde.demande()
    y = monde.demande(ressources=18600, uc=2)
    other = monde.vacance("L2", "2023-04-21")
    assert monde.designer(other, y, "2023-04-22").status_code == 201

    r = monde.post_vacance("L-QPV", "2023-04-20")
    vid = r.json()["vacance_id"]
    steps = [
        r,
        monde.designer(vid, a, "2023-04-25"),
        monde.designer(vid, b, "2023-04-26"),
        monde.decider(vid, "2023-05-10", monde.attribution(a), monde.non_attribution(b)),
        monde.refuser(vid, a, "2023-05-20"),  # every candidate failed: the maire's turn
        monde.designer(vid, y, "2023-05-25", monde.commune),
        monde.decider(vid, "2023-06-01", monde.attribution(
            y, votes={"pour": 4, "contre": 4, "voix_maire": "pour"})),
        monde.bail(vid, y, "2023-06-15"),
    ]
    for step in steps:
        assert step.status_code == 201, step.text
    assert monde.get_vacance(vid) == steps[-1].json()
    assert monde.get_vacance(vid) == vacance_vue(application, vid)
    # The other vacancy y left on the lease reads as the aggregate does.
    assert designation(monde.get_vacance(other), y)["statut"] == "retiree"
    assert monde.get_vacance(other) == vacance_vue(application, other)


def test_every_step_reads_back_as_its_response(monde: Monde) -> None:
    monde.logement("L1")
    a, b = monde.demande(), monde.demande()
    r = monde.post_vacance("L1", "2023-03-03")
    vid = r.json()["vacance_id"]
    assert monde.get_vacance(vid) == r.json()
    for step in (
        lambda: monde.designer(vid, a, "2023-03-10"),
        lambda: monde.designer(vid, b, "2023-03-11"),
        lambda: monde.decider(vid, "2023-03-20", monde.attribution(b, rang=2),
                              monde.attribution(a)),
        lambda: monde.refuser(vid, a, "2023-03-25"),
        lambda: monde.bail(vid, b, "2023-04-01"),
    ):
        resp = step()
        assert resp.status_code == 201, resp.text
        assert monde.get_vacance(vid) == resp.json()


# --- the view itself -------------------------------------------------------------------------

def test_the_view_resumes_from_the_store_with_an_empty_memory(
        application: HlmApplication, settings: Settings) -> None:
    """A new projector (nothing in memory) goes on from its stored position: it reads the
    earlier events of a vacancy from the store."""
    seed_reference(application)
    d1, d2 = deposer(application, "VV-1"), deposer(application, "VV-2")
    vid = declarer(application, "L-NR", date(2024, 3, 1))
    application.designer(ADMIN, vid, d1, date(2024, 3, 5))
    first = Projections(application, settings)
    try:
        first.runner.batch_size = 3
        first.runner.catch_up()
    finally:
        first.stop()
    application.designer(ADMIN, vid, d2, date(2024, 3, 8))
    application.decider(ADMIN, vid, date(2024, 3, 20),
                        [DecisionCommission(d2, "attribution", rang=1)])
    second = Projections(application, settings)
    try:
        second.runner.catch_up()
        lag = second.runner.lag()
        assert lag["vacances"] == 0 and set(lag.values()) == {0}
        vue = second.vacance(vid, date(2024, 3, 6), None)
        assert vue is not None
        assert [x["demande_id"] for x in vue["designations"]] == [d1]
        now = second.vacance(vid, date(2024, 6, 1), None)
        assert now == vacance_vue(application, vid, date(2024, 6, 1))
        assert now["candidat_a_signer"] == d2
        assert second.vacance(vid, date(2024, 2, 29), None) is None
    finally:
        second.stop()
