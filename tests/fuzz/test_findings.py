"""What the fuzzers found, one minimal case each (README, Reliability: fuzzing): each was a
500 or a refusal outside the documented format before its fix."""

from __future__ import annotations

import gzip
import json

import httpx

from tests.fuzz.refusals import check_answer
from tests.stack import Stack

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id } } }"


def to_subgraph(stack: Stack, tenant: str, body: bytes, content_type: str) -> httpx.Response:
    """As the router would send it: with its secret and a caller's token."""
    headers = {"x-router-secret": stack.router_secret, "content-type": content_type,
               "authorization": f"Bearer {stack.token(tenant)}"}  # fmt: skip
    return httpx.post(stack.subgraph_url("contacts"), content=body, headers=headers, timeout=30)


def checked(response: httpx.Response) -> dict[str, object]:
    parsed = check_answer(response.status_code, response.headers, response.content)
    assert isinstance(parsed, dict)
    return parsed


def codes(body: dict[str, object]) -> list[object]:
    return [e["extensions"]["code"] for e in body["errors"]]  # type: ignore[attr-defined,index]


def test_entities_of_a_type_the_subgraph_does_not_own_are_a_validation_error(
    stack: Stack, tenant: str
) -> None:
    """Was INTERNAL_SERVER_ERROR (a KeyError in the entities resolver). The other
    representations of the same request still resolve."""
    refs = [{"__typename": "Deal", "id": "x"}, {"__typename": "Contact", "id": "x"}, "a string"]
    body = {"query": ENTITIES, "variables": {"r": refs}}
    answer = checked(to_subgraph(stack, tenant, json.dumps(body).encode(), "application/json"))
    assert answer["data"] == {"_entities": [None, None, None]}, answer
    errors = answer["errors"]
    assert codes(answer) == ["VALIDATION_ERROR", "VALIDATION_ERROR"], answer
    assert [e["extensions"]["field"] for e in errors] == [  # type: ignore[attr-defined]
        "representations.0.__typename",
        "representations.2.__typename",
    ]


def test_a_json_body_that_is_no_object_is_a_bad_request(stack: Stack, tenant: str) -> None:
    """`null` was a 500 (Strawberry called .get on it)."""
    answer = to_subgraph(stack, tenant, b"null", "application/json")
    assert answer.status_code == 400
    assert codes(checked(answer)) == ["BAD_REQUEST"]


def test_a_body_that_is_not_utf8_is_a_bad_request(stack: Stack, tenant: str) -> None:
    """A gzip-encoded body (subgraphs do not inflate) was a 500: UnicodeDecodeError."""
    answer = to_subgraph(stack, tenant, gzip.compress(b'{"query": "{ __typename }"}'),
                         "application/json")  # fmt: skip
    assert answer.status_code == 400
    assert codes(checked(answer)) == ["BAD_REQUEST"]


def test_another_content_type_is_refused_in_the_graphql_error_format(
    stack: Stack, tenant: str
) -> None:
    """Was plain text "Unsupported content type"."""
    answer = to_subgraph(stack, tenant, b"{ __typename }", "text/plain")
    assert answer.status_code == 400
    assert codes(checked(answer)) == ["BAD_REQUEST"]


def test_variables_that_do_not_fit_the_schema_are_refused_with_a_code(
    stack: Stack, tenant: str
) -> None:
    """graphql-js's refusals of variables reached clients without extensions.code."""
    cases = [
        ("query($v: ID!) { deal(id: $v) { id } }", {"v": None}),
        ("query($n: Int) { deals(first: $n) { totalCount } }", {"n": 2**31}),
    ]
    for query, variables in cases:
        answer = stack.graphql(query, variables, tenant=tenant)
        assert answer.status_code == 400, answer.text
        assert codes(checked(answer)) == ["BAD_USER_INPUT"], answer.text
