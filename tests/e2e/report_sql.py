"""The expected numbers of the sales reports, from hand-written SQL over the tables: plain SQL
text, independent of crmgraph.reporting's statements, written from the definitions in the
README ("Sales forecasts and pipeline analytics", "Sales reports") and, for the stays of
deals in stages, from crmgraph.db.stage_stays's docstring."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from tests.stack import Stack

Row = Sequence[Any]


def rows(stack: Stack, sql: str, **params: Any) -> list[Row]:
    async def run() -> list[Row]:
        async with stack.runtime.engine.connect() as conn:
            return [tuple(r) for r in await conn.execute(text(sql), params)]

    return stack.call(run)


# A stay is (deal_id, stage_id, entered_at, left_at) (crmgraph.db.stage_stays): a completed
# stay from entering a stage up to the deal's next change; from creation up to the first
# recorded change when that change leaves the stage the deal was created in; and the current
# stay from stage_entered_at up to :now (ACTIVE) or the close date (closed; left out without).
STAYS = """
WITH changes AS (
  SELECT c.id, c.deal_id, c.from_stage_id, c.to_stage_id, c.created_at,
         lead(c.created_at) OVER w AS left_at, lag(c.created_at) OVER w AS prev_at
  FROM deal_stage_changes c WHERE c.tenant_id = :tenant
  WINDOW w AS (PARTITION BY c.deal_id ORDER BY c.created_at, c.id)
), stays AS (
  SELECT deal_id, to_stage_id AS stage_id, created_at AS entered_at, left_at
  FROM changes WHERE left_at IS NOT NULL
  UNION ALL
  SELECT ch.deal_id, ch.from_stage_id, d.created_at, ch.created_at
  FROM changes ch JOIN deals d ON d.id = ch.deal_id
  WHERE ch.prev_at IS NULL AND ch.from_stage_id IS NOT NULL
  UNION ALL
  SELECT id, stage_id, stage_entered_at,
         CASE WHEN status = 'ACTIVE' THEN CAST(:now AS timestamptz) ELSE actual_close_date END
  FROM deals WHERE tenant_id = :tenant AND (status = 'ACTIVE' OR actual_close_date IS NOT NULL)
)
"""
DAYS = "EXTRACT(EPOCH FROM (s.left_at - s.entered_at)) / 86400.0"


def forecast(
    stack: Stack, tenant: str, pipeline: str, fmt: str, start: datetime, end: datetime
) -> dict[str, dict[str, tuple[int, float, float]]]:
    """label (to_char of the counted date by fmt) -> category -> (deals, value, weighted):
    open deals by expected close date, won ones by close date, lost ones never."""
    found: dict[str, dict[str, tuple[int, float, float]]] = {}
    for label, category, n, value, weighted in rows(stack, """
        SELECT to_char(on_date AT TIME ZONE 'UTC', :fmt), category, count(*), sum(value),
               sum(value * probability) / 100
        FROM (SELECT value, probability,
                     CASE WHEN status = 'WON' THEN actual_close_date
                          ELSE expected_close_date END AS on_date,
                     CASE WHEN status = 'WON' THEN 'CLOSED'
                          WHEN probability >= 75 THEN 'COMMIT'
                          WHEN probability >= 25 THEN 'BEST_CASE'
                          ELSE 'PIPELINE' END AS category
              FROM deals WHERE tenant_id = :tenant AND pipeline_id = CAST(:pipeline AS uuid)
                AND status IN ('ACTIVE', 'WON')) d
        WHERE on_date >= :start AND on_date < :end GROUP BY 1, 2""",
        tenant=tenant, pipeline=pipeline, fmt=fmt, start=start, end=end,
    ):  # fmt: skip
        found.setdefault(label, {})[category] = (n, float(value), float(weighted))
    return found


def forecast_deals(
    stack: Stack, tenant: str, pipeline: str, category: str, start: datetime, end: datetime
) -> list[str]:
    """Ids of the five largest deals of a category counted in [start, end)."""
    return [str(r[0]) for r in rows(stack, """
        SELECT id FROM deals WHERE tenant_id = :tenant AND pipeline_id = CAST(:pipeline AS uuid)
          AND CASE WHEN status = 'WON' THEN 'CLOSED' WHEN status <> 'ACTIVE' THEN NULL
                   WHEN probability >= 75 THEN 'COMMIT' WHEN probability >= 25 THEN 'BEST_CASE'
                   ELSE 'PIPELINE' END = :category
          AND CASE WHEN status = 'WON' THEN actual_close_date ELSE expected_close_date END
              >= :start
          AND CASE WHEN status = 'WON' THEN actual_close_date ELSE expected_close_date END
              < :end
        ORDER BY value DESC, id LIMIT 5""",
        tenant=tenant, pipeline=pipeline, category=category, start=start, end=end,
    )]  # fmt: skip


def undated(stack: Stack, tenant: str, pipeline: str) -> tuple[int, float]:
    ((n, value),) = rows(stack, """
        SELECT count(*), coalesce(sum(value), 0) FROM deals
        WHERE tenant_id = :tenant AND pipeline_id = CAST(:pipeline AS uuid)
          AND status = 'ACTIVE' AND expected_close_date IS NULL""",
        tenant=tenant, pipeline=pipeline,
    )  # fmt: skip
    return n, float(value)


def stage_flow(
    stack: Stack, tenant: str, pipeline: str, start: datetime | None, now: datetime
) -> dict[str, tuple[int, int, int, float | None]]:
    """stage id -> (deals that entered it since start, of those the ones that later entered a
    stage of higher position above 0%, stays begun since start, their average days)."""
    flow = {str(s): (n, a) for s, n, a in rows(stack, """
        SELECT c.to_stage_id, count(DISTINCT c.deal_id), count(DISTINCT c.deal_id) FILTER (
          WHERE EXISTS (SELECT 1 FROM deal_stage_changes later
                        JOIN pipeline_stages ls ON ls.id = later.to_stage_id
                        WHERE later.deal_id = c.deal_id
                          AND (later.created_at, later.id) > (c.created_at, c.id)
                          AND ls.probability > 0 AND ls.position > s.position))
        FROM deal_stage_changes c JOIN pipeline_stages s ON s.id = c.to_stage_id
        JOIN deals d ON d.id = c.deal_id
        WHERE c.tenant_id = :tenant AND d.pipeline_id = CAST(:pipeline AS uuid)
          AND (CAST(:start AS timestamptz) IS NULL OR c.created_at >= :start)
        GROUP BY c.to_stage_id""", tenant=tenant, pipeline=pipeline, start=start,
    )}  # fmt: skip
    stays = {str(s): (n, float(avg)) for s, n, avg in rows(stack, STAYS + f"""
        SELECT s.stage_id, count(*), avg({DAYS}) FROM stays s JOIN deals d ON d.id = s.deal_id
        WHERE d.pipeline_id = CAST(:pipeline AS uuid)
          AND (CAST(:start AS timestamptz) IS NULL OR s.entered_at >= :start)
        GROUP BY s.stage_id""", tenant=tenant, pipeline=pipeline, start=start, now=now,
    )}  # fmt: skip
    return {
        stage: (*flow.get(stage, (0, 0)), *stays.get(stage, (0, None))) for stage in {*flow, *stays}
    }


def closed_and_open(
    stack: Stack, tenant: str, pipeline: str, start: datetime | None
) -> tuple[int, int, float, float | None, int, float]:
    """(won, lost, won value, average days creation to close of the won) of the deals closed
    since start, and (ACTIVE deals, their value) now."""
    ((won, lost, value, cycle, active, active_value),) = rows(stack, """
        WITH d AS (SELECT *, actual_close_date >= coalesce(CAST(:start AS timestamptz),
                                                           '-infinity') AS in_window
                   FROM deals WHERE tenant_id = :tenant
                     AND pipeline_id = CAST(:pipeline AS uuid))
        SELECT count(*) FILTER (WHERE status = 'WON' AND in_window),
               count(*) FILTER (WHERE status = 'LOST' AND in_window),
               coalesce(sum(value) FILTER (WHERE status = 'WON' AND in_window), 0),
               avg(EXTRACT(EPOCH FROM actual_close_date - created_at) / 86400.0)
                 FILTER (WHERE status = 'WON' AND in_window),
               count(*) FILTER (WHERE status = 'ACTIVE'),
               coalesce(sum(value) FILTER (WHERE status = 'ACTIVE'), 0)
        FROM d""", tenant=tenant, pipeline=pipeline, start=start,
    )  # fmt: skip
    return (
        won,
        lost,
        float(value),
        None if cycle is None else float(cycle),
        active,
        float(active_value),
    )


def closed_in(
    stack: Stack, tenant: str, start: datetime, end: datetime, owner: str | None = None,
    pipelines: Sequence[str] | None = None,
) -> tuple[float, int, int]:  # fmt: skip
    """(WON value, WON deals, LOST deals) closed in [start, end), of the owner and pipelines."""
    ((value, won, lost),) = rows(stack, """
        SELECT coalesce(sum(value) FILTER (WHERE status = 'WON'), 0),
               count(*) FILTER (WHERE status = 'WON'), count(*) FILTER (WHERE status = 'LOST')
        FROM deals WHERE tenant_id = :tenant
          AND actual_close_date >= :start AND actual_close_date < :end
          AND (CAST(:owner AS uuid) IS NULL OR owner_id = CAST(:owner AS uuid))
          AND (CAST(:all AS boolean) OR pipeline_id::text = ANY(CAST(:pipelines AS text[])))""",
        tenant=tenant, start=start, end=end, owner=owner, all=pipelines is None,
        pipelines=list(pipelines or ()),
    )  # fmt: skip
    return float(value), won, lost


def top_performers(
    stack: Stack, tenant: str, start: datetime, end: datetime, owner: str | None,
    pipelines: Sequence[str] | None,
) -> list[tuple[str, float, int]]:  # fmt: skip
    return [(str(u), float(v), n) for u, v, n in rows(stack, """
        SELECT owner_id, sum(value), count(*) FROM deals
        WHERE tenant_id = :tenant AND status = 'WON' AND owner_id IS NOT NULL
          AND actual_close_date >= :start AND actual_close_date < :end
          AND (CAST(:owner AS uuid) IS NULL OR owner_id = CAST(:owner AS uuid))
          AND (CAST(:all AS boolean) OR pipeline_id::text = ANY(CAST(:pipelines AS text[])))
        GROUP BY owner_id ORDER BY sum(value) DESC, count(*) DESC, owner_id::text LIMIT 10""",
        tenant=tenant, start=start, end=end, owner=owner, all=pipelines is None,
        pipelines=list(pipelines or ()),
    )]  # fmt: skip


def stage_metrics(
    stack: Stack, tenant: str, start: datetime, end: datetime, now: datetime,
    owner: str | None, pipelines: Sequence[str] | None,
) -> dict[str, tuple[int, float, float]]:  # fmt: skip
    """stage id -> (deals of the filter with a stay overlapping [start, end), their value,
    the average days of those stays)."""
    return {str(s): (n, float(v), float(avg)) for s, n, v, avg in rows(stack, STAYS + f"""
        , overlapping AS (
          SELECT s.*, {DAYS} AS days FROM stays s JOIN deals d ON d.id = s.deal_id
          WHERE s.entered_at < :end AND s.left_at >= :start
            AND (CAST(:owner AS uuid) IS NULL OR d.owner_id = CAST(:owner AS uuid))
            AND (CAST(:all AS boolean)
                 OR d.pipeline_id::text = ANY(CAST(:pipelines AS text[]))))
        SELECT o.stage_id, count(DISTINCT o.deal_id),
               (SELECT sum(d.value) FROM deals d WHERE d.id IN (
                  SELECT o2.deal_id FROM overlapping o2 WHERE o2.stage_id = o.stage_id)),
               avg(o.days)
        FROM overlapping o GROUP BY o.stage_id""",
        tenant=tenant, start=start, end=end, now=now, owner=owner, all=pipelines is None,
        pipelines=list(pipelines or ()),
    )}  # fmt: skip


def open_pipeline(stack: Stack, tenant: str, owner: str | None) -> tuple[int, float, float]:
    """(ACTIVE deals, their value, value x probability / 100 to the cent) of the owner."""
    ((n, value, weighted),) = rows(stack, """
        SELECT count(*), coalesce(sum(value), 0),
               round(coalesce(sum(value * probability / 100), 0), 2)
        FROM deals WHERE tenant_id = :tenant AND status = 'ACTIVE'
          AND (CAST(:owner AS uuid) IS NULL OR owner_id = CAST(:owner AS uuid))""",
        tenant=tenant, owner=owner,
    )  # fmt: skip
    return n, float(value), float(weighted)


def open_by_stage(stack: Stack, tenant: str) -> list[tuple[str, float]]:
    """ACTIVE value in each stage of the tenant's oldest pipeline, stages in order."""
    return [(name, float(v)) for name, v in rows(stack, """
        SELECT s.name, coalesce((SELECT sum(value) FROM deals d
                                 WHERE d.stage_id = s.id AND d.status = 'ACTIVE'), 0)
        FROM pipeline_stages s WHERE s.pipeline_id = (
          SELECT id FROM pipelines WHERE tenant_id = :tenant ORDER BY created_at, id LIMIT 1)
        ORDER BY s.position, s.id""", tenant=tenant,
    )]  # fmt: skip


