"""The benchmark data set's generation rules, without a database: sizes, reproducibility,
row shapes against the COPY columns, references and each deal's stage history."""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

import pytest

from crmgraph.dataset import COLUMNS
from crmgraph.dataset_rows import FULL, STAGES, Generator, Row, sizes


def generate(scale: float = 0.001, seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows as dicts keyed by the COPY column names."""
    tables: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for table, rows in Generator(scale, seed).tables():
        tables[table] += [dict(zip(COLUMNS[table], row, strict=True)) for row in rows]
    return tables


def test_scale_one_is_the_full_data_set_and_small_scales_keep_one_of_each() -> None:
    assert sizes(1.0) == FULL
    tiny = sizes(0.000001)
    assert tiny == dict.fromkeys(FULL, 1)
    assert sizes(0.05)["tenants"] == 5
    assert sizes(0.5)["deals"] == 100_000


def test_tenants_option_puts_the_same_counts_in_fewer_tenants() -> None:
    assert sizes(1.0, tenants=1) == {**FULL, "tenants": 1}
    assert sizes(0.02)["tenants"] == 2
    deals = [row for table, rows in Generator(0.02, 7, tenants=1).tables()
             if table == "deals" for row in rows]  # fmt: skip
    assert len(deals) == sizes(0.02)["deals"]
    assert {row[1] for row in deals} == {"bench00"}
    with pytest.raises(ValueError, match="at least 1"):
        sizes(1.0, tenants=0)


def test_same_seed_gives_same_rows() -> None:
    def first_rows(seed: int) -> list[list[Row]]:
        return [rows[:3] for _, rows in Generator(0.001, seed=seed).tables()]

    assert first_rows(7) == first_rows(7)
    assert first_rows(7) != first_rows(8)


def test_every_row_fills_its_copy_columns() -> None:
    for table, rows in Generator(0.001, seed=1).tables():
        assert table in COLUMNS
        assert {len(row) for row in rows} <= {len(COLUMNS[table])}, table


def test_rows_refer_only_to_rows_of_their_tenant_generated_before() -> None:
    t = generate()
    ids = {name: {r["id"]: r["tenant_id"] for r in rows} for name, rows in t.items()}
    references = [
        ("pipeline_stages", "pipeline_id", "pipelines"),
        ("accounts", "parent_account_id", "accounts"),
        ("contacts", "account_id", "accounts"),
        ("deals", "contact_id", "contacts"),
        ("deals", "account_id", "accounts"),
        ("deals", "stage_id", "pipeline_stages"),
        ("deals", "pipeline_id", "pipelines"),
        ("deal_stage_changes", "deal_id", "deals"),
    ]
    for table, column, target in references:
        for row in t[table]:
            if row[column] is not None:
                assert ids[target][row[column]] == row["tenant_id"], (table, column)
    for table in ("tasks", "events", "communications"):
        for row in t[table]:
            target = "deals" if row["related_type"] == "DEAL" else "contacts"
            assert ids[target][row["related_id"]] == row["tenant_id"]


def test_each_deal_history_is_one_chain_ending_at_its_stage() -> None:
    t = generate()
    history: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for change in t["deal_stage_changes"]:
        history[change["deal_id"]].append(change)
    stages = {s["id"]: s for s in t["pipeline_stages"]}

    for deal in t["deals"]:
        chain = history[deal["id"]]
        assert chain[0]["from_stage_id"] is None and chain[0]["reason"] == "created"
        for before, after in itertools.pairwise(chain):
            assert after["from_stage_id"] == before["to_stage_id"]
            assert after["created_at"] > before["created_at"]
        assert chain[-1]["to_stage_id"] == deal["stage_id"]
        assert deal["stage_entered_at"] == chain[-1]["created_at"]
        positions = [stages[c["to_stage_id"]]["position"] for c in chain]
        if deal["status"] == "LOST":  # from an open stage straight to Closed Lost
            assert positions[-1] == len(STAGES) and positions[-2] < len(STAGES) - 1
            assert {stages[c["to_stage_id"]]["probability"] for c in chain[:-1]} <= set(
                range(1, 100)
            )
            positions = positions[:-1]
        assert positions == list(range(1, len(positions) + 1))
        assert {stages[c["to_stage_id"]]["pipeline_id"] for c in chain} == {deal["pipeline_id"]}


@pytest.mark.parametrize(("stage", "probability"), STAGES)
def test_a_deal_status_follows_its_stage_probability(stage: str, probability: int) -> None:
    status = {100: "WON", 0: "LOST"}.get(probability, "ACTIVE")
    deals = [d for d in generate(0.002)["deals"] if d["probability"] == probability]

    assert deals, stage
    assert {d["status"] for d in deals} == {status}
    assert {d["actual_close_date"] is not None for d in deals} == {status != "ACTIVE"}


def test_each_tenant_has_two_pipelines_with_the_standard_stages() -> None:
    t = generate()
    for tenant in {p["tenant_id"] for p in t["pipelines"]}:
        pipelines = [p for p in t["pipelines"] if p["tenant_id"] == tenant]
        assert len(pipelines) == 2
        for pipeline in pipelines:
            stages = [s for s in t["pipeline_stages"] if s["pipeline_id"] == pipeline["id"]]
            assert [(s["name"], s["probability"]) for s in stages] == list(STAGES)
