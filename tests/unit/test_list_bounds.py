"""Every list field of the supergraph is priced by the router's cost limit, by a bound the
subgraphs really enforce: a slicing argument (first/last/pagination), or its entry in
LIST_SIZES (router-config/limits.ts) equal to the bound in crmgraph.domain.bounds."""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    build_ast_schema,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    parse,
)

from crmgraph.config import Settings
from crmgraph.db.pagination import DEFAULT_PAGE_SIZE
from crmgraph.domain import bounds
from tests.router_limits import declared_sizes, ts_constant

ROOT = Path(__file__).resolve().parents[2]
SLICING = {"first", "last", "pagination"}
MAX_PAGE_SIZE = Settings.model_fields["max_page_size"].default

# What holds each declared list to its size in the subgraphs.
ENFORCED = {
    "Account.childAccounts": bounds.CHILD_ACCOUNTS,
    "AccountHierarchy.ancestors": bounds.HIERARCHY_MEMBERS,
    "AccountHierarchy.children": bounds.CHILD_ACCOUNTS,
    "AccountHierarchy.descendants": bounds.HIERARCHY_MEMBERS,
    "AccountHierarchy.relationships": bounds.ACCOUNT_RELATIONSHIPS,
    "Account.relationships": bounds.ACCOUNT_RELATIONSHIPS,
    "AttributionInsights.topPerforming": bounds.TOP_PERFORMING,
    "AutomationRule.actions": bounds.RULE_ACTIONS,
    "AutomationRule.conditions": bounds.RULE_CONDITIONS,
    "Communication.participants": bounds.PARTICIPANTS,
    "Contact.touchpoints": bounds.TOUCHPOINTS,
    "CustomerHealth.components": bounds.HEALTH_COMPONENTS,
    "CustomerHealth.opportunities": bounds.HEALTH_OPPORTUNITIES,
    "CustomerHealth.riskFactors": bounds.HEALTH_RISKS,
    "CustomerHealth.trend": bounds.HEALTH_MONTHS,
    "CustomerOverview.activities": MAX_PAGE_SIZE,
    "CustomerOverview.deals": MAX_PAGE_SIZE,
    "DashboardData.widgets": bounds.DASHBOARD_WIDGETS,
    "DashboardWidget.series": bounds.DASHBOARD_POINTS,
    "Deal.stageHistory": bounds.STAGE_HISTORY,
    "Event.attendees": bounds.ATTENDEES,
    "ForecastBucket.categories": bounds.FORECAST_CATEGORIES,
    "ForecastData.buckets": bounds.FORECAST_BUCKETS,
    "HealthComponent.factors": bounds.HEALTH_FACTORS,
    "Lead.scoringHistory": bounds.SCORING_HISTORY,
    "Lead.touchpoints": bounds.TOUCHPOINTS,
    "LeadScoringRule.bands": bounds.SCORE_RULE_CHOICES,
    "LeadScoringRule.matches": bounds.SCORE_RULE_CHOICES,
    "LeadScoringRules.rules": bounds.SCORE_RULES,
    "LeadScore.adjustments": bounds.SCORE_ADJUSTMENTS,
    "LeadScore.breakdown": bounds.SCORE_COMPONENTS,
    "LeadScore.keyFactors": bounds.KEY_FACTORS,
    "LeadScore.scoringFactors": bounds.SCORING_FACTORS,
    "LeadScoreComponent.factors": bounds.SCORE_RULES,
    "LeadScoreHistory.scoringFactors": bounds.SCORING_FACTORS,
    "Pipeline.stages": bounds.PIPELINE_STAGES,
    "PipelineBreakdown.stageMetrics": bounds.PIPELINE_STAGES,
    "PipelineAnalytics.stages": bounds.PIPELINE_STAGES,
    "PipelineStage.automationRules": bounds.AUTOMATION_RULES,
    "Query.activityTimeline": MAX_PAGE_SIZE,
    "Query.apiKeys": bounds.API_KEYS,
    "Query.pipelines": bounds.PIPELINES,
    "Query.searchContacts": MAX_PAGE_SIZE,
    "Query.webhookSubscriptions": bounds.WEBHOOKS,
    "RevenueAttribution.attribution": bounds.ATTRIBUTION_GROUPS,
    "SalesReport.pipelineBreakdown": bounds.REPORT_PIPELINES,
    "SalesReport.topPerformers": bounds.TOP_PERFORMERS,
    "WinProbability.riskFactors": bounds.WIN_RISKS,
    "WinProbability.successIndicators": bounds.WIN_INDICATORS,
}


def unsliced_lists() -> set[str]:
    """`Type.field` of every list of objects, interfaces or unions without a slicing argument,
    but a connection's edges (sized by the connection's page)."""
    schema = build_ast_schema(
        parse((ROOT / "schema" / "supergraph.graphql").read_text()), assume_valid_sdl=True
    )
    found = set()
    for name, type_ in schema.type_map.items():
        if name.startswith(("__", "join__", "link__")):
            continue
        if not isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for field_name, field in type_.fields.items():
            if not is_list_type(get_nullable_type(field.type)) or SLICING & set(field.args):
                continue
            edges = name.endswith("Connection") and field_name == "edges"
            if is_leaf_type(get_named_type(field.type)) or edges:
                continue
            found.add(f"{name}.{field_name}")
    return found


def test_every_unsliced_list_of_the_supergraph_has_a_declared_size() -> None:
    lists = unsliced_lists()

    assert "Deal.stageHistory" in lists  # the walk sees lists of id-less objects
    assert lists - declared_sizes().keys() == set()


def test_every_declared_size_is_a_list_of_the_supergraph() -> None:
    assert declared_sizes().keys() - unsliced_lists() == set()


def test_declared_sizes_are_the_bounds_the_subgraphs_enforce() -> None:
    assert declared_sizes() == ENFORCED


def test_connection_default_page_is_the_subgraphs() -> None:
    assert ts_constant("DEFAULT_PAGE_SIZE") == DEFAULT_PAGE_SIZE
    assert ts_constant("MAX_PAGE_SIZE") == MAX_PAGE_SIZE
