"""Authentication (tokens, API keys) and authorization (roles, permissions, ownership)."""
