"""X-Request-ID on every answer of the running REST shim: a sane incoming id is echoed (and is
the envelope's meta.requestId), anything else replaced by a new one; routes, errors, the body
limit's 413, the rate limiter's 429 and CORS preflights all carry one; each request's log line
names it."""

from __future__ import annotations

import logging
import re
import uuid

import httpx
import pytest

from tests.e2e.test_rate_limits import limited_rest  # noqa: F401 (a fixture)
from tests.stack import Stack

GENERATED = re.compile(r"req_[0-9a-f]{16}")
LIMIT = 1_048_576


@pytest.mark.parametrize("given", ["trace-1234abcd", "0af7651916cd43dd8448eb211c80319c",
                                   "req_abc.def:42", "x" * 128])  # fmt: skip
def test_a_sane_request_id_is_echoed_and_is_the_envelopes(stack: Stack, given: str) -> None:
    response = httpx.get(f"{stack.rest_url}/health", headers={"x-request-id": given})

    assert response.headers["x-request-id"] == given
    assert response.json()["meta"]["requestId"] == given


@pytest.mark.parametrize("given", ["x" * 129, "two words", "<script>", "a;b", "", "id\\n"])
def test_an_unsafe_request_id_is_replaced_by_a_new_one(stack: Stack, given: str) -> None:
    response = httpx.get(f"{stack.rest_url}/health", headers={"x-request-id": given})

    assert GENERATED.fullmatch(response.headers["x-request-id"])
    assert response.json()["meta"]["requestId"] == response.headers["x-request-id"]


def test_every_kind_of_answer_carries_a_request_id(stack: Stack) -> None:
    url = stack.rest_url
    answers = {
        "route": httpx.get(f"{url}/openapi.json"),
        "no route": httpx.get(f"{url}/no/such/page"),
        "no credentials": httpx.get(f"{url}/health/details"),
        "bad credentials": httpx.get(f"{url}/metrics", headers={"authorization": "Bearer x"}),
        "too large": httpx.post(
            f"{url}/api-keys", content=b"x" * (LIMIT + 1),
            headers={"content-type": "application/json"}, timeout=30,
        ),
        "preflight": httpx.options(f"{url}/api-keys", headers={
            "origin": "https://app.example.com", "access-control-request-method": "POST"}),
    }  # fmt: skip

    assert answers["too large"].status_code == 413
    assert answers["bad credentials"].status_code == 401
    ids = {what: response.headers.get("x-request-id") for what, response in answers.items()}
    assert all(i is not None and GENERATED.fullmatch(i) for i in ids.values()), ids
    assert len(set(ids.values())) == len(ids)
    assert answers["too large"].json()["meta"]["requestId"] == ids["too large"]


def test_a_rate_limited_answer_echoes_the_request_id(
    stack: Stack,
    tenant: str,
    limited_rest: str,  # noqa: F811
) -> None:
    headers = {"authorization": f"Bearer {stack.token(tenant)}", "x-request-id": "client-7"}
    for _ in range(20):
        response = httpx.delete(f"{limited_rest}/api-keys/{uuid.uuid4()}", headers=headers)
        if response.status_code == 429:
            break

    assert response.status_code == 429
    assert response.headers["x-request-id"] == "client-7"


def test_each_request_is_logged_with_its_id(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="crmgraph.rest.requests")
    key = "00000000-0000-4000-8000-000000000001"
    httpx.delete(f"{stack.rest_url}/api-keys/{key}", headers={"x-request-id": "logged-1"})
    unsafe = httpx.get(f"{stack.rest_url}/metrics", headers={"x-request-id": "a b"})

    security = [r.getMessage() for r in caplog.records if r.name == "crmgraph.security"]
    assert any(f'"request_id": "{unsafe.headers["x-request-id"]}"' in m for m in security)
    assert not any('"request_id": "a b"' in m for m in security)

    lines = [r.getMessage() for r in caplog.records if r.name == "crmgraph.rest.requests"]
    assert "DELETE /api-keys/{key_id} 401" in " ".join(lines)
    (line,) = [line for line in lines if "request_id=logged-1" in line]
    assert line.startswith("DELETE /api-keys/{key_id} 401 ")
    assert key not in line
