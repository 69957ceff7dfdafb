"""Reports: the semester report of R-SEMESTER-REPORT, as JSON or CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse, Response

from api.auth import ActeurDep
from api.corps import corps_transmission
from api.deps import AppDep, IdemDep, IdRequete, KnownAt, ProjectionsDep
from api.permissions import Action, autoriser
from api.responses import (
    ECRITURE,
    LECTURE,
    RETARD,
    RapportSemestre,
    TransmissionRapport,
    reponses,
)
from api.routers.common import respond
from api.schemas import DATE_MAX, DATE_MIN, TransmissionIn
from domain.acces import Cible
from domain.errors import Invalide
from projections.semestre import COLONNES, RULE, verifier_fin

router = APIRouter(prefix="/v1/rapports", tags=["rapports"])


@router.get("/semestre", response_model=RapportSemestre,
            response_description="The report as JSON; with `Accept: text/csv`, its rows "
                                 "as CSV (columns of `attributions`)",
            responses=reponses(*LECTURE, precisions={
                422: "Also VALIDATION (R-SEMESTER-REPORT) when `date_fin` is neither "
                     "30 June nor 31 December."}, succes={200: {
                "content": {"text/csv": {"schema": {"type": "string"}}},
                "headers": {**RETARD, "Content-Disposition": {
                    "description": "CSV only: attachment; filename=\"rapport-{bailleur_id}"
                                   "-{territoire_id}-{date_fin}.csv\"",
                    "schema": {"type": "string"}}}}}))
def get_rapport_semestre(
    acteur: ActeurDep, vues: ProjectionsDep,
    bailleur_id: IdRequete,
    territoire_id: IdRequete,
    date_fin: Annotated[date, Query(ge=DATE_MIN, le=DATE_MAX,
                                    description="30 June or 31 December")],
    known_at: KnownAt = None,
    accept: Annotated[str | None, Header(max_length=1000)] = None,
) -> Response:
    autoriser(acteur, Action.QUOTAS_BAILLEUR)(Cible(bailleur_id=bailleur_id))
    try:
        verifier_fin(date_fin)
    except ValueError as exc:
        raise Invalide(str(exc), rule=RULE, details={"date_fin": date_fin.isoformat()}) from None
    csv_demande = bool(accept and "text/csv" in accept)
    body, rows = vues.rapport_semestre(bailleur_id, territoire_id, date_fin, known_at,
                                       avec_chiffres=not csv_demande)
    if body is None:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLONNES, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        name = f"rapport-{bailleur_id}-{territoire_id}-{date_fin.isoformat()}.csv"
        # RFC 6266: an ASCII fallback, and the exact name percent-encoded in UTF-8 (ids
        # may hold any character; a header is latin-1).
        ascii_name = re.sub(r'[^A-Za-z0-9._-]', "_", name)
        disposition = (f'attachment; filename="{ascii_name}"; '
                       f"filename*=UTF-8''{quote(name, safe='')}")
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": disposition, **vues.en_retard()})
    return JSONResponse(body, headers=vues.en_retard())


@router.post("/semestre/transmissions", status_code=201, response_model=TransmissionRapport,
             response_description="The semester's report as transmitted, against its due "
                                  "date",
             responses=reponses(*ECRITURE, 404, precisions={
                 404: "The bailleur or the territoire.",
                 409: "RAPPORT_DEJA_TRANSMIS: another date was recorded for this semester.",
                 422: "VALIDATION (R-SEMESTER-REPORT) when `date_fin` is neither 30 June nor "
                      "31 December; DATE_INCOHERENTE before `date_fin`; DATE_FUTURE."},
                 succes={200: {"model": TransmissionRapport,
                               "description": "The same transmission again: nothing "
                                              "recorded"}}))
def post_transmission(body: TransmissionIn, acteur: ActeurDep, app: AppDep,
                      idem: IdemDep) -> JSONResponse:
    """R-SEMESTER-REPORT (L441-1 al. 33): the bailleur records the day it transmitted its
    semester data to the préfet (a bailleur for itself; admin for any, naming it)."""
    garde = autoriser(acteur, Action.RAPPORT_TRANSMETTRE)
    bailleur_id = body.bailleur_id or (acteur.org if acteur.role == "bailleur" else None)
    if bailleur_id is None:
        raise Invalide("Name the bailleur whose report is transmitted.",
                       details={"champs": ["bailleur_id"]})
    return respond("POST", idem, corps_transmission(body.territoire_id),
                   lambda memo: app.transmettre_rapport(
                       acteur, bailleur_id, body.territoire_id, body.date_fin,
                       body.date_transmission, memo, garde=garde))
