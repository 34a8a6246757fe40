"""Authentication (tokens, API keys) and authorization (roles, permissions, ownership)."""

from crmgraph.auth.headers import issue_token, scope_from_headers

__all__ = ["issue_token", "scope_from_headers"]
