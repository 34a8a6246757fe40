"""Zoho One integration: organisations (orgs), inbound webhook formats (formats/), the
durable store of received events (inbound), and what received records become in crmgraph
(records, mapping.apply_record, run by the zoho-mapper consumer)."""
