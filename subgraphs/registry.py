"""Which subgraphs exist, where each listens, and how to load its schema."""

from __future__ import annotations

import importlib

from strawberry.federation import Schema

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


def load_schema(name: str) -> Schema:
    if name not in PORTS:
        raise ValueError(f"unknown subgraph {name!r}; expected one of {', '.join(NAMES)}")
    module = importlib.import_module(f"subgraphs.{name}.schema")
    schema: Schema = module.schema
    return schema
