"""schema/ is generated: it must equal what the code and the composer produce now."""

from __future__ import annotations

import subprocess
from pathlib import Path

from subgraphs.registry import NAMES, load_schema


def test_subgraph_sdl_matches_code(root: Path) -> None:
    stale = [
        name
        for name in NAMES
        if (root / "schema" / f"{name}.graphql").read_text() != load_schema(name).as_str() + "\n"
    ]

    assert stale == [], f"run `make schema`: {stale} differ from the code"


def test_supergraph_matches_composition(root: Path) -> None:
    result = subprocess.run(
        ["node", "compose.mjs", "--check"],
        cwd=root / "router-config",
        capture_output=True,
        text=True,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin"},
    )

    assert result.returncode == 0, f"run `make schema`: {result.stdout}{result.stderr}"
