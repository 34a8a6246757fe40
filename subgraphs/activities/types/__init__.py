"""GraphQL types of the activities subgraph: Task, Event, Communication and the Activity
union (activity.py), the other subgraphs' entities that carry activities (extended.py), and
customer health (health.py)."""

from __future__ import annotations

from subgraphs.activities.enums import (
    CommunicationDirection,
    CommunicationType,
    Priority,
    TaskStatus,
)
from subgraphs.activities.types.activity import (
    Activity,
    Communication,
    Event,
    Task,
    User,
    activity_node,
)
from subgraphs.activities.types.extended import (
    NEWEST_FIRST,
    Account,
    Contact,
    CustomerOverview,
    Deal,
    Lead,
)
from subgraphs.activities.types.health import CustomerHealth, HealthWeights

__all__ = [
    "NEWEST_FIRST",
    "Account",
    "Activity",
    "Communication",
    "CommunicationDirection",
    "CommunicationType",
    "Contact",
    "CustomerHealth",
    "CustomerOverview",
    "Deal",
    "Event",
    "HealthWeights",
    "Lead",
    "Priority",
    "Task",
    "TaskStatus",
    "User",
    "activity_node",
]
