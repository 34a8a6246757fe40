"""The activity feed: tasks, events and communications as one relation, which pages,
counts and filters of all three at once read (subgraphs.activities.loaders).

The feed is a UNION ALL of the three tables reduced to the columns pages need (kind, id,
created_at, occurred_at, related_type/related_id, assigned_to_id, is_pending), tenant-filtered
in each branch; pages over it are keyset pages on (sort value, id).

occurred_at is when an activity happens: a task's due date (its creation time when it has
none), an event's start time, a communication's timestamp. is_pending marks what can still
come up: open tasks (PENDING, IN_PROGRESS) with a due date, and events.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    Subquery,
    Uuid,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)

from crmgraph.db import models
from crmgraph.db.filtering import Condition, compare
from crmgraph.db.pagination import PageArgs, Sort
from crmgraph.db.scoping import Scope, visible
from crmgraph.db.types import UTCDateTime
from crmgraph.errors import DomainError, ErrorCode

ActivityRow = models.Task | models.Event | models.Communication
KINDS = ("TASK", "EVENT", "COMMUNICATION")
OPEN_TASK_STATUSES = ("PENDING", "IN_PROGRESS")
SORT_COLUMNS = ("created_at", "occurred_at")


@dataclass(frozen=True)
class ActivitySpec:
    """Which activities: plain data, hashable, so it can be part of a loader key.

    conditions apply to the feed columns created_at, occurred_at and assigned_to_id;
    past_at keeps what occurred at or before it, pending_from what is pending at or after it.
    """

    kinds: tuple[str, ...] = KINDS
    related_types: tuple[str, ...] | None = None
    related_id: UUID | None = None
    conditions: tuple[Condition, ...] = field(default=())
    past_at: datetime | None = None
    pending_from: datetime | None = None


def feed(scope: Scope, kinds: tuple[str, ...] = KINDS) -> Subquery:
    """The tenant's activities of these kinds as one relation."""
    t, e, c = models.Task, models.Event, models.Communication
    no_user = cast(null(), Uuid)
    branches = {
        "TASK": _branch(
            t,
            "TASK",
            func.coalesce(t.due_date, t.created_at),
            t.assigned_to_id,
            case((and_(t.status.in_(OPEN_TASK_STATUSES), t.due_date.is_not(None)), 1), else_=0),
            scope,
        ),
        "EVENT": _branch(e, "EVENT", e.start_time, no_user, literal(1, Integer), scope),
        "COMMUNICATION": _branch(
            c, "COMMUNICATION", c.occurred_at, no_user, literal(0, Integer), scope
        ),
    }
    if set(kinds) - set(branches):
        raise DomainError(ErrorCode.VALIDATION_ERROR, "unknown activity kind", field="type")
    # No kind at all matches nothing (feed_predicates adds false()), like `in: []` elsewhere.
    chosen = [branches[k] for k in KINDS if k in kinds] or list(branches.values())
    return union_all(*chosen).subquery("activity_feed")


def _branch(
    model: type[models.Task | models.Event | models.Communication],
    kind: str,
    occurred: Any,
    assigned: Any,
    pending: Any,
    scope: Scope,
) -> Select[Any]:
    stmt = select(
        literal(kind, String(16)).label("kind"),
        model.id.label("id"),
        model.created_at.label("created_at"),
        type_coerce(occurred, UTCDateTime()).label("occurred_at"),
        model.related_type.label("related_type"),
        model.related_id.label("related_id"),
        assigned.label("assigned_to_id"),
        pending.label("is_pending"),
    )
    return visible(stmt, model, scope)


def feed_predicates(sub: Subquery, spec: ActivitySpec) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = [] if spec.kinds else [false()]
    if spec.related_types is not None:
        out.append(sub.c.related_type.in_(spec.related_types))
    if spec.related_id is not None:
        out.append(sub.c.related_id == spec.related_id)
    out.extend(compare(sub.c[cond.column], cond.op, cond.value) for cond in spec.conditions)
    if spec.past_at is not None:
        out.append(sub.c.occurred_at <= spec.past_at)
    if spec.pending_from is not None:
        out.append(and_(sub.c.is_pending == 1, sub.c.occurred_at >= spec.pending_from))
    return out


def encode_cursor(sort: Sort, value: datetime, id_: UUID) -> str:
    raw = json.dumps(["activity", sort.column, value.isoformat(), str(id_)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort, *, field: str) -> tuple[datetime, UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        tag, column, value, id_ = json.loads(base64.urlsafe_b64decode(padded.encode()))
        parsed = datetime.fromisoformat(value)
        ids = UUID(id_)
    except (ValueError, TypeError) as exc:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "invalid cursor", field=field) from exc
    if tag != "activity" or column != sort.column:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, "the cursor belongs to another list or order", field=field
        )
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)), ids


def ordering(sub: Subquery, sort: Sort, forward: bool) -> tuple[Any, Any]:
    col = sub.c[sort.column]
    if sort.descending != forward:
        return col.asc(), sub.c.id.asc()
    return col.desc(), sub.c.id.desc()


def between(sub: Subquery, sort: Sort, args: PageArgs) -> list[ColumnElement[bool]]:
    """Strictly after `after` and before `before` in the order (sort column, id)."""
    col, out = sub.c[sort.column], []
    for cursor, name, ascending in (
        (args.after, "after", not sort.descending),
        (args.before, "before", sort.descending),
    ):
        if cursor is None:
            continue
        value, id_ = decode_cursor(cursor, sort, field=name)
        if ascending:
            out.append(or_(col > value, and_(col == value, sub.c.id > id_)))
        else:
            out.append(or_(col < value, and_(col == value, sub.c.id < id_)))
    return out


def check_sort(sort: Sort) -> None:
    if sort.column not in SORT_COLUMNS:
        raise DomainError(ErrorCode.VALIDATION_ERROR, "unsupported sort field", field="sort")


def occurred_at(row: ActivityRow) -> datetime:
    """When the activity happens, as the feed's occurred_at column computes it."""
    if isinstance(row, models.Task):
        return row.due_date or row.created_at
    if isinstance(row, models.Event):
        return row.start_time
    return row.occurred_at
