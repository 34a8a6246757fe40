"""POST /api/v1/bulk/contacts/import through the real REST shim on PostgreSQL: the design's
field mapping, update_existing, skip_duplicates, per-row failures beside stored rows, the
batch bound, permissions and the outbox events each row writes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import select

from crmgraph.db import models
from crmgraph.db.scoping import scoped
from crmgraph.domain import bounds
from tests.e2e.test_rate_limits import limited_rest  # noqa: F401 (a fixture)
from tests.stack import Stack

PATH = "/api/v1/bulk/contacts/import"
MAPPING = {"email": "email_address", "first_name": "firstName", "last_name": "lastName",
           "company_name": "company"}  # fmt: skip


def post(stack: Stack, tenant: str, body: Any, *, roles: tuple[str, ...] = ("tenant_admin",)
         ) -> httpx.Response:  # fmt: skip
    token = stack.token(tenant, roles=roles)
    return httpx.post(stack.rest_url + PATH, json=body, timeout=60,
                      headers={"authorization": f"Bearer {token}"})  # fmt: skip


def data(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["data"]
    return found


def stored(stack: Stack, tenant: str) -> dict[str, models.Contact]:
    async def read() -> dict[str, models.Contact]:
        async with stack.runtime.sessions() as session:
            rows = await session.scalars(scoped(select(models.Contact), models.Contact, tenant))
            return {c.email or "": c for c in rows}

    return stack.call(read)


def topics(stack: Stack, tenant: str) -> list[tuple[str, str]]:
    async def read() -> list[tuple[str, str]]:
        async with stack.runtime.sessions() as session:
            stmt = scoped(select(models.OutboxEvent), models.OutboxEvent, tenant)
            rows = await session.scalars(stmt.order_by(models.OutboxEvent.id))
            return [(e.topic, str(e.aggregate_id)) for e in rows]

    return stack.call(read)


def row(email: str, first: str = "John", last: str = "Doe", **more: Any) -> dict[str, Any]:
    return {"email_address": email, "firstName": first, "lastName": last, **more}


def test_the_designs_example_creates_each_row_with_its_event(stack: Stack, tenant: str) -> None:
    body = {
        "import_options": {"update_existing": True, "skip_duplicates": False,
                           "validation_level": "strict"},
        "field_mapping": MAPPING,
        "contacts": [row("contact1@company.com", company="Company A"),
                     row("Contact2@Company.com", "Jane", "Smith", company="Company B")],
    }  # fmt: skip
    result = data(post(stack, tenant, body))

    assert {k: result[k] for k in ("total_processed", "successful", "failed", "created")} == {
        "total_processed": 2, "successful": 2, "failed": 0, "created": 2}  # fmt: skip
    contacts = stored(stack, tenant)
    assert contacts["contact2@company.com"].company == "Company B"
    assert contacts["contact1@company.com"].first_name == "John"
    ids = [r["contact_id"] for r in result["results"]]
    assert ids == [
        str(contacts["contact1@company.com"].id),
        str(contacts["contact2@company.com"].id),
    ]
    assert topics(stack, tenant) == [("contact.created", i) for i in ids]


def test_update_existing_matches_on_email_or_id_and_keeps_what_is_absent(
    stack: Stack, tenant: str
) -> None:
    first = data(post(stack, tenant, {"field_mapping": MAPPING, "contacts": [
        row("ann@x.io", "Ann", "Lee", phone="1"), row("bo@x.io", "Bo", "Ng")]}))  # fmt: skip
    ann_id, bo_id = (r["contact_id"] for r in first["results"])

    again = {
        "import_options": {"update_existing": True},
        "field_mapping": {**MAPPING, "id": "ID"},
        "contacts": [{"email_address": "ANN@x.io", "lastName": "Lee-Smith"},
                     {"ID": bo_id, "firstName": "Bob", "company": None}],
    }  # fmt: skip
    result = data(post(stack, tenant, again))

    assert [(r["status"], r["contact_id"]) for r in result["results"]] == [
        ("updated", ann_id), ("updated", bo_id)]  # fmt: skip
    contacts = stored(stack, tenant)
    ann, bo = contacts["ann@x.io"], contacts["bo@x.io"]
    assert (ann.first_name, ann.last_name, ann.phone) == ("Ann", "Lee-Smith", "1")
    assert (bo.first_name, bo.company) == ("Bob", None)
    assert topics(stack, tenant)[2:] == [("contact.updated", ann_id), ("contact.updated", bo_id)]


def test_skip_duplicates_skips_matches_and_without_it_they_fail(stack: Stack, tenant: str) -> None:
    data(post(stack, tenant, {"field_mapping": MAPPING, "contacts": [row("dup@x.io")]}))
    batch = [row("dup@x.io", "Other"), row("new@x.io"), row("new@x.io", "Twice")]

    skipped = data(post(stack, tenant, {"import_options": {"skip_duplicates": True},
                                        "field_mapping": MAPPING, "contacts": batch}))  # fmt: skip
    assert [r["status"] for r in skipped["results"]] == ["skipped", "created", "skipped"]
    assert stored(stack, tenant)["dup@x.io"].first_name == "John"

    refused = data(post(stack, tenant, {"field_mapping": MAPPING, "contacts": batch[:1]}))
    assert refused["results"][0]["status"] == "failed"
    assert refused["errors"][0]["code"] == "CONFLICT"
    assert refused["errors"][0]["field"] == "email_address"
    assert len(topics(stack, tenant)) == 2


def test_invalid_rows_fail_alone_while_valid_ones_are_stored(stack: Stack, tenant: str) -> None:
    body = {"field_mapping": MAPPING, "contacts": [
        row("ok1@x.io"),
        row("not-an-email"),
        {"email_address": "nolast@x.io", "firstName": "Ann"},
        row("ok2@x.io", "  "),
        row("nul@x.io", "A\x00B"),
        row("unknown@x.io", shoe="42"),
        "not an object",
        row("ok3@x.io"),
    ]}  # fmt: skip
    result = data(post(stack, tenant, body))

    assert [r["status"] for r in result["results"]] == [
        "created",
        "failed",
        "failed",
        "failed",
        "failed",
        "failed",
        "failed",
        "created",
    ]
    assert [(e["index"], e["code"], e["field"]) for e in result["errors"]] == [
        (1, "VALIDATION_ERROR", "email_address"),
        (2, "VALIDATION_ERROR", "lastName"),
        (3, "VALIDATION_ERROR", "firstName"),
        (4, "VALIDATION_ERROR", None),
        (5, "VALIDATION_ERROR", "shoe"),
        (6, "VALIDATION_ERROR", "row"),
    ]  # fmt: skip
    assert result["results"][1]["errors"] == [
        {"code": "VALIDATION_ERROR", "message": "Invalid email format", "field": "email_address"}
    ]
    assert (result["successful"], result["failed"]) == (2, 6)
    assert sorted(stored(stack, tenant)) == ["ok1@x.io", "ok3@x.io"]
    assert [t for t, _ in topics(stack, tenant)] == ["contact.created", "contact.created"]


def test_an_oversized_batch_or_unknown_mapping_is_refused_and_stores_nothing(
    stack: Stack, tenant: str
) -> None:
    rows = [row(f"p{i}@x.io") for i in range(bounds.IMPORT_ROWS + 1)]
    too_many = post(stack, tenant, {"field_mapping": MAPPING, "contacts": rows})
    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["field"] == "contacts"

    unknown = post(stack, tenant, {"field_mapping": {"shoe_size": "s"}, "contacts": rows[:1]})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "field_mapping.shoe_size"

    filler = "x" * (stack.settings.rest_max_body_bytes + 1)
    huge = post(stack, tenant, {"field_mapping": MAPPING, "contacts": [row("a@x.io", filler)]})
    assert huge.status_code == 413
    assert stored(stack, tenant) == {}
    assert topics(stack, tenant) == []


def test_import_needs_contacts_write_for_the_whole_tenant(stack: Stack, tenant: str) -> None:
    body = {"field_mapping": MAPPING, "contacts": [row("a@x.io")]}
    for role in ("support_agent", "sales_rep"):  # read only; write only on its own contacts
        refused = post(stack, tenant, body, roles=(role,))
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["details"]["required_permissions"] == ["contacts:write"]
    anonymous = httpx.post(stack.rest_url + PATH, json=body, timeout=30)
    assert anonymous.status_code == 401
    assert data(post(stack, tenant, body, roles=("sales_manager",)))["created"] == 1


def test_import_is_counted_by_the_rate_limiter(
    stack: Stack,
    tenant: str,
    limited_rest: str,  # noqa: F811
) -> None:
    headers = {"authorization": f"Bearer {stack.token(tenant)}"}
    body = {"field_mapping": MAPPING, "contacts": []}
    sent = [httpx.post(limited_rest + PATH, json=body, headers=headers) for _ in range(2)]

    assert [data(r)["total_processed"] for r in sent] == [0, 0]
    remaining = [int(r.headers["X-RateLimit-Remaining"]) for r in sent]
    assert remaining[1] == remaining[0] - 1


def test_imports_that_deadlock_on_each_others_rows_answer_conflict(
    stack: Stack, tenant: str
) -> None:
    """Two batches update the same two contacts in opposite orders, with rows between so
    each holds its first lock when it reaches the other's: PostgreSQL breaks the deadlock
    by rolling one back, which answers 409 and stores nothing of its batch."""
    data(post(stack, tenant, {"field_mapping": MAPPING,
                              "contacts": [row("a@x.io"), row("b@x.io")]}))  # fmt: skip
    filler = [row(f"f{i}@x.io") for i in range(400)]

    def batch(first: str, last: str, name: str) -> dict[str, Any]:
        rows = [row(first, name), *filler, row(last, name)]
        return {"import_options": {"update_existing": True}, "field_mapping": MAPPING,
                "contacts": rows}  # fmt: skip

    with ThreadPoolExecutor(2) as pool:
        one = pool.submit(post, stack, tenant, batch("a@x.io", "b@x.io", "One"))
        two = pool.submit(post, stack, tenant, batch("b@x.io", "a@x.io", "Two"))
        answers = sorted([one.result(), two.result()], key=lambda r: r.status_code)

    assert [r.status_code for r in answers] == [200, 409]
    assert answers[1].json()["errors"][0]["code"] == "CONFLICT"
    winner = "One" if answers[0].request.content.count(b'"One"') else "Two"
    contacts = stored(stack, tenant)
    assert contacts["a@x.io"].first_name == contacts["b@x.io"].first_name == winner
