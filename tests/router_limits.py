"""The router's cost table (LIST_SIZES and the page sizes of router-config/limits.ts), read
from its source so tests price lists exactly as the router does."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

LIMITS_TS = Path(__file__).resolve().parents[1] / "router-config" / "limits.ts"


def ts_constant(name: str) -> int:
    """The value of `export const <name> = <integer>;` in limits.ts."""
    found = re.search(rf"export const {name} = (\d+);", LIMITS_TS.read_text())
    assert found is not None, f"limits.ts has no integer constant {name}"
    return int(found.group(1))


@cache
def declared_sizes() -> dict[str, int]:
    """LIST_SIZES of limits.ts: `Type.field` -> the size the router prices that list by."""
    body = re.search(r"export const LIST_SIZES\b[^{]*\{(.*?)\n\};", LIMITS_TS.read_text(), re.S)
    assert body is not None, "limits.ts has no LIST_SIZES table"
    sizes = {}
    for key, value in re.findall(r"^\s*'([\w.]+)':\s*(\w+),", body.group(1), re.M):
        sizes[key] = int(value) if value.isdigit() else ts_constant(value)
    return sizes
