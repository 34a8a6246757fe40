"""Tenancy in one place: no tenant filter or tenant comparison is written by hand outside
crmgraph.db.scoping (use scoped, tenant_filter, get_scoped, rows_by_id or same_tenant)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCOPING = ROOT / "src/crmgraph/db/scoping.py"
# Migrations are frozen history; they name tenant_id columns and indexes, never filter.
SKIPPED = (SCOPING, ROOT / "src/crmgraph/db/migrations")
FILTER_CALLS = {"where", "filter", "filter_by", "having"}
RAW_SQL = re.compile(r"\btenant_id\s*(=|!=|<>|\bin\b|\bis\b)", re.I)


def _is_tenant_column(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "tenant_id"


def raw_tenant_filters(source: str) -> list[tuple[int, str]]:
    """(line, what) for each tenant filter or comparison written by hand in source."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            if any(_is_tenant_column(n) for n in (node.left, *node.comparators)):
                found.append((node.lineno, "comparison of .tenant_id"))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and _is_tenant_column(func.value):
                found.append((node.lineno, f".tenant_id.{func.attr}(...)"))
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in FILTER_CALLS and any(k.arg == "tenant_id" for k in node.keywords):
                found.append((node.lineno, f"{name}(tenant_id=...)"))
        elif isinstance(node, ast.Constant) and RAW_SQL.search(str(node.value)):
            found.append((node.lineno, "tenant_id compared in SQL text"))
    return found


def sources() -> list[Path]:
    files = [*(ROOT / "src").rglob("*.py"), *(ROOT / "subgraphs").rglob("*.py")]
    return sorted(f for f in files if not any(f.is_relative_to(s) for s in SKIPPED))


def test_no_tenant_filter_is_written_outside_db_scoping() -> None:
    files = sources()
    assert len(files) > 50 and ROOT / "src/crmgraph/domain/deals.py" in files
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in files
        for line, what in raw_tenant_filters(path.read_text())
    ]
    assert offenders == [], "use crmgraph.db.scoping instead:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    "code",
    [
        "select(Deal).where(Deal.tenant_id == scope.tenant_id)",
        "stmt.where(scope.tenant_id == Deal.tenant_id, Deal.id == 1)",
        "ok = event.tenant_id != tenant",
        "select(Deal).where(Deal.tenant_id.in_(tenants))",
        "select(Deal).where(Deal.tenant_id.is_not(None))",
        "session.query(Deal).filter_by(tenant_id=t)",
        "exists().where(tenant_id=t)",
        "text('SELECT id FROM deals WHERE tenant_id = :t')",
        "text('DELETE FROM deals WHERE deals.tenant_id IN (:a, :b)')",
    ],
)
def test_a_hand_written_tenant_filter_is_found(code: str) -> None:
    assert raw_tenant_filters(code), code


@pytest.mark.parametrize(
    "code",
    [
        "scoped(select(Deal), Deal, scope)",
        "select(Deal).where(tenant_filter(Deal, scope), Deal.id == 1)",
        "ok = same_tenant(event.tenant_id, scope)",
        "Deal(tenant_id=scope.tenant_id, title='x')",
        "Index(None, 'tenant_id', 'created_at', 'id')",
        "COLUMNS = ('tenant_id', 'title')",
        "payload = {'tenant_id': row.tenant_id}",
    ],
)
def test_the_scoping_helpers_and_plain_uses_of_tenant_id_pass(code: str) -> None:
    assert raw_tenant_filters(code) == []
