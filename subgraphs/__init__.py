"""The six federation subgraphs. Every subgraphs/<name>/ holds the same files, so that
knowing one subgraph is knowing where everything is in all of them:

    app.py            the assembly: `schema` (its federation schema) and
                      `create_app(runtime)`, which subgraphs.registry loads
    types.py          its GraphQL object types, its own and those it extends
                      (a types/ package when large: deals, activities)
    inputs.py         every input type a client sends: filters, sorts, mutation inputs
    queries.py        `Query`
    mutations.py      `Mutation` and its payload types
    subscriptions.py  `Subscription`: live changes of the domain's events
    loaders.py        its dataloaders (the shared mechanism is crmgraph.loaders.base;
                      subgraphs.loaders.Loaders gathers all six for a request)

Other modules are named for what they hold (accounts/api_keys.py, accounts/webhooks.py,
activities/feed.py, activities/enums.py, pipelines/automation.py).
tests/unit/test_subgraph_layout.py checks the set."""
