"""Zoho One integration: records received from Zoho mapped onto crmgraph's entities
(crmgraph.zoho.mapping.apply_record)."""
