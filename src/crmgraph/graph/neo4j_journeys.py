"""Revenue journeys from the Neo4j projection in one Cypher statement: what
crmgraph.graph.sql_journeys reads from the tables, the same journeys in the same order.

A closed deal's lead is the lead converted into it (CONVERTED_TO_DEAL), else the lead its
contact came from (FROM_LEAD); its touchpoints are those TOUCHED by that lead, its contact's
lead, its contact and the contact its lead became, each once, in (occurred_at, id) order.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from neo4j import Record

from crmgraph.domain.attribution import Journey, Touchpoint

# A lead is some closed deal's lead (and so no non-converting journey) when it was converted
# into one, or when the deal has no converted lead and its contact came from this lead:
# asked of each lead by pattern, not by scanning a list of the closed journeys' leads per lead
# (that was leads x closed deals: 403 million page hits for 25,000 leads, over 13 minutes).
# Deals and leads are found through the (tenant_id, id) uniqueness constraint's index (the
# planner chose label scans over every tenant's nodes otherwise).
# Of deals and leads, only the properties a journey reads are returned, and times as
# microseconds since the epoch: the driver's DateTime decoding was two thirds of the client's
# time (cProfile: 75,000 times for the 7,994 closed deals of the bench).
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _us(time: str) -> str:
    """A DateTime property as microseconds since the epoch (null stays null)."""
    return f"{time}.epochSeconds * 1000000 + {time}.microsecond"


CLOSED = "d.status IN ['WON', 'LOST'] AND $start <= d.closed_at <= $end"
JOURNEYS = f"""
CALL () {{
  MATCH (d:Deal {{tenant_id: $tenant}}) USING INDEX d:Deal(tenant_id, id)
  WHERE d.id IS NOT NULL AND {CLOSED}
  OPTIONAL MATCH (d)-[:WITH_CONTACT]->(c:Contact)
  OPTIONAL MATCH (c)-[:FROM_LEAD]->(cl:Lead)
  OPTIONAL MATCH (dl:Lead)-[:CONVERTED_TO_DEAL]->(d)
  WITH d, c, cl, coalesce(dl, cl) AS l
  OPTIONAL MATCH (l)-[:CONVERTED_TO]->(lc:Contact)
  WITH d, l, [c, lc, l, cl] AS owners ORDER BY d.closed_at, d.id
  RETURN collect({{deal: d, lead: l, owners: owners}}) AS closed
}}
CALL () {{
  WITH $non_converting AS wanted WHERE wanted
  MATCH (l:Lead {{tenant_id: $tenant}}) USING INDEX l:Lead(tenant_id, id)
  WHERE l.id IS NOT NULL AND $start <= l.created_at <= $end
    AND NOT EXISTS {{ MATCH (l)-[:CONVERTED_TO_DEAL]->(d:Deal) WHERE {CLOSED} }}
    AND NOT EXISTS {{
      MATCH (d:Deal)-[:WITH_CONTACT]->(:Contact)-[:FROM_LEAD]->(l)
      WHERE {CLOSED} AND NOT EXISTS {{ MATCH (:Lead)-[:CONVERTED_TO_DEAL]->(d) }}
    }}
  OPTIONAL MATCH (l)-[:CONVERTED_TO]->(lc:Contact)
  WITH l, lc ORDER BY l.created_at, l.id
  RETURN collect({{deal: null, lead: l, owners: [l, lc]}}) AS open
}}
WITH closed + open AS journeys
UNWIND range(0, size(journeys) - 1) AS i
WITH i, journeys[i] AS j
WITH i, j, j.deal AS d, j.lead AS l
RETURN i, d {{.id, .status, .value, created_at: {_us("d.created_at")},
              closed_at: {_us("d.closed_at")}}} AS deal,
  l {{.id, .status, created_at: {_us("l.created_at")}, converted_at: {_us("l.converted_at")},
      updated_at: {_us("l.updated_at")}}} AS lead, COLLECT {{
  UNWIND [o IN j.owners WHERE o IS NOT NULL] AS o
  MATCH (o)-[:TOUCHED]->(t:Touchpoint)
  OPTIONAL MATCH (t)-[:OF_CAMPAIGN]->(k:Campaign)
  WITH DISTINCT t, k ORDER BY t.occurred_at, t.id
  RETURN t {{.*, campaign_id: k.id, occurred_at: {_us("t.occurred_at")}}}
}} AS touches
ORDER BY i
"""

TOUCH_FIELDS = ("campaign_id", "utm_source", "utm_medium", "utm_campaign", "utm_content",
                "utm_term", "referrer", "landing_page", "channel")  # fmt: skip


def _time(value: int | None) -> datetime | None:
    """A time as the statement returns it, microseconds since the epoch (the graph's times
    came from Python's: microseconds at most), in UTC."""
    return None if value is None else EPOCH + timedelta(microseconds=value)


def _touch(t: dict[str, Any]) -> Touchpoint:
    occurred = _time(t["occurred_at"])
    assert occurred is not None  # a touchpoint always has its time
    return Touchpoint(id=t["id"], occurred_at=occurred, **{f: t.get(f) for f in TOUCH_FIELDS})


def _qualified_at(lead: Any) -> datetime | None:
    """As crmgraph.graph.sql_journeys: conversion implies qualification; a lead still
    QUALIFIED was last changed by it."""
    if lead is None:
        return None
    if lead.get("converted_at") is not None:
        return _time(lead["converted_at"])
    return _time(lead.get("updated_at")) if lead.get("status") == "QUALIFIED" else None


def journey_of(record: Record) -> Journey:
    deal, lead = record["deal"], record["lead"]
    touches = tuple(_touch(t) for t in record["touches"])
    lead_fields: dict[str, Any] = {
        "lead_id": None if lead is None else lead["id"],
        "lead_created_at": None if lead is None else _time(lead.get("created_at")),
        "qualified_at": _qualified_at(lead),
    }
    if deal is None:
        return Journey(id=f"lead:{lead['id']}", touchpoints=touches, **lead_fields)
    return Journey(
        id=deal["id"],
        touchpoints=touches,
        converted=deal["status"] == "WON",
        revenue=Decimal(deal["value"]),
        deal_id=deal["id"],
        opportunity_created_at=_time(deal.get("created_at")),
        closed_at=_time(deal.get("closed_at")),
        **lead_fields,
    )
