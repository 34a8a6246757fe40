"""Which subgraphs exist, where each listens, and how to load its schema and app (each
subgraph's app.py)."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from starlette.types import ASGIApp
from strawberry.federation import Schema

if TYPE_CHECKING:  # the CLI reads NAMES without loading the runtime
    from crmgraph.runtime import Runtime

# The router's composition (router-config/compose.mjs) uses the same default ports.
PORTS: dict[str, int] = {
    "contacts": 4001,
    "deals": 4002,
    "leads": 4003,
    "accounts": 4004,
    "activities": 4005,
    "pipelines": 4006,
}
NAMES = tuple(PORTS)


def _app_module(name: str) -> ModuleType:
    if name not in PORTS:
        raise ValueError(f"unknown subgraph {name!r}; expected one of {', '.join(NAMES)}")
    return importlib.import_module(f"subgraphs.{name}.app")


def load_schema(name: str) -> Schema:
    schema: Schema = _app_module(name).schema
    return schema


def create_app(name: str, runtime: Runtime) -> ASGIApp:
    """The subgraph's ASGI app on runtime (subgraphs/<name>/app.py's create_app)."""
    app: ASGIApp = _app_module(name).create_app(runtime)
    return app
