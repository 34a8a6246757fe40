"""Outbound webhooks: signing, target checks (SSRF), filters, payloads and sending.

Subscriptions are managed by crmgraph.domain.webhooks; deliveries are made by the outbox
consumer crmgraph.events.consumers.webhooks.
"""
