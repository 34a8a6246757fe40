"""The shared loader mechanism (base.py). Each subgraph's loaders live in its own
subgraphs/<name>/loaders.py; subgraphs.loaders.Loaders gathers them for one request."""

from __future__ import annotations

from crmgraph.loaders.base import MISSING, ChildPage, Loader

__all__ = ["MISSING", "ChildPage", "Loader"]
