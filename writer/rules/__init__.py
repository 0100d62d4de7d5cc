"""The writer's rules: field mappings and systems of record, lookup tables, normalisation,
enrichment, conditional routing and aggregation, from one TOML file (shipped defaults,
overridden by a user file) checked whole when it loads.
"""

from writer.rules.fit import Fitted, comparable, fit_record
from writer.rules.load import RulesError, default_rules_text, load_rules
from writer.rules.model import MasterRules, Rules

__all__ = [
    "Fitted",
    "MasterRules",
    "Rules",
    "RulesError",
    "comparable",
    "default_rules_text",
    "fit_record",
    "load_rules",
]
