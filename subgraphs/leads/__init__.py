"""leads subgraph: owns Lead."""
