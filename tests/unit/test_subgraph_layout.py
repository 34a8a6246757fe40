"""Every subgraph has the same file set (subgraphs/__init__.py lists it), each file
defining what the set says it does, and every subgraph directory is a registered one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from subgraphs.registry import NAMES, load_schema

SUBGRAPHS = Path(__file__).resolve().parents[2] / "subgraphs"
# file: the top-level names it must define
FILE_SET = {
    "__init__.py": (),
    "app.py": ("schema", "create_app"),
    "inputs.py": (),
    "queries.py": ("Query",),
    "mutations.py": ("Mutation",),
    "subscriptions.py": ("Subscription",),
    "loaders.py": (),
}


def defined(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def missing(folder: Path) -> list[str]:
    """What folder lacks of the file set, as `file` or `file: name`."""
    lacking = []
    for file, names in FILE_SET.items():
        path = folder / file
        if not path.is_file():
            lacking.append(file)
            continue
        lacking.extend(f"{file}: {name}" for name in names if name not in defined(path))
    if not ((folder / "types.py").is_file() or (folder / "types" / "__init__.py").is_file()):
        lacking.append("types.py or types/")
    return lacking


def test_the_check_sees_a_missing_file_and_name(tmp_path: Path) -> None:
    for file in FILE_SET:
        (tmp_path / file).write_text("")
    (tmp_path / "queries.py").write_text("class Query: ...\n")
    (tmp_path / "subscriptions.py").unlink()

    assert missing(tmp_path) == [
        "app.py: schema",
        "app.py: create_app",
        "mutations.py: Mutation",
        "subscriptions.py",
        "types.py or types/",
    ]


@pytest.mark.parametrize("name", NAMES)
def test_subgraph_has_the_file_set(name: str) -> None:
    assert missing(SUBGRAPHS / name) == []


@pytest.mark.parametrize("name", NAMES)
def test_subgraph_schema_has_every_root_type(name: str) -> None:
    """queries.py, mutations.py and subscriptions.py are all part of the assembled schema."""
    schema = load_schema(name)

    assert None not in (schema.query, schema.mutation, schema.subscription)


def test_every_subgraph_folder_is_registered() -> None:
    folders = {p.name for p in SUBGRAPHS.iterdir() if (p / "__init__.py").is_file()}

    assert folders == set(NAMES)
