"""The published contract of the event stream, generated from the public models:
docs/asyncapi.yaml (AsyncAPI 3.0: the Kafka channel, key, CloudEvents headers and one
message per public type) and docs/schemas/<type>.json (one JSON Schema per type, the item
of the feed and the value of the Kafka record). `hlm schemas` writes them; a test checks
that the files in the repository are the ones the models give.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, create_model
from pydantic.json_schema import models_json_schema

from infra.stream.public_events import (
    ACTOR_ORG_TYPE_HEADER,
    ACTOR_ROLE_HEADER,
    CONTENT_TYPE,
    PUBLIES,
    SEQUENCE_DIGITS,
    SOURCE,
    SPECVERSION,
)
from infra.stream.public_schemas import CONTRACT_VERSION, Donnees, Enveloppe

ASYNCAPI_FILE = "asyncapi.yaml"
SCHEMAS_DIR = "schemas"
KAFKA_BINDING = "0.5.0"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

DESCRIPTION = """\
The lifecycle of social-housing allocation as it happens: every event of the store, in the
order of its global position, without the households' personal data.

* **Order**: one topic; the key is the aggregate id, so each aggregate's events keep their
  order (`version` grows by one). `ce_sequence` is the global position (zero-padded to
  {digits} digits so that it orders as text).
* **Deduplication**: delivery is at least once; `ce_id` (`{{agregat_id}}:{{version}}`) is
  unique per event and is the `id` of the same event in the pull feed
  `GET /v1/evenements?apres=&limite=`, whose items are the record values byte for byte
  as JSON objects.
* **Personal data**: never published. Left out: demandeur and personne ids, household
  composition, resources and consumption units, priority category codes (the boolean
  `prioritaire` says whether some category of L441-1 was in force at the business date),
  the numéro unique, free-text motifs of refusals and commission decisions. The demande id
  is the uuid5 of its numéro unique: pseudonymous, not anonymous (see docs/DECISIONS.md).
* **Versions**: the type `hlm.<agregat>.<evenement>.v<N>` names the payload version. A
  published version never changes; any change makes `v<N+1>`. Payloads forbid fields they
  do not declare.
