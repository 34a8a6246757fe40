"""Relational storage: models, engine, tenancy scoping and migrations."""
