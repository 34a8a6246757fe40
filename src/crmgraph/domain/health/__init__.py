"""Customer health of an account (the Zoho integration spec's "Customer Health Scoring"),
as pure rules over the facts the system holds: facts.py what is read, components.py the
four component scores, signals.py risks and opportunities, report.py the weighted overall
score, status and monthly trend, weights.py the per-tenant weights. README "Customer
health" documents every formula."""

from crmgraph.domain.health.components import Component, Factor
from crmgraph.domain.health.facts import (
    AccountFacts,
    DealFact,
    StageVisit,
    SupportTicketEvent,
    TaskFact,
)
from crmgraph.domain.health.report import (
    DEFAULT_MONTHS,
    HealthReport,
    MonthScore,
    WeightedComponent,
    assess,
    checked_months,
)
from crmgraph.domain.health.signals import Opportunity, Risk
from crmgraph.domain.health.weights import DEFAULT_WEIGHTS, Weights, checked_weights

__all__ = [
    "DEFAULT_MONTHS",
    "DEFAULT_WEIGHTS",
    "AccountFacts",
    "Component",
    "DealFact",
    "Factor",
    "HealthReport",
    "MonthScore",
    "Opportunity",
    "Risk",
    "StageVisit",
    "SupportTicketEvent",
    "TaskFact",
    "WeightedComponent",
    "Weights",
    "assess",
    "checked_months",
    "checked_weights",
]
