"""The router's cost table (router-config/list-sizes.json and the page sizes of
router-config/limits.ts), read from its source so tests price lists exactly as the router does."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from crmgraph.gql.costs import list_sizes

LIMITS_TS = Path(__file__).resolve().parents[1] / "router-config" / "limits.ts"


def ts_constant(name: str) -> int:
    """The value of `export const <name> = <integer>;` in limits.ts."""
    found = re.search(rf"export const {name} = (\d+);", LIMITS_TS.read_text())
    assert found is not None, f"limits.ts has no integer constant {name}"
    return int(found.group(1))


@cache
def declared_sizes() -> dict[str, int]:
    """list-sizes.json, limits.ts's LIST_SIZES: `Type.field` -> the size the routers price
    that list by."""
    return list_sizes()
