"""What GET /metrics exposes, in the Prometheus text format.

Two kinds of figures, with different truths:

- Read from the database at each scrape, so any process tells the truth about all of them
  (crmgraph.events.consumers.metrics): per consumer its queue depth
  (`crmgraph_consumer_pending_events`), lag (`crmgraph_consumer_oldest_pending_seconds`) and
  dead letters (`crmgraph_consumer_dead_letters`), and the outbox's lag
  (`crmgraph_outbox_lag_seconds`: how long the oldest event some consumer has still to handle
  has waited); the outbound webhook job queue (crmgraph.webhooks.queue_metrics): its depth
  (`crmgraph_webhook_jobs`), the jobs due (`crmgraph_webhook_jobs_due`) and overdue
  (`crmgraph_webhook_jobs_overdue`) and the oldest due job's wait
  (`crmgraph_webhook_jobs_oldest_due_seconds`).
- Counted in this process since it started (REGISTRY below): the REST requests it answered,
  `crmgraph_http_requests_total` and the latency histogram
  `crmgraph_http_request_duration_seconds`, labelled by method, route template
  (`/api-keys/{key_id}`, never the raw path; `<unmatched>` for paths no route has) and status
  class (`2xx`, `4xx`, ...); and `crmgraph_webhook_deliveries_total` by outcome. These are
  per process, as Prometheus counters are: the REST shim is one process per deployment unit
  (`crmgraph serve --all` or `serve rest`), so scrape each unit and let Prometheus sum
  (`sum by (route) (rate(crmgraph_http_requests_total[5m]))`). A restart starts them at
  zero, which `rate()` handles. `crmgraph_graph_queries_total` counts the statements the
  GraphStore adapters (crmgraph.graph) answered, by backend and port method.

Hook for outbound webhooks: the code that delivers a webhook calls
`WEBHOOK_DELIVERIES.labels(outcome=...).inc()` once per attempt, with one of
WEBHOOK_OUTCOMES. It counts in the process that made the attempt: where consumers run in
`crmgraph worker` processes (CONSUMERS_IN_PROCESS=false), those have no /metrics, so a
deployment that needs the figure there reads it from the deliveries the webhook consumer
stores, the way consumer lag is read.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from crmgraph.events.consumers.metrics import ConsumerLag, prometheus_text
from crmgraph.webhooks import queue_metrics

REGISTRY = CollectorRegistry()
UNMATCHED = "<unmatched>"

HTTP_REQUESTS = Counter(
    "crmgraph_http_requests",
    "REST requests answered by this process",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "crmgraph_http_request_duration_seconds",
    "Time from a REST request's arrival to the end of its response, in this process",
    ["method", "route", "status"],
    # Webhook acks aim under 50 ms and reads under 500 ms; streams (SSE) land in +Inf.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)

# delivered: the receiver answered 2xx; failed: it answered otherwise or did not answer (a
# retry follows); refused: the target was not allowed (SSRF rules); disabled: the attempt
# that disabled its subscription after too many consecutive failures.
WEBHOOK_OUTCOMES = ("delivered", "failed", "refused", "disabled")
WEBHOOK_DELIVERIES = Counter(
    "crmgraph_webhook_deliveries",
    "Outbound webhook delivery attempts made by this process, by outcome",
    ["outcome"],
    registry=REGISTRY,
)
for _outcome in WEBHOOK_OUTCOMES:
    WEBHOOK_DELIVERIES.labels(outcome=_outcome)  # each series exists from the start, at 0

# Statements the GraphStore adapters answered (crmgraph.graph), by backend and port method
# (`project` for the projection's writes): shows which backend answered (a Neo4j read that
# failed, answered by SQL instead, counts as sql) and how many statements a request took.
GRAPH_QUERIES = Counter(
    "crmgraph_graph_queries",
    "Graph statements answered in this process, by backend and query",
    ["backend", "query"],
    registry=REGISTRY,
)


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered REST request."""
    labels = {"method": method, "route": route, "status": status_class(status)}
    HTTP_REQUESTS.labels(**labels).inc()
    HTTP_LATENCY.labels(**labels).observe(seconds)


def exposition(lags: list[ConsumerLag], queue: queue_metrics.WebhookQueue) -> bytes:
    """The whole /metrics body: the database's figures, then this process's counters."""
    return prometheus_text(lags) + queue_metrics.prometheus_text(queue) + generate_latest(REGISTRY)
