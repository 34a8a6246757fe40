"""The models package: every mapped class is re-exported, so `models.X` and Alembic's
`Base.metadata` (db/migrations/env.py) see every table, wherever its module is."""

from __future__ import annotations

import pkgutil

from crmgraph.db import models


def test_every_mapped_class_is_exported_by_the_package() -> None:
    mapped = {mapper.class_ for mapper in models.Base.registry.mappers}

    assert {m.__name__ for m in mapped} <= set(models.__all__)
    assert all(getattr(models, m.__name__) is m for m in mapped)


def test_every_module_of_the_package_is_imported_by_it() -> None:
    """A model in a module the package does not import would be missing from the migrations'
    metadata (and from `models.X`)."""
    modules = {info.name for info in pkgutil.iter_modules(models.__path__)}

    tables_by_module = {
        mapper.class_.__module__.rsplit(".", 1)[-1] for mapper in models.Base.registry.mappers
    }

    assert modules - {"base"} == tables_by_module


def test_every_table_has_its_model() -> None:
    tables = {mapper.local_table.name for mapper in models.Base.registry.mappers}

    assert tables == set(models.Base.metadata.tables)
    assert {"deals", "outbox_events", "api_keys", "tasks"} <= tables
