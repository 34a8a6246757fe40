"""Where the scoring facts come from (lead fields, touchpoints, activities), and the
validation of a tenant's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmgraph.domain.scoring import DEFAULT_RULES, checked_rules
from crmgraph.domain.scoring.facts import LeadFields, Message, Touch, facts_of
from crmgraph.domain.scoring.rules import Band, Component, Match, Rule, ScoringRules, rules_json
from crmgraph.domain.scoring.rules import rules_of as rules_from_json
from crmgraph.errors import DomainError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_facts_from_fields_touchpoints_and_activities() -> None:
    fields = LeadFields(
        job_title="VP Engineering",
        source="Partner",
        custom_fields={
            "companySize": "medium",
            "industry": "SaaS",
            "decisionMaker": "yes",
            "budget": "50,000",
            "urgency": "high",
        },
    )
    touches = [
        Touch(landing_page="/pricing", utm_medium="cpc"),
        Touch(landing_page="/resources/whitepaper-cloud"),
        Touch(landing_page="/demo?plan=pro"),
        Touch(landing_page="/blog/post", channel="Email"),
        Touch(utm_medium="email"),
    ]
    messages = [
        Message("EMAIL", "INBOUND", T0 - timedelta(days=1)),  # before our first: not an answer
        Message("EMAIL", "OUTBOUND", T0),
        Message("CALL", "INBOUND", T0 + timedelta(hours=3, minutes=30)),
        Message("MEETING", "OUTBOUND", T0 + timedelta(days=2)),
    ]
    facts = facts_of(fields, touches, messages, events=1)

    assert facts.company_size == 100
    assert (facts.industry, facts.job_title, facts.source) == ("SaaS", "VP Engineering", "Partner")
    assert (facts.decision_maker, facts.budget, facts.timeline) == (True, 50_000, "high")
    assert (facts.email_opens, facts.website_visits, facts.content_downloads) == (2, 3, 1)
    assert facts.pricing_page_visited and facts.demo_requested
    assert facts.response_time_hours == 3.5
    assert (facts.meetings, facts.inbound_messages) == (2, 2)


def test_pages_are_matched_on_the_path_only() -> None:
    touches = [
        Touch(landing_page="https://demo.example/cloud"),
        Touch(landing_page="https://www.example.com/Pricing/teams?ref=/demo"),
    ]
    facts = facts_of(LeadFields(None, None, None), touches, [], 0)
    assert (facts.demo_requested, facts.pricing_page_visited) == (False, True)
    assert facts.website_visits == 2


def test_unknown_facts_stay_unknown() -> None:
    facts = facts_of(LeadFields(None, "Web", {"companySize": True, "budget": "n/a"}), [], [], 0)
    assert (facts.company_size, facts.budget, facts.decision_maker) == (None, None, None)
    assert facts.response_time_hours is None
    assert not facts.demo_requested


def test_the_default_rules_pass_their_own_validation_and_json() -> None:
    assert checked_rules(DEFAULT_RULES) == DEFAULT_RULES
    assert rules_from_json(rules_json(DEFAULT_RULES)) == DEFAULT_RULES
    assert sum(DEFAULT_RULES.caps.values()) == 100


def rules(*given: Rule, **kw: object) -> ScoringRules:
    return ScoringRules(given, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (rules(Rule("shoe_size", points=3)), "rules.0.factor"),
        (rules(Rule("industry_fit", bands=(Band(3, 1),))), "rules.0.bands"),
        (rules(Rule("industry_fit")), "rules.0.matches"),
        (rules(Rule("budget")), "rules.0.bands"),
        (rules(Rule("budget", points=5, bands=(Band(3, 1),))), "rules.0.points"),
        (rules(Rule("budget", bands=(Band(3),))), "rules.0.bands.0"),
        (rules(Rule("budget", bands=(Band(3, 10, 5),))), "rules.0.bands.0"),
        (rules(Rule("budget", bands=(Band(3, float("inf")),))), "rules.0.bands.0"),
        (rules(Rule("budget", bands=(Band(101, 1),))), "rules.0.bands.0.points"),
        (rules(Rule("industry_fit", matches=(Match(3, ()),))), "rules.0.matches.0.words"),
        (rules(Rule("industry_fit", matches=(Match(3, (" ",)),))), "rules.0.matches.0.words"),
        (
            rules(Rule("demo_requested", points=5), Rule("demo_requested", points=6)),
            "rules.1.factor",
        ),
        (
            rules(
                caps={Component.DEMOGRAPHIC: 60, Component.BEHAVIORAL: 50, Component.ENGAGEMENT: 0}
            ),
            "caps",
        ),
        (rules(caps={Component.DEMOGRAPHIC: -1}), "caps.demographic"),
        (rules(qualified_threshold=40, nurture_threshold=40), "qualifiedThreshold"),
        (rules(qualified_threshold=101), "qualifiedThreshold"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(bad: ScoringRules, field: str) -> None:
    with pytest.raises(DomainError) as caught:
        checked_rules(bad)
    assert (caught.value.code.value, caught.value.field) == ("VALIDATION_ERROR", field)


def test_a_factor_left_out_scores_nothing() -> None:
    only = checked_rules(rules(Rule("demo_requested", points=40)))
    assert [r.factor for r in only.rules] == ["demo_requested"]
    assert only.caps == DEFAULT_RULES.caps
