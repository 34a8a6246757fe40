"""The six federation subgraphs; each package builds one Strawberry schema and app."""
