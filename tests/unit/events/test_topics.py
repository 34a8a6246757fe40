"""Topic names are written in one place: crmgraph.events.topics."""

from __future__ import annotations

import re
from pathlib import Path

from crmgraph.events.states import MODELS, ApiKeyState
from crmgraph.events.topics import Topic

ROOT = Path(__file__).parents[3]
# Migrations are history: they keep the names of their day, whatever Topic says later.
MIGRATIONS = ROOT / "src/crmgraph/db/migrations"
QUOTED = re.compile(r"""["']([a-z_]+\.[a-z_]+)["']""")


def test_no_topic_name_is_written_outside_the_topics_module() -> None:
    names = {t.value for t in Topic}
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for folder in ("src", "subgraphs")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != ROOT / "src/crmgraph/events/topics.py" and MIGRATIONS not in path.parents
        for name in QUOTED.findall(path.read_text())
        if name in names
    ]

    assert found == []


def test_each_state_has_its_rows_columns() -> None:
    for state, model in MODELS.items():
        columns = {c.key for c in model.__table__.columns}  # type: ignore[attr-defined]
        fields = set(state.__dataclass_fields__)
        if state is ApiKeyState:  # never the secret's hash: public fields only
            assert fields == {"id", "name", "key", "permissions"} and fields < columns
        else:
            assert fields == columns, state.__name__
