"""Which events a subscription receives: its topics, narrowed by per-topic filters."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from crmgraph.errors import DomainError
from crmgraph.webhooks import filters

PIPE_A, PIPE_B, STAGE = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())


def moved(pipeline: str, stage: str = STAGE, name: str = "Closed Won") -> dict[str, Any]:
    deal = {"id": str(uuid.uuid4()), "pipeline_id": pipeline, "stage_id": stage}
    return {"deal": deal, "to_stage_id": stage, "to_stage_name": name}


def test_topic_must_be_subscribed() -> None:
    assert filters.matches(["deal.stage_changed"], {}, "deal.stage_changed", moved(PIPE_A))
    assert not filters.matches(["deal.created"], {}, "deal.stage_changed", moved(PIPE_A))


def test_pipeline_filter_passes_only_its_pipelines() -> None:
    events = ["deal.stage_changed"]
    stored = filters.validate_filters({"deal.stage_changed": {"pipeline_ids": [PIPE_A]}}, events)

    assert filters.matches(events, stored, "deal.stage_changed", moved(PIPE_A))
    assert not filters.matches(events, stored, "deal.stage_changed", moved(PIPE_B))


def test_every_key_must_match_and_stage_names_ignore_case() -> None:
    events = ["deal.stage_changed"]
    given = {"deal.stage_changed": {"pipeline_ids": [PIPE_A], "stages": ["closed won"]}}
    stored = filters.validate_filters(given, events)

    assert filters.matches(events, stored, "deal.stage_changed", moved(PIPE_A, name="Closed WON"))
    assert not filters.matches(events, stored, "deal.stage_changed", moved(PIPE_A, name="Lost"))
    assert not filters.matches(events, stored, "deal.stage_changed", moved(PIPE_B))


def test_stage_names_as_the_design_writes_them_match() -> None:
    events = ["deal.stage_changed"]
    stored = filters.validate_filters({"deal.stage_changed": {"stages": ["closed_won"]}}, events)

    assert filters.matches(events, stored, "deal.stage_changed", moved(PIPE_A, name="Closed Won"))
    assert not filters.matches(events, stored, "deal.stage_changed", moved(PIPE_A, name="Closed"))


def test_stage_ids_filter_compares_the_stage_moved_to() -> None:
    events = ["deal.stage_changed", "deal.updated"]
    stored = filters.validate_filters({"deal.updated": {"stage_ids": [STAGE.upper()]}}, events)

    assert filters.matches(events, stored, "deal.updated", moved(PIPE_A))
    assert not filters.matches(events, stored, "deal.updated", moved(PIPE_A, stage=PIPE_B))
    # No filter on the other topic: every event of it passes.
    assert filters.matches(events, stored, "deal.stage_changed", moved(PIPE_B, stage=PIPE_B))


def test_unknown_stored_key_sends_nothing() -> None:
    stored = {"deal.stage_changed": {"owner_ids": ["x"]}}

    assert not filters.matches(["deal.stage_changed"], stored, "deal.stage_changed", moved(PIPE_A))


@pytest.mark.parametrize(
    ("given", "events", "key"),
    [
        ({"lead.converted": {"pipeline_ids": [PIPE_A]}}, ["lead.converted"], "pipeline_ids"),
        ({"deal.created": {"stages": ["Won"]}}, ["deal.created"], "stages"),
        ({"deal.created": {"pipeline_ids": [PIPE_A]}}, ["deal.updated"], None),
        ({"deal.created": {"pipeline_ids": ["nope"]}}, ["deal.created"], "pipeline_ids"),
        ({"deal.created": {"pipeline_ids": []}}, ["deal.created"], "pipeline_ids"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(
    given: dict[str, Any], events: list[str], key: str | None
) -> None:
    with pytest.raises(DomainError) as caught:
        filters.validate_filters(given, events)

    topic = next(iter(given))
    assert caught.value.field == (f"filters.{topic}" + (f".{key}" if key else ""))


def test_events_must_be_known_topics() -> None:
    assert filters.validate_events(["deal.created", "deal.created"]) == ["deal.created"]
    with pytest.raises(DomainError) as caught:
        filters.validate_events(["deal.created", "deal.exploded"])
    assert caught.value.field == "events.1"
    with pytest.raises(DomainError):
        filters.validate_events([])