"""


def _envelope(nom: str, modele: type[Donnees]) -> type[BaseModel]:
    """The feed item / Kafka value of one public type."""
    model: type[BaseModel] = create_model(
        f"Evenement{modele.__name__}",
        __base__=Enveloppe,
        __doc__=(modele.__doc__ or nom).strip(),
        # A Literal of a value known at run time: pydantic takes it, a type checker cannot.
        type=(Literal[nom], Field(description="public versioned type (ce_type)")),  # type: ignore[arg-type]
        donnees=(modele, ...),
    )
    return model


def envelopes() -> dict[str, type[BaseModel]]:
    """Public type name -> envelope model, in the order of PUBLIES."""
    return {t.nom: _envelope(t.nom, t.modele) for t in PUBLIES}


def type_schemas() -> dict[str, dict[str, Any]]:
    """One standalone JSON Schema (2020-12) per public type."""
    out = {}
    for nom, model in envelopes().items():
        schema = model.model_json_schema(mode="serialization")
        out[nom] = {"$schema": JSON_SCHEMA_DIALECT, "$id": f"urn:hlm:schemas:{nom}", **schema}
    return out


HEADERS_SCHEMA = "EnTetesCloudEvents"


def _text(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


def _common_headers() -> dict[str, Any]:
    """The CloudEvents Kafka-binding headers every record carries."""
    return {
        "type": "object",
        "description": "CloudEvents 1.0 attributes, Kafka protocol binding, binary mode",
        "required": ["ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time",
                     "ce_subject", "ce_sequence", "content-type"],
        "properties": {
            "ce_specversion": _text("CloudEvents version", const=SPECVERSION),
            "ce_id": _text("`{agregat_id}:{version}`, unique per event: the deduplication "
                           "key, the `id` of the feed", pattern="^[0-9a-f-]{36}:[1-9][0-9]*$"),
            "ce_type": _text("the public versioned type `hlm.<agregat>.<evenement>.v<N>`"),
            "ce_source": _text("the producer", const=SOURCE),
            "ce_time": _text("record time of the event in the store (RFC 3339, UTC)",
                             format="date-time"),
            "ce_subject": _text("`{agregat}/{agregat_id}`"),
            "ce_sequence": _text(f"global position in the store, zero-padded to "
                                 f"{SEQUENCE_DIGITS} digits (the feed's `position`)",
                                 pattern=f"^[0-9]{{{SEQUENCE_DIGITS}}}$"),
            "content-type": _text("content type of the value", const=CONTENT_TYPE),
            ACTOR_ROLE_HEADER: _text(
                "CloudEvents extension attribute (added, optional): the role of who "
                "recorded the act (admin, bailleur, reservataire, commune); absent for "
                "events recorded before actors were kept. Never who in person."),
            ACTOR_ORG_TYPE_HEADER: _text(
                "CloudEvents extension attribute (added, optional): the type of the "
                "acting organisation: `bailleur`, `commune`, or a réservataire's type "
                "(etat, collectivite, action_logement, autre); absent for admin and "
                "unknown réservataires. Never the organisation itself."),
        },
    }


def _headers(nom: str) -> dict[str, Any]:
    agregat = nom.split(".")[1]
    return {"allOf": [
        {"$ref": f"#/components/schemas/{HEADERS_SCHEMA}"},
        {"type": "object", "properties": {
            "ce_type": {"const": nom},
            "ce_subject": {"pattern": f"^{agregat}/[0-9a-f-]{{36}}$"}}},
    ]}


def document() -> dict[str, Any]:
    models = envelopes()
    refs, defs = models_json_schema(
        [(m, "serialization") for m in models.values()],
        ref_template="#/components/schemas/{model}")
    messages: dict[str, Any] = {}
    for nom, model in models.items():
        modele = next(t.modele for t in PUBLIES if t.nom == nom)
        messages[nom] = {
            "name": nom,
            "title": modele.__name__,
            "description": " ".join((modele.__doc__ or nom).split()),
            "contentType": CONTENT_TYPE,
            "headers": _headers(nom),
            "payload": refs[(model, "serialization")],
            "bindings": {"kafka": {
                "key": {"type": "string", "format": "uuid",
                        "description": "the aggregate id (per-aggregate order)"},
                "bindingVersion": KAFKA_BINDING}},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "hlm: public event stream",
            "version": CONTRACT_VERSION,
            "description": DESCRIPTION.format(digits=SEQUENCE_DIGITS),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "The Kafka cluster the relay (`hlm relay`) publishes to.",
                "variables": {"bootstrap": {
                    "default": "127.0.0.1:9092",
                    "description": "setting HLM_KAFKA_BOOTSTRAP (host:port)"}},
            },
        },
        "channels": {
            "evenements": {
                "address": "hlm.evenements",
                "description": "Every public event in global order (topic from the setting "
                               "HLM_KAFKA_TOPIC, default `hlm.evenements`).",
                "servers": [{"$ref": "#/servers/kafka"}],
                "messages": {nom: {"$ref": f"#/components/messages/{nom}"} for nom in models},
                "bindings": {"kafka": {"topic": "hlm.evenements",
                                       "bindingVersion": KAFKA_BINDING}},
            },
        },
        "operations": {
            "recevoirEvenements": {
                "action": "receive",
                "summary": "A downstream system consumes the lifecycle.",
                "channel": {"$ref": "#/channels/evenements"},
                "messages": [{"$ref": f"#/channels/evenements/messages/{nom}"}
                             for nom in models],
            },
        },
        "components": {"messages": messages,
                       "schemas": {HEADERS_SCHEMA: _common_headers(), **defs["$defs"]}},
    }


class _Dumper(yaml.SafeDumper):
    """Multi-line text as literal blocks, readable in the file."""


def _texte(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _texte)


def rendre() -> dict[str, str]:
    """Relative path under docs/ -> exact file content."""
    files = {ASYNCAPI_FILE: yaml.dump(document(), Dumper=_Dumper, sort_keys=False,
                                      allow_unicode=True, width=100)}
    for nom, schema in type_schemas().items():
        files[f"{SCHEMAS_DIR}/{nom}.json"] = json.dumps(schema, indent=2,
                                                        ensure_ascii=False) + "\n"
    return files


def ecrire(dossier: Path) -> list[Path]:
    """Write the contract files under `dossier` (docs/). The schema file of a version no
    longer published is left in place: records of that version stay in the topic for its
    retention and their consumers still need it."""
    written = []
    for rel, content in rendre().items():
        path = dossier / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


def ecarts(dossier: Path) -> list[str]:
    """The contract files under `dossier` missing or different from what the models give."""
    return [rel for rel, content in rendre().items()
            if not (dossier / rel).exists()
            or (dossier / rel).read_text(encoding="utf-8") != content]
