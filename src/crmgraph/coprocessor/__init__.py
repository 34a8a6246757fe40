"""Hive Router's coprocessor: the rate limits the native router (crmgraph.native_router) has
not got, answered from Python with the REST shim's limiter (rest/rate_limit.py: the same Lua
script, Redis keys and tiers as Hive Gateway's router-config/rate-limit.ts).

The router calls its `graphql.request` stage once per GraphQL request (after parsing and
validation), over a unix socket (HTTP/1.1), with the request's headers and operation; the
answer lets the request continue with X-RateLimit-* added to its headers (the router's
response header rules copy them onto the answer) or breaks it with our 429 or 401. Run it
beside the router:

    python -m crmgraph.coprocessor --socket /run/crmgraph/coprocessor.sock
"""
