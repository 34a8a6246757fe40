"""The verified answers bench/graphql.lua checks every response against.

Before an operation is measured, each target is sent each distinct request body once (in
order, so a mutation's answer is its first, valid move). An answer must be HTTP 200 with
data and no `errors`; the targets' answers, brought to one form (PostGraphile's names mapped
to ours, numbers compared as decimals: 48000, 48000.0 and "48000.00" are the same value),
must agree with the first target's (ours through the router) for every body. The exact bytes
each target answered become what wrk compares against for that target.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

# A mutation answers the same for every move of one deal; its key is the deal, so its answer
# is asked once (the first move) and stands for the others.
MUTATIONS = {"move_deal_stage"}
PG_RELATIONS = {"pipelineStageByStageId", "contactByContactId", "accountByAccountId"}


class WrongAnswer(RuntimeError):
    """A target answered a body wrong before measuring: it is not measured."""

    def __init__(self, target: str, message: str) -> None:
        super().__init__(message)
        self.target = target


def fetch_answers(
    target: str, url: str, operation: str, lines: list[str], headers: dict[str, str]
) -> list[bytes]:
    """The answer to each line: asked once per distinct body (per deal for a mutation)."""
    answers: dict[str, bytes] = {}
    found = []
    with httpx.Client(timeout=30, headers={"content-type": "application/json", **headers}) as c:
        for line in lines:
            key = _key(operation, line)
            if key not in answers:
                try:
                    response = c.post(url, content=line)
                except httpx.HTTPError as error:
                    raise WrongAnswer(target, f"{url} failed: {error!r}") from error
                _check(target, url, line, response)
                answers[key] = response.content
            found.append(answers[key])
    return found


def agree(operation: str, answers: dict[str, list[bytes]]) -> None:
    """Every target's answers, in one form, equal the first target's, body for body."""
    targets = list(answers)
    reference = targets[0]
    for target in targets[1:]:
        for n, (ours, theirs) in enumerate(zip(answers[reference], answers[target], strict=True)):
            mine, other = (
                canonical(operation, reference, ours),
                canonical(operation, target, theirs),
            )
            if mine != other:
                raise WrongAnswer(
                    target,
                    f"{operation}: {target} and {reference} disagree on body {n + 1}:\n"
                    f"  {reference}: {mine}\n  {target}: {other}",
                )


def canonical(operation: str, target: str, answer: bytes) -> Any:
    data = json.loads(answer)["data"]
    if target == "postgraphile":
        nodes = data["allDeals"]["nodes"]
        if operation == "deal_by_id":
            return _numbers(_pg_deal(nodes[0]) if nodes else None)
        return _numbers([_pg_deal(node) for node in nodes])
    if operation == "deal_by_id":
        return _numbers(data["deal"])
    if operation == "deals_page_50":
        deals = data["deals"]
        return _numbers(deals if target == "sql" else [e["node"] for e in deals["edges"]])
    return _numbers(data)


def _pg_deal(node: dict[str, Any]) -> dict[str, Any]:
    """PostGraphile's names for a deal (bench/run.py's PG_* queries) in ours."""
    deal = {"id": node.pop("rowId")} if "rowId" in node else {}
    deal |= {k: v for k, v in node.items() if k not in PG_RELATIONS}
    deal["stage"] = node["pipelineStageByStageId"]["name"]
    if "contactByContactId" in node:
        contact = node["contactByContactId"]
        deal["contact"] = contact and {
            "fullName": f"{contact['firstName']} {contact['lastName']}",
            "email": contact["email"],
            "account": contact["accountByAccountId"],
        }
    if "accountByAccountId" in node:
        deal["account"] = node["accountByAccountId"]
    return deal


def _numbers(value: Any) -> Any:
    """Numbers, and strings that spell one, as Decimal: one value whatever its format."""
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str) and value.replace(".", "", 1).lstrip("-").isdigit():
        return Decimal(value)
    return value


def _key(operation: str, line: str) -> str:
    if operation in MUTATIONS:
        return str(json.loads(line)["variables"]["d"])
    return line


def _check(target: str, url: str, line: str, response: httpx.Response) -> None:
    """HTTP 200, no errors, and data: no null, empty list or empty page at the top."""
    problem = ""
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    data = answer.get("data") if isinstance(answer, dict) else None
    top = next(iter(data.values()), None) if isinstance(data, dict) else None
    if response.status_code != 200:
        problem = f"HTTP {response.status_code}"
    elif answer.get("errors"):
        problem = "errors"
    elif not top or top in ({"edges": []}, {"nodes": []}):
        problem = "no data"
    if problem:
        raise WrongAnswer(
            target, f"{url} answered {problem} to {line[:120]}: {response.text[:300]}"
        )
