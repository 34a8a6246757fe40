"""Nothing of ours imports a library's private modules or names (`broadcaster._base`,
`from aiodataloader import _x`): those change without notice in any release. Our own
packages may import their own private names."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("src", "subgraphs", "tests", "bench")
OURS = {"crmgraph", "subgraphs", "tests", "bench"}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, what) for each import of a private module or name from another package."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] not in OURS and any(is_private(p) for p in parts[1:]):
                    yield node.lineno, f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] in OURS or parts[0] == "__future__":
                continue
            names = [alias.name for alias in node.names]
            if any(is_private(p) for p in parts[1:]) or any(is_private(n) for n in names):
                yield node.lineno, f"from {node.module} import {', '.join(names)}"


def test_the_check_sees_private_imports() -> None:
    source = "from broadcaster._base import Subscriber\nimport a.b._c\nfrom x import _y, z\n"
    found = [what for _, what in private_imports(ast.parse(source))]

    assert found == [
        "from broadcaster._base import Subscriber",
        "import a.b._c",
        "from x import _y, z",
    ]
    assert list(private_imports(ast.parse("from crmgraph.x import _y\nimport os.path\n"))) == []


def test_no_private_imports_from_libraries() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for top in SCANNED
        for path in sorted((ROOT / top).rglob("*.py"))
        if "node_modules" not in path.parts
        for line, what in private_imports(ast.parse(path.read_text(), str(path)))
    ]

    assert found == []
