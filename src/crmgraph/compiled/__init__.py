"""The compiled read path (issue 16): a subgraph operation translated into one PostgreSQL
statement that builds the JSON answer in the database, sent back as the bytes it returns.

documents  parse and validate a document once; the operation and its fragments
selection  the fields a selection set asks for (aliases, fragments, @skip/@include merged)
jsontext   SQL expressions that render values exactly as the resolver path's JSON does
plan       compile an operation into a Plan, cached per document, operation, the variables'
           shapes and the caller's permissions; run it
deals      the deals subgraph's fields and root fields (deal, deals, _entities of Deal)
hook       the ASGI front of a subgraph's /graphql: the compiled answer or Strawberry's

Whatever the compiler does not know (a field, an argument, an error to raise) makes the whole
operation go to the resolvers, which stay the reference: the two never mix in one answer.
"""
