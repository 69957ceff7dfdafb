"""A generated history for the public-event tests, and the personal-data detector they run
over what the feed and the Kafka records carry."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.application import HlmApplication
from domain.demande import Demande
from domain.vacance import Vacance

EVENEMENTS = 2500
SEED = 11

# The only keys under which the public form may carry a number: positions and counters of
# the envelope and of the feed's page, and the public figures of the reference data
# (thresholds, CIA rates).
NUMERIC_KEYS = frozenset({"position", "version", "suivant", "limite", "annee",
                          "montant_par_uc", "rang", "pour", "contre",
                          "taux_hors_qpv_premier_quartile", "taux_qpv_autres_quartiles"})
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}(T[0-9:.]+([+-]\d{2}:\d{2}|Z)?)?")
NUMBER_RE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
# Amounts below this are not told apart from years, counters and dates in text.
MONTANT_DISTINCT = Decimal(3000)


def raw_events(app: HlmApplication) -> Iterator[tuple[int, Any]]:
    """(position, domain event) of the whole store."""
    start = 1
    while True:
        batch = app.recorder.select_notifications(start, 1000)
        if not batch:
            return
        for n in batch:
            yield n.id, app.mapper.to_domain_event(n)
        start = batch[-1].id + 1


@dataclass
class Personnel:
    """The households' personal values the store holds."""

    identifiants: set[str] = field(default_factory=set)  # demandeur/personne ids, n° unique
    codes: set[str] = field(default_factory=set)  # priority category codes
    motifs: set[str] = field(default_factory=set)  # free-text motifs
    montants: set[Decimal] = field(default_factory=set)  # resources, consumption units

    def add_situation(self, situation: dict[str, Any]) -> None:
        self.identifiants |= {p["personne_id"] for p in situation["personnes_a_loger"]}
        self.codes |= set(situation["categories_prioritaires"])
        for key in ("ressources_annuelles", "unites_consommation"):
            if situation[key] is not None:
                self.montants.add(Decimal(str(situation[key])))


def personal_values(app: HlmApplication) -> Personnel:
    out = Personnel()
    for _, e in raw_events(app):
        if isinstance(e, Demande.Deposee):
            out.identifiants |= {e.demandeur_id, e.numero_unique}
            out.add_situation(e.situation)
        elif isinstance(e, Demande.SituationModifiee):
            out.add_situation(e.situation)
        elif isinstance(e, Demande.DemandeurSubstitue):
            out.identifiants |= {e.ancien_demandeur_id, e.nouveau_demandeur_id}
        elif isinstance(e, Demande.MembreParti):
            out.identifiants.add(e.membre_id)
        elif isinstance(e, Vacance.RefusEnregistre) and e.motif:
            out.motifs.add(e.motif)
        elif isinstance(e, Vacance.DecisionsCommissionEnregistrees):
            out.motifs |= {d["motif"] for d in e.decisions if d["motif"]}
    return out


def _leaves(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v, key)
    else:
        yield key, value


def fuites(texts: list[str], personnel: Personnel) -> dict[str, set[str]]:
    """Personal values found in JSON texts (feed pages, Kafka values or headers), by kind.

    Text values (ids, numéro unique, codes, motifs) are searched in the raw text. Numbers:
    any number under a key outside NUMERIC_KEYS is a leak, and so is a distinct resource
    amount written inside a text value (ids and dates taken out first)."""
    found: dict[str, set[str]] = {}

    def leak(kind: str, value: str) -> None:
        found.setdefault(kind, set()).add(value)

    distinct = {str(m.normalize()) for m in personnel.montants if m >= MONTANT_DISTINCT}
    distinct |= {str(int(m)) for m in personnel.montants
                 if m >= MONTANT_DISTINCT and m == int(m)}
    whole = "\n".join(texts)
    for kind, values in (("identifiant", personnel.identifiants),
                         ("code_prioritaire", personnel.codes),
                         ("motif", personnel.motifs)):
        for value in values:
            escaped = json.dumps(value)[1:-1]
            if value in whole or (escaped != value and escaped in whole):
                leak(kind, value)
    for text in texts:
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text
        for key, value in _leaves(parsed):
            if isinstance(value, bool) or value is None:
                continue
            if isinstance(value, int | float):
                if key not in NUMERIC_KEYS:
                    leak("nombre", f"{key}={value}")
            elif isinstance(value, str):
                bare = DATE_RE.sub(" ", UUID_RE.sub(" ", value))
                for token in NUMBER_RE.findall(bare):
                    if token in distinct:
                        leak("montant", f"{key}:{token}")
    return found


def naive_item(position: int, event: Any) -> str:
    """What the feed would carry without the public mapping: the event's own fields."""
    from domain.serialisation import jsonable

    data = {k: v for k, v in event.__dict__.items()
            if k not in ("originator_id", "originator_version", "timestamp")}
    return json.dumps({"position": position, "donnees": jsonable(data)}, ensure_ascii=False)
