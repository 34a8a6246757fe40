"""bench/graph.py (`make bench-graph`, issue 14) on a tiny data set, so it cannot rot: it loads
a tenant, projects it into Neo4j with the project's rebuild, asks every case of both
adapters, finds every answer correct and writes the results file in its documented shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from crmgraph.config import Settings

CASES = {"children", "ancestors", "descendants", "descendants_whole_tree", "deal_value_rollup",
         "revenue_journeys", "revenue_journeys_with_open_leads", "revenue_attribution_linear",
         "revenue_attribution_time_decay", "revenue_attribution_data_driven"}  # fmt: skip
HIERARCHY = {"children", "ancestors", "descendants", "descendants_whole_tree", "deal_value_rollup"}


def test_both_adapters_answer_every_case_correctly(
    pg_settings: Settings, tenant: str, root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "graph.json"
    env = {**os.environ, "DATABASE_URL": pg_settings.database_url}
    done = subprocess.run(
        [sys.executable, "bench/graph.py", "--existing", "--tenant", tenant, "--accounts", "120",
         "--leads", "120", "--touchpoints", "500", "--repetitions", "2",
         "--attribution-repetitions", "1", "--warmup", "1", "--out", str(out)],
        cwd=root, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(out.read_text())

    assert found["passed"] is True and found["complete"] is True
    assert set(found["commit"]) == {"sha", "dirty"} and len(found["commit"]["sha"]) == 40
    assert found["data"]["rows"]["accounts"] == 120
    assert found["data"]["rows"]["touchpoints"] == 500
    assert found["projection"]["rows"] > 120
    rows = {(r["case"], r["adapter"]): r for r in found["results"]}
    assert set(rows) == {(c, a) for c in CASES for a in ("neo4j", "sql")}
    for (case, adapter), row in rows.items():
        calls = 1 if case.startswith("revenue") else 2
        assert (row["calls"], row["correct"], row["wrong"]) == (calls, calls, 0), row
        assert 0 < row["p50_ms"] <= row["p95_ms"]
        if case in HIERARCHY:  # the Neo4j adapter answers from Neo4j, the SQL one from SQL
            assert row["answered_by"] == ("neo4j" if adapter == "neo4j" else "postgresql")
        assert row["answered_by"] in {"neo4j", "postgresql", "neo4j+postgresql"}
