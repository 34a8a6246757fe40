"""Malformed HTTP against each router (tests/fuzz/conftest.py), a subgraph (with and without
the router's secret) and the REST shim, over raw sockets: truncated bodies, wrong or missing
content types, broken JSON, a gzip bomb, 10 MB bodies (declared and chunked), a slow sender.
No answer is a 5xx, every refusal is in the documented format (tests/fuzz/refusals.py), every
process stays up and within bounded memory."""

from __future__ import annotations

import json
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

import pytest

from tests.fuzz import budget
from tests.fuzz.processes import FuzzedRouter, assert_alive, bounded_memory
from tests.fuzz.refusals import check_answer
from tests.fuzz.wire import exchange
from tests.stack import Stack

TEN_MB = 10 * 1024 * 1024
#: What the bomb inflates to: far past every body limit and the RSS bound, while its gzip
#: form (about 0.5 MB) stays under the router's 1 MB limit, so the router must inflate it.
BOMB_INFLATED = 512 * 1024 * 1024


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    head: dict[str, str]
    body: bytes
    rest: bool


def targets(stack: Stack, tenant: str, router: FuzzedRouter) -> list[Target]:
    """The router; beside the stack's own router, a subgraph and the REST shim too (beside the
    other kind's they would only be sent the same requests again)."""
    query = json.dumps({"query": "{ __typename }"}).encode()
    bearer = f"Bearer {stack.token(tenant)}"
    secret = {"x-router-secret": stack.router_secret, "Authorization": bearer}
    key = json.dumps({"name": "fuzz", "permissions": ["contacts:read"]}).encode()
    fuzzed = Target(router.kind, router.url, {"Authorization": bearer}, query, rest=False)
    if not router.own:
        return [fuzzed]
    return [
        fuzzed,
        Target("subgraph", stack.subgraph_url("contacts"), secret, query, rest=False),
        Target("subgraph-unsigned", stack.subgraph_url("contacts"), {}, query, rest=False),
        Target("rest", f"{stack.rest_url}/api-keys", {"Authorization": bearer}, key, rest=True),
    ]


@cache
def gzip_bomb() -> bytes:
    """A JSON body that gzip makes about 0.5 MB of and that inflates to BOMB_INFLATED bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip container
    out = [packer.compress(b'{"query": "{ __typename }", "padding": "')]
    block = b"a" * (1024 * 1024)
    out += [packer.compress(block) for _ in range(BOMB_INFLATED // len(block))]
    out.append(packer.compress(b'"}') + packer.flush())
    return b"".join(out)


JSON = "application/json"


def cases(target: Target) -> dict[str, tuple[dict[str, str], bytes, dict[str, object]]]:
    """Name -> (headers over the target's, body, exchange() options)."""
    body = target.body
    padded = body[:-1] + b', "padding": "' + b"a" * TEN_MB + b'"}'
    return {
        "truncated": ({"Content-Type": JSON, "Content-Length": str(len(body) + 1000)}, body,
                      {"close_write": True}),
        "no content type": ({"Content-Length": str(len(body))}, body, {}),
        "text/plain": ({"Content-Type": "text/plain", "Content-Length": str(len(body))}, body, {}),
        "xml": ({"Content-Type": "application/xml", "Content-Length": "9"}, b"<a>1</a>\n", {}),
        "form": ({"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "7"},
                 b"query=1", {}),
        "multipart": ({"Content-Type": "multipart/form-data; boundary=zz", "Content-Length": "4"},
                      b"--zz", {}),
        "garbage type": ({"Content-Type": ";;=/;", "Content-Length": str(len(body))}, body, {}),
        "utf-16 json": ({"Content-Type": "application/json; charset=utf-16",
                         "Content-Length": str(len(body))}, body, {}),
        "not utf-8": ({"Content-Type": JSON, "Content-Length": "4"}, b'\xff\xfe{"', {}),
        "empty": ({"Content-Type": JSON, "Content-Length": "0"}, b"", {}),
        "broken json": ({"Content-Type": JSON, "Content-Length": "10"}, b'{"query": ', {}),
        "json array": ({"Content-Type": JSON, "Content-Length": "6"}, b"[1, 2]", {}),
        "json null": ({"Content-Type": JSON, "Content-Length": "4"}, b"null", {}),
        "wrong types": ({"Content-Type": JSON, "Content-Length": "38"},
                        b'{"query": 5, "variables": "x", "a": 1}', {}),
        "gzip bomb": ({"Content-Type": JSON, "Content-Encoding": "gzip",
                       "Content-Length": str(len(gzip_bomb()))}, gzip_bomb(), {}),
        "10 MB": ({"Content-Type": JSON, "Content-Length": str(len(padded))}, padded, {}),
        "10 MB chunked": ({"Content-Type": JSON, "Transfer-Encoding": "chunked"},
                          chunked(padded), {}),
        "slow sender": ({"Content-Type": JSON, "Content-Length": str(len(body))}, body,
                        {"dribble": min(0.05, budget.seconds() / 20 / len(body))}),
    }  # fmt: skip


def chunked(body: bytes, size: int = 65536) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size])
             for i in range(0, len(body), size)]  # fmt: skip
    return b"".join(parts) + b"0\r\n\r\n"


NAMES = list(cases(Target("", "", {}, b"{}", rest=False)))


@pytest.mark.timeout(budget.timeout(600))
@pytest.mark.parametrize("case", NAMES)
def test_malformed_requests_get_documented_refusals(
    stack: Stack, router: FuzzedRouter, tenant: str, case: str
) -> None:
    failures = []
    with bounded_memory(router), ThreadPoolExecutor(1) as pool:
        for target in targets(stack, tenant, router):
            head, body, options = cases(target)[case]
            sending = pool.submit(exchange, target.url, {**target.head, **head}, body, **options)
            if case == "slow sender":
                assert_alive(stack, router)  # everyone else is served while one dribbles
            answer = sending.result()
            print(f"malformed HTTP: {case} to {target.name}: {answer.status} {answer.body[:120]!r}")
            if case == "truncated" and (answer.status, answer.body) in {(0, b""), (400, b"")}:
                # The sender gave up: its request never reached the API, and the HTTP server
                # closes without an answer (uvicorn) or with a bare 400 (Node) that no one reads.
                continue
            try:
                assert answer.status, "closed without an answer"
                check_answer(answer.status, answer.headers, answer.body, rest=target.rest)
            except AssertionError as failed:
                failures.append(f"{case} to {target.name}: {failed}")
    assert_alive(stack, router)
    assert not failures, "\n".join(failures)
