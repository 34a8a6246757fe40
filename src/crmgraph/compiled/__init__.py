"""The compiled read path (issue 16): a subgraph operation translated into one PostgreSQL
statement that builds the JSON answer in the database, sent back as the bytes it returns.

documents  parse and validate a document once; the operation and its fragments
selection  the fields a selection set asks for (aliases, fragments, @skip/@include merged)
jsontext   SQL expressions that render values exactly as the resolver path's JSON does
plan       compile an operation into a Plan, cached per document, operation, the variables'
           shapes and the caller's permissions; run it
fields     what object types share: columns, another subgraph's key, a provided entity
filters    a filter argument as WHERE text (the resolvers' own predicates)
roots      the root fields of one entity's table: by id, the connection, _entities
deal_*, contact_*, account_*
           each subgraph's fields (<type>_fields) and its roots (<type>_roots): deal, deals,
           contact, contacts, account, accounts and _entities of Deal, Contact, Account
hook       the ASGI front of a subgraph's /graphql: the compiled answer or Strawberry's

Whatever the compiler does not know (a field, an argument, an error to raise) makes the whole
operation go to the resolvers, which stay the reference: the two never mix in one answer.
"""
