"""Lead scoring (issue 15, the design's "AI Lead Score" and the Zoho spec's lead processing)
as plain rules: rules.py the per-tenant rules and their default, facts.py what is known of a
lead and where it comes from, model.py points per factor and component, advice.py the
qualification, key factors, recommendations and next best action, explanation.py all of it
as kept beside the score. README "Lead scoring" documents the model with a worked example."""

from crmgraph.domain.scoring.explanation import Explanation, explain
from crmgraph.domain.scoring.facts import LeadFacts
from crmgraph.domain.scoring.model import Adjustment, Scored, score_lead
from crmgraph.domain.scoring.rules import DEFAULT_RULES, ScoringRules, checked_rules

__all__ = [
    "DEFAULT_RULES",
    "Adjustment",
    "Explanation",
    "LeadFacts",
    "Scored",
    "ScoringRules",
    "checked_rules",
    "explain",
    "score_lead",
]
