"""Every Query and Mutation field of the API design exists in the composed supergraph, but
those the design's issues scope out for later (reports, forecasts, hierarchy)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import ObjectTypeDefinitionNode, parse

ROOT = Path(__file__).resolve().parents[2]
# The product documents live in ../shared beside the checkout (as in CI).
SEEDS = ROOT.parent / "shared" / "seeds"
LATER = {
    "dealForecast", "accountHierarchy", "pipelineAnalytics", "salesReport",
    "performanceMetrics", "dashboardData", "salesDashboard", "pipelineReport",
}  # fmt: skip


def design_fields(type_name: str) -> set[str]:
    """Field names of every `type <name> {` block of the design's GraphQL listings."""
    designs = sorted(SEEDS.glob("004_*.txt"))
    if not designs:
        pytest.fail(f"the API design (004_*.txt) is not in {SEEDS}")
    text = designs[0].read_text()
    names: set[str] = set()
    for block in re.findall(rf"^(?:extend )?type {type_name} \{{\n(.*?)^\}}", text, re.M | re.S):
        names.update(re.findall(r"^\s+(\w+)\s*[(:]", block, re.M))
    return names


def supergraph_fields(type_name: str) -> set[str]:
    document = parse((ROOT / "schema" / "supergraph.graphql").read_text())
    for node in document.definitions:
        if isinstance(node, ObjectTypeDefinitionNode) and node.name.value == type_name:
            return {field.name.value for field in node.fields or ()}
    return set()


def test_design_queries_exist() -> None:
    wanted = design_fields("Query")
    assert {"contact", "deals", "searchContacts", "customerOverview"} <= wanted

    assert sorted(wanted - LATER - supergraph_fields("Query")) == []


def test_design_mutations_exist() -> None:
    wanted = design_fields("Mutation")
    assert {"convertLead", "moveDealStage", "updatePipelineStage"} <= wanted

    assert sorted(wanted - supergraph_fields("Mutation")) == []
