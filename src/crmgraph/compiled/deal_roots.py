"""The deals subgraph's root fields as SQL (crmgraph.compiled.roots): Query.deal(id), the
Query.deals connection and `_entities` of Deal."""

from __future__ import annotations

from sqlalchemy import Dialect
from strawberry.federation import Schema

from crmgraph.compiled.deal_fields import deal_object
from crmgraph.compiled.plan import RootCompiler
from crmgraph.compiled.roots import Entity
from crmgraph.compiled.roots import roots as entity_roots
from crmgraph.db import models
from subgraphs.deals.inputs import DealFilter, deal_filter
from subgraphs.deals.queries import SORT_COLUMNS

DEAL = Entity("Deal", models.Deal, deal_object, SORT_COLUMNS, DealFilter, deal_filter)


def roots(max_page_size: int, schema: Schema, dialect: Dialect) -> dict[str, RootCompiler]:
    """The deals subgraph's root compilers; dialect: the engine's (how it quotes literals)."""
    return entity_roots(DEAL, "deal", "deals", max_page_size, schema, dialect)
