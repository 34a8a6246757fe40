"""The Zoho One modules /webhooks/zoho/{module} accepts (000's list)."""

from __future__ import annotations

MODULES: tuple[str, ...] = (
    "crm", "desk", "projects", "books", "people", "expense", "campaigns", "cliq", "analytics",
)  # fmt: skip
