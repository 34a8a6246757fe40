"""activities subgraph: owns Task, Event and Communication (the Activity union)."""
