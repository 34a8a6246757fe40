"""crmgraph: the shared core of the federated CRM GraphQL API."""

__version__ = "0.1.0"