def revenue_by_month(stack: Stack, tenant: str, first: datetime, end: datetime) -> dict[str, float]:
    """WON value per calendar month (YYYY-MM) closed in [first, end)."""
    return {label: float(v) for label, v in rows(stack, """
        SELECT to_char(actual_close_date AT TIME ZONE 'UTC', 'YYYY-MM'), sum(value) FROM deals
        WHERE tenant_id = :tenant AND status = 'WON'
          AND actual_close_date >= :first AND actual_close_date < :end GROUP BY 1""",
        tenant=tenant, first=first, end=end,
    )}  # fmt: skip


BANDS = """
  CASE WHEN d.value >= 100000 THEN 3 WHEN d.value >= 50000 THEN 2 WHEN d.value >= 10000 THEN 1
       ELSE 0 END AS value_band,
  CASE WHEN a.n >= 3 THEN 2 WHEN a.n >= 1 THEN 1 ELSE 0 END AS activity_band"""
ACTIVITIES = """
  activities AS (
    SELECT related_id, count(*) AS n FROM (
      SELECT related_id FROM tasks WHERE tenant_id = :tenant AND related_type = 'DEAL'
      UNION ALL SELECT related_id FROM events WHERE tenant_id = :tenant AND related_type = 'DEAL'
      UNION ALL SELECT related_id FROM communications
                WHERE tenant_id = :tenant AND related_type = 'DEAL') x
    GROUP BY related_id)"""


