"""Zoho One integration: organisations (orgs), inbound webhook formats (formats/) and the
durable store of received events (inbound)."""
