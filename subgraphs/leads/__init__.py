"""leads subgraph: owns Lead and adds Contact.leadSource."""
