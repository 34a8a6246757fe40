"""Reading outbox rows written before payloads were typed (version 0).

Those rows hold {"data": <the row's columns>, "actor_id": "<id>", ...extra}: ids as
strings, money as a float (exact back to Decimal: a float's repr keeps 15 significant
digits, and money up to 10^13 needs no more), a missing stage id as the string "None", a
column added since simply missing. upgrade() reshapes such a body into version 1's, which
the codec then decodes like any other. Nothing rewrites the old rows: they are read as
they are (the SSE feed replays them, a relay may still publish them after an upgrade).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from crmgraph.events.payloads import ActivityEvent, Payload
from crmgraph.events.states import BY_FIELD

# Which activity a version-0 activity event is about: the first column it has of these.
_ACTIVITY_BY_COLUMN = (("start_time", "event"), ("occurred_at", "communication"))


def upgrade(kind: type[Payload], body: dict[str, Any]) -> dict[str, Any]:
    """Version 0's body of a kind event as version 1's."""
    new = {key: (None if value == "None" else value) for key, value in body.items()}
    data = new.pop("data", None)
    data = data if isinstance(data, dict) else {}
    name = _state_field(kind, data)
    # A column the row did not have yet when the event was written: null.
    new[name] = {f.name: data.get(f.name) for f in fields(BY_FIELD[name])}
    return new


def _state_field(kind: type[Payload], data: dict[str, Any]) -> str:
    """The field of kind that holds the row's state."""
    if issubclass(kind, ActivityEvent):
        for column, name in _ACTIVITY_BY_COLUMN:
            if column in data:
                return name
        return "task"
    return next(f.name for f in fields(kind) if f.name in BY_FIELD)
