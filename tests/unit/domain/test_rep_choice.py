"""Which rep a qualified lead goes to (crmgraph.domain.rep_choice): most matching
specializations, then least load, then name and id; and the lead's facts as tags."""

from __future__ import annotations

from uuid import UUID

import pytest

from crmgraph.domain import bounds
from crmgraph.domain.rep_choice import (
    Fact,
    Rep,
    choose_rep,
    lead_facts,
    matches,
    specializations_of,
    tag,
)
from crmgraph.errors import DomainError

# 000's lead: Software Development, medium (100 people), cloud_migration project.
LEAD_000 = lead_facts(
    "Google Ads",
    {
        "industry": "Software Development",
        "companySize": "medium",
        "projectType": "cloud_migration",
        "services": ["cloud_migration", "data_backup", "security_audit"],
    },
    ["cloud_services_q1"],
)


def rep(n: int, name: str, *specs: str, leads: int = 0, tasks: int = 0) -> Rep:
    return Rep(UUID(int=n), name, f"{name.lower()}@crm.test", specs, leads, tasks)


def test_the_lead_facts_are_tags_of_its_industry_segment_source_campaigns_and_project() -> None:
    assert (
        Fact("industry", "software_development"),
        Fact("segment", "mid_market"),
        Fact("source", "google_ads"),
        Fact("campaign", "cloud_services_q1"),
        Fact("project_type", "cloud_migration"),
        Fact("service", "cloud_migration"),
        Fact("service", "data_backup"),
        Fact("service", "security_audit"),
    ) == LEAD_000
    assert lead_facts("web", {"employees": 5000}, []) == (
        Fact("segment", "enterprise"),
        Fact("source", "web"),
    )
    assert lead_facts("web", {"employees": 12, "services": "SOC2 audit"}, []) == (
        Fact("segment", "smb"),
        Fact("source", "web"),
        Fact("service", "soc2_audit"),
    )


def test_a_specialization_matches_a_fact_equal_to_it_or_one_word_longer_either_way() -> None:
    assert matches("cloud_migration", "cloud_migration")
    assert matches("enterprise_sales", "enterprise")
    assert matches("cloud", "cloud_services_q1")
    assert not matches("cloud", "cloudy")
    assert not matches("enterprise_sales", "mid_market")


def test_most_matching_specializations_win_over_load() -> None:
    michael = rep(1, "Michael Johnson", "cloud_migration", "security_audit", leads=9, tasks=9)
    ann = rep(2, "Ann Idle", "software_development")
    choice = choose_rep(LEAD_000, [ann, michael])
    assert choice.rep == michael
    assert choice.matched == ("cloud_migration", "security_audit")
    assert choice.reason == (
        "Best match for cloud_migration, security_audit (project type cloud_migration, "
        "service cloud_migration, service security_audit); 9 open leads and 9 pending tasks"
    )


def test_among_equal_matches_the_least_loaded_then_name_then_id() -> None:
    busy = rep(1, "Bea", "cloud_migration", leads=2, tasks=1)
    free = rep(2, "Zed", "cloud_migration", leads=1, tasks=1)
    assert choose_rep(LEAD_000, [busy, free]).rep == free
    same_a, same_b = rep(4, "Al", "cloud_migration"), rep(3, "al", "cloud_migration")
    assert choose_rep(LEAD_000, [same_a, same_b]).rep == same_b  # names equal: id 3 < 4
    assert choose_rep(LEAD_000, [rep(5, "Yan"), rep(6, "Xi")]).rep == rep(6, "Xi")


def test_no_match_goes_to_the_least_loaded_and_says_so() -> None:
    choice = choose_rep(
        (Fact("source", "web"),),
        [rep(1, "A", "healthcare", leads=1), rep(2, "B", tasks=1, leads=1)],
    )
    assert choice.matched == ()
    assert choice.reason == (
        "No rep's specializations match the lead (source web); least loaded: "
        "1 open lead and 0 pending tasks"
    )


def test_no_sales_rep_leaves_the_task_unassigned() -> None:
    choice = choose_rep(LEAD_000, [])
    assert (choice.rep, choice.matched) == (None, ())
    assert "No sales rep" in choice.reason and "unassigned" in choice.reason


def test_specializations_are_stored_as_tags_once_each() -> None:
    assert tag("  Cloud Migration!  ") == "cloud_migration"
    assert specializations_of(["Cloud Migration", "cloud_migration", "Healthcare"]) == (
        "cloud_migration",
        "healthcare",
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (["ok", "  --  "], "specializations.1"),
        (["x" * 51], "specializations.0"),
        ([f"s{i}" for i in range(bounds.SPECIALIZATIONS + 1)], "specializations"),
    ],
)
def test_bad_specializations_are_refused_naming_the_field(values: list[str], field: str) -> None:
    with pytest.raises(DomainError) as caught:
        specializations_of(values)
    assert caught.value.field == field
