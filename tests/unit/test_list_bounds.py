"""Every list field of the supergraph is priced by the router's cost limit, by a bound the
subgraphs really enforce: a slicing argument (first/last/pagination), or its entry in
router-config/list-sizes.json (read by limits.ts, printed into the supergraph as @listSize)
equal to the bound in crmgraph.domain.bounds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    build_ast_schema,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    parse,
    value_from_ast_untyped,
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


def directives(name: str, node: Any) -> list[dict[str, Any]]:
    """The arguments of each `@name` on a supergraph AST node."""
    return [
        {arg.name.value: value_from_ast_untyped(arg.value) for arg in d.arguments or ()}
        for d in node.directives or ()
        if d.name.value == name
    ]


def test_the_supergraph_carries_every_list_size_for_hive_router() -> None:
    schema = build_ast_schema(
        parse((ROOT / "schema" / "supergraph.graphql").read_text()), assume_valid_sdl=True
    )
    sized: dict[str, Any] = {}
    for name, type_ in schema.type_map.items():
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType) and type_.ast_node:
            for field_name, field in type_.fields.items():
                for found in directives("listSize", field.ast_node):
                    sized[f"{name}.{field_name}"] = found
    assumed = {k: v["assumedSize"] for k, v in sized.items() if "assumedSize" in v}
    sliced = {k: v for k, v in sized.items() if "assumedSize" not in v}

    assert assumed == declared_sizes()
    assert sized["Query.deals"] == {
        "requireOneSlicingArgument": False,
        "slicingArguments": ["pagination.first", "pagination.last", "first", "last"],
        "sizedFields": ["edges"],
    }
    for coordinate, found in sliced.items():
        type_name, field_name = coordinate.split(".")
        args = set(schema.type_map[type_name].fields[field_name].args)  # type: ignore[union-attr]
        assert {path.split(".")[0] for path in found["slicingArguments"]} == args & SLICING
        assert found["requireOneSlicingArgument"] is False
    assert len(sliced) == sum(
        1
        for t in schema.type_map.values()
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType) and t.ast_node
        for f in t.fields.values()
        if SLICING & set(f.args)
    )


def test_connection_wrappers_cost_nothing_in_the_supergraph() -> None:
    schema = build_ast_schema(
        parse((ROOT / "schema" / "supergraph.graphql").read_text()), assume_valid_sdl=True
    )
    wrappers = [n for n in schema.type_map if n == "PageInfo" or n.endswith(("Connection", "Edge"))]
    costs = {n: directives("cost", schema.type_map[n].ast_node) for n in wrappers}

    assert len(wrappers) > 3
    assert costs == {n: [{"weight": 0}] for n in wrappers}


def test_connection_default_page_is_the_subgraphs() -> None:
    assert ts_constant("DEFAULT_PAGE_SIZE") == DEFAULT_PAGE_SIZE
    assert ts_constant("MAX_PAGE_SIZE") == MAX_PAGE_SIZE
