"""The database keeps deal_stays (models.DealStay), the completed stays crmgraph.db.stage_stays
reads, equal to the definition over the recorded stage changes (that module's docstring says
what a stay is): triggers on the tables a stay is measured from rewrite the stays of the deals
a statement touched, in that statement's transaction.

Why triggers, not the writes' code nor an outbox consumer: stage changes are written by the
API's mutations and REST, the Zoho mapping, the demo seed, COPY of the bench data set and
plain SQL (tests and operators shift or backdate histories); a trigger is the one place none
of them can forget, and it runs in the writer's transaction, so a report never sees a move
without its stay. A consumer runs after the commit: a report read between the two would
disagree with the history it is checked against.

What rewrites whom: a change inserted, updated or deleted rewrites its deal's stays; a deal's
created_at changed rewrites its stays (the stay from creation begins there); a stage's
position or probability changed rewrites the stays of its pipeline's deals (later_position
is measured in them). A deal's stays are rewritten whole from its few changes (the index on
(tenant, deal, created_at, id)): a move costs a delete and an insert of a few rows.
PostgreSQL triggers run once per statement over its transition tables; SQLite's once per row.
"""

from __future__ import annotations

from sqlalchemy import DDL, FromClause, event

COLUMNS = "id, tenant_id, deal_id, stage_id, entered_at, left_at, later_position"
_PROGRESS = "CASE WHEN s.probability > 0 THEN s.position END"
# Each change with the window values its stays need (no CTE: SQLite refuses one in triggers).
_HISTORY = f"""(SELECT c.id, c.tenant_id, c.deal_id, c.from_stage_id, c.to_stage_id,
    c.created_at, lead(c.id) OVER w AS next_id, lead(c.created_at) OVER w AS left_at,
    lag(c.created_at) OVER w AS prev_at,
    max({_PROGRESS}) OVER (w ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS later,
    max({_PROGRESS}) OVER (w ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS from_here
  FROM deal_stage_changes c JOIN pipeline_stages s ON s.id = c.to_stage_id
  WHERE c.deal_id IN ({{deals}})
  WINDOW w AS (PARTITION BY c.deal_id ORDER BY c.created_at, c.id))"""


def restay(deals: str) -> list[str]:
    """The statements that rewrite the stays of the deals the SQL `deals` selects (one id
    column): a stay entered by a change ends at the deal's next change (its id: that change's);
    a deal whose first change leaves a stage stayed there from its creation (id: that change's)."""
    history = _HISTORY.format(deals=deals)
    return [
        f"DELETE FROM deal_stays WHERE deal_id IN ({deals})",
        f"""INSERT INTO deal_stays ({COLUMNS})
SELECT next_id, tenant_id, deal_id, to_stage_id, created_at, left_at, later
FROM {history} h WHERE left_at IS NOT NULL
UNION ALL
SELECT h.id, h.tenant_id, h.deal_id, h.from_stage_id, d.created_at, h.created_at, h.from_here
FROM {history} h JOIN deals d ON d.id = h.deal_id
WHERE h.from_stage_id IS NOT NULL AND h.prev_at IS NULL""",
    ]


