"""convertLead through the router: what it makes, what it links, and that it is all or nothing."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_leads import QUALIFY, failure, make_lead, ok, topics
from tests.stack import Stack

PIPELINE = """mutation($name: String!) { createPipeline(input: {name: $name, stages: [
  {name: "Qualification", order: 1, probability: 25},
  {name: "Proposal", order: 2, probability: 50}]}) { pipeline { id stages { id name } } } }"""
CONVERT = """mutation($id: ID!, $input: ConvertLeadInput!) { convertLead(leadId: $id,
  input: $input) { lead { status isQualified } contact { id } account { id } deal { id } } }"""
COUNTS = "{ contacts { totalCount } accounts { totalCount } deals { totalCount } }"
LEAD_STATE = "query($id: ID!) { lead(id: $id) { status convertedAt score } }"


def make_pipeline(stack: Stack, tenant: str, name: str = "Sales") -> dict[str, Any]:
    pipeline: dict[str, Any] = ok(stack, PIPELINE, tenant, name=name)["createPipeline"]["pipeline"]
    return pipeline


def test_convert_lead_creates_contact_account_and_deal(stack: Stack, tenant: str) -> None:
    pipeline = make_pipeline(stack, tenant)
    lead_id = make_lead(stack, tenant, company="Prospect Inc", jobTitle="VP Sales")
    converted = ok(
        stack, CONVERT, tenant, id=lead_id,
        input={"createDeal": True, "dealTitle": "New Business Opportunity", "dealValue": 75000,
               "pipelineId": pipeline["id"], "stageId": pipeline["stages"][1]["id"]},
    )["convertLead"]  # fmt: skip
    query = """query($c: ID!, $d: ID!, $a: ID!) {
      contact(id: $c) { fullName email jobTitle account { name } leadSource { email status } }
      deal(id: $d) { title value stage contact { fullName } account { name } }
      account(id: $a) { name } }"""

    assert converted["lead"] == {"status": "CONVERTED", "isQualified": True}
    ids = {"c": converted["contact"]["id"], "d": converted["deal"]["id"],
           "a": converted["account"]["id"]}  # fmt: skip
    assert ok(stack, query, tenant, **ids) == {
        "contact": {
            "fullName": "Jane Smith",
            "email": "jane@prospect.com",
            "jobTitle": "VP Sales",
            "account": {"name": "Prospect Inc"},
            "leadSource": {"email": "jane@prospect.com", "status": "CONVERTED"},
        },
        "deal": {
            "title": "New Business Opportunity",
            "value": 75000.0,
            "stage": "Proposal",
            "contact": {"fullName": "Jane Smith"},
            "account": {"name": "Prospect Inc"},
        },
        "account": {"name": "Prospect Inc"},
    }
    # lead.scored too, when the lead-scorer has scored the VP (README: Lead scoring)
    found = [t for t in stack.call(lambda: topics(stack, lead_id)) if t != "lead.scored"]
    assert found == ["lead.created", "lead.converted"]


def test_convert_lead_links_the_account_named_like_its_company(stack: Stack, tenant: str) -> None:
    create = 'mutation { createAccount(input: {name: "Prospect Inc"}) { account { id } } }'
    account = ok(stack, create, tenant)["createAccount"]["account"]
    lead_id = make_lead(stack, tenant, company="Prospect Inc")

    converted = ok(stack, CONVERT, tenant, id=lead_id, input={})["convertLead"]

    assert converted["account"] == account
    assert converted["deal"] is None
    assert ok(stack, COUNTS, tenant) == {
        "contacts": {"totalCount": 1}, "accounts": {"totalCount": 1}, "deals": {"totalCount": 0}
    }  # fmt: skip


def test_convert_lead_links_an_existing_contact(stack: Stack, tenant: str) -> None:
    contact = ok(stack, 'mutation { createContact(input: {firstName: "J", lastName: "S"}) '
                 "{ contact { id } } }", tenant)["createContact"]["contact"]  # fmt: skip
    lead_id = make_lead(stack, tenant)

    converted = ok(stack, CONVERT, tenant, id=lead_id,
                   input={"contactId": contact["id"], "createAccount": False})  # fmt: skip

    assert converted["convertLead"]["contact"] == contact
    assert converted["convertLead"]["account"] is None
    query = "query($id: ID!) { contact(id: $id) { fullName leadSource { fullName } } }"
    assert ok(stack, query, tenant, id=contact["id"]) == {
        "contact": {"fullName": "J S", "leadSource": {"fullName": "Jane Smith"}}
    }


def test_converting_twice_is_a_conflict(stack: Stack, tenant: str) -> None:
    lead_id = make_lead(stack, tenant, company="Once Inc")
    ok(stack, CONVERT, tenant, id=lead_id, input={})

    assert failure(stack, CONVERT, tenant, id=lead_id, input={}) == [("CONFLICT", "leadId")]
    assert failure(stack, QUALIFY, tenant, id=lead_id, input={}) == [("CONFLICT", "leadId")]
    assert ok(stack, COUNTS, tenant) == {
        "contacts": {"totalCount": 1}, "accounts": {"totalCount": 1}, "deals": {"totalCount": 0}
    }  # fmt: skip


def test_convert_lead_failing_at_the_deal_leaves_nothing_behind(stack: Stack, tenant: str) -> None:
    pipeline = make_pipeline(stack, tenant, "Sales")
    elsewhere = make_pipeline(stack, tenant, "Partners")["stages"][0]["id"]
    lead_id = make_lead(stack, tenant, company="Atomic Inc", score=55)
    before = ok(stack, LEAD_STATE, tenant, id=lead_id)

    errors = failure(
        stack, CONVERT, tenant, id=lead_id,
        input={"createDeal": True, "pipelineId": pipeline["id"], "stageId": elsewhere},
    )  # fmt: skip

    assert errors == [("VALIDATION_ERROR", "stageId")]
    assert before == {"lead": {"status": "NEW", "convertedAt": None, "score": 55}}
    assert ok(stack, LEAD_STATE, tenant, id=lead_id) == before
    assert ok(stack, COUNTS, tenant) == {
        "contacts": {"totalCount": 0}, "accounts": {"totalCount": 0}, "deals": {"totalCount": 0}
    }  # fmt: skip
    assert stack.call(lambda: topics(stack, lead_id)) == ["lead.created"]


def test_convert_lead_rejects_a_negative_deal_value(stack: Stack, tenant: str) -> None:
    make_pipeline(stack, tenant)
    lead_id = make_lead(stack, tenant, company="Neg Inc")

    errors = failure(stack, CONVERT, tenant, id=lead_id,
                     input={"createDeal": True, "dealValue": -5})  # fmt: skip

    assert errors == [("VALIDATION_ERROR", "dealValue")]
    assert ok(stack, COUNTS, tenant)["accounts"] == {"totalCount": 0}


def test_deleting_a_converted_lead_keeps_the_contact_without_its_source(
    stack: Stack, tenant: str
) -> None:
    lead_id = make_lead(stack, tenant, company="Gone Inc")
    contact = ok(stack, CONVERT, tenant, id=lead_id, input={})["convertLead"]["contact"]

    ok(stack, "mutation($id: ID!) { deleteLead(id: $id) { deleted } }", tenant, id=lead_id)

    query = "query($id: ID!) { contact(id: $id) { fullName leadSource { id } } }"
    assert ok(stack, query, tenant, id=contact["id"]) == {
        "contact": {"fullName": "Jane Smith", "leadSource": None}
    }
