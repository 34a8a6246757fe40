"""deals subgraph: owns Deal and adds Contact.deals and Account.deals."""