# Which deals a statement's rows touched, per table and operation (PostgreSQL: transition
# tables old_rows/new_rows; they exist only for the operations that have them).
_PG_TOUCHED = {
    "deal_stage_changes": (
        "IF TG_OP = 'INSERT' THEN touched := ARRAY(SELECT DISTINCT deal_id FROM new_rows);\n"
        "  ELSIF TG_OP = 'DELETE' THEN touched := ARRAY(SELECT DISTINCT deal_id FROM old_rows);\n"
        "  ELSE touched := ARRAY(\n"
        "    SELECT deal_id FROM old_rows UNION SELECT deal_id FROM new_rows);\n"
        "  END IF;"
    ),
    "deals": (
        "touched := ARRAY(SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id\n"
        "    WHERE n.created_at IS DISTINCT FROM o.created_at);"
    ),
    "pipeline_stages": (
        "touched := ARRAY(SELECT d.id FROM deals d WHERE d.pipeline_id IN (\n"
        "    SELECT n.pipeline_id FROM new_rows n JOIN old_rows o ON o.id = n.id\n"
        "    WHERE n.position IS DISTINCT FROM o.position\n"
        "       OR n.probability IS DISTINCT FROM o.probability));"
    ),
}
_PG_EVENTS = {
    "deal_stage_changes": [
        ("insert", "INSERT", "NEW TABLE AS new_rows"),
        ("update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("delete", "DELETE", "OLD TABLE AS old_rows"),
    ],
    "deals": [("update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows")],
    "pipeline_stages": [("update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows")],
}
# SQLite: per row, the deals the row names.
_SQLITE_EVENTS = {
    "deal_stage_changes": [
        ("insert", "INSERT", "SELECT NEW.deal_id"),
        ("update", "UPDATE", "SELECT OLD.deal_id UNION SELECT NEW.deal_id"),
        ("delete", "DELETE", "SELECT OLD.deal_id"),
    ],
    "deals": [("update", "UPDATE OF created_at", "SELECT NEW.id")],
    "pipeline_stages": [
        ("update", "UPDATE OF position, probability",
         "SELECT id FROM deals WHERE pipeline_id = NEW.pipeline_id"),
    ],
}  # fmt: skip


def create_statements(dialect: str) -> list[str]:
    """The functions and triggers that keep deal_stays, for a database of this dialect."""
    if dialect == "postgresql":
        body = ";\n".join(restay("SELECT unnest(deal_ids)"))
        found = [f"CREATE FUNCTION deal_stays_restay(deal_ids uuid[]) RETURNS void "
                 f"LANGUAGE sql AS $body$\n{body}\n$body$"]  # fmt: skip
        for table, events in _PG_EVENTS.items():
            found.append(f"""CREATE FUNCTION deal_stays_after_{table}() RETURNS trigger
LANGUAGE plpgsql AS $body$
DECLARE touched uuid[];
BEGIN
  {_PG_TOUCHED[table]}
  IF cardinality(touched) > 0 THEN PERFORM deal_stays_restay(touched); END IF;
  RETURN NULL;
END
$body$""")
            found.extend(
                f"CREATE TRIGGER deal_stays_{table}_{name} AFTER {op} ON {table} "
                f"REFERENCING {tables} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION deal_stays_after_{table}()"
                for name, op, tables in events
            )
        return found
    return [
        f"CREATE TRIGGER deal_stays_{table}_{name} AFTER {op} ON {table} BEGIN\n"
        + "".join(f"{statement};\n" for statement in restay(deals))
        + "END"
        for table, events in _SQLITE_EVENTS.items()
        for name, op, deals in events
    ]


def drop_statements(dialect: str) -> list[str]:
    """What create_statements made, dropped (before deal_stays itself)."""
    if dialect == "postgresql":
        found = [f"DROP FUNCTION deal_stays_after_{table}() CASCADE" for table in _PG_EVENTS]
        return [*found, "DROP FUNCTION deal_stays_restay(uuid[])"]
    return [
        f"DROP TRIGGER deal_stays_{table}_{name}"
        for table, events in _SQLITE_EVENTS.items()
        for name, _, _ in events
    ]


def backfill_statements() -> list[str]:
    """The stays of every deal, from the recorded changes (a migration's backfill)."""
    return restay("SELECT id FROM deals")


def keep_on_create(table: FromClause) -> None:
    """Make metadata.create_all (the unit tests' SQLite) create the triggers with the table;
    migrations create them themselves."""
    for dialect in ("postgresql", "sqlite"):
        for statement in create_statements(dialect):
            ddl = DDL(statement)  # type: ignore[no-untyped-call]  # SQLAlchemy's own
            event.listen(table, "after_create", ddl.execute_if(dialect=dialect))
