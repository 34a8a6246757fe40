"""A customer's journey from the Neo4j projection in one Cypher statement: what
crmgraph.graph.sql_customer_journey reads from the tables, the same steps in the same order.

The subject is a contact, or an account with the contacts WORKS_AT it. Its deals are those
WITH_CONTACT one of the contacts or FOR_ACCOUNT the account; its leads those CONVERTED_TO a
contact (or CONVERTED_TO_ACCOUNT the account) and those a contact came FROM_LEAD. Steps: the
touchpoints TOUCHED by those leads and contacts, the activities ABOUT the account, contacts,
deals or leads, each deal's opening and close, and its stage moves (OF_DEAL) with the names
their FROM_STAGE and TO_STAGE have now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from neo4j import Record

from crmgraph.domain.customer_journey import (
    JourneyStep,
    activity_step,
    deal_steps,
    ordered,
    stage_move_step,
    touch_step,
)

STEPS = """
WITH accounts, contacts, COLLECT {
  UNWIND contacts + accounts AS x
  MATCH (d:Deal {tenant_id: $tenant})-[:WITH_CONTACT|FOR_ACCOUNT]->(x)
  RETURN DISTINCT d
} AS deals, COLLECT {
  UNWIND contacts + accounts AS x
  MATCH (l:Lead {tenant_id: $tenant})-[:CONVERTED_TO|CONVERTED_TO_ACCOUNT|FROM_LEAD]-(x)
  RETURN DISTINCT l
} AS leads
RETURN COLLECT {
  UNWIND leads + contacts AS o
  MATCH (o)-[:TOUCHED]->(t:Touchpoint {tenant_id: $tenant})
  WITH DISTINCT t
  RETURN t {.*,
    lead_id: head(COLLECT { MATCH (l:Lead {tenant_id: $tenant})-[:TOUCHED]->(t) RETURN l.id }),
    contact_id: head(COLLECT {
      MATCH (c:Contact {tenant_id: $tenant})-[:TOUCHED]->(t) RETURN c.id })}
} AS touches, COLLECT {
  UNWIND accounts + contacts + deals + leads AS x
  MATCH (v:Activity {tenant_id: $tenant})-[:ABOUT]->(x)
  WITH DISTINCT v
  RETURN v {.*}
} AS activities, COLLECT {
  UNWIND deals AS d
  OPTIONAL MATCH (d)-[:WITH_CONTACT]->(c:Contact {tenant_id: $tenant})
  RETURN d {.*, contact_id: c.id}
} AS deals, COLLECT {
  UNWIND deals AS d
  MATCH (m:StageMove {tenant_id: $tenant})-[:OF_DEAL]->(d)
  OPTIONAL MATCH (m)-[:FROM_STAGE]->(f:Stage {tenant_id: $tenant})
  OPTIONAL MATCH (m)-[:TO_STAGE]->(s:Stage {tenant_id: $tenant})
  RETURN m {.*, deal_id: d.id, from_stage: f.name, to_stage: s.name}
} AS moves
"""

OF_CONTACT = (
    "MATCH (c:Contact {tenant_id: $tenant, id: $id}) WITH [c] AS contacts, [] AS accounts" + STEPS
)
OF_ACCOUNT = (
    "MATCH (a:Account {tenant_id: $tenant, id: $id}) WITH [a] AS accounts, COLLECT { "
    "MATCH (c:Contact {tenant_id: $tenant})-[:WORKS_AT]->(a) RETURN c } AS contacts" + STEPS
)


def _time(value: Any) -> datetime:
    """A neo4j DateTime as Python's (microseconds at most: it came from one)."""
    moment: datetime = value.to_native()
    return moment


def _uuid(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


def steps_of(record: Record) -> list[JourneyStep]:
    """The journey in (occurred_at, id) order, made as the SQL reader makes it."""
    steps = [touch_step(id=UUID(t["id"]), occurred_at=_time(t["occurred_at"]),
                        contact_id=_uuid(t["contact_id"]), lead_id=_uuid(t["lead_id"]),
                        utm=(t.get("utm_source"), t.get("utm_medium"), t.get("utm_campaign")),
                        referrer=t.get("referrer"), landing_page=t.get("landing_page"))
             for t in record["touches"]]  # fmt: skip
    steps += [activity_step(id=UUID(v["id"]), kind=v["type"], occurred_at=_time(v["occurred_at"]),
                            title=v["subject"], related_type=v.get("related_type"),
                            related_id=_uuid(v.get("related_id")))
              for v in record["activities"]]  # fmt: skip
    for d in record["deals"]:
        closed = d.get("closed_at")
        steps += deal_steps(id=UUID(d["id"]), title=d["title"], status=d["status"],
                            created_at=_time(d["created_at"]),
                            closed_at=None if closed is None else _time(closed),
                            contact_id=_uuid(d["contact_id"]))  # fmt: skip
    steps += [stage_move_step(id=UUID(m["id"]), deal_id=UUID(m["deal_id"]),
                              occurred_at=_time(m["moved_at"]), from_stage=m["from_stage"],
                              to_stage=m["to_stage"]) for m in record["moves"]]  # fmt: skip
    return ordered(steps)
