"""accounts subgraph: owns Account (companies and their parent/child hierarchy)."""
