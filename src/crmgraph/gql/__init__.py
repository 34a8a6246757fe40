"""GraphQL helpers shared by the subgraphs: context, errors, connections, schema, app."""
