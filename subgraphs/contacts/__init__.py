"""contacts subgraph: owns Contact and adds Account.contacts."""
