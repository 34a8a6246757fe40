"""Which events a subscription receives: its topics, narrowed per topic by filters.

Filters are keyed by topic, as in the API design's example (for deal.stage_changed an object
with pipeline_ids and stages). Keys:
- pipeline_ids: the deal's pipeline (any deal.* topic);
- stage_ids: the deal's stage, after the move for deal.stage_changed (any deal.* topic);
- stages: the name of the stage a deal moved to (deal.stage_changed), compared without case
  and with `_` or `-` taken as spaces (the design's `closed_won` matches `Closed Won`).
An event passes when every key given matches one of its values; a topic without filters
passes every event of the topic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

from crmgraph.domain import validation
from crmgraph.events.topics import Topic

MAX_EVENTS = len(Topic)
MAX_VALUES = 50  # per filter key

Payload = Mapping[str, Any]


def _deal(payload: Payload) -> Mapping[str, Any]:
    deal = payload.get("deal")
    return deal if isinstance(deal, Mapping) else {}


def _stage_id(payload: Payload) -> Any:
    return payload.get("to_stage_id") or _deal(payload).get("stage_id")


def _name_key(name: str) -> str:
    return re.sub(r"[\s_-]+", " ", name).strip().casefold()


def _stage_name(payload: Payload) -> Any:
    name = payload.get("to_stage_name")
    return _name_key(name) if isinstance(name, str) else None


# Key -> (topics it applies to, what of the payload it compares, how a given value is read).
KEYS: dict[str, tuple[frozenset[Topic], Callable[[Payload], Any], Callable[[str], str]]] = {
    "pipeline_ids": (
        frozenset(t for t in Topic if t.aggregate == "deal"),
        lambda p: _deal(p).get("pipeline_id"),
        lambda v: str(UUID(v)),
    ),
    "stage_ids": (
        frozenset(t for t in Topic if t.aggregate == "deal"),
        _stage_id,
        lambda v: str(UUID(v)),
    ),
    "stages": (frozenset({Topic.DEAL_STAGE_CHANGED}), _stage_name, _name_key),
}


def validate_events(events: Sequence[str]) -> list[str]:
    """The topics, each once, in the order given; VALIDATION_ERROR on `events` otherwise."""
    if not events:
        raise validation.invalid("events", "events must name at least one event type")
    known = {t.value for t in Topic}
    for i, name in enumerate(events):
        if name not in known:
            raise validation.invalid(
                f"events.{i}", f"{name!r} is not an event type; known: {', '.join(sorted(known))}"
            )
    return list(dict.fromkeys(events))


def validate_filters(filters: Mapping[str, Any], events: Sequence[str]) -> dict[str, Any]:
    """Filters in their stored form (ids normalised, names case-folded); VALIDATION_ERROR
    naming the offending `filters.<topic>.<key>` otherwise."""
    out: dict[str, Any] = {}
    for topic, keys in filters.items():
        where = f"filters.{topic}"
        if topic not in events:
            raise validation.invalid(where, f"{topic!r} is not one of the subscription's events")
        if not isinstance(keys, Mapping):
            raise validation.invalid(where, "a topic's filters must be an object")
        out[topic] = {}
        for key, values in keys.items():
            rule = KEYS.get(key)
            if rule is None or Topic(topic) not in rule[0]:
                usable = sorted(k for k, r in KEYS.items() if Topic(topic) in r[0])
                raise validation.invalid(
                    f"{where}.{key}", f"{topic} can be filtered by {usable or 'nothing'}"
                )
            if not isinstance(values, list) or not values or len(values) > MAX_VALUES:
                raise validation.invalid(
                    f"{where}.{key}", f"{key} must be a list of 1 to {MAX_VALUES} values"
                )
            try:
                out[topic][key] = sorted({rule[2](str(v)) for v in values})
            except ValueError as exc:
                raise validation.invalid(f"{where}.{key}", f"{key} must hold ids") from exc
    return out


def matches(
    events: Sequence[str], filters: Mapping[str, Any], topic: str, payload: Payload
) -> bool:
    """Whether a subscription to events with filters receives an event of topic whose
    payload JSON (crmgraph.events.codec) is payload."""
    if topic not in events:
        return False
    for key, allowed in (filters.get(topic) or {}).items():
        rule = KEYS.get(key)
        if rule is None:
            return False  # a filter this build does not know: send nothing rather than all
        value = rule[1](payload)
        if value is None or str(value) not in allowed:
            return False
    return True
