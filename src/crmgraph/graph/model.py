"""What the graph projection holds: nodes with their links, account relationships, and
the changes a write applies (crmgraph.graph.port.GraphStore.project); the labels, the links
each keeps in step with a column, and how values are kept (version, at, cents).

A row's state becomes a Node in crmgraph.graph.nodes, an event's changes are
crmgraph.graph.changes. A new label is a state class, a node function there, an entry in
LINKS here and in changes.ROWS (which makes its topics part of changes.TOPICS).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, Literal

Label = Literal["Account", "Contact", "Lead", "Deal", "User", "Campaign", "Touchpoint",
                "Pipeline", "Stage", "StageMove", "Activity"]  # fmt: skip
# In the order written: a link's target before the nodes linking to it.
LABELS: Final[tuple[Label, ...]] = (
    "User", "Account", "Contact", "Lead", "Deal", "Campaign", "Touchpoint", "Pipeline", "Stage",
    "StageMove", "Activity")  # fmt: skip


@dataclass(frozen=True)
class Link:
    """An edge kept in step with one column: `key` names the column's value in Node.links;
    `outgoing` edges point from the node to the target, others from the target to it."""

    key: str
    rel: str
    target: Label
    outgoing: bool


# Every projected edge but RELATED (account relationships, rows of their own).
LINKS: Final[dict[Label, tuple[Link, ...]]] = {
    "User": (),
    "Account": (Link("parent", "PARENT_OF", "Account", False),
                Link("owner", "OWNS", "User", False)),
    "Contact": (Link("account", "WORKS_AT", "Account", True),
                Link("owner", "OWNS", "User", False),
                Link("lead", "FROM_LEAD", "Lead", True)),
    "Lead": (Link("contact", "CONVERTED_TO", "Contact", True),
             Link("owner", "OWNS", "User", False),
             Link("deal", "CONVERTED_TO_DEAL", "Deal", True),
             Link("account", "CONVERTED_TO_ACCOUNT", "Account", True)),
    "Deal": (Link("account", "FOR_ACCOUNT", "Account", True),
             Link("contact", "WITH_CONTACT", "Contact", True),
             Link("owner", "OWNS", "User", False)),
    "Campaign": (),
    # A touchpoint's lead and contact both touched it: one relation type, two target labels.
    "Touchpoint": (Link("lead", "TOUCHED", "Lead", False),
                   Link("contact", "TOUCHED", "Contact", False),
                   Link("campaign", "OF_CAMPAIGN", "Campaign", True)),
    "Pipeline": (),
    "Stage": (Link("pipeline", "IN_PIPELINE", "Pipeline", True),),
    "StageMove": (Link("deal", "OF_DEAL", "Deal", True),
                  Link("from", "FROM_STAGE", "Stage", True),
                  Link("to", "TO_STAGE", "Stage", True)),
    # An activity is about one contact, lead, account or deal (its related_type and _id).
    "Activity": tuple(Link(label.lower(), "ABOUT", label, True)
                      for label in ("Contact", "Lead", "Account", "Deal")),
}  # fmt: skip


@dataclass(frozen=True)
class Node:
    """A row as the graph holds it. `version` orders states of one row (its updated_at as a
    fixed-width UTC string, so later sorts after): an older state never overwrites a newer."""

    label: Label
    tenant_id: str
    id: str
    version: str
    props: dict[str, Any]
    links: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Relationship:
    """An account relationship: (account)-[:RELATED {id, type}]->(related)."""

    tenant_id: str
    id: str
    account_id: str
    related_account_id: str
    type: str


@dataclass(frozen=True)
class Deletion:
    label: Label
    tenant_id: str
    id: str


@dataclass
class Changes:
    """What to write: nodes (with or without their links), relationships, deletions (of
    nodes, and of account relationships: `unrelated`)."""

    nodes: list[Node] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    deletions: list[Deletion] = field(default_factory=list)
    unrelated: list[Relationship] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.nodes or self.relationships or self.deletions or self.unrelated)


def version(at: datetime) -> str:
    """SQLite gives times without a zone; they are UTC, as every time we store."""
    utc = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%f")


def at(value: datetime | None) -> datetime | None:
    """A time as the graph keeps it (a zoned DateTime): SQLite's zoneless times are UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def cents(value: Decimal) -> int:
    """Money as an exact integer of hundredths (the Money columns have two decimals)."""
    return int((value * 100).to_integral_value())


def combined(parts: Iterable[Changes]) -> Changes:
    """The changes of several events, in their order, as one write: each node's newest state
    only (the highest version; of equal versions the last, as a later equal state
    overwrites), so its links are those of the state that wins, as when written one by one."""
    out = Changes()
    newest: dict[tuple[str, str, str], Node] = {}
    for part in parts:
        for node in part.nodes:
            key = (node.label, node.tenant_id, node.id)
            kept = newest.get(key)
            if kept is None or kept.version <= node.version:
                newest[key] = node
        out.relationships.extend(part.relationships)
        out.deletions.extend(part.deletions)
        out.unrelated.extend(part.unrelated)
    out.nodes.extend(newest.values())
    return out
