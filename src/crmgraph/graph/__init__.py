"""Graph questions (hierarchy, attribution) behind one port with Neo4j and SQL adapters."""
