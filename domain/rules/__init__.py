"""The law: its versions and one function per rule id of RULES.md."""

from domain.rules.cycle import (
    r_commission_nominative,
    r_commission_tie_break_maire,
    r_failed_qpv_to_maire,
    r_reservataire_delai_1_mois,
)
from domain.rules.priorities import r_priority_categories
from domain.rules.ressources import r_resources_requerant_only
from domain.rules.seniority import r_seniority_separation
from domain.rules.versions import LAW_VERSIONS, LawVersion, version_at

__all__ = [
    "LAW_VERSIONS",
    "LawVersion",
    "r_commission_nominative",
    "r_commission_tie_break_maire",
    "r_failed_qpv_to_maire",
    "r_priority_categories",
    "r_reservataire_delai_1_mois",
    "r_resources_requerant_only",
    "r_seniority_separation",
    "version_at",
]