def deal_facts(stack: Stack, tenant: str, deal: str, now: datetime) -> tuple[Any, ...]:
    """(pipeline, stage, stage probability, status, value, value band, activities, activity
    band, whole days since it entered its stage) of a deal."""
    ((row),) = rows(stack, f"WITH {ACTIVITIES}" + f"""
        SELECT d.pipeline_id::text, d.stage_id::text, s.probability, d.status, d.value,
               coalesce(a.n, 0), {BANDS},
               greatest(0, floor(EXTRACT(EPOCH FROM CAST(:now AS timestamptz)
                                         - d.stage_entered_at) / 86400))::int
        FROM deals d JOIN pipeline_stages s ON s.id = d.stage_id
        LEFT JOIN activities a ON a.related_id = d.id
        WHERE d.tenant_id = :tenant AND d.id = CAST(:deal AS uuid)""",
        tenant=tenant, deal=deal, now=now,
    )  # fmt: skip
    return tuple(row)


def win_cohort(
    stack: Stack, tenant: str, pipeline: str, stage: str, value_band: int, activity_band: int,
    floor_days: int,
) -> tuple[int, int, int, int, float | None, float | None]:  # fmt: skip
    """Of the pipeline's closed deals that reached the stage (a recorded entry into it): (won,
    lost, similar won, similar lost, the won ones' average days in the stage, all their stays
    there added up, and their average activities). Similar: the same value and activity
    bands, and a days band (0-13, 14-29, 30-59, 60+) starting at floor_days or later."""
    ((row),) = rows(stack, STAYS + f", {ACTIVITIES}" + f"""
        , in_stage AS (
          SELECT s.deal_id, sum({DAYS}) AS days FROM stays s
          WHERE s.stage_id = CAST(:stage AS uuid) GROUP BY s.deal_id)
        , reached AS (
          SELECT d.id, d.status = 'WON' AS won, coalesce(a.n, 0) AS activities, {BANDS},
                 coalesce(i.days, 0) AS days
          FROM deals d LEFT JOIN activities a ON a.related_id = d.id
          LEFT JOIN in_stage i ON i.deal_id = d.id
          WHERE d.tenant_id = :tenant AND d.pipeline_id = CAST(:pipeline AS uuid)
            AND d.status IN ('WON', 'LOST')
            AND EXISTS (SELECT 1 FROM deal_stage_changes c WHERE c.deal_id = d.id
                        AND c.to_stage_id = CAST(:stage AS uuid)))
        , alike AS (
          SELECT * FROM reached WHERE value_band = :value_band
            AND activity_band = :activity_band
            AND CASE WHEN days >= 60 THEN 60 WHEN days >= 30 THEN 30 WHEN days >= 14 THEN 14
                     ELSE 0 END >= :floor_days)
        SELECT (SELECT count(*) FROM reached WHERE won), (SELECT count(*) FROM reached
                                                          WHERE NOT won),
               (SELECT count(*) FROM alike WHERE won), (SELECT count(*) FROM alike
                                                          WHERE NOT won),
               (SELECT avg(days) FROM reached WHERE won),
               (SELECT avg(activities) FROM reached WHERE won)""",
        tenant=tenant, pipeline=pipeline, stage=stage, value_band=value_band,
        activity_band=activity_band, floor_days=floor_days, now=datetime.now(UTC),
    )  # fmt: skip
    won, lost, sim_won, sim_lost, days, acts = row
    return (won, lost, sim_won, sim_lost, None if days is None else float(days),
            None if acts is None else float(acts))  # fmt: skip
