"""GET /metrics on the running REST shim: per-route request counts and latency histograms
(route template, method, status class; refusals by the body limit and the rate limiter
counted too), the outbox's lag, and the webhook delivery outcomes' series."""

from __future__ import annotations

import uuid

import httpx
from prometheus_client.parser import text_string_to_metric_families

from crmgraph.rest.metrics import WEBHOOK_OUTCOMES
from tests.stack import Stack

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(stack: Stack, tenant: str) -> tuple[Samples, str]:
    admin = stack.token(tenant, roles=("system_admin",))
    response = httpx.get(f"{stack.rest_url}/metrics", headers={"authorization": f"Bearer {admin}"})
    assert response.status_code == 200
    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }
    return samples, response.text


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_per_route_template_method_and_status_class(
    stack: Stack, tenant: str
) -> None:
    route = {"method": "DELETE", "route": "/api-keys/{key_id}", "status": "4xx"}
    too_large = {"method": "POST", "route": "/api-keys", "status": "4xx"}
    before, _ = scrape(stack, tenant)
    key = uuid.uuid4()
    admin = {"authorization": f"Bearer {stack.token(tenant)}"}
    for _ in range(3):
        assert httpx.delete(f"{stack.rest_url}/api-keys/{key}", headers=admin).status_code == 404
    refused = httpx.post(f"{stack.rest_url}/api-keys", content=b"{" * 1_048_577, timeout=30)
    assert refused.status_code == 413
    after, text = scrape(stack, tenant)

    requests = "crmgraph_http_requests_total"
    assert value(after, requests, **route) == value(before, requests, **route) + 3
    assert value(after, requests, **too_large) >= value(before, requests, **too_large) + 1
    latency = "crmgraph_http_request_duration_seconds_count"
    assert value(after, latency, **route) == value(before, latency, **route) + 3
    bucket = "crmgraph_http_request_duration_seconds_bucket"
    assert value(after, bucket, **route, le="+Inf") == value(after, latency, **route)
    assert str(key) not in text


def test_a_path_of_no_route_is_counted_as_unmatched(stack: Stack, tenant: str) -> None:
    labels = {"method": "GET", "route": "<unmatched>", "status": "4xx"}
    before, _ = scrape(stack, tenant)
    path = f"/no-such-{uuid.uuid4().hex}"
    assert httpx.get(f"{stack.rest_url}{path}").status_code == 404
    after, text = scrape(stack, tenant)

    name = "crmgraph_http_requests_total"
    assert value(after, name, **labels) == value(before, name, **labels) + 1
    assert path not in text


def test_metrics_have_the_outbox_lag_and_each_webhook_outcome(stack: Stack, tenant: str) -> None:
    samples, _ = scrape(stack, tenant)

    assert ("crmgraph_outbox_lag_seconds", frozenset()) in samples
    for outcome in WEBHOOK_OUTCOMES:
        labels = frozenset({("outcome", outcome)})
        assert ("crmgraph_webhook_deliveries_total", labels) in samples
