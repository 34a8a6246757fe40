"""The native router's rate-limit coprocessor: which expensive root fields a request names,
and how Hive Router is told to call it."""

from __future__ import annotations

import pytest

from crmgraph.coprocessor.limits import expensive_fields
from crmgraph.native_router import ConfigError
from tests.unit.test_native_router import config

LIMITED = {"searchContacts": 100, "salesReport": 20}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"query": '{ searchContacts(query: "a") { id } }'}, ["searchContacts"]),
        ({"query": "query { ...F } fragment F on Query { salesReport { id } }"}, ["salesReport"]),
        (
            {
                "query": "query A { deals { id } } query B { salesReport { id } }",
                "operationName": "A",
            },
            [],
        ),
        ({"query": "{ deals(searchContacts: 1) { totalCount } }"}, []),  # a name, not a field
        ({"query": "{ searchContacts("}, []),  # the router answers the syntax error
        ("not the stage's object", []),
    ],
)
def test_the_expensive_fields_a_request_selects(body: object, fields: list[str]) -> None:
    assert expensive_fields(body, LIMITED) == fields


def test_the_router_asks_the_coprocessor_once_per_graphql_request() -> None:
    found = config(CRMGRAPH_COPROCESSOR_SOCKET="/run/c.sock")

    assert found["coprocessor"]["url"] == "unix:///run/c.sock"
    assert found["coprocessor"]["stages"] == {"graphql": {"request": {"include": {
        "headers": True, "body": ["query", "operationName"]}}}}  # fmt: skip
    copied = [r["insert"] for r in found["headers"]["all"]["response"]
              if r["insert"]["name"].startswith("x-ratelimit-")]  # fmt: skip
    assert copied == [
        {"name": n, "expression": f'.request.headers."{n}"'}
        for n in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
    ]


def test_no_coprocessor_without_a_socket_or_with_limits_off() -> None:
    assert "coprocessor" not in config()
    off = config(CRMGRAPH_COPROCESSOR_SOCKET="/run/c.sock", CRMGRAPH_RATE_LIMITS_ENABLED="false")
    assert "coprocessor" not in off


def test_a_relative_socket_path_is_refused() -> None:
    with pytest.raises(ConfigError, match="absolute"):
        config(CRMGRAPH_COPROCESSOR_SOCKET="run/c.sock")
